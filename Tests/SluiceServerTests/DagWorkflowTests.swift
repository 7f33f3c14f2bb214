import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// Workflows in the `tasks` (DAG) form.
@Suite(.testStores) struct DagWorkflowTests {
    /// a → (b: Length, c: Uppercase) → d: Echo joining both branches.
    static let diamond = """
    {
      "name": "Diamond",
      "tasks": [
        {"id": "a", "type": "StaticTextInput", "input": "abc"},
        {"id": "b", "type": "TextOperation.Length", "depends_on": ["a"]},
        {"id": "c", "type": "TextOperation.Uppercase", "depends_on": ["a"]},
        {"id": "d", "type": "Echo", "depends_on": ["b", "c"]}
      ]
    }
    """

    @Test func diamondCompletesAndTheJoinMergesBothBranches() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.diamond)
            let ex = try await client.startExecution(wf)
            let json = try await client.finishedExecution(wf, ex)
            #expect(json["status"]?.stringValue == "COMPLETED")
            let output = try #require(json["output"]?.objectValue)
            #expect(output.count == 2)
            #expect(output["number"] == 3)
            #expect(output["text"] == "ABC")
        }
    }

    @Test func diamondTasksEachRecordTheirOwnInputAndOutput() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.diamond)
            let ex = try await client.startExecution(wf)
            let tasks = try #require(try await client.finishedExecution(wf, ex)["tasks"]?.arrayValue)
            try #require(tasks.count == 4)
            #expect(tasks.map { $0["step_id"]?.stringValue } == ["a", "b", "c", "d"])
            #expect(tasks.allSatisfy { $0["status"]?.stringValue == "COMPLETED" })
            #expect(tasks[1]["input"] == ["text": "abc"])
            #expect(tasks[1]["output"] == ["number": 3])
            #expect(tasks[2]["output"] == ["text": "ABC"])
        }
    }

    @Test func workflowGraphShowsTypedEdges() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.diamond)
            let reply = try await client.send(.get, "/workflows/\(wf)")
            #expect(reply.status == .ok)
            let json = try reply.json()
            let edges = try #require(json["graph"]?["edges"]?.arrayValue)
            let triples = Set(edges.map { "\($0["from"]?.stringValue ?? "?")→\($0["to"]?.stringValue ?? "?"):\($0["type"]?.stringValue ?? "?")" })
            #expect(triples == ["a→b:text", "a→c:text", "b→d:number", "c→d:text"])
        }
    }

    @Test func workflowGraphShowsEachTasksTypesAndDependencies() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.diamond)
            let json = try await client.send(.get, "/workflows/\(wf)").json()
            #expect(json["workflow_id"]?.stringValue == wf)
            #expect(json["name"]?.stringValue == "Diamond")
            #expect(json["tasks"]?.arrayValue?.count == 4)
            let tasks = try #require(json["graph"]?["tasks"]?.arrayValue)
            #expect(tasks.map { $0["id"]?.stringValue } == ["a", "b", "c", "d"])
            #expect(tasks[0]["input_type"]?.stringValue == "none")
            #expect(tasks[0]["output_type"]?.stringValue == "text")
            #expect(tasks[1]["output_type"]?.stringValue == "number")
            #expect(tasks[3]["depends_on"] == ["b", "c"])
        }
    }

    @Test func seedWorkflowReadsBackWithItsStepsAndAnEmptyInputSchema() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let json = try await client.send(.get, "/workflows/\(wf)").json()
            #expect(json["name"]?.stringValue == "Dummy Workflow")
            #expect(json["steps"]?.arrayValue?.compactMap { $0["type"]?.stringValue } == ["StaticTextInput", "TextOperation.Reverse", "Echo"])
            #expect(json["input_schema"]?["type"]?.stringValue == "object")
            #expect(json["input_schema"]?["required"] == nil)
            #expect(isRFC3339(json["created_at"]))
        }
    }

    @Test func failingTaskFailsTheExecutionAndSkipsWhatDependsOnIt() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            let wf = try await client.createWorkflow(#"{"name": "f", "steps": [{"type": "StaticTextInput", "input": "fail"}, {"type": "Test.FailOn"}, {"type": "Echo"}]}"#)
            let ex = try await client.startExecution(wf)
            let json = try await client.finishedExecution(wf, ex)
            #expect(json["status"]?.stringValue == "FAILED")
            #expect(json["error"]?["message"]?.stringValue?.contains("found 'fail' in the text") == true)
            #expect(isRFC3339(json["completed_at"]))
            let statuses = json["tasks"]?.arrayValue?.map { $0["status"]?.stringValue }
            #expect(statuses == ["COMPLETED", "FAILED", "SKIPPED"])
        }
    }
}
