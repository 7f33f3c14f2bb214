import Foundation
import SluiceCore
@testable import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

/// A just-finished execution is read from memory, as the store holds it, and never after it
/// changed again.
@Suite(.testStores) struct FinishedExecutionsTests {
    /// A store that counts reads of executions.
    final class CountingStore: StoreDecorator {
        let base: any Store
        let reads = Mutex(0)
        init(_ base: any Store) { self.base = base }
        func execution(id: String) async throws -> ExecutionDetail? {
            reads.withLock { $0 += 1 }
            return try await base.execution(id: id)
        }
    }

    /// `detail` without the store's own row number, which a read from memory does not have.
    func comparable(_ detail: ExecutionDetail?) -> ExecutionDetail? {
        guard var d = detail else { return nil }
        d.execution.seq = 0
        return d
    }

    @Test func aJustFinishedExecutionIsReadFromMemoryAsTheStoreHoldsIt() async throws {
        let store = CountingStore(try await TestStore.make())
        try await withEngine(store: store) { engine in
            let wf = try await engine.createWorkflow(seed)
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest()).executionID
            let fromMemory = try await engine.execution(id: id)
            #expect(store.reads.withLock { $0 } == 0, "no read of the store")
            #expect(fromMemory?.execution.status == .completed)
            #expect(comparable(fromMemory) == comparable(try await store.base.execution(id: id)))
        }
    }

    @Test func aRetriedExecutionIsNeverAnsweredAsItWasBefore() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "f", "steps": [["type": "Test.Fail"]]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"])).executionID
            #expect(try await engine.execution(id: id)?.tasks[0].attempts.count == 1)
            try await engine.retryExecution(id)
            let again = try await finished(engine, id)
            #expect(again.tasks[0].attempts.count == 2, "the retry's failed attempt joined the first")
            #expect(comparable(try await engine.execution(id: id)) == comparable(again), "not the execution as it was before the retry")
        }
    }

    @Test func aDeletedWorkflowsExecutionsAreForgotten() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(seed)
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest()).executionID
            #expect(try await engine.execution(id: id) != nil)
            try await engine.deleteWorkflow(wf.record.id)
            #expect(try await engine.execution(id: id) == nil)
        }
    }

    @Test func theOldestEntriesLeaveFirst() {
        var cache = FinishedExecutions(capacity: 2)
        func detail(_ id: String) -> ExecutionDetail {
            ExecutionDetail(execution: ExecutionRecord(id: id, workflowID: "wf", input: .null, createdAt: 0), tasks: [])
        }
        cache.insert(detail("a"))
        cache.insert(detail("b"))
        cache.insert(detail("c"))
        #expect(cache.detail("a") == nil && cache.detail("b") != nil && cache.detail("c") != nil)
        #expect(cache.details.count == 2, "bounded")
    }
}
