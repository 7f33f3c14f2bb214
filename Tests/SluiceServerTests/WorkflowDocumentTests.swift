import HTTPTypes
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `POST /workflows`, `POST /workflows/validate` and `PUT /workflows/{id}` take a definition as
/// JSON or YAML, and their problems say where they are in the text (`line`, `column`).
@Suite(.testStores) struct WorkflowDocumentTests {
    static let yaml: HTTPFields = [.contentType: "application/yaml"]

    /// `[path: [line, column]]` of a 400's problems.
    func positions(_ reply: Reply) throws -> [String: [Int]] {
        var found: [String: [Int]] = [:]
        for e in try reply.json()["errors"]?.arrayValue ?? [] {
            let path = e["path"]?.stringValue ?? "?"
            found[path] = [e["line"]?.numberValue, e["column"]?.numberValue].compactMap { $0.map { Int($0) } }
        }
        return found
    }

    @Test func aYAMLDefinitionIsReadAsTheCLIReadsIt() async throws {
        try await makeApp().test(.router) { client in
            // README's example; `no` stays text under YAML 1.2's core schema, as in the CLI.
            let document = """
                name: shout
                description: no
                input_schema:
                  type: object
                  properties:
                    text: {type: string}
                  required: [text]
                steps:
                  - type: TextOperation.Uppercase
                  - type: Echo

                """
            let validated = try await client.send(.post, "/workflows/validate", body: document, headers: Self.yaml)
            #expect(validated.status == .ok, "\(validated.text)")
            #expect(try validated.json()["description"] == "no")
            let created = try await client.send(.post, "/workflows", body: document, headers: [.contentType: "application/x-yaml; charset=utf-8"])
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(try created.json()["workflow_id"]?.stringValue)
            let stored = try await client.send(.get, "/workflows/\(id)").json()
            #expect(stored["name"] == "shout")
            #expect(stored["input_schema"]?["required"] == ["text"])
            let updated = try await client.send(.put, "/workflows/\(id)", body: document.replacingOccurrences(of: "Echo", with: "TextOperation.Reverse"), headers: [.contentType: "text/yaml", .ifMatch: "\"1\""])
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(try await client.send(.get, "/workflows/\(id)").json()["steps"]?.arrayValue?[1]["type"] == "TextOperation.Reverse")
        }
    }

    @Test func aYAMLProblemCarriesTheLineAndColumnTheCLIPrints() async throws {
        try await makeApp().test(.router) { client in
            // The CLI prints bad.yaml:4:11 for this document (docs/cli.md).
            let document = "name: bad\nsteps:\n  - type: TextOperation.Length\n  - type: TextOperation.Reverse\n"
            for (method, path) in [(HTTPRequest.Method.post, "/workflows/validate"), (.post, "/workflows")] {
                let reply = try await client.send(method, path, body: document, headers: Self.yaml)
                try expectProblem(reply, status: .badRequest)
                #expect(try positions(reply) == ["steps[1].type": [4, 11]], "\(reply.text)")
            }
            let id = try await client.createWorkflow(reverseChain)
            let reply = try await client.send(.put, "/workflows/\(id)", body: document, headers: Self.yaml)
            #expect(try positions(reply) == ["steps[1].type": [4, 11]], "\(reply.text)")
            #expect(try await client.send(.get, "/workflows/\(id)").json()["version"] == 1, "nothing was stored")
        }
    }

