import Foundation
import Logging
import SluiceCore
@testable import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

@Suite(.testStores) struct EngineTests {
    @Test func runsTheSeedWorkflowToCompletion() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(seed)
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest())
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.output == ["text": "!dlrow ,olleH"])
            #expect(detail.tasks.map(\.status) == [.completed, .completed, .completed])
            #expect(detail.tasks.map(\.output) == [["text": "Hello, world!"], ["text": "!dlrow ,olleH"], ["text": "!dlrow ,olleH"]])
            #expect(detail.execution.startedAt != nil && detail.execution.completedAt != nil)
            #expect(detail.tasks.allSatisfy { $0.startedAt != nil && $0.completedAt != nil })
            #expect(engine.activeExecutionCount == 0)
        }
    }

    @Test func aFailingTaskFailsTheExecutionAndSkipsItsDependants() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "f", "tasks": [
                ["id": "a", "type": "Test.Fail"], ["id": "b", "type": "Echo", "depends_on": ["a"]],
                ["id": "c", "type": "TextOperation.Uppercase"],
            ]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .failed)
            #expect(detail.tasks.map(\.status) == [.failed, .skipped, .completed])
            #expect(detail.tasks[0].error?["message"] == "this step always fails")
            #expect(detail.execution.error?["message"]?.stringValue == "task \"a\" (Test.Fail) failed: this step always fails")
            #expect(detail.tasks[2].output == ["text": "HI"], "the independent branch still ran")
        }
    }

    @Test func invalidInputIsRejectedAndNothingIsRecorded() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "r", "steps": [["type": "TextOperation.Reverse"]]])
            await #expect {
                _ = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": 5]))
            } throws: { error in
                guard case EngineError.invalid(let f) = error else { return false }
                return f.issues.map(\.path) == ["input.text"]
            }
            #expect(try await engine.store.executions(workflowID: wf.record.id, status: nil, limit: 10, before: nil).items.isEmpty)
        }
    }

    @Test func unknownWorkflowIsNotFound() async throws {
        try await withEngine { engine in
            await #expect {
                _ = try await engine.startExecution(workflowID: "wf-missing0", request: ExecutionRequest())
            } throws: { error in
                if case EngineError.workflowNotFound("wf-missing0") = error { return true }
                return false
            }
        }
    }

    @Test func anIdempotencyKeyReturnsTheSameExecution() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(seed)
            let a = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(), idempotencyKey: "k1")
            let b = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(), idempotencyKey: "k1")
            let c = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(), idempotencyKey: "k2")
            #expect(a.executionID == b.executionID)
            #expect(!a.replayed && b.replayed)
            #expect(c.executionID != a.executionID)
        }
    }

    /// On MemoryStore and SQLite whatever `SLUICE_TEST_STORE` says: 500 executions must each
    /// finish within `finished`'s 10 s, and on PostgreSQL on a loaded 2-core machine (load 11)
    /// two of them were still PENDING once. Open question whether that is throughput alone or
    /// a lost wake-up; see the pgtests report.
    @Test(arguments: ["memory", "sqlite"])
    func manyConcurrentExecutionsAllCompleteWithTheirOwnOutputs(driver: String) async throws {
        let store: any Store = driver == "memory" ? MemoryStore() : try temporarySQLite()
        try await withEngine(store: store) { engine in
            let wf = try await engine.createWorkflow(["name": "u", "steps": [["type": "TextOperation.Uppercase"], ["type": "TextOperation.Reverse"], ["type": "Echo"]]])
            let ids = try await withThrowingTaskGroup(of: (String, String).self) { group in
                for i in 0..<500 {
                    group.addTask {
                        let s = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": .string("item \(i)")]))
                        return (s.executionID, String("ITEM \(i)".reversed()))
                    }
                }
                var all: [(String, String)] = []
                for try await pair in group { all.append(pair) }
                return all
            }
            #expect(Set(ids.map(\.0)).count == 500)
            for (id, expected) in ids {
                let detail = try await finished(engine, id)
                #expect(detail.execution.status == .completed)
                #expect(detail.execution.output == ["text": .string(expected)])
            }
        }
    }

    @Test func waitingReturnsAfterTheTimeoutForAnUnknownOrRunningExecution() async throws {
        try await withEngine { engine in
            let start = ContinuousClock.now
            await engine.waitUntilFinished(executionID: "ex-unknown0", timeout: .seconds(5))
            #expect(ContinuousClock.now - start < .seconds(4), "an execution the engine is not running needs no wait")
        }
    }
}

