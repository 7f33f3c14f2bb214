import Foundation
import Synchronization
import SluiceCore
@testable import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

/// Steps waiting only for a notice (a person's or an outside worker's answer) hold no task
/// while they wait: they park, and run on from where they were when the answer comes.
@Suite(.testStores, .timeLimit(.minutes(1))) struct ParkedStepTests {
    static func humanTask(timeout: Double? = nil) -> JSONValue {
        var step = JSONObject()
        step.append("id", "label")
        step.append("type", "Human.Task")
        step.append("input", ["title": "Label it", "form": ["type": "object", "required": ["label"]]])
        if let timeout { step.append("timeout_seconds", .number(timeout)) }
        return ["name": "h", "steps": [["type": "StaticTextInput", "input": "photo"], .object(step)]]
    }

    /// Waits (briefly, a few ms at a time) until `condition` holds.
    func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<2500 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("never: \(what)")
    }

    @Test func aHumanTaskWaitingForItsAnswerHoldsNoTaskAndTheAnswerFinishesTheExecution() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(Self.humanTask()).record.id
            let id = try await engine.startExecution(workflowID: wf, request: ExecutionRequest(input: .object(JSONObject()))).executionID
            try await until("the step parks") { engine.parkedStepCount == 1 }
            #expect(engine.state.withLock { $0.running.isEmpty }, "no task runs for it")
            #expect(engine.taskSignals.parkedCount == 1)
            let task = try #require(try await engine.store.unansweredQueuedTasks(executionID: id).first)
            // A claim is a notice too: the step runs, sees a person's claim (no lease), parks again.
            _ = try await engine.act(onHumanTask: task.id, .claim(account: "ann", token: Engine.claimToken()))
            try await until("it parks again after the claim") { engine.parkedStepCount == 1 && engine.state.withLock { $0.running.isEmpty } }
            _ = try await engine.act(onHumanTask: task.id, .complete(account: "ann", output: ["json": ["label": "cat"]], token: Engine.claimToken()))
            let done = try await finished(engine, id)
            #expect(done.execution.status == .completed)
            #expect(done.tasks[1].output == ["json": ["label": "cat"]])
            #expect(done.tasks[1].attempt == 1, "the same attempt, resumed")
            #expect(engine.parkedStepCount == 0)
            #expect(engine.taskSignals.parkedCount == 0)
        }
    }

    @Test func aCancelForgetsAParkedStep() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(Self.humanTask()).record.id
            let id = try await engine.startExecution(workflowID: wf, request: ExecutionRequest(input: .object(JSONObject()))).executionID
            try await until("the step parks") { engine.parkedStepCount == 1 }
            _ = try await engine.cancelExecution(id)
            let done = try await finished(engine, id)
            #expect(done.execution.status == .cancelled)
            #expect(engine.parkedStepCount == 0, "the parked step is forgotten")
            #expect(engine.taskSignals.parkedCount == 0, "and its wait for a notice too")
        }
    }

    @Test func aStepWithATimeoutWaitsOnItsTaskWithoutParking() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(Self.humanTask(timeout: 600)).record.id
            let id = try await engine.startExecution(workflowID: wf, request: ExecutionRequest(input: .object(JSONObject()))).executionID
            try await until("the task is queued and waited on") {
                try await !engine.store.unansweredQueuedTasks(executionID: id).isEmpty && engine.state.withLock { !$0.running.isEmpty }
            }
            #expect(engine.parkedStepCount == 0, "its timer races its task")
        }
    }

    @Test func anItemWaitsParkedInEachPoolAndLogsEachAnswerOnce() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(AnnotationItemEngineTests.definition).record.id
            let id = try await engine.startExecution(workflowID: wf, request: ExecutionRequest(input: ["item_id": 1, "item_number": 0, "data": "a photo"])).executionID
            try await until("the item parks in the labeling pool") { engine.parkedStepCount == 1 }
            let label = try #require(try await engine.store.unansweredQueuedTasks(executionID: id).first)
            _ = try await engine.act(onHumanTask: label.id, .complete(account: "ann", output: ["json": ["label": "cat"]], token: Engine.claimToken()))
            try await until("it parks again in the review pool") {
                let phase = try await engine.store.unansweredQueuedTasks(executionID: id).first?.phase
                return engine.parkedStepCount == 1 && phase == 1
            }
            let review = try #require(try await engine.store.unansweredQueuedTasks(executionID: id).first)
            _ = try await engine.act(onHumanTask: review.id, .complete(account: "rev", output: ["json": ["approved": true]], token: Engine.claimToken()))
            let done = try await finished(engine, id)
            #expect(done.execution.output?["json"]?["annotation"] == ["label": "cat"])
            let lines = try await engine.store.logs(executionID: id, index: 0, after: 0, limit: 100).map(\.line)
            #expect(lines.filter { $0.hasPrefix("Label: labeled by") }.count == 1, "\(lines)")
            #expect(lines.filter { $0.hasPrefix("Review: approved by") }.count == 1, "\(lines)")
            #expect(lines.filter { $0.contains("waiting for") }.count == 2, "each pool's wait logged once: \(lines)")
            #expect(try await engine.store.queuedTasks(executionID: id).map(\.phase) == [0, 1], "nothing queued twice")
        }
    }

    /// The mailbox side: a notice since the ticket's last read keeps it from parking (the
    /// caller reads again); a parked wait's call comes once; a removed one never.
    @Test func aNoticeBeforeParkingKeepsTheWaitAwakeAndAParkedWaitIsCalledOnce() {
        let mailbox = Mailbox()
        let early = mailbox.register("e1")
        mailbox.notify("e1")
        #expect(!mailbox.park(early) { _ in }, "notified since it registered")
        mailbox.remove(early)

        let calls = Mutex(0)
        let ticket = mailbox.register("e1")
        #expect(mailbox.park(ticket) { _ in calls.withLock { $0 += 1 } })
        #expect(mailbox.parkedCount == 1)
        mailbox.notify("e2")
        #expect(calls.withLock { $0 } == 0, "another key's notice")
        mailbox.notify("e1")
        mailbox.notify("e1")
        #expect(calls.withLock { $0 } == 1, "called once")
        #expect(mailbox.parkedCount == 0)

        let removed = mailbox.register("e3")
        #expect(mailbox.park(removed) { _ in calls.withLock { $0 += 1 } })
        mailbox.remove(removed)
        mailbox.notify("e3")
        #expect(calls.withLock { $0 } == 1, "a removed wait is never called")
    }
}
