import Foundation
import SluiceCore
import SluiceEngine
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// `Human.Task` across restarts and on the engine's clock.
@Suite(.testStores, .timeLimit(.minutes(1))) struct HumanTaskEngineTests {
    static func definition(due: JSONValue? = nil) -> JSONValue {
        var input: JSONValue = ["title": "Label it", "form": ["type": "object", "required": ["label"]], "assignees": ["ann"]]
        if let due, case .object(var o) = input {
            o["due_seconds"] = due
            input = .object(o)
        }
        return ["name": "h", "steps": [
            ["type": "StaticTextInput", "input": "photo"],
            ["id": "label", "type": "Human.Task", "input": input],
        ]]
    }

    /// The open human task of the engine's store, once queued.
    func open(_ engine: Engine) async throws -> QueuedTaskRecord {
        for _ in 0..<2000 {
            if let task = try await engine.store.humanTasks(.open, namespaces: nil, after: nil, limit: 1).first { return task }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw CancellationError()
    }

    @Test func aPersonsClaimOutlivesARestartAndTheirAnswerFinishesTheExecution() async throws {
        let store = try temporarySQLite()
        let (executionID, taskID) = try await withEngine(store: store) { engine in
            let wf = try await engine.createWorkflow(Self.definition())
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: .object(JSONObject())))
            let task = try await open(engine)
            #expect(task.human?.title == "Label it")
            #expect(task.input == ["text": "photo"])
            let claimed = try await engine.act(onHumanTask: task.id, .claim(account: "ann", token: Engine.claimToken()))
            guard case .applied = claimed else { Issue.record("not claimed: \(claimed)"); return (started.executionID, task.id) }
            return (started.executionID, task.id)
        }
        try await withEngine(store: try SQLiteStore(path: store.path)) { engine in
            // The same attempt, still ann's: nobody else sees it to claim.
            #expect(try await engine.store.humanTasks(.claimableBy("ann"), namespaces: nil, after: nil, limit: 5).isEmpty)
            #expect(try await engine.store.humanTasks(.heldBy("ann"), namespaces: nil, after: nil, limit: 5).map(\.id) == [taskID])
            var outcome = QueueCallOutcome.notFound
            for _ in 0..<500 {
                outcome = try await engine.act(onHumanTask: taskID, .complete(account: "ann", output: ["json": ["label": "cat"]], token: Engine.claimToken()))
                if case .applied = outcome { break }
                try await Task.sleep(for: .milliseconds(2))
            }
            guard case .applied = outcome else { Issue.record("the answer was refused: \(outcome)"); return }
            let detail = try await untilStored(engine, executionID) { $0.execution.status.isTerminal }
            #expect(detail.execution.status == .completed)
            #expect(detail.tasks[1].output == ["json": ["label": "cat"]])
            #expect(detail.tasks[1].attempt == 1)
        }
    }

    @Test func theDueTimeIsFixedWhenQueuedAndKeptAcrossARestart() async throws {
        let store = try temporarySQLite()
        let clock = ManualClock(now: 1_000_000)
        let (executionID, dueAt) = try await withEngine(store: store, clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.definition(due: 30))
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: .object(JSONObject())))
            let task = try await open(engine)
            return (started.executionID, task.dueAt)
        }
        #expect(dueAt == 1_030_000)
        clock.advance(by: 20_000)
        try await withEngine(store: try SQLiteStore(path: store.path), clock: clock) { engine in
            let task = try await open(engine)
            #expect(task.dueAt == 1_030_000, "a restart gave the task a new due time")
            clock.advance(by: 10_000)
            let detail = try await untilStored(engine, executionID) { $0.execution.status.isTerminal }
            #expect(detail.execution.status == .failed)
            #expect(detail.execution.error?["message"]?.stringValue?.contains("nobody answered by the due time") == true, "\(String(describing: detail.execution.error))")
        }
    }
}
