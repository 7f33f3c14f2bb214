import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `DELETE /workflows/{workflow_id}`: everything of the workflow goes, unless it is in use.
@Suite(.testStores) struct WorkflowDeleteTests {
    static let delayed = #"{"name": "Delayed", "steps": [{"type": "Delay", "input": {"seconds": 30}}, {"type": "Echo"}]}"#

    func parent(running child: String) -> String {
        #"{"name": "Parent", "steps": [{"type": "Workflow.Run", "input": {"workflow_id": "\#(child)"}}]}"#
    }

    @Test func deleteRemovesTheWorkflowItsExecutionsEventsAndWebhooks() async throws {
        try await makeApp().test(.router) { client in
            let keep = try await client.createWorkflow(seedWorkflow)
            let kept = try await client.startExecution(keep)
            let wf = try await client.createWorkflow(seedWorkflow)
            #expect(try await client.send(.put, "/workflows/\(wf)", body: seedWorkflow).status == .ok)
            let ex = try await client.startExecution(wf, headers: [.init("Idempotency-Key")!: "once"])
            _ = try await client.finishedExecution(wf, ex)
            _ = try await client.finishedExecution(keep, kept)
            let sub = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "https://example.com/hook"}"#)
            #expect(sub.status == .created, "\(sub.text)")
            let webhook = try #require(try sub.json()["webhook_id"]?.stringValue)
            #expect(try await client.send(.get, "/events?workflow_id=\(wf)").text.contains(ex))

            let reply = try await client.send(.delete, "/workflows/\(wf)")
            #expect(reply.status == .noContent, "\(reply.text)")
            #expect(reply.text.isEmpty)

            for path in ["/workflows/\(wf)", "/workflows/\(wf)/versions", "/workflows/\(wf)/versions/1", "/workflows/\(wf)/executions",
                         "/workflows/\(wf)/executions/\(ex)", "/executions/\(ex)", "/workflows/\(wf)/executions/\(ex)/events",
                         "/workflows/\(wf)/webhooks/\(webhook)", "/events?workflow_id=\(wf)"] {
                try expectProblem(try await client.send(.get, path), status: .notFound)
            }
            try expectProblem(try await client.send(.post, "/workflows/\(wf)/execute"), status: .notFound)
            try expectProblem(try await client.send(.delete, "/workflows/\(wf)"), status: .notFound)
            let list = try await client.send(.get, "/workflows")
            #expect(try list.json()["workflows"]?.arrayValue?.compactMap { $0["workflow_id"]?.stringValue } == [keep])
            let events = try await client.send(.get, "/events")
            #expect(!events.text.contains(wf) && !events.text.contains(ex), "no event of the deleted workflow is left")
            #expect(events.text.contains(kept), "the other workflow keeps its events")
            #expect(try await client.send(.get, "/workflows/\(keep)/executions/\(kept)").status == .ok)
        }
    }

    @Test func deleteWithARunningExecutionIsAConflictAndDeletesNothing() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.delayed)
            let ex = try await client.startExecution(wf, #"{"input": {"text": "hi"}}"#)
            let reply = try await client.send(.delete, "/workflows/\(wf)")
            try expectProblem(reply, status: .conflict)
            #expect(try reply.json()["type"] == "urn:sluice:problem:conflict")
            let detail = try #require(try reply.json()["detail"]?.stringValue)
            #expect(detail.contains("1 unfinished execution") && detail.contains(ex) && detail.contains("cancel them first"), "\(detail)")
            #expect(try await client.send(.get, "/workflows/\(wf)").status == .ok)
            let status = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)").json()["status"]
            #expect(status == "PENDING" || status == "RUNNING", "nothing was deleted")
            #expect(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events").json()["events"]?.arrayValue?.isEmpty == false)

            #expect(try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/cancel").status == .ok)
            #expect(try await client.send(.delete, "/workflows/\(wf)").status == .noContent)
            try expectProblem(try await client.send(.get, "/executions/\(ex)"), status: .notFound)
        }
    }

    @Test func deleteOfAWorkflowThatAnotherRunsIsAConflict() async throws {
        try await makeApp().test(.router) { client in
            let child = try await client.createWorkflow(reverseChain)
            let parent = try await client.createWorkflow(parent(running: child))
            let reply = try await client.send(.delete, "/workflows/\(child)")
            try expectProblem(reply, status: .conflict)
            let detail = try #require(try reply.json()["detail"]?.stringValue)
            #expect(detail.contains(parent) && detail.contains("Workflow.Run"), "\(detail)")
            #expect(try await client.send(.get, "/workflows/\(child)").status == .ok)
            // Once the parent's latest version no longer runs it, the child can go.
            #expect(try await client.send(.put, "/workflows/\(parent)", body: reverseChain).status == .ok)
            #expect(try await client.send(.delete, "/workflows/\(child)").status == .noContent)
        }
    }

    @Test func executeAfterDeleteIsNotFoundEvenWithThePlanCached() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            _ = try await client.finishedExecution(wf, try await client.startExecution(wf))
            #expect(try await client.send(.delete, "/workflows/\(wf)").status == .noContent)
            try expectProblem(try await client.send(.post, "/workflows/\(wf)/execute"), status: .notFound)
            try expectProblem(try await client.send(.get, "/workflows/\(wf)/executions"), status: .notFound)
        }
    }
}
