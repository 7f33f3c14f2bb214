/// What the references of one workflow may point at while it is type-checked: the execution
/// input (of one type: `with(input:)` gives the scope for another), and the tasks upstream of the task that holds the reference (its ancestors through
/// `depends_on`), whose output types are known by then.
struct ReferenceScope {
    let tasks: [WorkflowDefinition.Task]
    let indexByID: [String: Int]
    let ancestors: Reachability
    /// The type of the execution input as references see it.
    let input: ValueType
    /// The type of each task's output seen by references, made once per task (a task that
    /// passes the input through carries all the input's members: one copy, not one per reference).
    private let outputTypes = OutputTypes()
    /// The type of each item, for the rendered input of a task with `map` (`{{item}}`); `nil`
    /// elsewhere, where `item` is refused.
    var item: ValueType?

    init(tasks: [WorkflowDefinition.Task], indexByID: [String: Int], ancestors: Reachability, input: ValueType) {
        self.tasks = tasks
        self.indexByID = indexByID
        self.ancestors = ancestors
        self.input = input
    }

    /// The same scope seen with another input type (the checker types the edges with the
    /// declared input, conditions with the derived one).
    func with(input: ValueType) -> ReferenceScope {
        ReferenceScope(tasks: tasks, indexByID: indexByID, ancestors: ancestors, input: input)
    }

    /// The type of `root` seen from task `i`, or a problem saying why it cannot be used.
    func rootType(_ root: Reference.Root, from i: Int, shapes: [Shape?]) -> Result<ValueType, TypeProblem> {
        switch root {
        case .input: return .success(input)
        case .item:
            guard let item else {
                return .failure(TypeProblem("item is the current item of a task with map, known only in that task's input (with render_input)"))
            }
            return .success(item)
        case .execution:
            return .success(Self.executionType)
        case .task(let id), .status(let id):
            guard let k = indexByID[id] else {
                return .failure(TypeProblem("there is no task \"\(id)\"; expected one of: \(otherIDs(than: i))"))
            }
            guard ancestors.contains(i, k) else {
                return .failure(TypeProblem("task \"\(id)\" is not upstream of \"\(tasks[i].id)\", so its output is not known when \"\(tasks[i].id)\" runs; add \"\(id)\" to depends_on (directly or through a task that depends on it)"))
            }
            if case .status = root { return .success(.text) }
            guard let shape = shapes[k] else { return .success(.unknown) }  // its own problem was reported
            if let known = outputTypes.types[k] { return .success(known) }
            let type = ValueType(shape: shape, input: input)
            outputTypes.types[k] = type
            return .success(type)
        }
    }

    /// What `execution` holds: whether a task failed with no handler after it, and those tasks.
    static let executionType = ValueType.closedObject([
        "failed": .boolean,
        "failures": .list(.closedObject(["task": .text, "message": .text])),
    ])

    /// The ids of the tasks other than task `i`, the first `TypeChecker.maxListed` of them and
    /// how many more: a message costs the same whatever the number of tasks.
    func otherIDs(than i: Int) -> String {
        var names: [String] = []
        for t in tasks where !t.id.isEmpty && t.id != tasks[i].id {
            names.append(t.id)
            if names.count > TypeChecker.maxListed { break }
        }
        guard !names.isEmpty else { return "(no other tasks)" }
        guard names.count > TypeChecker.maxListed else { return names.joined(separator: ", ") }
        let total = tasks.lazy.filter { !$0.id.isEmpty && $0.id != tasks[i].id }.count
        return TypeChecker.list(names, total: total)
    }

    /// Task output types by task index. A task's output shape is final once the checker has
    /// passed it (tasks are typed in topological order, references look only upstream).
    private final class OutputTypes {
        var types: [Int: ValueType] = [:]
    }

