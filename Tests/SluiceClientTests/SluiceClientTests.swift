import Foundation
import SluiceClient
import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// The client against the real server: every call goes over HTTP to `buildApplication` on a free port.
@Suite(.testStores) struct SluiceClientTests {
    @Test func theSeedWorkflowRunsToItsOutput() async throws {
        try await withLiveServer { sluice in
            #expect(try await sluice.health() == "ok")
            let workflowID = try await sluice.createWorkflow(seedWorkflow)
            #expect(workflowID.hasPrefix("wf-"))
            let started = try await sluice.execute(workflowID)
            #expect(started.executionID.hasPrefix("ex-") && !started.replayed && started.webhookSecret == nil)
            let execution = try await sluice.waitForCompletion(workflowID: workflowID, executionID: started.executionID, timeout: .seconds(10))
            #expect(execution.status == .completed)
            #expect(execution.output == ["text": "!dlrow ,olleH"])
            #expect(execution.tasks.map(\.status) == [.completed, .completed, .completed])
            #expect(execution.tasks.map(\.type) == ["StaticTextInput", "TextOperation.Reverse", "Echo"])
            #expect(execution.task("step-2")?.output == ["text": "!dlrow ,olleH"])
            #expect(execution.completedTasks == 3 && execution.totalTasks == 3 && execution.workflowVersion == 1)
            #expect(execution.completedAt != nil && execution.error == nil)
        }
    }

    @Test func workflowsVersionsAndStepTypesAreRead() async throws {
        try await withLiveServer { sluice in
            let id = try await sluice.createWorkflow(json: Array(seedWorkflow.jsonString.utf8))
            let workflow = try await sluice.workflow(id)
            #expect(workflow.id == id && workflow.version == 1 && workflow.name == "Dummy Workflow")
            #expect(workflow.steps?.count == 3 && workflow.tasks == nil && workflow.updatedAt != nil)
            #expect(workflow.graph.tasks.map(\.type) == ["StaticTextInput", "TextOperation.Reverse", "Echo"])
            var shout = seedWorkflow
            if case .object(var o) = shout { o["name"] = "Shout"; o["timeout_seconds"] = 120; shout = .object(o) }
            #expect(workflow.timeoutSeconds == nil)
            #expect(try await sluice.updateWorkflow(id, definition: shout, ifMatch: 1) == 2)
            let second = try await sluice.workflow(id)
            #expect(second.timeoutSeconds == 120 && second.definition == shout, "the definition as sent, to edit and store again")
            let stale = try await problem { _ = try await sluice.updateWorkflow(id, definition: shout, ifMatch: 1) }
            #expect(stale.status == 412 && stale.type == "urn:sluice:problem:precondition-failed")
            #expect(try await sluice.workflow(id).name == "Shout")
            let first = try await sluice.workflow(id, version: 1)
            #expect(first.version == 1 && first.name == "Dummy Workflow" && first.updatedAt == nil)
            let versions = try await sluice.listWorkflowVersions(id)
            #expect(versions.items.map(\.version) == [2, 1] && versions.nextCursor == nil)
            let types = try await sluice.stepTypes()
            #expect(types.contains { $0.name == "Echo" && $0.isOutput })
            #expect(types.first { $0.name == "StaticTextInput" }?.parametersRequired == true)
        }
    }

    @Test func aValidationErrorIsAProblemWithThePathsOfItsIssues() async throws {
        try await withLiveServer { sluice in
            let invalid: JSONValue = ["name": "bad", "steps": [["type": "TextOperation.Length"], ["type": "Nope"]]]
            let p = try await problem { _ = try await sluice.createWorkflow(invalid) }
            #expect(p.status == 400 && p.type == "urn:sluice:problem:validation")
            #expect(p.errors.contains { $0.path == "steps[1].type" && $0.code == "unknown_step_type" })
            #expect(p.instance == "/workflows")
            #expect(SluiceClientError.problem(p).description.contains("steps[1].type"))
            // The execution input is checked too, with paths under `input.`.
            let reverse = try await sluice.createWorkflow(["name": "r", "steps": [["type": "TextOperation.Reverse"], ["type": "Echo"]]])
            let input = try await problem { _ = try await sluice.execute(reverse, input: [:]) }
            #expect(input.errors.map(\.path) == ["input.text"] && input.errors.first?.code == "required")
        }
    }

