import SluiceCore
import Testing

/// Where a problem's path points in a JSON text (`JSONParser.locate(_:in:)`), and paths split
/// back into their steps (`IssuePath.segments(of:)`).
struct JSONLocationTests {
    func locate(_ path: String, in text: String) -> [Int]? {
        JSONParser.location(of: path, in: Array(text.utf8)).map { [$0.line, $0.column] }
    }

    @Test func aPathPointsAtTheStartOfItsValue() {
        let text = """
            {
              "name": "x",
              "tasks": [
                {"id": "a", "type": "Echo"},
                {"id": "b", "depends_on": ["a", "zz"]}
              ]
            }
            """
        #expect(locate("name", in: text) == [2, 11])
        #expect(locate("tasks[1].depends_on[1]", in: text) == [5, 37])
        #expect(locate("tasks[0]", in: text) == [4, 5])
        // What the text does not have: the nearest enclosing value.
        #expect(locate("tasks[1].type", in: text) == [5, 5])
        #expect(locate("tasks[7].id", in: text) == [3, 12])
        #expect(locate("name.first", in: text) == [2, 11])
        #expect(locate("", in: text) == nil)
        #expect(JSONParser.locate(["a"], in: Array("{\"a\": ".utf8)) == nil, "not JSON")
    }

    @Test func columnsCountUnicodeScalarsEvenOnOneLongLine() {
        let text = #"{"é😀": "ü", "steps": ["# + Array(repeating: #"{"type": "Echo"}"#, count: 2000).joined(separator: ", ") + "]}"
        // `{"é😀": ` is 7 scalars (9 UTF-16 units, 10 bytes); each step is 18 scalars with its ", ".
        #expect(locate("é😀", in: text) == [1, 8])
        #expect(locate("steps[1999].type", in: text) == [1, 23 + 1999 * 18 + 9])
    }

    @Test func pathsSplitIntoKeysAndIndexesWithQuotedKeys() {
        #expect(IssuePath.segments(of: "tasks[0].depends_on[1]") == [.key("tasks"), .index(0), .key("depends_on"), .index(1)])
        #expect(IssuePath.segments(of: #"tasks[3].input_from["a b"].x"#) == [.key("tasks"), .index(3), .key("input_from"), .key("a b"), .key("x")])
        #expect(IssuePath.segments(of: #"input["quote \" ]"]"#) == [.key("input"), .key(#"quote " ]"#)])
        for key in ["plain", "a b", "dot.ted", "br[ack]et", "quo\"te", "\u{0365}pea", "clé", "e\u{0301}t\u{00E9}"] {
            #expect(IssuePath.segments(of: IssuePath.member("input", key)) == [.key("input"), .key(key)])
        }
        // A key that starts with a combining mark is quoted: after a dot the mark would join it.
        #expect(IssuePath.member("input", "\u{0365}pea") == "input[\"\u{0365}pea\"]")
        #expect(IssuePath.member("input", "clé") == "input.clé")
    }
}
