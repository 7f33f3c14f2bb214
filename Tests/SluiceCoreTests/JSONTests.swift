import Testing
@testable import SluiceCore

@Suite struct JSONParserTests {
    @Test func parsesNestedValuesKeepingMemberOrder() throws {
        let v = try JSONParser.parse(#"{"b": [1, 2.5, -3e2], "a": {"x": null, "y": true}, "s": "h\u00e9\n\"q\""}"#)
        #expect(v.objectValue?.keys == ["b", "a", "s"])
        #expect(v["b"] == [1, 2.5, -300])
        #expect(v["a"]?["y"] == .bool(true))
        #expect(v["s"] == .string("hé\n\"q\""))
    }

    @Test func serializesIntegersWithoutFractionAndEscapesStrings() throws {
        let v: JSONValue = ["n": 3, "f": 0.5, "s": "a\"b\\c\n\u{1}"]
        #expect(v.jsonString == #"{"n":3,"f":0.5,"s":"a\"b\\c\n\u0001"}"#)
        #expect(try JSONParser.parse(v.jsonString) == v)
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test(arguments: [
        ("", "empty"),
        ("{\"a\": 1,}", "expected a member name"),
        ("{\"a\" 1}", "expected ':'"),
        ("[1 2]", "expected ',' or ']'"),
        ("{\"a\": 1, \"a\": 2}", "duplicate member name"),
        ("01", "leading zeros"),
        ("\"abc", "unterminated string"),
        ("tru", "expected 'true'"),
        ("{} x", "after the end"),
        ("\"\\x\"", "invalid escape"),
    ])
    func rejectsMalformedTextWithAReason(text: String, reason: String) {
        #expect {
            try JSONParser.parse(text)
        } throws: { error in
            (error as? JSONParser.Failure)?.message.contains(reason) == true
        }
    }

    @Test func reportsLineAndColumnOfTheError() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": 1,\n  \"b\": ]\n}")
            Issue.record("expected a failure")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
        }
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
    }
}

@Suite struct TimestampAndIdentifierTests {
    @Test func formatsRFC3339UTC() {
        #expect(Timestamp.format(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(milliseconds: 1_704_067_200_000) == "2024-01-01T00:00:00.000Z")
        #expect(Timestamp.format(milliseconds: 1_709_210_096_789) == "2024-02-29T12:34:56.789Z")
    }

    @Test func identifiersHavePrefixAndEightLowercaseAlphanumerics() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = Identifier.make("wf")
            #expect(Identifier.isValid(id, prefix: "wf"))
            seen.insert(id)
        }
        #expect(seen.count == 1000)
        #expect(!Identifier.isValid("wf-ABCDEFGH", prefix: "wf"))
        #expect(!Identifier.isValid("ex-1234567", prefix: "ex"))
    }
}