    @Test func anUnknownResourceIsAProblemWithStatus404() async throws {
        try await withLiveServer { sluice in
            let p = try await problem { _ = try await sluice.workflow("wf-nothere1") }
            #expect(p.status == 404 && p.type == "urn:sluice:problem:not-found" && p.errors.isEmpty)
            let id = try await sluice.createWorkflow(seedWorkflow)
            let e = try await problem { _ = try await sluice.execution(workflowID: id, executionID: "ex-nothere1") }
            #expect(e.status == 404)
            do {
                _ = try await sluice.cancel(workflowID: id, executionID: "ex-nothere1")
                Issue.record("cancel of an unknown execution succeeded")
            } catch let error as SluiceClientError {
                #expect(error.status == 404)
                #expect(error.description.hasPrefix("404 Not found: "))
            }
        }
    }

    @Test func listsArePagedWithTheirNextCursor() async throws {
        try await withLiveServer { sluice in
            var created: [String] = []
            for _ in 0..<3 { created.append(try await sluice.createWorkflow(seedWorkflow)) }
            let first = try await sluice.listWorkflows(limit: 2)
            #expect(first.items.count == 2 && first.hasMore)
            let second = try await sluice.listWorkflows(limit: 2, cursor: first.nextCursor)
            #expect(second.items.count == 1 && !second.hasMore)
            #expect((first.items + second.items).map(\.id) == created.reversed(), "newest first, each once")

            let wf = created[0]
            var executions: [String] = []
            for _ in 0..<3 {
                let id = try await sluice.execute(wf).executionID
                _ = try await sluice.waitForCompletion(workflowID: wf, executionID: id, timeout: .seconds(10))
                executions.append(id)
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await sluice.listExecutions(workflowID: wf, status: .completed, limit: 2, cursor: cursor)
                seen += page.items.map(\.id)
                #expect(page.items.allSatisfy { $0.status == .completed })
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == executions.reversed())
            #expect(try await sluice.listExecutions(workflowID: wf, status: .running).items.isEmpty)
        }
    }

    @Test func aRunningExecutionIsCancelledAndCanBeRetriedAndRerun() async throws {
        try await withLiveServer { sluice in
            let wf = try await sluice.createWorkflow(delayedWorkflow)
            let started = try await sluice.execute(wf, input: ["text": "hi"], idempotencyKey: "once")
            let replay = try await sluice.execute(wf, input: ["text": "hi"], idempotencyKey: "once")
            #expect(replay.executionID == started.executionID && replay.replayed)
            let running = try await sluice.execution(workflowID: wf, executionID: started.executionID, wait: .milliseconds(200))
            #expect(running.status == .running && running.tasks.first?.wakesAt != nil)
            let timedOut = try await {
                do {
                    _ = try await sluice.waitForCompletion(workflowID: wf, executionID: started.executionID, timeout: .milliseconds(300))
                    return false
                } catch SluiceClientError.timedOut(let last) {
                    return last.status == .running
                }
            }()
            #expect(timedOut, "waiting gives up with the execution as last seen")
            let cancelled = try await sluice.cancel(workflowID: wf, executionID: started.executionID)
            #expect(cancelled.status == .cancelled && cancelled.tasks.map(\.status) == [.cancelled, .cancelled])
            #expect(cancelled.error?.message == "the execution was cancelled")
            let done = try await sluice.waitForCompletion(workflowID: wf, executionID: started.executionID, timeout: .seconds(5))
            #expect(done.status == .cancelled)
            let retried = try await sluice.retry(workflowID: wf, executionID: started.executionID)
            #expect(retried.executionID == started.executionID)
            #expect(try await sluice.cancel(workflowID: wf, executionID: started.executionID).status == .cancelled)
            let rerun = try await sluice.rerun(workflowID: wf, executionID: started.executionID, fromTask: "step-1")
            #expect(rerun.executionID != started.executionID)
            #expect(try await sluice.cancel(workflowID: wf, executionID: rerun.executionID).status == .cancelled)
            let conflict = try await problem { _ = try await sluice.retry(workflowID: wf, executionID: "ex-nothere1") }
            #expect(conflict.status == 404)
        }
    }

    @Test func taskLogsArePagedAndFollowedToTheTasksEnd() async throws {
        try await withLiveServer { sluice in
            let wf = try await sluice.createWorkflow(["name": "d", "steps": [["type": "Delay", "input": ["seconds": 0.3]], ["type": "Echo"]]])
            let ex = try await sluice.execute(wf).executionID
            var followed: [LogLine] = []
            for try await line in sluice.followLogs(workflowID: wf, executionID: ex, taskID: "step-1") { followed.append(line) }
            let execution = try await sluice.execution(workflowID: wf, executionID: ex)
            #expect(execution.tasks.first?.status == .completed, "the stream ended only when the task had finished")
            let page = try await sluice.taskLogs(workflowID: wf, executionID: ex, taskID: "step-1")
            #expect(page.stepID == "step-1" && page.status == .completed)
            #expect(page.lines == followed, "the stream holds what the page holds")
            #expect(followed.map(\.seq) == followed.map(\.seq).sorted())
        }
    }

