import Foundation
import SluiceCore

/// The execution input from `--input-file` and `--input key=value` pairs.
///
/// A pair's value is read by the type the workflow's input schema gives the key: text as is for
/// `string`; a number, `true`/`false` or JSON for `number`, `integer`, `boolean`, `array` and
/// `object`. For a key the schema does not type, a value that parses as JSON is taken as JSON
/// (`3`, `true`, `[1,2]`, `{"a":1}`, `"quoted text"`) and anything else as text. Pairs override
/// the same keys of the file.
enum InputArguments {
    /// `key=value` split at the first `=`.
    static func split(_ pair: String, flag: String = "--input") throws(InputError) -> (key: String, value: String) {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
            throw InputError("\(flag) expects key=value, found \"\(pair)\"")
        }
        return (String(pair[..<eq]), String(pair[pair.index(after: eq)...]))
    }

    /// The input object: the file's (if any) with the pairs applied, typed by `schema`.
    /// `flag` and `schemaName` name the option and the schema in messages (`--answer`, "the
    /// task's form").
    static func build(file: JSONValue?, pairs: [String], schema: JSONValue?, flag: String = "--input", schemaName: String = "the workflow's input schema") throws(InputError) -> JSONValue {
        var object: JSONObject
        switch file {
        case nil: object = JSONObject()
        case .object(let o)?: object = o
        case let other?: throw InputError("\(flag)-file must hold a JSON or YAML object, found \(other.kindName)")
        }
        for pair in pairs {
            let (key, raw) = try split(pair, flag: flag)
            let value = try typed(raw, key: key, declared: declaredTypes(schema?["properties"]?[key]), flag: flag, schemaName: schemaName)
            object[key] = value
        }
        return .object(object)
    }

    /// The JSON types a property schema allows (`["string"]`, `["integer", "null"]`); empty when untyped.
    static func declaredTypes(_ property: JSONValue?) -> [String] {
        guard let property else { return [] }
        if let one = property["type"]?.stringValue { return [one] }
        if let many = property["type"]?.arrayValue { return many.compactMap(\.stringValue) }
        if let values = property["enum"]?.arrayValue, values.allSatisfy({ $0.stringValue != nil }) { return ["string"] }
        return []
    }

    static func typed(_ raw: String, key: String, declared: [String], flag: String = "--input", schemaName: String = "the workflow's input schema") throws(InputError) -> JSONValue {
        let parsed = try? JSONParser.parse(Array(raw.utf8))
        if declared.isEmpty { return parsed ?? .string(raw) }
        if declared.contains("string") {
            // A string key takes the text as is, unless the schema also allows what it parses as.
            if let parsed, parsed.stringValue == nil, allows(declared, parsed) { return parsed }
            return .string(raw)
        }
        guard let parsed else {
            throw InputError("\(flag) \(key)=\(raw): \(key) is \(declared.joined(separator: " or ")) in \(schemaName), and \"\(raw)\" is not")
        }
        return parsed
    }

    static func allows(_ declared: [String], _ value: JSONValue) -> Bool {
        let type = jsonType(value)
        return declared.contains(type) || (type == "integer" && declared.contains("number"))
    }

    static func jsonType(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number(let n): n.rounded() == n ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