    /// The static type of `reference` from task `i`.
    func type(of reference: Reference, from i: Int, shapes: [Shape?]) -> Result<ValueType, TypeProblem> {
        var problem: TypeProblem?
        let result = reference.staticType { root in
            switch rootType(root, from: i, shapes: shapes) {
            case .success(let t): return t
            case .failure(let p): problem = p; return nil
            }
        }
        if let problem { return .failure(problem) }
        return result
    }

    /// The shape of task `i`'s input built by `input_from`, checked against what `step` takes.
    /// `nil` after reporting a problem.
    func selectionShape(_ i: Int, _ selections: [InputSelection], step: StepType, shapes: [Shape?], issues: inout [ValidationIssue]) -> Shape? {
        let base = IssuePath.member(tasks[i].path, "input_from")
        if step.input == .none {
            issues.append(.init(path: base, code: "unexpected_input_from", message: "\(step.name) takes no input (it produces its value from its parameters); remove input_from"))
            return nil
        }
        var wanted: DataType?
        if case .value(let t) = step.input { wanted = t }
        var fields: [DataType] = []
        var ok = true
        for selection in selections {
            let p = IssuePath.member(base, selection.field)
            let type: ValueType
            switch self.type(of: selection.reference, from: i, shapes: shapes) {
            case .success(let t): type = t
            case .failure(let problem):
                issues.append(.init(path: p, code: "invalid_reference", message: "\(selection.reference): \(problem.message)"))
                ok = false
                continue
            }
            guard let dataType = Self.dataType(field: selection.field, from: type, wanted: wanted) else {
                issues.append(.init(path: p, code: "type_mismatch", message: "\(selection.reference) is \(type), which cannot be the \(selection.field) member; expected \(Self.expected(selection.field))"))
                ok = false
                continue
            }
            fields.append(dataType)
        }
        guard ok else { return nil }
        let shape = Shape(fields: fields)
        if let wanted, shape.member(wanted.field) != wanted {
            let found = shape.fields.isEmpty ? "nothing" : shape.description
            issues.append(.init(path: base, code: "type_mismatch", message: "\(step.name) expects \(wanted) input, but input_from gives \(found); select a \(wanted) value as \"\(wanted.field)\""))
            return nil
        }
        return shape
    }

    /// The data type a reference of static type `type` gives as member `field`, or `nil` if it
    /// cannot. Unknown types are accepted and checked at run time.
    static func dataType(field: String, from type: ValueType, wanted: DataType?) -> DataType? {
        switch field {
        case "text": return type == .text || type.isUnknown ? .text : nil
        case "number": return type == .number || type.isUnknown ? .number : nil
        case "boolean": return type == .boolean || type.isUnknown ? .boolean : nil
        case "json": return .json
        case "list":
            let element: ValueType
            switch type {
            case .list(let e): element = e
            case _ where type.isUnknown: element = .unknown
            default: return nil
            }
            let items: DataType? = switch element {
            case .text: .text
            case .number: .number
            case .boolean: .boolean
            default: nil
            }
            if let wanted, case .list(let wantedItems) = wanted {
                // Items of a known simple type must match; others are checked at run time.
                if let items, items != wantedItems, wantedItems != .json { return nil }
                return wanted
            }
            return .list(items ?? .json)
        default: return nil
        }
    }

    static func expected(_ field: String) -> String {
        switch field {
        case "text": return "a string"
        case "number": return "a number"
        case "boolean": return "true or false"
        case "list": return "a list"
        default: return "a value"
        }
    }

    /// Checks task `i`'s `when`: it parses (already done), refers only to the input and upstream
    /// tasks, and its comparisons are between values of matching types.
    func checkCondition(_ condition: Condition, task i: Int, shapes: [Shape?], issues: inout [ValidationIssue]) {
        let problems = condition.check { reference in type(of: reference, from: i, shapes: shapes) }
        for problem in problems {
            issues.append(.init(path: IssuePath.member(tasks[i].path, "when"), code: "invalid_condition", message: problem))
        }
    }
}