    @Test func eventsAreListedAndStreamedUntilTheExecutionCompletes() async throws {
        try await withLiveServer { sluice in
            let wf = try await sluice.createWorkflow(["name": "wait", "steps": [["type": "StaticTextInput", "input": "x"], ["type": "Delay", "input": ["seconds": 0.3]], ["type": "Echo"]]])
            let ex = try await sluice.execute(wf).executionID
            // Read live while it runs.
            var streamed: [Event] = []
            for try await event in sluice.streamEvents(workflowID: wf, executionID: ex) { streamed.append(event) }
            #expect(streamed.first?.type == "execution.pending")
            #expect(streamed.last?.type == "execution.completed")
            #expect(streamed.last?.data["output"] == ["text": "x"])
            #expect(streamed.allSatisfy { $0.executionID == ex })
            let listed = try await sluice.events(workflowID: wf, executionID: ex)
            #expect(listed.events == streamed && !listed.hasMore && listed.lastEventID == streamed.last?.id)
            // Resuming after an event gives the rest, nothing twice.
            var resumed: [Event] = []
            for try await event in sluice.streamEvents(workflowID: wf, executionID: ex, lastEventID: streamed[1].id) { resumed.append(event) }
            #expect(resumed == Array(streamed[2...]))
            let page = try await sluice.events(workflowID: wf, executionID: ex, after: streamed[0].id, limit: 2)
            #expect(page.events == Array(streamed[1...2]) && page.hasMore)
            let all = try await sluice.allEvents(workflowID: wf)
            #expect(all.events.map(\.id) == streamed.map(\.id))
            // streamAllEvents never ends: not read here, since the server notices a client that
            // stopped reading only at its next write (the 15 s keep-alive), which holds up the
            // server's shutdown at the end of the test by that long.
        }
    }

    @Test func webhookSubscriptionsAreManaged() async throws {
        try await withLiveServer { sluice in
            let wf = try await sluice.createWorkflow(seedWorkflow)
            let created = try await sluice.createWebhook(workflowID: wf, url: "https://hooks.example.com/sluice", eventTypes: ["execution.completed"], description: "done")
            #expect(created.secret?.hasPrefix("whsec_") == true && created.isActive)
            #expect(created.eventTypes == ["execution.completed"] && created.description == "done")
            let listed = try await sluice.listWebhooks(workflowID: wf)
            #expect(listed.map(\.id) == [created.id] && listed.first?.secret == nil)
            #expect(try await sluice.webhook(workflowID: wf, webhookID: created.id).url == "https://hooks.example.com/sluice")
            let rotated = try await sluice.rotateWebhookSecret(workflowID: wf, webhookID: created.id)
            #expect(rotated.webhookID == created.id && rotated.secret != created.secret && rotated.previousSecretExpiresAt > Date())
            try await sluice.deleteWebhook(workflowID: wf, webhookID: created.id)
            #expect(try await sluice.listWebhooks(workflowID: wf).isEmpty)
            let refused = try await problem { _ = try await sluice.createWebhook(workflowID: wf, url: "http://127.0.0.1/hook") }
            #expect(refused.errors.first?.path == "url")
            // An execution with its own webhook URL gets a secret once.
            let started = try await sluice.execute(wf, webhookURL: "https://hooks.example.com/ex")
            #expect(started.webhookSecret?.hasPrefix("whsec_") == true)
            let deliveries = try await sluice.listDeliveries(workflowID: wf, executionID: started.executionID)
            #expect(deliveries.items.allSatisfy { $0.url == "https://hooks.example.com/ex" })
            let missing = try await problem { _ = try await sluice.resendDelivery(workflowID: wf, executionID: started.executionID, deliveryID: "dlv-nothere1") }
            #expect(missing.status == 404)
        }
    }

    @Test func validateChecksLikeCreateWithoutStoring() async throws {
        try await withLiveServer { sluice in
            let checked = try await sluice.validateWorkflow(seedWorkflow)
            #expect(checked.name == "Dummy Workflow")
            #expect(checked.graph.tasks.map(\.type) == ["StaticTextInput", "TextOperation.Reverse", "Echo"])
            let bad: JSONValue = ["name": "bad", "steps": [["type": "TextOperation.Length"], ["type": "TextOperation.Reverse"]]]
            let validated = try await problem { _ = try await sluice.validateWorkflow(bad) }
            let created = try await problem { _ = try await sluice.createWorkflow(bad) }
            #expect(validated.status == 400)
            #expect(validated.errors == created.errors)
            #expect(try await sluice.listWorkflows().items.isEmpty, "validate stored nothing")
        }
    }

