import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `POST /workflows/validate`: the checks of `POST /workflows`, nothing stored.
@Suite(.testStores) struct WorkflowValidateEndpointTests {
    /// A problem body without `instance` (the one field that names the request path).
    func withoutInstance(_ reply: Reply) throws -> JSONValue {
        guard case .object(var o) = try reply.json() else { return .null }
        o["instance"] = nil
        return .object(o)
    }

    @Test func aValidDefinitionAnswersItsGraphAndIsNotStored() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.post, "/workflows/validate", body: seedWorkflow)
            #expect(reply.status == .ok, "\(reply.text)")
            let json = try reply.json()
            #expect(json["valid"] == true)
            #expect(json["name"] == "Dummy Workflow")
            #expect(json["description"] == nil, "no description in the definition, none in the answer")
            #expect(try await client.send(.get, "/workflows").json()["workflows"] == [], "nothing was stored")

            let wf = try await client.createWorkflow(seedWorkflow)
            let stored = try await client.send(.get, "/workflows/\(wf)").json()
            #expect(json["graph"] == stored["graph"])
            #expect(json["input_schema"] == stored["input_schema"])
        }
    }

    @Test func theAnswerHasTheDescriptionAndTheEffectiveInputSchema() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.post, "/workflows/validate", body: #"{"name": "R", "description": "reverses", "tasks": [{"id": "r", "type": "TextOperation.Reverse"}]}"#)
            #expect(reply.status == .ok, "\(reply.text)")
            let json = try reply.json()
            #expect(json["description"] == "reverses")
            #expect(json["input_schema"]?["properties"]?["text"] != nil, "\(reply.text)")
            #expect(json["graph"]?["tasks"]?.arrayValue?.first?["id"] == "r")
        }
    }

    @Test func anInvalidDefinitionGetsTheSameProblemAsCreate() async throws {
        try await makeApp().test(.router) { client in
            let bodies: [String?] = [
                #"{"name": "", "steps": [{"type": "Nope"}, {"type": "TextOperation.Reverse", "input": 3}], "extra": 1}"#,
                #"{"name": "x", "tasks": [{"id": "a", "type": "Echo", "depends_on": ["b"]}, {"id": "b", "type": "Echo", "depends_on": ["a"]}]}"#,
                "[1, 2]", "{not json", nil,
            ]
            for body in bodies {
                let validated = try await client.send(.post, "/workflows/validate", body: body)
                let created = try await client.send(.post, "/workflows", body: body)
                try expectProblem(validated, status: .badRequest)
                #expect(created.status == .badRequest)
                #expect(try withoutInstance(validated) == (try withoutInstance(created)), "\(validated.text) vs \(created.text)")
                #expect(try validated.json()["instance"] == "/workflows/validate")
            }
            #expect(try await client.send(.get, "/workflows").json()["workflows"] == [], "nothing was stored")
        }
    }
}
