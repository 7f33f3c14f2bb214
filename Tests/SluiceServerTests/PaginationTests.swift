import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `limit` and `cursor` on the workflow and execution lists, and the execution status filter.
@Suite(.testStores) struct PaginationTests {
    /// Follows `next_cursor` from `first` until it is null; returns the pages' ids.
    func walk(_ client: some TestClientProtocol, _ first: String, key: String, idKey: String) async throws -> [[String]] {
        var pages: [[String]] = []
        var uri = first
        for _ in 0..<20 {
            let reply = try await client.send(.get, uri)
            try #require(reply.status == .ok, "\(reply.text)")
            let json = try reply.json()
            let items = try #require(json[key]?.arrayValue)
            pages.append(items.compactMap { $0[idKey]?.stringValue })
            switch json["next_cursor"] {
            case .null?: return pages
            case .string(let cursor)?: uri = first + "&cursor=\(cursor)"
            default: Issue.record("next_cursor is neither a string nor null: \(reply.text)"); return pages
            }
        }
        Issue.record("pagination did not end")
        return pages
    }

    @Test func workflowListFirstPageHasTheNewestTwoAndACursor() async throws {
        try await makeApp().test(.router) { client in
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await client.createWorkflow(seedWorkflow)) }
            let json = try await client.send(.get, "/workflows?limit=2").json()
            let items = try #require(json["workflows"]?.arrayValue)
            #expect(items.compactMap { $0["workflow_id"]?.stringValue } == [ids[4], ids[3]])
            #expect(json["next_cursor"]?.stringValue?.isEmpty == false)
            for item in items {
                #expect(item["name"]?.stringValue == "Dummy Workflow")
                #expect(isRFC3339(item["created_at"]))
            }
        }
    }

    @Test func followingWorkflowCursorsVisitsEveryWorkflowOnceNewestFirst() async throws {
        try await makeApp().test(.router) { client in
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await client.createWorkflow(seedWorkflow)) }
            let pages = try await walk(client, "/workflows?limit=2", key: "workflows", idKey: "workflow_id")
            #expect(pages.map(\.count) == [2, 2, 1])
            #expect(pages.flatMap { $0 } == Array(ids.reversed()))
        }
    }

    @Test func pageThatExactlyFitsTheRestHasANullCursor() async throws {
        try await makeApp().test(.router) { client in
            for _ in 0..<4 { _ = try await client.createWorkflow(seedWorkflow) }
            let pages = try await walk(client, "/workflows?limit=2", key: "workflows", idKey: "workflow_id")
            #expect(pages.map(\.count) == [2, 2])
        }
    }

    @Test func emptyWorkflowListHasANullCursor() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/workflows")
            #expect(reply.status == .ok)
            let json = try reply.json()
            #expect(json["workflows"] == [])
            #expect(json["next_cursor"] == .null)
        }
    }

    @Test func followingExecutionCursorsVisitsEveryExecutionOnceNewestFirst() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await client.startExecution(wf)) }
            let pages = try await walk(client, "/workflows/\(wf)/executions?limit=2", key: "executions", idKey: "execution_id")
            #expect(pages.map(\.count) == [2, 2, 1])
            #expect(pages.flatMap { $0 } == Array(ids.reversed()))
        }
    }

    @Test func executionListOnlyHasThatWorkflowsExecutions() async throws {
        try await makeApp().test(.router) { client in
            let wf1 = try await client.createWorkflow(seedWorkflow)
            let wf2 = try await client.createWorkflow(seedWorkflow)
            let ex1 = try await client.startExecution(wf1)
            _ = try await client.startExecution(wf2)
            let json = try await client.send(.get, "/workflows/\(wf1)/executions").json()
            #expect(json["executions"]?.arrayValue?.compactMap { $0["execution_id"]?.stringValue } == [ex1])
        }
    }

    /// A workflow whose executions fail when the text contains "fail"; two COMPLETED, one FAILED.
    func mixedExecutions(_ client: some TestClientProtocol) async throws -> (wf: String, completed: [String], failed: String) {
        let wf = try await client.createWorkflow(#"{"name": "Sometimes fails", "steps": [{"type": "Test.FailOn"}, {"type": "Echo"}]}"#)
        let ok1 = try await client.startExecution(wf, #"{"input": {"text": "ok"}}"#)
        let bad = try await client.startExecution(wf, #"{"input": {"text": "fail"}}"#)
        let ok2 = try await client.startExecution(wf, #"{"input": {"text": "fine"}}"#)
        for ex in [ok1, bad, ok2] { _ = try await client.finishedExecution(wf, ex) }
        return (wf, [ok2, ok1], bad)
    }

    @Test func statusFilterCompletedListsOnlyCompletedExecutions() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            let (wf, completed, _) = try await mixedExecutions(client)
            let json = try await client.send(.get, "/workflows/\(wf)/executions?status=COMPLETED").json()
            let items = try #require(json["executions"]?.arrayValue)
            #expect(items.compactMap { $0["execution_id"]?.stringValue } == completed)
            #expect(items.allSatisfy { $0["status"]?.stringValue == "COMPLETED" })
        }
    }

    @Test func statusFilterFailedListsOnlyFailedExecutions() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            let (wf, _, failed) = try await mixedExecutions(client)
            let json = try await client.send(.get, "/workflows/\(wf)/executions?status=FAILED").json()
            let items = try #require(json["executions"]?.arrayValue)
            #expect(items.compactMap { $0["execution_id"]?.stringValue } == [failed])
            #expect(items.first?["status"]?.stringValue == "FAILED")
        }
    }

    @Test func statusFilterCombinesWithPagination() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            let (wf, completed, _) = try await mixedExecutions(client)
            let pages = try await walk(client, "/workflows/\(wf)/executions?status=COMPLETED&limit=1", key: "executions", idKey: "execution_id")
            #expect(pages == completed.map { [$0] })
        }
    }
}
