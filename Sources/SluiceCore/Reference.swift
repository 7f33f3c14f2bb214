/// A name for a value from the execution input or from an upstream task's output:
/// `input`, `input.user.name`, `input.items[0]`, `tasks.fetch`, `tasks.fetch.json.user.id`,
/// `tasks.split.list[2]`, `input["odd key"]`, `tasks["v1.2"].text`.
///
/// Grammar (no spaces inside a reference):
///
///     reference := root step*
///     root      := "input" | "tasks" "." name | "tasks" "[" string "]" | "status" … | "item" | "execution"
///     step      := "." name | "[" digits "]" | "[" string "]"
///     name      := one or more ASCII letters, digits, "_" or "-"
///     string    := '"' … '"' or "'" … "'" with the escapes \" \' \\ \n \t \r
///
/// Task ids and member names with other characters (a `.`, a space, non-ASCII letters) are
/// written in brackets. Parse once when a workflow is created; `resolve` and `staticType` do no
/// string parsing.
public struct Reference: Sendable, Hashable, CustomStringConvertible {
    /// Where a reference starts.
    public enum Root: Sendable, Hashable, CustomStringConvertible {
        /// The execution input.
        case input
        /// The output object of the task with this id.
        case task(String)
        /// The status of the task with this id, once it has finished (`"COMPLETED"`, `"FAILED"`,
        /// `"SKIPPED"`, `"CANCELLED"`): `status.fetch`, `status["v1.2"]`. For the `when` of a task
        /// with `"trigger": "all_finished"`, which runs after a dependency failed.
        case status(String)
        /// The current item of a mapped task (`item`, `item.name`, `item[0]`): only in the
        /// rendered input (`render_input`) of a task with `map`, filled in for each item.
        case item
        /// The execution so far, for a task that runs after others (an exit handler with
        /// `"trigger": "finally"`): `execution.failed` (a task failed and no handler ran after
        /// it) and `execution.failures` (`[{"task", "message"}]` of those tasks), read when the
        /// task starts or its condition is decided.
        case execution

        /// `input`, `tasks.fetch` or `tasks["v1.2"]`.
        public var description: String {
            switch self {
            case .input: return "input"
            case .task(let id): return Reference.isPlainName(id) ? "tasks.\(id)" : "tasks[\(Reference.quoted(id))]"
            case .status(let id): return Reference.isPlainName(id) ? "status.\(id)" : "status[\(Reference.quoted(id))]"
            case .item: return "item"
            case .execution: return "execution"
            }
        }
    }

    /// One step into a value.
    public enum Component: Sendable, Hashable, CustomStringConvertible {
        /// The member of an object with this name.
        case member(String)
        /// The element of an array at this position (from 0).
        case index(Int)

        /// `.name`, `["odd key"]` or `[2]`.
        public var description: String {
            switch self {
            case .member(let name): return Reference.isPlainName(name) ? ".\(name)" : "[\(Reference.quoted(name))]"
            case .index(let i): return "[\(i)]"
            }
        }
    }

    /// Where the reference starts.
    public var root: Root
    /// The members and indices followed from the root, in order; empty for the whole root value.
    public var path: [Component]

    public init(root: Root, path: [Component] = []) {
        self.root = root
        self.path = path
    }

    /// Parses a reference such as `tasks.fetch.json.user.id`; spaces around it are ignored.
    ///
    /// Errors say what was expected and where: `expected a task id after "tasks." at offset 6,
    /// found end of reference`.
    public static func parse(_ s: String) throws(ExpressionError) -> Reference {
        var scanner = ExpressionScanner(s, end: "end of reference")
        scanner.skipWhitespace()
        let reference = try scanner.scanReference()
        scanner.skipWhitespace()
        guard scanner.atEnd else {
            throw scanner.expected("the end of the reference", at: scanner.index)
        }
        return reference
    }

