import HTTPTypes
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// A request about an unknown workflow answers 404 even when it is also wrong in another way;
/// the same request about a known workflow answers the 400.
@Suite(.testStores) struct UnknownWorkflowFirstTests {
    static let key = HTTPField.Name("Idempotency-Key")!

    /// `(method, path, body, headers)` of requests that are wrong besides naming `wf`.
    func wrongRequests(_ wf: String) -> [(HTTPRequest.Method, String, String?, HTTPFields)] {
        [
            (.post, "/workflows/\(wf)/execute", nil, [Self.key: String(repeating: "k", count: 256)]),
            (.post, "/workflows/\(wf)/execute", #"{"webhook_url": "ftp://example.com/x"}"#, [:]),
            (.post, "/workflows/\(wf)/execute", #"{"webhook_url": "http://127.0.0.1/x"}"#, [:]),
            (.post, "/workflows/\(wf)/execute", #"{"webhook_url": "https://example.com/x", "webhook_secret": "nope"}"#, [:]),
            (.get, "/workflows/\(wf)/executions?limit=0", nil, [:]),
            (.get, "/workflows/\(wf)/executions?cursor=abc", nil, [:]),
            (.get, "/workflows/\(wf)/executions?status=bogus", nil, [:]),
            (.get, "/workflows/\(wf)/versions?limit=abc", nil, [:]),
            (.get, "/workflows/\(wf)/versions?cursor=-1", nil, [:]),
            (.get, "/workflows/\(wf)?version=zero", nil, [:]),
        ]
    }

    @Test func anUnknownWorkflowIs404EvenWhenTheRequestIsAlsoWrong() async throws {
        try await makeApp().test(.router) { client in
            for (method, path, body, headers) in wrongRequests("wf-zzzzzzzz") {
                let reply = try await client.send(method, path, body: body, headers: headers)
                try expectProblem(reply, status: .notFound)
                #expect(try reply.json()["detail"]?.stringValue?.contains("wf-zzzzzzzz") == true, "\(method) \(path)")
            }
        }
    }

    @Test func aKnownWorkflowStillGetsThe400() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            for (method, path, body, headers) in wrongRequests(wf) {
                try expectProblem(try await client.send(method, path, body: body, headers: headers), status: .badRequest)
            }
        }
    }

    @Test func anUnexpectedBodyOfAControlEndpointIsInvalidBody() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            _ = try await client.finishedExecution(wf, ex)
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/retry", body: #"{"x": 1}"#), path: "", code: "invalid_body")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/rerun", body: "[1]"), path: "", code: "invalid_body")
            let sub = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "https://example.com/hook"}"#)
            let webhook = try #require(try sub.json()["webhook_id"]?.stringValue)
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/webhooks/\(webhook)/rotate-secret", body: "[]"), path: "", code: "invalid_body")
        }
    }
}