/// A store whose commits wait until the test opens the gate.
final class GatedStore: StoreDecorator, @unchecked Sendable {
    let base: any Store = MemoryStore()
    let lock = NSLock()
    var continuations: [CheckedContinuation<Void, Never>] = []
    var open = false

    func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if open { return true }
                continuations.append(c)
                return false
            }
            if now { c.resume() }
        }
        return try await base.apply(mutations)
    }

    var waiting: Int { lock.withLock { continuations.count } }

    func release() {
        let all = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            open = true
            defer { continuations = [] }
            return continuations
        }
        for c in all { c.resume() }
    }
}

@Suite struct CancelRaceTests {
    /// A cancel that comes while the execution's finishing write is being committed answers what
    /// that write says (a conflict: it completed), not "being recovered, try again".
    @Test(.timeLimit(.minutes(1))) func aCancelWhileTheFinishingWriteCommitsAnswersItsOutcome() async throws {
        let store = GatedStore()
        store.release()
        let clock = ManualClock()
        try await withEngine(store: store, clock: clock) { engine in
            let wf = try await engine.createWorkflow(["name": "d", "steps": [["type": "StaticTextInput", "input": "x"], ["type": "Delay", "input": ["seconds": 1]], ["type": "Echo"]]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest()).executionID
            store.lock.withLock { store.open = false }
            clock.advance(by: 1_000)
            // The Delay's end, which finishes the execution, is held by the store.
            while store.waiting < 1 { await Task.yield() }
            let cancel = Task { try await engine.cancelExecution(id) }
            // A wrong answer comes at once; the right one waits for the write.
            try await Task.sleep(for: .milliseconds(200))
            store.release()
            do {
                let detail = try await cancel.value
                Issue.record("the cancel succeeded on a completed execution: \(detail.execution.status)")
            } catch let error as EngineError {
                guard case .conflict = error else { Issue.record("expected a conflict (it completed), got \(error)"); return }
            }
        }
    }
}

@Suite struct EngineLimitTests {
    @Test(.timeLimit(.minutes(1))) func aStoreBehindOnItsWritesRefusesNewExecutionsUntilItCatchesUp() async throws {
        let store = GatedStore()
        store.release()
        try await withEngine(store: store, configuration: .init(limits: .init(maxQueuedWrites: 1))) { engine in
            let wf = try await engine.createWorkflow(seed)
            store.lock.withLock { store.open = false }
            // The first write is in flight (held by the store), the second queued behind it.
            async let first = engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest())
            while store.waiting < 1 { await Task.yield() }
            async let second = engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest())
            while engine.committer.queuedMutations < 1 { await Task.yield() }
            await #expect(throws: EngineError.self) { try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest()) }
            store.release()
            _ = try await (first, second)
            _ = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest())
        }
    }
}

@Suite struct CommitterIdleTests {
    @Test(.timeLimit(.minutes(1))) func waitUntilIdleReturnsWhenTheLastCommitEndsAndNotBefore() async throws {
        let store = GatedStore()
        let committer = GroupCommitter(store: store)
        let done = Mutex(false)
        committer.submit([.insertWorkflow(WorkflowRecord(id: "wf-1", name: "w", description: nil, definition: ["steps": []], createdAt: 0))]) { _ in done.withLock { $0 = true } }
        let waiting = Task { await committer.waitUntilIdle(limit: .seconds(60)); return done.withLock { $0 } }
        while store.waiting < 1 { await Task.yield() }
        for _ in 0..<100 { await Task.yield() }
        #expect(!committer.isIdle, "the commit is held by the store")
        store.release()
        #expect(await waiting.value, "it returned once the commit ended, after its completion ran")
        await committer.waitUntilIdle()  // idle already: at once
    }
}
