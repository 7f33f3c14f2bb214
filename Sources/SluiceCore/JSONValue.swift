/// A JSON value that keeps the order of object members, so that what Sluice returns reads in
/// the same order as what it was given.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The member `key` of an object, or `nil` for a missing member or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The string this value holds, if it is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number this value holds, if it is a number.
    public var numberValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// The object this value holds, if it is an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The array this value holds, if it is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The JSON name of this value's kind, as used in error messages ("string", "object", …).
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let n): return n.rounded() == n && abs(n) < 9.0e15 ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The value's kind and preview for error messages: `a string "x"`, `an integer 3`, `null`.
    public var described: String {
        switch self {
        case .null: return "null"
        case .array, .object: return "an \(kindName) \(preview)"
        case .number where kindName == "integer": return "an integer \(preview)"
        default: return "a \(kindName) \(preview)"
        }
    }

    /// A short rendering for error messages: strings quoted, long values cut. Only the start of
    /// a large value is written, so a preview costs the same whatever the value's size.
    public var preview: String {
        var bytes: [UInt8] = []
        if writePrefix(to: &bytes, limit: 1024) {
            let text = String(decoding: bytes, as: UTF8.self)
            return text.count > 60 ? String(text.prefix(57)) + "..." : text
        }
        // Cut short: the characters before the last are those of the whole text.
        let text = String(decoding: bytes, as: UTF8.self)
        if text.count >= 62 { return String(text.prefix(57)) + "..." }
        let whole = jsonString
        return whole.count > 60 ? String(whole.prefix(57)) + "..." : whole
    }
}

/// An ordered JSON object. Member lookup is linear: Sluice's objects are small.
public struct JSONObject: Sendable, Hashable, Sequence {
    /// One `"key": value` pair.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var members: [Member]

    public init() { self.members = [] }

    public init(_ pairs: [(String, JSONValue)]) {
        self.members = []
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    /// Reads or replaces the member `key`; setting `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get { members.first(where: { $0.key == key })?.value }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Appends without checking for an existing key; for builders that know the key is new.
    public mutating func append(_ key: String, _ value: JSONValue) {
        members.append(Member(key: key, value: value))
    }

    public func makeIterator() -> IndexingIterator<[Member]> { members.makeIterator() }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}
