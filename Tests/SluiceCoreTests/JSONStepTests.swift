import Testing
@testable import SluiceCore

@Suite struct JSONStepTests {
    @Test func buildWrapsTheInputsMembers() throws {
        #expect(try runStep("JSON.Build", ["text": "a", "number": 3]) == ["json": ["text": "a", "number": 3]])
        #expect(try runStep("JSON.Build", [:]) == ["json": [:]])
    }

    @Test func buildAddsConstantFieldsAndTheInputWins() throws {
        let out = try runStep("JSON.Build", ["text": "a"], ["fields": ["text": "constant", "kind": "greeting"]])
        #expect(out == ["json": ["text": "a", "kind": "greeting"]])
    }

    @Test func getPicksTheValueAtThePointer() throws {
        let doc: JSONValue = ["json": ["items": [["name": "x", "n": 2, "tags": ["a", "b"], "ok": true]]]]
        #expect(try runStep("JSON.Get", doc, ["pointer": "/items/0/name", "as": "text"]) == ["text": "x"])
        #expect(try runStep("JSON.Get", doc, ["pointer": "/items/0/n", "as": "number"]) == ["number": 2])
        #expect(try runStep("JSON.Get", doc, ["pointer": "/items/0/ok", "as": "boolean"]) == ["boolean": true])
        #expect(try runStep("JSON.Get", doc, ["pointer": "/items/0/tags", "as": "list<text>"]) == ["list": ["a", "b"]])
        #expect(try runStep("JSON.Get", doc, ["pointer": "/items/0/tags"]) == ["json": ["a", "b"]])
        #expect(try runStep("JSON.Get", doc, ["pointer": ""]) == ["json": doc["json"]!])
    }

    @Test func getFailsOnAMissingPathWithWhatWasFound() {
        let failure = stepFailure("JSON.Get", ["json": ["a": ["b": 1]]], ["pointer": "/a/c"])
        #expect(failure?.message == #"/a/c not found: the object at /a has no member "c" (its members: "b")"#)
        #expect(failure?.retryable == false)
    }

    @Test func getFailsOnAValueOfAnotherType() {
        #expect(stepFailure("JSON.Get", ["json": ["a": "7"]], ["pointer": "/a", "as": "number"])?.message == #"the value at /a is not number: found a string "7", expected a number"#)
        #expect(stepFailure("JSON.Get", ["json": ["a": ["x", 1]]], ["pointer": "/a", "as": "list<text>"])?.message == "the value at /a is not list<text>: item 1: found an integer 1, expected a string")
        #expect(stepFailure("JSON.Get", ["json": 1], ["pointer": "", "as": "text"])?.message == #"the whole value (pointer "") is not text: found an integer 1, expected a string"#)
    }

    @Test func parseParsesJSONText() throws {
        #expect(try runStep("JSON.Parse", ["text": #" {"a": [1, true, null]} "#]) == ["json": ["a": [1, true, nil]]])
        #expect(try runStep("JSON.Parse", ["text": "3"]) == ["json": 3])
    }

    @Test func parseFailsWithLineAndColumn() {
        let failure = stepFailure("JSON.Parse", ["text": "{\"a\": [1,\n 2,]}"])
        #expect(failure?.message.hasPrefix("the text is not valid JSON: line 2, column 4: ") == true)
        #expect(failure?.retryable == false)
    }

    @Test func formatWritesCompactOrPrettyJSON() throws {
        let value: JSONValue = ["a": [1, 2], "b": [:], "c": []]
        #expect(try runStep("JSON.Format", ["json": value]) == ["text": #"{"a":[1,2],"b":{},"c":[]}"#])
        #expect(try runStep("JSON.Format", ["json": value], ["pretty": false]) == ["text": #"{"a":[1,2],"b":{},"c":[]}"#])
        #expect(try runStep("JSON.Format", ["json": value], ["pretty": true]) == ["text": "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}"])
        #expect(try runStep("JSON.Format", ["json": "s"], ["pretty": true]) == ["text": #""s""#])
    }

    @Test func formatAndParseRoundTrip() throws {
        let value: JSONValue = ["x": ["y": [1.5, "z\n", false, nil]]]
        let text = try runStep("JSON.Format", ["json": value], ["pretty": true])
        #expect(try runStep("JSON.Parse", text) == ["json": value])
    }

    @Test func failAlwaysFailsWithItsMessage() {
        let failure = stepFailure("Fail", ["text": "a"], ["message": "boom"])
        #expect(failure == StepFailure("boom", retryable: false))
        #expect(stepFailure("Fail", [:], ["message": "flaky", "retryable": true]) == StepFailure("flaky", retryable: true))
    }
}
