import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// `Worker.Task` through the workers' API: claim, heartbeat, complete, fail, leases, on the
/// test store (MemoryStore, or PostgreSQL in CI's PostgreSQL pass), the engine on a `ManualClock`.
@Suite(.testStores, .timeLimit(.minutes(1))) struct QueueTests {
    func makeApp(clock: ManualClock = ManualClock()) async throws -> (some ApplicationProtocol, Engine) {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: .builtin, logger: logger, clock: clock)
        return (buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger), engine)
    }

    /// `text → Worker.Task (queue, output_type number) → Echo`.
    static func workflow(queue: String = "resize", outputType: String = "number", lease: Double? = nil, retry: Int? = nil) -> String {
        let leaseText = lease.map { #", "lease_seconds": \#($0)"# } ?? ""
        let retryText = retry.map { #", "retry": {"max_attempts": \#($0), "backoff": {"initial_seconds": 0.001}}"# } ?? ""
        return #"""
            {"name": "work", "steps": [
              {"type": "StaticTextInput", "input": "picture.png"},
              {"id": "work", "type": "Worker.Task", "input": {"queue": "\#(queue)", "output_type": "\#(outputType)"\#(leaseText)}\#(retryText)},
              {"type": "Echo"}]}
            """#
    }

    /// Claims one task of `queue` (waiting up to 5 s) and returns it.
    func claimOne(_ client: some TestClientProtocol, _ queue: String, worker: String = "w1", sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let reply = try await client.send(.post, "/queues/\(queue)/claim", body: #"{"worker": "\#(worker)", "wait": 5}"#)
        try #require(reply.status == .ok, "\(reply.text)", sourceLocation: sourceLocation)
        return try #require(try reply.json()["tasks"]?.arrayValue?.first, "no task was claimed: \(reply.text)", sourceLocation: sourceLocation)
    }

    func call(_ client: some TestClientProtocol, _ task: JSONValue, _ action: String, _ body: String) async throws -> Reply {
        try await client.send(.post, "/queues/\(task["queue"]!.stringValue!)/tasks/\(task["queued_task_id"]!.stringValue!)/\(action)", body: body)
    }

    @Test func aWorkerClaimsTheTaskWithItsInputAndItsOutputGoesOnThroughTheExecution() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow())
            let ex = try await client.startExecution(wf)
            let task = try await claimOne(client, "resize")
            #expect(task["input"] == ["text": "picture.png"])
            #expect(task["output_type"] == "number")
            #expect(task["execution_id"]?.stringValue == ex)
            #expect(task["task"] == "work")
            #expect(task["attempt"] == 1)
            #expect(task["claim_token"]?.stringValue?.hasPrefix("clm_") == true)
            let token = try #require(task["claim_token"]?.stringValue)
            // Running, held by the worker, until it answers: the execution says so.
            let running = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)")
            #expect(try running.json()["status"] == "RUNNING")
            let work = try #require(try running.json()["tasks"]?.arrayValue?.first { $0["step_id"] == "work" })
            #expect(work["queued"]?["holder"] == "w1", "\(work)")
            #expect(work["queued"]?["queue"] == "resize")
            #expect(isRFC3339(work["queued"]?["lease_expires_at"]))
            let events = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events").json()["events"]?.arrayValue ?? []
            #expect(events.contains { $0["type"] == "task.claimed" && $0["data"]?["holder"] == "w1" }, "\(events)")
            let done = try await call(client, task, "complete", #"{"claim_token": "\#(token)", "output": 42}"#)
            #expect(done.status == .ok, "\(done.text)")
            let finished = try await client.finishedExecution(wf, ex)
            #expect(finished["status"] == "COMPLETED", "\(finished)")
            #expect(finished["output"] == ["number": 42])
        }
    }

    @Test func anOutputOfTheWrongTypeIsA400AndTheTaskStaysClaimed() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow())
            let ex = try await client.startExecution(wf)
            let task = try await claimOne(client, "resize")
            let token = try #require(task["claim_token"]?.stringValue)
            let wrong = try await call(client, task, "complete", #"{"claim_token": "\#(token)", "output": "forty-two"}"#)
            #expect(wrong.status == .badRequest)
            let issues = try wrong.issues()
            #expect(issues.count == 1)
            #expect(issues.first?.path == "output")
            #expect(issues.first?.code == "type_mismatch")
            #expect(issues.first?.message.contains("expected number (the task's output_type)") == true, "\(issues)")
            let missing = try await call(client, task, "complete", #"{"claim_token": "\#(token)"}"#)
            #expect(missing.status == .badRequest)
            #expect(try missing.issues().first?.path == "output")
            // Still the worker's: the right answer is taken.
            let right = try await call(client, task, "complete", #"{"claim_token": "\#(token)", "output": 7}"#)
            #expect(right.status == .ok, "\(right.text)")
            #expect(try await client.finishedExecution(wf, ex)["output"] == ["number": 7])
        }
    }

    /// With an `output_schema`, a completion is checked against it: each problem with its path
    /// under `output`, the task still the worker's; a schema on a non-JSON output is refused.
    @Test func anOutputThatDoesNotMatchTheOutputSchemaIsA400WithPaths() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let schema = #"{"type": "object", "properties": {"width": {"type": "integer", "minimum": 1}, "format": {"enum": ["png", "jpeg"]}}, "required": ["width", "format"], "additionalProperties": false}"#
            let definition = #"{"name": "typed", "steps": [{"type": "StaticTextInput", "input": "p.png"}, {"id": "work", "type": "Worker.Task", "input": {"queue": "sized", "output_schema": \#(schema)}}]}"#
            let wf = try await client.createWorkflow(definition)
            let ex = try await client.startExecution(wf)
            let task = try await claimOne(client, "sized")
            let token = try #require(task["claim_token"]?.stringValue)
            let wrong = try await call(client, task, "complete", #"{"claim_token": "\#(token)", "output": {"width": 0, "format": "gif", "extra": 1}}"#)
            #expect(wrong.status == .badRequest, "\(wrong.text)")
            #expect(Set(try wrong.issues().map(\.path)) == ["output.width", "output.format", "output.extra"], "\(wrong.text)")
            let right = try await call(client, task, "complete", #"{"claim_token": "\#(token)", "output": {"width": 640, "format": "png"}}"#)
            #expect(right.status == .ok, "the task stayed the worker's: \(right.text)")
            #expect(try await client.finishedExecution(wf, ex)["output"] == ["json": ["width": 640, "format": "png"]])

            let onText = #"{"name": "t", "steps": [{"type": "Worker.Task", "input": {"queue": "q", "output_type": "text", "output_schema": {"type": "string"}}}]}"#
            let refused = try await client.send(.post, "/workflows", body: onText)
            #expect(refused.status == .badRequest)
            #expect(try refused.issues().map(\.path) == ["steps[0].input.output_schema"], "\(refused.text)")
            let badSchema = #"{"name": "t", "steps": [{"type": "Worker.Task", "input": {"queue": "q", "output_schema": {"type": "colour"}}}]}"#
            let bad = try await client.send(.post, "/workflows", body: badSchema)
            #expect(bad.status == .badRequest)
            #expect(try bad.issues().first?.path.hasPrefix("steps[0].input.output_schema") == true, "\(bad.text)")
        }
    }

    @Test func aHeldTaskIsNotClaimedAgainAndAnotherTokenChangesNothing() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow())
            let ex = try await client.startExecution(wf)
            let task = try await claimOne(client, "resize")
            let second = try await client.send(.post, "/queues/resize/claim", body: #"{"worker": "w2"}"#)
            #expect(try second.json()["tasks"] == [], "a held task was handed out twice: \(second.text)")
            let token = try #require(task["claim_token"]?.stringValue)
            for action in ["complete", "fail", "heartbeat"] {
                let body = #"{"claim_token": "clm_not-the-token", "output": 1, "message": "x"}"#
                    .replacingOccurrences(of: action == "complete" ? #", "message": "x""# : action == "fail" ? #", "output": 1"# : #", "output": 1, "message": "x""#, with: "")
                let other = try await call(client, task, action, body)
                #expect(other.status == .conflict, "\(action): \(other.text)")
                #expect(try other.json()["type"] == "urn:sluice:problem:not-holder", "\(action): \(other.text)")
            }
            let running = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)")
            #expect(try running.json()["status"] == "RUNNING")
            #expect(try await call(client, task, "complete", #"{"claim_token": "\#(token)", "output": 1}"#).status == .ok)
            // Answered: a second answer is refused.
            let again = try await call(client, task, "complete", #"{"claim_token": "\#(token)", "output": 2}"#)
            #expect(again.status == .conflict)
            #expect(try again.json()["type"] == "urn:sluice:problem:task-finished", "\(again.text)")
            #expect(try await client.finishedExecution(wf, ex)["output"] == ["number": 1])
        }
    }

    @Test func aLeaseThatRunsOutFailsTheAttemptAndTheRetryQueuesItAgain() async throws {
        let clock = ManualClock()
        let (app, _) = try await makeApp(clock: clock)
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow(lease: 30, retry: 2))
            let ex = try await client.startExecution(wf)
            let first = try await claimOne(client, "resize")
            let token = try #require(first["claim_token"]?.stringValue)
            // A heartbeat at 20 s moves the lease to 50 s.
            clock.advance(by: 20_000)
            for bad in ["1.5", "-0.1", "\"half\""] {
                let refused = try await call(client, first, "heartbeat", #"{"claim_token": "\#(token)", "progress": \#(bad)}"#)
                #expect(refused.status == .badRequest && (try? refused.issues().first?.path) == "progress", "\(bad): \(refused.text)")
            }
            let beat = try await call(client, first, "heartbeat", #"{"claim_token": "\#(token)", "log": ["half done"], "progress": 0.425}"#)
            #expect(beat.status == .ok, "\(beat.text)")
            clock.advance(by: 25_000)  // 45 s: still held
            for _ in 0..<200 { await Task.yield() }
            let none = try await client.send(.post, "/queues/resize/claim", body: "{}")
            #expect(try none.json()["tasks"] == [], "the task was handed out while its lease held: \(none.text)")
            clock.advance(by: 10_000)  // 55 s: the lease ran out at 50 s
            // The engine records the attempt's failure, then its retry wait (1 ms) ends.
            var found: JSONValue?
            for _ in 0..<500 where found == nil {
                let reply = try await client.send(.post, "/queues/resize/claim", body: #"{"worker": "w2"}"#)
                found = try reply.json()["tasks"]?.arrayValue?.first
                if found == nil {
                    clock.advance(by: 10)
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            let second = try #require(found, "the task was not queued again after its lease ran out")
            #expect(second["attempt"] == 2)
            #expect(second["queued_task_id"] != first["queued_task_id"])
            // The first worker's late answer changes nothing.
            let late = try await call(client, first, "complete", #"{"claim_token": "\#(token)", "output": 1}"#)
            #expect(late.status == .conflict, "\(late.text)")
            let token2 = try #require(second["claim_token"]?.stringValue)
            #expect(try await call(client, second, "complete", #"{"claim_token": "\#(token2)", "output": 2}"#).status == .ok)
            let finished = try await client.finishedExecution(wf, ex)
            #expect(finished["output"] == ["number": 2])
            let work = try #require(finished["tasks"]?.arrayValue?.first { $0["step_id"] == "work" || $0["task_id"] == "work" })
            let message = work["attempts"]?.arrayValue?.first?["error"]?["message"]?.stringValue ?? "\(work)"
            #expect(message.contains("the lease of worker w1 ran out"), "\(work)")
            // The heartbeat's line is in the task's log.
            let logs = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/tasks/work/logs")
            #expect(logs.text.contains("half done"), "\(logs.text)")
            #expect(logs.text.contains("progress 42.5%"), "a heartbeat's progress shows in the log: \(logs.text)")
        }
    }

    @Test func aWorkersFailureFailsTheTaskAndACancelEndsTheClaim() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow(queue: "q1"))
            let ex = try await client.startExecution(wf)
            let task = try await claimOne(client, "q1")
            let token = try #require(task["claim_token"]?.stringValue)
            #expect(try await call(client, task, "fail", #"{"claim_token": "\#(token)", "message": "the file is corrupt"}"#).status == .ok)
            let failed = try await client.finishedExecution(wf, ex)
            #expect(failed["status"] == "FAILED")
            #expect(failed["error"]?["message"]?.stringValue?.contains("the file is corrupt") == true, "\(failed)")

            let ex2 = try await client.startExecution(wf)
            let held = try await claimOne(client, "q1")
            let token2 = try #require(held["claim_token"]?.stringValue)
            #expect(try await client.send(.post, "/workflows/\(wf)/executions/\(ex2)/cancel").status == .ok)
            let beat = try await call(client, held, "heartbeat", #"{"claim_token": "\#(token2)"}"#)
            #expect(beat.status == .conflict)
            #expect(try beat.json()["type"] == "urn:sluice:problem:task-finished", "\(beat.text)")
        }
    }

    @Test func aClaimWaitsForATaskQueuedMeanwhile() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow(queue: "later"))
            async let claimed = client.send(.post, "/queues/later/claim", body: #"{"wait": 30}"#)
            for _ in 0..<200 { await Task.yield() }
            let ex = try await client.startExecution(wf)
            let reply = try await claimed
            let task = try #require(try reply.json()["tasks"]?.arrayValue?.first, "\(reply.text)")
            #expect(task["execution_id"]?.stringValue == ex)
            let queues = try await client.send(.get, "/queues")
            #expect(try queues.json()["queues"] == [["queue": "later", "waiting": 0, "claimed": 1, "oldest_waiting_since": nil, "oldest_waiting_seconds": nil, "workers_seen": 1, "claims_per_second": 0.017]], "\(queues.text)")
        }
    }

    @Test func bodiesAndDefinitionsAreCheckedWithPaths() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let badQueue = try await client.send(.post, "/workflows", body: Self.workflow(queue: "Bad Queue"))
            #expect(badQueue.status == .badRequest)
            #expect(try badQueue.issues().map(\.code) == ["invalid_queue"], "\(badQueue.text)")
            #expect(try badQueue.issues().first?.path == "steps[1].input.queue")
            let badType = try await client.send(.post, "/workflows", body: Self.workflow(outputType: "picture"))
            #expect(try badType.issues().map(\.code) == ["unknown_type"], "\(badType.text)")
            for (body, path) in [(#"{"limit": 0}"#, "limit"), (#"{"limit": 101}"#, "limit"), (#"{"wait": -1}"#, "wait"), (#"{"worker": ""}"#, "worker"), (#"{"workers": "x"}"#, "workers")] {
                let reply = try await client.send(.post, "/queues/resize/claim", body: body)
                #expect(reply.status == .badRequest, "\(body): \(reply.text)")
                #expect(try reply.issues().first?.path == path, "\(body): \(reply.text)")
            }
            let badName = try await client.send(.post, "/queues/Not..Valid/claim", body: "{}")
            #expect(badName.status == .badRequest)
            let unknown = try await client.send(.post, "/queues/resize/tasks/qt_nothing/complete", body: #"{"claim_token": "clm_x", "output": 1}"#)
            #expect(unknown.status == .notFound, "\(unknown.text)")
        }
    }
}