    /// The source form, which `parse` reads back as the same reference.
    public var description: String {
        var text = root.description
        for component in path { text += component.description }
        return text
    }

    /// The task this reference reads from, or `nil` for the execution input.
    public var taskID: String? {
        if case .task(let id) = root { return id }
        return nil
    }

    // MARK: Run time

    /// Follows `path` from `rootValue`, the value of `root` (the execution input, or the task's
    /// output object). `nil` when a member is missing, an index is out of range, or a step meets a
    /// value of the wrong kind (a member of an array, an index into an object).
    public func resolve(in rootValue: JSONValue) -> JSONValue? {
        var value = rootValue
        for component in path {
            switch (component, value) {
            case (.member(let name), .object(let object)):
                guard let next = object[name] else { return nil }
                value = next
            case (.index(let i), .array(let items)):
                guard i >= 0, i < items.count else { return nil }
                value = items[i]
            default:
                return nil
            }
        }
        return value
    }

    /// Resolves the reference against an execution input and the outputs of tasks
    /// (`output(id)` gives a task's output object, `nil` if it has none yet).
    public func resolve(input: JSONValue, output: (String) -> JSONValue?, status: (String) -> String? = { _ in nil }, execution: () -> JSONValue? = { nil }) -> JSONValue? {
        switch root {
        case .input: return resolve(in: input)
        case .task(let id): return output(id).flatMap { resolve(in: $0) }
        case .status(let id): return status(id).flatMap { resolve(in: .string($0)) }
        case .item: return nil
        case .execution: return execution().flatMap { resolve(in: $0) }
        }
    }

    // MARK: Checking

    /// The static type of the referenced value, given the type of each root (`rootType`
    /// returns `nil` for a task that does not exist, `.unknown` for one whose output type is not
    /// known).
    ///
    /// Reaching into an unknown type, or for a member an open object does not declare, gives
    /// `unknown`. Reaching for a member a closed object lacks, indexing something that is not a
    /// list, or taking a member of something that is not an object is an error:
    /// `task "length" outputs {number}; it has no member "text"`.
    public func staticType(rootType: (Root) -> ValueType?) -> Result<ValueType, TypeProblem> {
        guard var type = rootType(root) else {
            switch root {
            case .input: return .failure("the execution input is not available here")
            case .task(let id), .status(let id): return .failure("there is no task \"\(id)\"")
            case .item: return .failure("item is only known in the input of a task with map")
            case .execution: return .failure("the execution's state is not available here")
            }
        }
        var at = root.description
        for component in path {
            switch (component, type) {
            case (_, .unknown):
                return .success(.unknown)
            case (.member(let name), .object(let members, let closed)):
                if let member = members[name] {
                    type = member
                } else if closed {
                    return .failure("\(subject(at, type)); it has no member \"\(name)\"")
                } else {
                    return .success(.unknown)
                }
            case (.index, .list(let element)):
                type = element
            case (.member(let name), _):
                return .failure("\(subject(at, type)); it has no member \"\(name)\"")
            case (.index(let i), _):
                return .failure("\(subject(at, type)); it is not a list, so it cannot be indexed with [\(i)]")
            }
            at += component.description
        }
        return .success(type)
    }

    /// "task "x" outputs {number}", "the execution input is {mode}", "input.user is {name}".
    private func subject(_ at: String, _ type: ValueType) -> String {
        if at == root.description {
            switch root {
            case .input: return "the execution input is \(type)"
            case .task(let id): return "task \"\(id)\" outputs \(type)"
            case .status(let id): return "the status of task \"\(id)\" is \(type)"
            case .item: return "each item is \(type)"
            case .execution: return "the execution is \(type)"
            }
        }
        return "\(at) is \(type)"
    }

    // MARK: Names

    /// Whether `name` can be written without brackets: one or more ASCII letters, digits, `_`, `-`.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(ExpressionScanner.isNameByte)
    }

    /// `name` in double quotes with `"`, `\`, newline, tab and carriage return escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
