import Foundation
import Logging
import SluiceCore
@testable import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

@Suite(.testStores) struct RecoveryTests {
    /// Stores an execution as a crash would have left it: the first task completed, the second
    /// RUNNING, the third PENDING.
    func interruptedExecution(store: any Store, workflowID: String) async throws -> String {
        let detail = ExecutionDetail(
            execution: ExecutionRecord(id: "ex-crashed1", workflowID: workflowID, status: .running, input: [:], createdAt: 1, startedAt: 2),
            tasks: [
                TaskRecord(index: 0, taskID: "task-aaaaaaaa", stepID: "step-1", type: "StaticTextInput", status: .completed, input: ["text": "abc"], output: ["text": "abc"], startedAt: 2, completedAt: 3),
                TaskRecord(index: 1, taskID: "task-bbbbbbbb", stepID: "step-2", type: "TextOperation.Reverse", status: .running, startedAt: 4),
                TaskRecord(index: 2, taskID: "task-cccccccc", stepID: "step-3", type: "Echo"),
            ]
        )
        #expect(try await store.apply([.insertExecution(detail)]) == [.applied])
        return detail.execution.id
    }

    @Test func unfinishedExecutionsResumeOnStartKeepingCompletedOutputs() async throws {
        let store = try await durableStore()
        let workflowID = try await withEngine(store: store) { engine in
            try await engine.createWorkflow(["name": "s", "steps": [["type": "StaticTextInput", "input": "abc"], ["type": "TextOperation.Reverse"], ["type": "Echo"]]]).record.id
        }
        let id = try await interruptedExecution(store: store, workflowID: workflowID)
        try await withEngine(store: store) { engine in
            let detail = try await finished(engine, id)
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.output == ["text": "cba"])
            #expect(detail.tasks[0].completedAt == 3, "a completed task is not run again")
            #expect(detail.tasks[1].status == .completed, "the interrupted task ran again")
        }
    }

    /// A store whose first commits fail, as a full disk would. Over a MemoryStore whatever
    /// `SLUICE_TEST_STORE` says: the failures are made up here, the store behind them does not matter.
    final class FlakyStore: StoreDecorator, @unchecked Sendable {
        struct DiskFull: Error {}
        let inner = MemoryStore()
        var base: any Store { inner }
        let lock = NSLock()
        var failTransitions: Int

        init(failTransitions: Int) { self.failTransitions = failTransitions }

        func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
            let fail = lock.withLock { () -> Bool in
                guard mutations.contains(where: { if case .transition = $0 { return true } else { return false } }), failTransitions > 0 else { return false }
                failTransitions -= 1
                return true
            }
            if fail { throw DiskFull() }
            return try await inner.apply(mutations)
        }
    }

    @Test func aTransitionThatFailsToCommitIsRetriedFromTheStore() async throws {
        let store = FlakyStore(failTransitions: 2)
        try await withEngine(store: store, configuration: .init(commitRetryDelay: .milliseconds(20))) { engine in
            // A step with I/O: the execution is stored with its pure first step done, and the
            // transitions that start and end the second one are written after.
            let wf = try await engine.createWorkflow(["name": "io", "steps": [
                ["type": "StaticTextInput", "input": "Hello, world!"], ["type": "Test.SlowUpper"], ["type": "TextOperation.Reverse"],
            ]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest())
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.output == ["text": "!DLROW ,OLLEH"])
            #expect(store.lock.withLock { store.failTransitions } == 0)
        }
    }
}
