import Foundation
import Synchronization
import Logging
import SluiceCore
import SluiceEngine
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// `Worker.Task` across restarts: what a worker was told and what it answered is in the store,
/// and a restarted engine goes on from it.
@Suite(.testStores, .timeLimit(.minutes(1))) struct WorkerTaskTests {
    static let definition: JSONValue = ["name": "w", "steps": [
        ["type": "StaticTextInput", "input": "in"],
        ["id": "work", "type": "Worker.Task", "input": ["queue": "jobs", "output_type": "text"]],
        ["type": "Echo"],
    ]]

    /// Claims one task of `queue`, waiting for it to be queued.
    func claim(_ engine: Engine, _ queue: String = "jobs") async throws -> QueuedTaskRecord {
        let claimed = try await engine.claim(queue: queue, worker: "w1", namespaces: nil, limit: 1, waitMilliseconds: 10_000)
        return try #require(claimed.first, "nothing was queued")
    }

    @Test func aClaimMadeBeforeARestartStillHoldsTheTaskAndItsAnswerFinishesTheExecution() async throws {
        let store = try temporarySQLite()
        let (executionID, task) = try await withEngine(store: store) { engine in
            let wf = try await engine.createWorkflow(Self.definition)
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: .object(JSONObject())))
            return (started.executionID, try await claim(engine))
        }
        let token = try #require(task.claim?.token)
        let reopened = try SQLiteStore(path: store.path)
        try await withEngine(store: reopened) { engine in
            // Queued again as the same attempt: the claim is the one made before.
            let nothing = try await engine.claim(queue: "jobs", worker: "w2", namespaces: nil, limit: 1, waitMilliseconds: 0)
            #expect(nothing.isEmpty, "the held task was handed out again after the restart")
            var outcome = QueueCallOutcome.notFound
            for _ in 0..<200 {
                outcome = try await engine.answer(taskID: task.id, token: token, result: .output(["text": "done"]))
                if case .applied = outcome { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            guard case .applied = outcome else { Issue.record("the answer was refused: \(outcome)"); return }
            let detail = try await untilStored(engine, executionID) { $0.execution.status.isTerminal }
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.output == ["text": "done"])
            #expect(detail.tasks[1].attempt == 1, "the task kept its attempt across the restart")
        }
    }

    @Test func anAnswerStoredJustBeforeAStopIsNotLost() async throws {
        let store = try temporarySQLite()
        let executionID = try await withEngine(store: store) { engine in
            let wf = try await engine.createWorkflow(Self.definition)
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: .object(JSONObject())))
            let task = try await claim(engine)
            // Stored without telling the engine: as if the server stopped right after answering.
            let outcome = try await engine.store.answerQueued(id: task.id, token: task.claim!.token, result: .output(["text": "kept"]), now: engine.now())
            if case .applied = outcome {} else { Issue.record("not stored: \(outcome)") }
            return started.executionID
        }
        let reopened = try SQLiteStore(path: store.path)
        try await withEngine(store: reopened) { engine in
            let detail = try await untilStored(engine, executionID) { $0.execution.status.isTerminal }
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.output == ["text": "kept"])
        }
    }

    @Test func manyWorkersRacingOnOneQueueNeverHoldOneTaskTwice() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(Self.definition)
            for _ in 0..<40 {
                _ = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: .object(JSONObject())))
            }
            let seen = Seen()
            let claimed = try await withThrowingTaskGroup(of: [QueuedTaskRecord].self) { group in
                for w in 0..<8 {
                    group.addTask {
                        var mine: [QueuedTaskRecord] = []
                        // Until every task is claimed (bounded, should one never be queued).
                        for _ in 0..<400 where seen.ids.withLock({ $0.count }) < 40 {
                            let got = try await engine.claim(queue: "jobs", worker: "w\(w)", namespaces: nil, limit: 3, waitMilliseconds: 20)
                            seen.ids.withLock { $0 += got.map(\.id) }
                            mine += got
                        }
                        return mine
                    }
                }
                var all: [QueuedTaskRecord] = []
                for try await part in group { all += part }
                return all
            }
            #expect(claimed.count == 40, "every queued task is claimed once")
            #expect(Set(claimed.map(\.id)).count == claimed.count, "a task was claimed twice")
        }
    }
}

/// The ids the racing workers claimed so far.
final class Seen: Sendable {
    let ids = Mutex<[String]>([])
}
