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

    /// Records what each transaction wrote.
    final class BatchRecordingStore: StoreDecorator, @unchecked Sendable {
        let base: any Store
        let batches = Mutex<[[Mutation]]>([])
        init(_ base: any Store) { self.base = base }
        func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
            batches.withLock { $0.append(mutations) }
            return try await base.apply(mutations)
        }
    }

    /// The attempt's queue row and its log line are written by the commit that starts the
    /// attempt (here the execution's insert), not by a write of their own after it: a worker
    /// can claim the task as soon as the execute is answered, one commit sooner.
    @Test func aTasksQueueRowIsWrittenByTheCommitThatStartsItsAttempt() async throws {
        let store = BatchRecordingStore(try await TestStore.make())
        try await withEngine(store: store) { engine in
            let wf = try await engine.createWorkflow(Self.definition)
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: .object(JSONObject())))
            let task = try await claim(engine)
            #expect(task.executionID == started.executionID && task.attempt == 1)
            let batches = store.batches.withLock { $0 }
            let withRow = try #require(batches.first { $0.contains { if case .enqueue(let q) = $0 { q.id == task.id } else { false } } })
            let starts = withRow.contains { mutation in
                switch mutation {
                case .insertExecution(let d, _): d.execution.id == started.executionID && d.tasks[1].status == .running
                case .transition(let t): t.executionID == started.executionID && t.tasks.contains { $0.index == 1 && $0.status == .running }
                default: false
                }
            }
            #expect(starts, "the row was written apart from the start of its attempt: \(withRow)")
            let logged = withRow.contains { if case .appendLogs(let lines) = $0 { lines.contains { $0.line == "queued in jobs as \(task.id); waiting for a worker" } } else { false } }
            #expect(logged, "the log line was not written with the row")
            let answered = try await engine.answer(taskID: task.id, token: task.claim!.token, result: .output(["text": "done"]))
            guard case .applied = answered else { Issue.record("the answer was refused: \(answered)"); return }
            let detail = try await untilStored(engine, started.executionID) { $0.execution.status.isTerminal }
            #expect(detail.execution.output == ["text": "done"])
        }
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

    /// On the test store (memory, or PostgreSQL in its pass) and on SQLite, whose single writer
    /// is what keeps two claims from taking one task there.
    @Test(arguments: [false, true]) func manyWorkersRacingOnOneQueueNeverHoldOneTaskTwice(onSQLite: Bool) async throws {
        try await withEngine(store: onSQLite ? try temporarySQLite() : nil) { engine in
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

extension WorkerTaskTests {
    /// No queue starves another: workers of a queue with a long backlog claim one task at a
    /// time as fast as they can, and a worker of another queue is still served at once — its
    /// claim is one short write among theirs, not one after their backlog.
    @Test func aQueueWithALongBacklogDoesNotStarveAnother() async throws {
        try await withEngine(store: try temporarySQLite()) { engine in
            let busy = try await engine.createWorkflow(["name": "busy", "steps": [["type": "Worker.Task", "input": ["queue": "busy", "output_type": "json"]]]])
            let quiet = try await engine.createWorkflow(["name": "quiet", "steps": [["type": "Worker.Task", "input": ["queue": "quiet", "output_type": "json"]]]])
            let backlog = 1500
            try await withThrowingTaskGroup(of: Void.self) { group in
                for part in 0..<8 {
                    group.addTask {
                        for _ in stride(from: part, to: backlog, by: 8) {
                            _ = try await engine.startExecution(workflowID: busy.record.id, request: ExecutionRequest(input: .object(JSONObject())))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let taken = Seen()
            let quietTaken = try await withThrowingTaskGroup(of: Int?.self) { group in
                for w in 0..<4 {
                    group.addTask {
                        while !Task.isCancelled {
                            let got = try await engine.claim(queue: "busy", worker: "busy\(w)", namespaces: nil, limit: 1, waitMilliseconds: 0)
                            if got.isEmpty { return nil }
                            taken.ids.withLock { $0 += got.map(\.id) }
                        }
                        return nil
                    }
                }
                // Once the busy workers are under way.
                while taken.ids.withLock({ $0.count }) < 50 { await Task.yield() }
                _ = try await engine.startExecution(workflowID: quiet.record.id, request: ExecutionRequest(input: .object(JSONObject())))
                let got = try await engine.claim(queue: "quiet", worker: "quiet", namespaces: nil, limit: 1, waitMilliseconds: 10_000)
                let busyBefore = taken.ids.withLock { $0.count }
                #expect(got.count == 1, "the quiet queue's task was not claimed")
                group.cancelAll()
                return busyBefore
            }
            #expect(quietTaken < backlog / 2, "the quiet queue's worker was served only after \(quietTaken) of the busy queue's \(backlog) claims")
        }
    }
}

/// The ids the racing workers claimed so far.
final class Seen: Sendable {
    let ids = Mutex<[String]>([])
}
