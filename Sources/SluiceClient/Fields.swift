import Foundation
import SluiceCore

/// Reads the members of one JSON object of an answer, failing with
/// ``SluiceClientError/invalidResponse(_:)`` naming the object and member when one is missing or
/// of another type.
struct Fields {
    let object: JSONObject
    let what: String

    init(_ value: JSONValue, _ what: String) throws(SluiceClientError) {
        guard case .object(let object) = value else {
            throw SluiceClientError.invalidResponse("\(what) is not a JSON object: \(value.preview)")
        }
        self.object = object
        self.what = what
    }

    func fail(_ key: String, _ expected: String) -> SluiceClientError {
        .invalidResponse("\(what): \"\(key)\" should be \(expected), found \(object[key]?.described ?? "nothing")")
    }

    /// The raw member; `nil` when absent (a JSON `null` is `.null`).
    func value(_ key: String) -> JSONValue? { object[key] }

    /// The member, or `nil` when it is absent or null.
    func nonNull(_ key: String) -> JSONValue? {
        switch object[key] {
        case nil, .null?: return nil
        case let v?: return v
        }
    }

    func string(_ key: String) throws(SluiceClientError) -> String {
        guard let s = object[key]?.stringValue else { throw fail(key, "a string") }
        return s
    }

    func optionalString(_ key: String) throws(SluiceClientError) -> String? {
        guard let v = nonNull(key) else { return nil }
        guard let s = v.stringValue else { throw fail(key, "a string or null") }
        return s
    }

    func int(_ key: String) throws(SluiceClientError) -> Int {
        guard let n = object[key]?.numberValue, n.rounded() == n, abs(n) < 9.0e15 else { throw fail(key, "an integer") }
        return Int(n)
    }

    func optionalInt(_ key: String) throws(SluiceClientError) -> Int? {
        guard nonNull(key) != nil else { return nil }
        return try int(key)
    }

    func bool(_ key: String) throws(SluiceClientError) -> Bool {
        guard case .bool(let b)? = object[key] else { throw fail(key, "a boolean") }
        return b
    }

    func date(_ key: String) throws(SluiceClientError) -> Date {
        guard let s = object[key]?.stringValue, let date = Fields.parseDate(s) else { throw fail(key, "an RFC 3339 date-time") }
        return date
    }

    func optionalDate(_ key: String) throws(SluiceClientError) -> Date? {
        guard nonNull(key) != nil else { return nil }
        return try date(key)
    }

    func array(_ key: String) throws(SluiceClientError) -> [JSONValue] {
        guard let a = object[key]?.arrayValue else { throw fail(key, "an array") }
        return a
    }

    /// An array member whose items are read with `item`; an absent or null member is empty.
    func list<T>(_ key: String, _ item: (JSONValue) throws(SluiceClientError) -> T) throws(SluiceClientError) -> [T] {
        guard nonNull(key) != nil else { return [] }
        var result: [T] = []
        for v in try array(key) { result.append(try item(v)) }
        return result
    }

    func strings(_ key: String) throws(SluiceClientError) -> [String] {
        try list(key) { (v) throws(SluiceClientError) in
            guard let s = v.stringValue else { throw fail(key, "an array of strings") }
            return s
        }
    }

    /// An object member read with `read`, or `nil` when absent or null.
    func optionalObject<T>(_ key: String, _ read: (JSONValue) throws(SluiceClientError) -> T) throws(SluiceClientError) -> T? {
        guard let v = nonNull(key) else { return nil }
        return try read(v)
    }

    /// RFC 3339 with or without fractional seconds.
    static func parseDate(_ s: String) -> Date? {
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s) { return d }
        return try? Date.ISO8601FormatStyle().parse(s)
    }
}
