/// A type of value that flows between steps. On the wire each is a one-member object named after
/// the type: text is `{"text": "..."}`, a number `{"number": 3}`, a boolean `{"boolean": true}`,
/// any JSON value `{"json": ...}` and a list `{"list": [...]}` whose items all have the list's
/// item type.
///
/// Types are written `text`, `number`, `boolean`, `json` and `list<T>` (`list<text>`,
/// `list<list<number>>`) in messages and in the API. Two list types with different item types are
/// different types, although both travel in the `list` member.
public indirect enum DataType: Sendable, Hashable, CustomStringConvertible {
    case text
    case number
    case boolean
    /// Any JSON value, unchecked.
    case json
    /// An array whose items all have the given type.
    case list(DataType)

    /// The member name that carries a value of this type on the wire: `text`, `number`,
    /// `boolean`, `json` or `list` (for every list type).
    public var field: String {
        switch self {
        case .text: return "text"
        case .number: return "number"
        case .boolean: return "boolean"
        case .json: return "json"
        case .list: return "list"
        }
    }

    /// The type's name as messages and the API write it: `text`, `list<number>`.
    public var name: String {
        if case .list(let item) = self { return "list<\(item.name)>" }
        return field
    }

    public var description: String { name }

    /// The JSON Schema of the member's value: `{"type": "string"}` for text, `{}` for json,
    /// `{"type": "array", "items": {"type": "string"}}` for `list<text>`.
    public var schema: Schema {
        switch self {
        case .text: return Schema(type: .string)
        case .number: return Schema(type: .number)
        case .boolean: return Schema(type: .boolean)
        case .json: return Schema()
        case .list(let item):
            var s = Schema(type: .array)
            s.items = Schema.Box(item.schema)
            return s
        }
    }

    /// How the wire form reads in messages: `{"text": string}`, `{"list": [number, ...]}`.
    public var wireDescription: String { "{\"\(field)\": \(valueDescription)}" }

    /// How a member value of this type reads in messages: `string`, `[number, ...]`.
    var valueDescription: String {
        switch self {
        case .text: return "string"
        case .number: return "number"
        case .boolean: return "true or false"
        case .json: return "any JSON value"
        case .list(let item): return "[\(item.valueDescription), ...]"
        }
    }

    /// The names `init(name:)` accepts, for messages.
    public static let validNames = "text, number, boolean, json, list<T> (T one of these, e.g. list<text>)"

    /// How deeply `list<…>` may nest in a type name.
    public static let maxNesting = Limits.listTypeNesting

    /// The type named `name` (`text`, `number`, `boolean`, `json`, `list<T>`, lists nested at
    /// most `maxNesting` deep), or `nil` if it names none. Names are exact: no spaces, lower case.
    public init?(name: String) {
        // Peel `list<` … `>` pairs off the outside, without copying the name per level.
        var inner = Substring(name)
        var depth = 0
        while inner.hasPrefix("list<"), inner.hasSuffix(">"), inner.utf8.count > 6 {
            guard depth < DataType.maxNesting else { return nil }
            inner = inner.dropFirst(5).dropLast()
            depth += 1
        }
        var type: DataType
        switch inner {
        case "text": type = .text
        case "number": type = .number
        case "boolean": type = .boolean
        case "json": type = .json
        default: return nil
        }
        for _ in 0..<depth { type = .list(type) }
        self = type
    }

    /// Whether `value` (the member's value) has this type; for lists, whether every item does.
    public func accepts(_ value: JSONValue) -> Bool { mismatch(in: value) == nil }

    /// Why `value` (the member's value) does not have this type, or `nil` if it does:
    /// `found an integer 3, expected a string`, `item 1: found an integer 3, expected a string`.
    public func mismatch(in value: JSONValue) -> String? {
        switch (self, value) {
        case (.text, .string), (.number, .number), (.boolean, .bool), (.json, _): return nil
        case (.list(let item), .array(let items)):
            for (i, v) in items.enumerated() {
                if let why = item.mismatch(in: v) { return "item \(i): \(why)" }
            }
            return nil
        default:
            let expected: String
            switch self {
            case .text: expected = "a string"
            case .number: expected = "a number"
            case .boolean: expected = "a boolean"
            case .json: expected = "a JSON value"
            case .list: expected = "an array"
            }
            return "found \(value.described), expected \(expected)"
        }
    }
}