    @Test func aJSONProblemCarriesTheLineAndColumnOfItsPath() async throws {
        try await makeApp().test(.router) { client in
            /// Line and column (from 1) of `text` in `document`.
            func position(_ text: String, in document: String) -> [Int] {
                let lines = document.split(separator: "\n", omittingEmptySubsequences: false)
                let line = lines.firstIndex { $0.contains(text) }!
                return [line + 1, lines[line].distance(from: lines[line].startIndex, to: lines[line].range(of: text)!.lowerBound) + 1]
            }
            let typed = """
                {
                  "name": "dag",
                  "tasks": [
                    {"id": "src", "type": "StaticTextInput", "input": "abc"},
                    {"id": "len", "type": "TextOperation.Length", "depends_on": ["src"]},
                    {"id": "bad", "type": "TextOperation.Reverse", "depends_on": ["len"]}
                  ]
                }
                """
            let reply = try await client.send(.post, "/workflows/validate", body: typed)
            try expectProblem(reply, status: .badRequest)
            #expect(try positions(reply) == ["tasks[2].type": position("\"TextOperation.Reverse\"", in: typed)], "\(reply.text)")

            // Paths through arrays and members with any name (`input_from["a b"]`).
            let shaped = """
                {"name": "dag", "tasks": [
                  {"id": "src", "type": "StaticTextInput", "input": "abc"},
                  {"id": "odd", "type": "Echo", "depends_on": ["nowhere"], "input_from": {"a b": "input.x"}}
                ]}
                """
            let second = try await client.send(.post, "/workflows", body: shaped)
            try expectProblem(second, status: .badRequest)
            #expect(try positions(second) == [
                "tasks[1].depends_on[0]": position("\"nowhere\"", in: shaped),
                "tasks[1].input_from[\"a b\"]": position("\"input.x\"", in: shaped),
            ], "\(second.text)")
        }
    }

    @Test func aMissingMemberPointsAtItsObject() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.post, "/workflows/validate", body: "name: x\nsteps:\n  - input: 3\n", headers: Self.yaml)
            try expectProblem(reply, status: .badRequest)
            #expect(try positions(reply)["steps[0].type"] == [3, 5], "\(reply.text)")
        }
    }

    @Test func aBodyThatIsNotJSONOrYAMLSaysWhereReadingStopped() async throws {
        try await makeApp().test(.router) { client in
            let json = try await client.send(.post, "/workflows/validate", body: "{\n  \"name\": \"x\"\n  \"steps\": []\n}")
            try expectProblem(json, status: .badRequest)
            #expect(try json.json()["errors"]?.arrayValue?.first?["code"] == "invalid_json")
            #expect(try positions(json)[""] == [3, 3], "\(json.text)")

            let yaml = try await client.send(.post, "/workflows/validate", body: "name: x\nsteps:\n  - type: Echo\n - type: Echo\n", headers: Self.yaml)
            try expectProblem(yaml, status: .badRequest)
            let error = try #require(try yaml.json()["errors"]?.arrayValue?.first)
            #expect(error["code"] == "invalid_yaml")
            #expect(error["line"] == 4, "\(yaml.text)")
            let message = try #require(error["message"]?.stringValue)
            #expect(message.hasPrefix("the body is not valid YAML: line 4, column"), "\(message)")
            #expect(!message.contains("\n"), "one line, not Yams' quote of the document: \(message)")

            let twice = try await client.send(.post, "/workflows/validate", body: "name: x\nsteps: []\nname: y\n", headers: Self.yaml)
            try expectProblem(twice, status: .badRequest)
            #expect(try twice.json()["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("\"name\" is given twice") == true, "\(twice.text)")
        }
    }

    @Test func aStringLimitOfOneIsWordedInTheSingular() async throws {
        try await makeApp().test(.router) { client in
            let id = try await client.createWorkflow(#"{"name": "one", "input_schema": {"type": "object", "properties": {"c": {"type": "string", "minLength": 1, "maxLength": 1}}}, "steps": [{"type": "Echo"}]}"#)
            for (value, message) in [("", "expected at least 1 character, found 0"), ("ab", "expected at most 1 character, found 2")] {
                let reply = try await client.send(.post, "/workflows/\(id)/execute", body: #"{"input": {"c": "\#(value)"}}"#)
                #expect(try reply.json()["errors"]?.arrayValue?.first?["message"]?.stringValue == message, "\(reply.text)")
            }
        }
    }
}
