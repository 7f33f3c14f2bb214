import Testing
@testable import SluiceCore

@Suite struct SchemaTests {
    func schema(_ json: String) throws -> Schema {
        let (s, issues) = Schema.parse(try JSONParser.parse(json), path: "input_schema")
        #expect(issues.isEmpty, "\(issues)")
        return try #require(s)
    }

    @Test func validatesEveryKeywordWithPaths() throws {
        let s = try schema("""
            {"type": "object", "required": ["name", "age"], "additionalProperties": false,
             "properties": {
               "name": {"type": "string", "minLength": 2, "maxLength": 5},
               "age": {"type": "integer", "minimum": 0, "maximum": 150},
               "tags": {"type": "array", "items": {"enum": ["a", "b"]}}
             }}
            """)
        let issues = s.validate(try JSONParser.parse(#"{"name": "x", "age": 200.5, "tags": ["a", "z"], "extra": 1}"#), path: "input")
        let byPath = Dictionary(grouping: issues, by: \.path)
        #expect(byPath["input.name"]?.first?.code == "too_short")
        #expect(byPath["input.age"]?.first?.code == "type_mismatch")
        #expect(byPath["input.tags[1]"]?.first?.code == "not_in_enum")
        #expect(byPath["input.extra"]?.first?.code == "unknown_property")
        #expect(s.validate(try JSONParser.parse(#"{"name": "abc", "age": 30}"#), path: "input").isEmpty)
        #expect(s.validate(try JSONParser.parse(#"{"age": 30}"#), path: "input").map(\.path) == ["input.name"])
        #expect(s.validate(try JSONParser.parse(#"{"name": "abcdef", "age": -1}"#), path: "input").map(\.code).sorted() == ["below_minimum", "too_long"])
    }

    @Test func rejectsUnsupportedAndMalformedKeywords() throws {
        let (_, issues) = Schema.parse(try JSONParser.parse(#"{"type": "strin", "pattern": "x", "minLength": -1, "properties": {"a": {"format": "email"}}}"#), path: "input_schema")
        #expect(Set(issues.map(\.path)) == ["input_schema.type", "input_schema.pattern", "input_schema.minLength", "input_schema.properties.a.format"])
        #expect(issues.first { $0.path == "input_schema.pattern" }?.code == "unsupported_schema_keyword")
    }

    @Test func roundTripsThroughJSON() throws {
        let text = #"{"type":"object","properties":{"n":{"type":"number","minimum":1}},"required":["n"],"additionalProperties":false}"#
        #expect(try schema(text).json.jsonString == text)
    }
}
