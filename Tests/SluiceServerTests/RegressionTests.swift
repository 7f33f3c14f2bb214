import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// Bugs found by this suite's first author, fixed, and kept fixed.
@Suite(.testStores) struct RegressionTests {
    @Test(arguments: [
        (#"{"name":"x","steps":[{"input":"a"}]}"#, "steps[0].type", "required"),
        (#"{"name":"x","steps":[{"type":5}]}"#, "steps[0].type", "type_mismatch"),
        (#"{"name":"x","tasks":[{"id":"a"}]}"#, "tasks[0].type", "required"),
    ])
    func aStepWithoutAUsableTypeIsA400NotACrash(body: String, path: String, code: String) async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.post, "/workflows", body: body)
            #expect(reply.status == .badRequest)
            let issues = try reply.issues()
            #expect(issues.map(\.path) == [path])
            #expect(issues.map(\.code) == [code])
            // The server is still up.
            #expect(try await client.send(.get, "/healthz").status == .ok)
        }
    }

    @Test(arguments: ["/workflows", "/workflows/wf-aaaaaaaa/execute"])
    func anOverLargeBodyIs413ProblemJSON(uri: String) async throws {
        try await makeApp(maxBodySize: 1024).test(.router) { client in
            let big = #"{"name":""# + String(repeating: "x", count: 5000) + #"","steps":[{"type":"Echo"}]}"#
            let reply = try await client.send(.post, uri, body: big)
            #expect(reply.status == .contentTooLarge)
            #expect(reply.headers[.contentType] == "application/problem+json")
            #expect(try reply.json()["type"] == "urn:sluice:problem:body-too-large")
            #expect(try reply.json()["detail"]?.stringValue?.contains("1024 bytes") == true)
        }
    }

    /// Dependencies merge in depends_on order; an Echo of the execution input listed first can
    /// carry `text`, so the input's `text` must be a string (it is optional: task a provides one).
    @Test func aPassedThroughInputThatCanShadowATypedMemberIsTypedByTheSchema() async throws {
        try await makeApp().test(.router) { client in
            let id = try await client.createWorkflow(#"{"name":"m","tasks":[{"id":"a","type":"StaticTextInput","input":"abc"},{"id":"b","type":"Echo"},{"id":"c","type":"TextOperation.Reverse","depends_on":["b","a"]}]}"#)
            let bad = try await client.send(.post, "/workflows/\(id)/execute", body: #"{"input":{"text":5}}"#)
            #expect(bad.status == .badRequest)
            #expect(try bad.issues().map(\.path) == ["input.text"])
            let ok = try await client.send(.post, "/workflows/\(id)/execute", body: "{}")
            #expect(ok.status == .accepted)
            let eid = try #require(try ok.json()["execution_id"]?.stringValue)
            let done = try await client.send(.get, "/workflows/\(id)/executions/\(eid)?wait=5")
            #expect(try done.json()["status"] == "COMPLETED")
            #expect(try done.json()["tasks"]?.arrayValue?[2]["output"] == ["text": "cba"])
            #expect(try done.json()["output"] == [:], "the Echo task b echoes the (empty) input")
        }
    }
}
