import Foundation
import SluiceCore
import Yams

/// YAML documents read as JSON values and JSON values written as YAML, for the contract
/// (`/openapi.json`) and the CLI (`-f workflow.yaml`, `-o yaml`).
///
/// Reading uses YAML 1.2's core schema, the JSON-compatible one: `null`, `~` and nothing are
/// null, `true`/`false` booleans, decimal numbers numbers, anything else a string; quoted scalars
/// are always strings (so `"3"` stays text and `no` stays the word "no", unlike YAML 1.1).
public enum YAMLConversion {
    /// Why a document could not be read; the message names the line and column when known,
    /// which `line` and `column` (1-based, in Unicode scalars) also give.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        public var line: Int?
        public var column: Int?
        public init(description: String, line: Int? = nil, column: Int? = nil) {
            self.description = description
            self.line = line
            self.column = column
        }
    }

    /// A YAML document as JSON.
    public static func json(fromYAML yaml: String) throws(Failure) -> JSONValue {
        try value(try compose(yaml))
    }

    /// The document's node tree (with positions), for ``location(of:in:)``.
    public static func compose(_ yaml: String) throws(Failure) -> Node {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw failure(error)
        } catch {
            throw Failure(description: "not valid YAML: \(error)")
        }
        guard let root else { throw Failure(description: "the YAML document is empty") }
        return root
    }

    /// A reader's error as one line, `line 3, column 2: <what>` (Yams' own description quotes
    /// the document), with the position apart as well.
    static func failure(_ error: YamlError) -> Failure {
        func at(_ mark: Mark, _ what: String) -> Failure {
            Failure(description: "not valid YAML: line \(mark.line), column \(mark.column): \(what)", line: mark.line, column: mark.column)
        }
        func what(_ context: YamlError.Context?, _ problem: String) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            return at(mark, what(context, problem))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return at(context.mark, "\(duplicates.count == 1 ? "the key" : "the keys") \(keys) \(duplicates.count == 1 ? "is" : "are") given twice in one mapping")
        case .reader(let problem, let offset, _, let yaml):
            if let offset, offset <= yaml.count {
                let before = yaml.prefix(offset)
                let line = before.count(where: { $0 == "\n" }) + 1
                let column = before.reversed().prefix(while: { $0 != "\n" }).count + 1
                return Failure(description: "not valid YAML: line \(line), column \(column): \(problem)", line: line, column: column)
            }
            return Failure(description: "not valid YAML: \(problem)")
        default:
            return Failure(description: "not valid YAML: \(error)")
        }
    }

    /// A node tree as JSON.
    public static func value(_ node: Node) throws(Failure) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            return self.scalar(scalar)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try value(item)) }
            return .array(items)
        case .mapping(let mapping):
            var object = JSONObject()
            var seen = Set<String>()
            for (key, item) in mapping {
                guard case .scalar(let k) = key else {
                    throw Failure(description: "a mapping key that is not a scalar at line \((key.mark?.line).map(String.init) ?? "?")", line: key.mark?.line, column: key.mark?.column)
                }
                // Two keys that differ only in their tags (`! a` and `!x a`) are one member in
                // JSON: the reader's own check compares tags too (found by the YAML fuzzer).
                guard seen.insert(k.string).inserted else {
                    let at = key.mark.map { "line \($0.line), column \($0.column): " } ?? ""
                    throw Failure(description: "not valid YAML: \(at)the key \"\(k.string)\" is given twice in one mapping", line: key.mark?.line, column: key.mark?.column)
                }
                object.append(k.string, try value(item))
            }
            return .object(object)
        case .alias(let alias):
            throw Failure(description: "YAML aliases are not supported", line: alias.mark?.line, column: alias.mark?.column)
        }
    }

    static func scalar(_ scalar: Node.Scalar) -> JSONValue {
        let s = scalar.string
        guard scalar.style == .plain || scalar.style == .any, scalar.tag.rawValue != Tag.Name.str.rawValue else { return .string(s) }
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if isDecimalNumber(s), let n = Double(s), n.isFinite { return .number(n) }
        return .string(s)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isDecimalNumber(_ s: String) -> Bool {
        var chars = Substring(s).utf8[...]
        func digits() -> Int {
            var n = 0
            while let c = chars.first, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { chars.removeFirst(); n += 1 }
            return n
        }
        if chars.first == UInt8(ascii: "-") || chars.first == UInt8(ascii: "+") { chars.removeFirst() }
        var mantissa = digits()
        if chars.first == UInt8(ascii: ".") {
            chars.removeFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if chars.first == UInt8(ascii: "e") || chars.first == UInt8(ascii: "E") {
            chars.removeFirst()
            if chars.first == UInt8(ascii: "-") || chars.first == UInt8(ascii: "+") { chars.removeFirst() }
            guard digits() > 0 else { return false }
        }
        return chars.isEmpty
    }

    // MARK: - Writing

    /// A JSON value as a YAML document (block style, keys in their order). Strings that a YAML
    /// reader would take for something else (`"3"`, `"true"`, `"no"`, `""`, `"2026-01-01"`) are
    /// quoted, so the document reads back as the same JSON with YAML 1.1 and 1.2 readers alike.
    public static func yaml(from value: JSONValue) -> String {
        do {
            let text = try Yams.serialize(node: node(value), indent: 2, width: -1, allowUnicode: true)
            return text.hasSuffix("\n") ? text : text + "\n"
        } catch {
            // The emitter fails only on invalid UTF-8, which Swift strings cannot hold.
            return value.jsonString
        }
    }

    static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null: return .scalar(.init("null", Tag(.null), .plain))
        case .bool(let b): return .scalar(.init(b ? "true" : "false", Tag(.bool), .plain))
        case .number: return .scalar(.init(value.jsonString, Tag(.float), .plain))
        case .string(let s): return .scalar(.init(s, Tag(.str), needsQuotes(s) ? .doubleQuoted : (s.contains("\n") ? .literal : .plain)))
        case .array(let items): return .sequence(.init(items.map(node), Tag(.seq), .block))
        case .object(let object):
            return .mapping(.init(object.map { member in (Node.scalar(.init(member.key, Tag(.str), needsQuotes(member.key) ? .doubleQuoted : .plain)), node(member.value)) }, Tag(.map), .block))
        }
    }

    /// Whether a plain scalar with this text would read back as something other than this string.
    static func needsQuotes(_ s: String) -> Bool {
        if s.isEmpty || s != s.trimmingCharacters(in: .whitespaces) { return true }
        if case .string = scalar(.init(s, .implicit, .plain)) {} else { return true }
        return Resolver.default.resolveTag(of: .scalar(.init(s))) != .str
    }

    // MARK: - Positions

    /// Where a problem's path (`steps[2].type`, `tasks[0].depends_on[1]`, `input_schema`) points
    /// in the document: 1-based line and column of the value, or of the nearest enclosing value
    /// the document has (a missing member points at its parent). `nil` for the whole document.
    /// For many paths, `locate(_:in:)` walks the document once.
    public static func location(of path: String, in root: Node) -> (line: Int, column: Int)? {
        locate([path], in: root)[0]
    }

    /// Where each of `paths` points in the document (as `location(of:in:)` says), found in one
    /// walk that goes only where the paths lead: each mapping on the way is read once, however
    /// many paths go through it.
    public static func locate(_ paths: [String], in root: Node) -> [(line: Int, column: Int)?] {
        var trie = PathTrie()
        let ends = paths.map { trie.insert(segments(of: $0)) }
        var marks = [Mark?](repeating: nil, count: trie.children.count)
        var reached = [Bool](repeating: false, count: trie.children.count)
        func visit(_ node: Node, _ t: Int) {
            reached[t] = true
            marks[t] = node.mark
            let children = trie.children[t]
            guard !children.isEmpty else { return }
            switch node {
            case .mapping(let mapping):
                // As `mapping[key]` finds a member: a key equal to the name as a plain scalar.
                for (key, value) in mapping {
                    guard case .scalar(let k) = key, let child = children[.key(k.string)], !reached[child],
                          key == Node(k.string, mapping.tag.copy(with: .implicit)) else { continue }
                    visit(value, child)
                }
            case .sequence(let sequence):
                for (segment, child) in children {
                    guard case .index(let i) = segment, i >= 0, i < sequence.count else { continue }
                    visit(sequence[i], child)
                }
            default:
                break
            }
        }
        visit(root, 0)
        return ends.map { end in
            guard var t = end else { return nil }
            while !reached[t] { t = trie.parent[t] }
            return marks[t].map { ($0.line, $0.column) }
        }
    }

    typealias Segment = IssuePath.Segment

    /// `steps[2].type` → key steps, index 2, key type.
    static func segments(of path: String) -> [Segment] { IssuePath.segments(of: path) }
}
