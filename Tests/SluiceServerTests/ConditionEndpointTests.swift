import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `when` and `input_from` through the API.
@Suite(.testStores) struct ConditionEndpointTests {
    static let branching = #"""
    {"name": "branch", "tasks": [
      {"id": "length", "type": "TextOperation.Length"},
      {"id": "long", "type": "TextOperation.Uppercase", "depends_on": ["length"], "when": "tasks.length.number > 3", "input_from": {"text": "input.text"}},
      {"id": "short", "type": "TextOperation.Lowercase", "depends_on": ["length"], "when": "not (tasks.length.number > 3)", "input_from": {"text": "input.text"}},
      {"id": "out", "type": "Echo", "depends_on": ["long", "short"]}
    ]}
    """#

    @Test func aConditionSkipsOneBranchAndTheJoinRunsWithTheOther() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.branching)
            let ex = try await client.startExecution(wf, #"{"input": {"text": "Hello"}}"#)
            let json = try await client.finishedExecution(wf, ex)
            #expect(json["status"] == "COMPLETED")
            #expect(json["output"] == ["text": "HELLO"])
            let tasks = try #require(json["tasks"]?.arrayValue)
            #expect(tasks.map { $0["status"] } == ["COMPLETED", "COMPLETED", "SKIPPED", "COMPLETED"])
            #expect(tasks[2]["error"]?["code"] == "condition_false")
            #expect(json["progress"] == ["completed": 4, "total": 4])

            let other = try await client.startExecution(wf, #"{"input": {"text": "Hi"}}"#)
            #expect(try await client.finishedExecution(wf, other)["output"] == ["text": "hi"])
        }
    }

    @Test func aConditionOnATaskThatIsNotUpstreamIsRefusedWithItsPath() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.post, "/workflows", body: #"{"name": "x", "tasks": [{"id": "a", "type": "TextOperation.Length"}, {"id": "b", "type": "Echo", "when": "tasks.a.number > 1"}]}"#)
            let message = try expectValidation(reply, path: "tasks[1].when", code: "invalid_condition")
            #expect(message.contains("add \"a\" to depends_on"))
        }
    }
}
