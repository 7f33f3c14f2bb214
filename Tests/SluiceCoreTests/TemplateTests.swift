import Testing
@testable import SluiceCore

@Suite struct TemplateTests {
    @Test func parsesLiteralsAndPlaceholders() throws {
        let t = try Template(parsing: "Hi {{ text }}, {{number}}{{text}}!")
        #expect(t.parts == [.literal("Hi "), .placeholder("text"), .literal(", "), .placeholder("number"), .placeholder("text"), .literal("!")])
        #expect(t.placeholders == ["text", "number"])
        #expect(try Template(parsing: "").parts.isEmpty)
        #expect(try Template(parsing: "a }} b").parts == [.literal("a }} b")])
    }

    @Test func rendersMembers() throws {
        let t = try Template(parsing: "{{text}}|{{number}}|{{boolean}}|{{json}}|{{list}}")
        let members = JSONObject([("text", "a \"b\""), ("number", 2.5), ("boolean", true), ("json", ["k": [1, nil]]), ("list", ["x"])])
        #expect(try t.render(members: members) == #"a "b"|2.5|true|{"k":[1,null]}|["x"]"#)
        #expect(try Template(parsing: "{{number}}").render(members: JSONObject([("number", 3)])) == "3")
    }

    @Test func unknownPlaceholderNamesItAndTheMembers() throws {
        let t = try Template(parsing: "{{text}} {{nmber}}")
        #expect(throws: StepFailure("template placeholder {{nmber}} has no value: the input has no member \"nmber\" (its members: text, number)")) {
            try t.render(members: JSONObject([("text", "a"), ("number", 1)]))
        }
        #expect(throws: Template.UnknownPlaceholder(name: "x")) { try Template(parsing: "{{x}}").render { _ in nil } }
    }

    @Test func unterminatedPlaceholderIsAParseError() {
        #expect(throws: Template.ParseError.self) { try Template(parsing: "Hello {{text") }
        do throws(Template.ParseError) {
            _ = try Template(parsing: "ab {{x}} {{y")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.position == 10)
            #expect(error.message.contains("never closed"))
        }
    }

    @Test func emptyPlaceholderIsAParseError() {
        do throws(Template.ParseError) {
            _ = try Template(parsing: "a {{  }} b")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.position == 3)
            #expect(error.message.contains("has no name"))
        }
    }
}
