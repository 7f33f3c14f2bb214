import PropertyBased
import SluiceCore
import SluiceYAML
import Testing

/// Round trips, for values generated at random (and shrunk to the smallest failing one when a
/// property breaks): JSON written then read is the same value, and so is JSON written as YAML
/// (the CLI's `-o yaml`, a definition edited as YAML) then read.
@Suite struct RoundTripPropertyTests {
    /// Bytes turned into a JSON value (a tag byte picks the kind, the next bytes its contents),
    /// so the library's byte-array shrinking shrinks the value too.
    static let values = Gen<UInt8>.value(in: 0...255).array(of: 0...160).map { bytes in
        var reader = ValueReader(bytes: bytes)
        return reader.value(depth: 0)
    }

    @Test func jsonWrittenThenReadIsTheSameValue() async {
        await propertyCheck(count: 400, input: Self.values) { value in
            let written = value.jsonBytes
            let read = try? JSONParser.parse(written)
            #expect(read == value, "\(value.jsonString)")
            #expect(read?.jsonBytes == written)
        }
    }

    @Test func jsonWrittenAsYAMLThenReadIsTheSameValue() async {
        await propertyCheck(count: 400, input: Self.values) { value in
            let yaml = YAMLConversion.yaml(from: value)
            let read = try? YAMLConversion.json(fromYAML: yaml)
            #expect(read == value, "\(value.jsonString)\n--- as YAML:\n\(yaml)")
        }
    }

    /// The generator reaches what the properties are about: every kind, nesting, and the
    /// strings and numbers that YAML and JSON writers get wrong.
    @Test func theGeneratorMakesEveryKindOfValue() {
        var kinds = Set<String>()
        var reader = ValueReader(bytes: (0..<4000).map { UInt8(($0 * 97 + 13) % 251) })
        func visit(_ v: JSONValue) {
            switch v {
            case .null: kinds.insert("null")
            case .bool: kinds.insert("bool")
            case .number: kinds.insert("number")
            case .string: kinds.insert("string")
            case .array(let a): kinds.insert("array"); a.forEach(visit)
            case .object(let o): kinds.insert("object"); o.forEach { visit($0.value) }
            }
        }
        for _ in 0..<40 { visit(reader.value(depth: 0)) }
        #expect(kinds == ["null", "bool", "number", "string", "array", "object"])
    }
}

/// Reads a JSON value from bytes; runs out into `null`s, never fails.
struct ValueReader {
    var bytes: [UInt8]
    var index = 0

    /// Strings that YAML reads as something else unless quoted, JSON escapes, and text beyond ASCII.
    /// Not a string that *starts* with U+FEFF: Yams reads every scalar through Foundation's
    /// `String(bytes:encoding:)`, which drops a leading byte-order mark (docs/limits.md).
    static let strings = [
        "", "a", "yes", "no", "on", "off", "true", "null", "~", "Null", "NULL", "1", "-1", "1e3", "0x1F", "0o17", ".inf", "-.inf",
        ".nan", "1_000", "12:30", "2026-12-03", "- item", "key: value", "#comment", " leading", "trailing ", "a\nb", "a\tb", "\"quoted\"",
        "back\\slash", "\u{0}", "\u{7}", "\u{1F}", "é", "日本", "😀", "\u{2028}", "\u{85}", "\r\n", "x\u{FEFF}y", "{{name}}", "[a]", "{a: b}", "&anchor",
        "*alias", "!tag", "%", "@", "`", "|", ">", "'", "?", ":", ",", "<<", "=",
    ]
    static let numbers: [Double] = [0, 1, -1, 0.5, -2.25, 0.1, 1e21, 1e-7, 123456789012345680, 1.7976931348623157e308, 5e-324, 3.14159, 1e15, 1e16, -0.0]

    mutating func next() -> Int {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return Int(bytes[index])
    }

    mutating func value(depth: Int) -> JSONValue {
        let tag = next() % (depth >= 4 ? 5 : 7)
        switch tag {
        case 0: return .null
        case 1: return .bool(next() % 2 == 0)
        case 2: return .number(Self.numbers[next() % Self.numbers.count])
        case 3: return .string(Self.strings[next() % Self.strings.count])
        case 4:
            // Two pieces joined: a tricky string inside a longer one.
            return .string(Self.strings[next() % Self.strings.count] + Self.strings[next() % Self.strings.count])
        case 5:
            return .array((0..<(next() % 4)).map { _ in value(depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<(next() % 4) {
                let key = Self.strings[next() % Self.strings.count]
                if object[key] == nil { object[key] = value(depth: depth + 1) }
            }
            return .object(object)
        }
    }
}
