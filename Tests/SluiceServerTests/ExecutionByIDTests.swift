import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `GET /executions/{execution_id}`: the answer of the nested route, by execution id alone.
@Suite(.testStores) struct ExecutionByIDTests {
    @Test func anExecutionIsFoundByItsIDAloneWithTheSameRepresentation() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            let nested = try await client.finishedExecution(wf, ex)
            let reply = try await client.send(.get, "/executions/\(ex)")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(try reply.json() == nested)
            #expect(nested["workflow_id"]?.stringValue == wf)
        }
    }

    @Test func waitHoldsTheRequestUntilTheExecutionFinishes() async throws {
        try await makeApp().test(.router) { client in
            // It waits for a worker, which the test is: still running at the first read however
            // busy the machine (a Delay of 3 s once ended before it).
            let wf = try await client.createWorkflow(#"{"name": "Held", "steps": [{"type": "Worker.Task", "input": {"queue": "by-id", "output_type": "text"}}, {"type": "Echo"}]}"#)
            let ex = try await client.startExecution(wf, #"{"input": {"text": "hi"}}"#)
            let before = try await client.send(.get, "/executions/\(ex)").json()["status"]
            #expect(before == "PENDING" || before == "RUNNING")
            async let waited = client.send(.get, "/executions/\(ex)?wait=30")
            try await client.answerWorkerTask(queue: "by-id", output: #""hi""#)
            let reply = try await waited
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(try reply.json()["status"] == "COMPLETED")
            #expect(try reply.json()["output"] == ["text": "hi"])
        }
    }

    @Test func unknownExecutionsAre404AndWaitIsChecked() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/executions/ex-00000000")
            try expectProblem(reply, status: .notFound)
            #expect(try reply.json()["detail"]?.stringValue?.contains("ex-00000000") == true)
            for bad in ["abc", "61", "-1"] {
                try expectValidation(try await client.send(.get, "/executions/ex-00000000?wait=\(bad)"), path: "wait", code: "invalid_parameter")
            }
        }
    }
}
