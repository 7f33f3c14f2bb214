import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// The examples of the API contract (seed 001), sent verbatim.
@Suite(.testStores) struct SeedContractTests {
    @Test func createReturns201WithOnlyAWorkflowIDAndALocation() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.post, "/workflows", body: seedWorkflow)
            #expect(reply.status == .created)
            #expect(reply.headers[.contentType] == "application/json")
            let json = try reply.json()
            #expect(json.objectValue?.keys == ["workflow_id"])
            let id = try #require(json["workflow_id"]?.stringValue)
            #expect(isID(id, prefix: "wf"))
            #expect(reply.headers[.location] == "/workflows/\(id)")
        }
    }

    @Test func executeWithTheSeedInputReturns202WithOnlyAnExecutionID() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let reply = try await client.send(.post, "/workflows/\(wf)/execute", body: seedInput)
            #expect(reply.status == .accepted)
            let json = try reply.json()
            #expect(json.objectValue?.keys == ["execution_id"])
            #expect(isID(json["execution_id"]?.stringValue, prefix: "ex"))
        }
    }

    @Test func executeWithAnEmptyBodyReturns202() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let reply = try await client.send(.post, "/workflows/\(wf)/execute")
            #expect(reply.status == .accepted)
            let json = try reply.json()
            #expect(json.objectValue?.keys == ["execution_id"])
            #expect(isID(json["execution_id"]?.stringValue, prefix: "ex"))
        }
    }

    @Test func executionStatusShowsTheCompletedSeedRunTaskByTask() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf, seedInput)
            let reply = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)?wait=5")
            #expect(reply.status == .ok)
            let json = try reply.json()
            #expect(json["execution_id"]?.stringValue == ex)
            #expect(json["workflow_id"]?.stringValue == wf)
            #expect(json["status"]?.stringValue == "COMPLETED")
            #expect(json["output"] == ["text": "!dlrow ,olleH"])
            #expect(isRFC3339(json["created_at"]))
            #expect(isRFC3339(json["started_at"]))
            #expect(isRFC3339(json["completed_at"]))

            let tasks = try #require(json["tasks"]?.arrayValue)
            try #require(tasks.count == 3)
            #expect(tasks.map { $0["type"]?.stringValue } == ["StaticTextInput", "TextOperation.Reverse", "Echo"])
            let taskIDs = tasks.compactMap { $0["task_id"]?.stringValue }
            #expect(taskIDs.count == 3 && taskIDs.allSatisfy { isID($0, prefix: "task") })
            #expect(Set(taskIDs).count == 3)
            for task in tasks { #expect(task["status"]?.stringValue == "COMPLETED") }
            #expect(tasks[0]["input"] == ["text": "Hello, world!"])
            #expect(tasks[0]["output"] == ["text": "Hello, world!"])
            #expect(tasks[1]["input"] == ["text": "Hello, world!"])
            #expect(tasks[1]["output"] == ["text": "!dlrow ,olleH"])
            #expect(tasks[2]["input"] == ["text": "!dlrow ,olleH"])
            #expect(tasks[2]["output"] == ["text": "!dlrow ,olleH"])
        }
    }

    @Test func executionListShowsTheRunWithItsTimestamps() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf, seedInput)
            _ = try await client.finishedExecution(wf, ex)
            let reply = try await client.send(.get, "/workflows/\(wf)/executions")
            #expect(reply.status == .ok)
            let items = try #require(try reply.json()["executions"]?.arrayValue)
            try #require(items.count == 1)
            let item = items[0]
            #expect(item["execution_id"]?.stringValue == ex)
            #expect(item["status"]?.stringValue == "COMPLETED")
            #expect(isRFC3339(item["created_at"]))
            #expect(isRFC3339(item["started_at"]))
            #expect(isRFC3339(item["completed_at"]))
        }
    }

    @Test func executeWithTheSeedWebhookBodyIsAccepted() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let body = """
            {
              "input": {
                "text": "Hello, world!"
              },
              "webhook_url": "https://example.com/webhook"
            }
            """
            let reply = try await client.send(.post, "/workflows/\(wf)/execute", body: body)
            #expect(reply.status == .accepted)
            #expect(isID(try reply.json()["execution_id"]?.stringValue, prefix: "ex"))
        }
    }
}