    @Test func anExecutionIsFoundByItsIDAloneAndAWorkflowIsDeleted() async throws {
        try await withLiveServer { sluice in
            let wf = try await sluice.createWorkflow(seedWorkflow)
            let started = try await sluice.execute(wf)
            let byID = try await sluice.execution(id: started.executionID, wait: .seconds(10))
            #expect(byID.status == .completed)
            #expect(byID.workflowID == wf)
            #expect(byID.json == (try await sluice.execution(workflowID: wf, executionID: started.executionID)).json)
            try await sluice.deleteWorkflow(wf)
            #expect(try await problem { _ = try await sluice.workflow(wf) }.status == 404)
            #expect(try await problem { _ = try await sluice.execution(id: started.executionID) }.status == 404)
            #expect(try await problem { try await sluice.deleteWorkflow(wf) }.status == 404)
        }
    }

    @Test func aClosedPortIsUnreachable() async throws {
        let sluice = SluiceClient(baseURL: URL(string: "http://127.0.0.1:1")!, requestTimeout: .seconds(2))
        do {
            _ = try await sluice.health()
            Issue.record("a request to a closed port succeeded")
        } catch SluiceClientError.unreachable(let underlying) {
            #expect(SluiceClientError.unreachable(underlying).description.contains("could not reach"))
        }
    }
}

/// The worker side of `Worker.Task` in the client: `tasks(queue:)` claims and keeps each task
/// held with heartbeats until it is answered.
@Suite(.testStores) struct WorkerClientTests {
    static let definition: JSONValue = ["name": "work", "steps": [
        ["type": "StaticTextInput", "input": "four words in here"],
        ["id": "count", "type": "Worker.Task", "input": ["queue": "client-words", "output_type": "number", "lease_seconds": 2]],
        ["type": "Echo"],
    ]]

    @Test func aHeldTaskOutlivesItsLeaseThroughHeartbeatsAndItsAnswerFinishesTheExecution() async throws {
        // The engine's time moves only when the test moves it, so a loaded machine cannot make
        // the lease run out between two heartbeats (CI once saw exactly that on real time).
        let clock = ManualClock()
        try await withLiveServer(clock: clock) { sluice in
            let workflowID = try await sluice.createWorkflow(Self.definition)
            let started = try await sluice.execute(workflowID)
            var iterator = sluice.tasks(queue: "client-words", worker: "swift", wait: .seconds(10)).makeAsyncIterator()
            let held = try #require(try await iterator.next())
            #expect(held.task.input == ["text": "four words in here"])
            #expect(held.task.outputType == "number" && held.task.leaseSeconds == 2 && held.task.attempt == 1)
            // Four heartbeats (each carries a line; the line in the log means it went through),
            // and after each the engine's clock moves 1.5 s: 6 s in all, three times the 2 s
            // lease, which only the heartbeats kept extending (without them the lease runs out
            // at 2 s, the attempt fails and the answer below is refused).
            for n in 1...4 {
                held.log("step \(n)")
                held.progress(Double(n) / 4)
                var seen = false
                for _ in 0..<1000 where !seen {
                    let logs = try await sluice.taskLogs(workflowID: workflowID, executionID: started.executionID, taskID: "count")
                    seen = logs.lines.contains { $0.line == "step \(n)" && $0.source == "worker" }
                        && logs.lines.contains { $0.line == "progress \(n * 25)%" && $0.source == "worker" }
                    if !seen { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(seen, "heartbeat \(n) did not carry its line and its progress")
                clock.advance(by: 1_500)
            }
            #expect(held.isLost == nil)
            let words = held.task.input["text"]?.stringValue?.split(separator: " ").count ?? 0
            try await held.complete(output: .number(Double(words)))
            let done = try await sluice.waitForCompletion(workflowID: workflowID, executionID: started.executionID, timeout: .seconds(10))
            #expect(done.status == .completed)
            #expect(done.output == ["number": 4])
            let queues = try await sluice.queues()
            #expect(queues.map(\.queue) == ["client-words"])
            #expect(queues.first?.waiting == 0 && queues.first?.claimed == 0 && queues.first?.workersSeen == 1, "\(queues)")
        }
    }
}
