import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// Unknown workflows, executions and routes: 404 problem+json.
@Suite(.testStores) struct NotFoundTests {
    func expectNotFound(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try expectProblem(reply, status: .notFound, sourceLocation: sourceLocation)
        #expect(try reply.json()["type"]?.stringValue == "urn:sluice:problem:not-found", sourceLocation: sourceLocation)
    }

    @Test func unknownWorkflowIs404() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/workflows/wf-zzzzzzzz")
            try expectNotFound(reply)
            #expect(try reply.json()["detail"]?.stringValue?.contains("wf-zzzzzzzz") == true)
            #expect(try reply.json()["instance"]?.stringValue == "/workflows/wf-zzzzzzzz")
        }
    }

    @Test func executingAnUnknownWorkflowIs404() async throws {
        try await makeApp().test(.router) { client in
            try expectNotFound(try await client.send(.post, "/workflows/wf-zzzzzzzz/execute", body: seedInput))
        }
    }

    @Test func executingAnUnknownWorkflowWithAnInvalidBodyIsStill404() async throws {
        try await makeApp().test(.router) { client in
            try expectNotFound(try await client.send(.post, "/workflows/wf-zzzzzzzz/execute", body: #"{"bogus": 1}"#))
        }
    }

    @Test func listingExecutionsOfAnUnknownWorkflowIs404() async throws {
        try await makeApp().test(.router) { client in
            try expectNotFound(try await client.send(.get, "/workflows/wf-zzzzzzzz/executions"))
        }
    }

    @Test func unknownExecutionOfAKnownWorkflowIs404() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            try expectNotFound(try await client.send(.get, "/workflows/\(wf)/executions/ex-zzzzzzzz"))
        }
    }

    @Test func executionUnderAnUnknownWorkflowIs404() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            _ = try await client.finishedExecution(wf, ex)
            try expectNotFound(try await client.send(.get, "/workflows/wf-zzzzzzzz/executions/\(ex)"))
        }
    }

    @Test func executionFetchedUnderAnotherWorkflowIs404() async throws {
        try await makeApp().test(.router) { client in
            let wf1 = try await client.createWorkflow(seedWorkflow)
            let wf2 = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf1)
            _ = try await client.finishedExecution(wf1, ex)
            let reply = try await client.send(.get, "/workflows/\(wf2)/executions/\(ex)")
            try expectNotFound(reply)
            #expect(!reply.text.contains("\"tasks\""))
        }
    }

    @Test func unknownRouteIs404ProblemJSON() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/no/such/route")
            try expectNotFound(reply)
            #expect(try reply.json()["instance"]?.stringValue == "/no/such/route")
        }
    }
}
