import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `POST …/cancel`, `…/retry`, `…/rerun`, `GET …/tasks/{task_id}/logs`, and the definition fields
/// `retry` and `timeout_seconds`.
@Suite(.testStores) struct ExecutionControlEndpointTests {
    static let delayed = #"{"name": "Delayed", "steps": [{"type": "Delay", "input": {"seconds": 30}}, {"type": "Echo"}]}"#

    @Test func cancelMakesARunningExecutionAndItsTasksCancelled() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.delayed)
            let ex = try await client.startExecution(wf, #"{"input": {"text": "hi"}}"#)
            let reply = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/cancel")
            #expect(reply.status == .ok, "\(reply.text)")
            let json = try reply.json()
            #expect(json["status"] == "CANCELLED")
            #expect(json["tasks"]?.arrayValue?.map { $0["status"] } == ["CANCELLED", "CANCELLED"])
            #expect(isRFC3339(json["completed_at"]))
            let again = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/cancel")
            #expect(again.status == .ok, "cancelling a CANCELLED execution again is harmless")
            let read = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)")
            #expect(try read.json()["status"] == "CANCELLED")
        }
    }

    /// The native suspend and resume: a suspended execution shows `"suspended": true`; the
    /// resume ends its `Suspend` task and it completes; a finished one is `409` for both.
    @Test func suspendAndResumeAnExecutionWithASuspendStep() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(#"{"name": "gate", "steps": [{"type": "Suspend"}, {"type": "Echo"}]}"#)
            let ex = try await client.startExecution(wf, #"{"input": {"text": "hi"}}"#)
            let suspended = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/suspend")
            #expect(suspended.status == .ok, "\(suspended.text)")
            let held = try suspended.json()
            #expect(held["suspended"] == true && held["status"] == "RUNNING")
            #expect(held["tasks"]?.arrayValue?.first?["status"] == "RUNNING", "the Suspend task waits")
            let resumed = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/resume")
            #expect(resumed.status == .ok, "\(resumed.text)")
            #expect(try resumed.json()["suspended"] == nil)
            let done = try await client.finishedExecution(wf, ex)
            #expect(done["status"] == "COMPLETED" && done["output"] == ["text": "hi"])
            for action in ["suspend", "resume"] {
                try expectProblem(try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/\(action)"), status: .conflict)
            }
        }
    }

    @Test func cancellingAFinishedExecutionIsAConflict() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            _ = try await client.finishedExecution(wf, ex)
            let reply = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/cancel")
            try expectProblem(reply, status: .conflict)
            #expect(try reply.json()["detail"]?.stringValue?.contains("COMPLETED") == true)
        }
    }

    @Test func controlEndpointsAnswer404ForUnknownOrForeignExecutions() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let other = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            for action in ["cancel", "retry", "rerun"] {
                try expectProblem(try await client.send(.post, "/workflows/\(wf)/executions/ex-00000000/\(action)"), status: .notFound)
                try expectProblem(try await client.send(.post, "/workflows/\(other)/executions/\(ex)/\(action)"), status: .notFound)
                try expectProblem(try await client.send(.post, "/workflows/wf-00000000/executions/\(ex)/\(action)"), status: .notFound)
            }
            try expectProblem(try await client.send(.get, "/workflows/\(other)/executions/\(ex)/tasks/step-1/logs"), status: .notFound)
        }
    }

    @Test func retryRunsACancelledExecutionAgainToCompletion() async throws {
        try await makeApp().test(.router) { client in
            // The second step waits for a worker (the test), so the cancel always finds it
            // running, however busy the machine (a Delay once ended first).
            let wf = try await client.createWorkflow(#"{"name": "Short", "steps": [{"type": "TextOperation.Uppercase"}, {"type": "Worker.Task", "input": {"queue": "retried", "output_type": "text"}}, {"type": "Echo"}]}"#)
            let ex = try await client.startExecution(wf, #"{"input": {"text": "hi"}}"#)
            let cancel = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/cancel")
            #expect(cancel.status == .ok, "\(cancel.text)")
            let reply = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/retry")
            #expect(reply.status == .accepted, "\(reply.text)")
            #expect(try reply.json()["execution_id"]?.stringValue == ex, "a retry continues the same execution")
            #expect(reply.headers[.location] == "/workflows/\(wf)/executions/\(ex)")
            // The retried attempt is queued again; the worker answers with its input.
            let task = try await client.answerWorkerTask(queue: "retried", output: #""HI""#)
            #expect(task["input"] == ["text": "HI"])
            let json = try await client.finishedExecution(wf, ex)
            #expect(json["status"] == "COMPLETED")
            #expect(json["output"] == ["text": "HI"])
            #expect(json["error"] == nil)
        }
    }

    @Test func retryOfACompletedExecutionIsAConflictAndTakesNoBody() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            _ = try await client.finishedExecution(wf, ex)
            try expectProblem(try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/retry"), status: .conflict)
            try expectProblem(try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/retry", body: #"{"x": 1}"#), status: .badRequest)
        }
    }

    @Test func rerunFromATaskStartsANewExecutionReusingUpstreamOutputs() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            let original = try await client.finishedExecution(wf, ex)
            let reply = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/rerun", body: #"{"from_task": "step-2"}"#)
            #expect(reply.status == .accepted, "\(reply.text)")
            let json = try reply.json()
            let new = try #require(json["execution_id"]?.stringValue)
            #expect(new != ex && isID(new, prefix: "ex"))
            #expect(json["rerun_of"]?.stringValue == ex)
            let rerun = try await client.finishedExecution(wf, new)
            #expect(rerun["status"] == "COMPLETED")
            #expect(rerun["output"] == ["text": "!dlrow ,olleH"])
            let before = try #require(original["tasks"]?.arrayValue)
            let after = try #require(rerun["tasks"]?.arrayValue)
            #expect(after[0]["started_at"] == before[0]["started_at"], "step-1 was reused, not run again")
            #expect(after[0]["task_id"] != before[0]["task_id"], "the new execution has its own task ids")
        }
    }

    @Test func rerunRejectsAnUnknownTaskAndABadBody() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            _ = try await client.finishedExecution(wf, ex)
            let unknown = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/rerun", body: #"{"from_task": "nope"}"#)
            try expectProblem(unknown, status: .notFound)
            #expect(try unknown.json()["detail"]?.stringValue?.contains("step-1") == true, "the message lists the tasks")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/rerun", body: #"{"from_task": 3}"#), path: "from_task", code: "type_mismatch")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/rerun", body: #"{"from": "step-1"}"#), path: "from", code: "unknown_field")
        }
    }

    @Test func logsOfAFailedTaskShowTheAttemptAndItsError() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            let wf = try await client.createWorkflow(#"{"name": "f", "steps": [{"type": "Test.FailOn"}]}"#)
            let ex = try await client.startExecution(wf, #"{"input": {"text": "please fail"}}"#)
            let execution = try await client.finishedExecution(wf, ex)
            let taskID = try #require(execution["tasks"]?.arrayValue?.first?["task_id"]?.stringValue)
            for name in [taskID, "step-1"] {
                let reply = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/tasks/\(name)/logs")
                #expect(reply.status == .ok, "\(reply.text)")
                let json = try reply.json()
                #expect(json["task_id"]?.stringValue == taskID)
                #expect(json["status"] == "FAILED")
                let lines = try #require(json["logs"]?.arrayValue)
                #expect(lines.map { $0["line"] } == ["attempt 1 failed: found 'fail' in the text"])
                #expect(lines.first?["source"] == "engine")
                #expect(lines.first?["seq"] == 1)
                #expect(isRFC3339(lines.first?["at"]))
            }
            let after = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/tasks/step-1/logs?after=1")
            #expect(try after.json()["logs"]?.arrayValue?.isEmpty == true)
            let follow = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/tasks/step-1/logs?follow=true")
            #expect(follow.status == .ok)
            #expect(follow.headers[.contentType] == "application/x-ndjson")
            let streamed = follow.text.split(separator: "\n").map { try? JSONParser.parse(String($0)) }
            #expect(streamed.map { $0?["line"] } == ["attempt 1 failed: found 'fail' in the text"], "follow on a finished task sends its lines and ends")
            try expectProblem(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/tasks/task-zzzzzzzz/logs"), status: .notFound)
            try expectProblem(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/tasks/step-1/logs?after=-1"), status: .badRequest)
            try expectProblem(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/tasks/step-1/logs?follow=maybe"), status: .badRequest)
        }
    }

    @Test func followStreamsLinesUntilTheTaskFinishes() async throws {
        try await makeApp().test(.router) { client in
            // The Delay finishes after 0.3 s; follow holds the response open until then.
            let wf = try await client.createWorkflow(#"{"name": "d", "steps": [{"type": "Delay", "input": {"seconds": 0.3}}]}"#)
            // Before the start: the Delay's 0.3 s count from the start, whenever this test gets
            // to run again after it.
            let begin = ContinuousClock.now
            let ex = try await client.startExecution(wf)
            let follow = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/tasks/step-1/logs?follow=true")
            #expect(follow.status == .ok)
            #expect(ContinuousClock.now - begin >= .milliseconds(250), "the stream ended only when the task finished")
            let status = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)")
            #expect(try status.json()["tasks"]?.arrayValue?.first?["status"] == "COMPLETED")
        }
    }

    @Test func retryAndTimeoutFieldsAreValidatedAtCreation() async throws {
        try await makeApp().test(.router) { client in
            func create(_ body: String) async throws -> Reply { try await client.send(.post, "/workflows", body: body) }
            try expectValidation(try await create(#"{"name": "r", "steps": [{"type": "Echo", "retry": {"max_attempts": 0}}]}"#), path: "steps[0].retry.max_attempts", code: "invalid_value")
            try expectValidation(try await create(#"{"name": "r", "steps": [{"type": "Echo", "retry": {}}]}"#), path: "steps[0].retry.max_attempts", code: "required")
            try expectValidation(try await create(#"{"name": "r", "steps": [{"type": "Echo", "retry": {"max_attempts": 3, "backoff": {"initial_seconds": 5, "max_seconds": 1}}}]}"#), path: "steps[0].retry.backoff.max_seconds", code: "invalid_value")
            try expectValidation(try await create(#"{"name": "r", "steps": [{"type": "Echo", "retry": {"max_attempts": 3, "backoff": {"factor": 2}}}]}"#), path: "steps[0].retry.backoff.factor", code: "unknown_field")
            try expectValidation(try await create(#"{"name": "r", "steps": [{"type": "Echo", "retry": 3}]}"#), path: "steps[0].retry", code: "type_mismatch")
            try expectValidation(try await create(#"{"name": "r", "tasks": [{"id": "a", "type": "Echo", "timeout_seconds": -1}]}"#), path: "tasks[0].timeout_seconds", code: "invalid_value")
            try expectValidation(try await create(#"{"name": "r", "timeout_seconds": "soon", "steps": [{"type": "Echo"}]}"#), path: "timeout_seconds", code: "invalid_value")
            try expectValidation(try await create(#"{"name": "r", "steps": [{"type": "Delay"}]}"#), path: "steps[0].input", code: "missing_parameters")
            try expectValidation(try await create(#"{"name": "r", "steps": [{"type": "Delay", "input": {"seconds": -1}}]}"#), path: "steps[0].input.seconds")
            let ok = try await create(#"{"name": "r", "timeout_seconds": 60, "steps": [{"type": "Echo", "timeout_seconds": 5, "retry": {"max_attempts": 3, "backoff": {"initial_seconds": 1, "multiplier": 2, "max_seconds": 10}}}]}"#)
            #expect(ok.status == .created, "\(ok.text)")
        }
    }
}
