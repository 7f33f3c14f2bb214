import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// `purgeFinished`: retention's deletes, the same on every driver.
@Suite(.postgresSchemas) struct StoreRetentionConformanceTests {
    func finish(_ id: String, at t: Int64 = 7, status: ExecutionStatus = .completed) -> Mutation {
        .transition(ExecutionTransition(executionID: id, tasks: [
            TaskChange(index: 0, expected: [.pending], status: .completed, output: ["text": "x"], startedAt: t - 1, completedAt: t, attempt: 1),
        ], execution: ExecutionChange(status: status, output: ["text": "x"], startedAt: t - 1, completedAt: t)))
    }

    func fanOutEverything(_ store: any Store, deliveries: [DeliveryRecord] = []) async throws {
        let outcome = try await store.applyRecording([.fanOut(after: try await store.fanOutCursor(), through: try await store.lastEventSeq(), deliveries: deliveries)])
        #expect(outcome == [.applied])
    }

    func purge(_ store: any Store, before: Int64? = nil, keepLast: Int? = nil, after: Int64 = 0, window: Int = 100, limit: Int = 100) async throws -> PurgeResult {
        try await store.purgeFinished(workflowID: "wf-1", completedBefore: before, keepLast: keepLast, after: after, window: window, limit: limit)
    }

    @Test(arguments: Driver.allCases)
    func aFinishedExecutionPastItsTimeGoesWithEverythingOfItAndNothingElseDoes(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([
            .insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2")),
            .insertExecution(execution("ex-old", key: "k", tasks: 1)), .insertExecution(execution("ex-new", tasks: 1)),
            .insertExecution(execution("ex-running", tasks: 1)), .insertExecution(execution("ex-other", workflow: "wf-2", tasks: 1)),
        ])
        _ = try await store.applyRecording([
            finish("ex-old", at: 7), finish("ex-new", at: 50), finish("ex-other", at: 7),
            .appendLogs([TaskLogLine(executionID: "ex-old", index: 0, at: 6, attempt: 1, source: "step", line: "one")]),
        ])
        try await fanOutEverything(store)
        let lastSeq = try await store.lastEventSeq()

        let result = try await purge(store, before: 10)
        #expect(result.deleted == 1)
        #expect(result.windowFull == false)
        #expect(try await store.execution(id: "ex-old") == nil)
        #expect(try await store.events(executionID: "ex-old", after: 0, limit: 10).isEmpty)
        #expect(try await store.logs(executionID: "ex-old", index: 0, after: 0, limit: 10).isEmpty)
        #expect(try await store.executionID(workflowID: "wf-1", idempotencyKey: "k") == nil)
        for kept in ["ex-new", "ex-running", "ex-other"] {
            #expect(try await store.execution(id: kept) != nil, "\(kept) stays")
        }
        #expect(try await purge(store, before: 10).deleted == 0, "nothing more is due")
        // New events take seqs above every seq handed out before.
        _ = try await store.applyRecording([.insertExecution(execution("ex-later", tasks: 1))])
        #expect(try await store.events(executionID: "ex-later", after: 0, limit: 10).first.map { $0.seq > lastSeq } == true)
    }

    @Test(arguments: Driver.allCases)
    func anExecutionStaysUntilItsEventsAreFannedOutAndItsDeliveriesDone(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1", tasks: 1))])
        _ = try await store.applyRecording([finish("ex-1")])
        #expect(try await purge(store, before: 100).deleted == 0, "its events are not fanned out yet")
        let event = try #require(try await store.events(executionID: "ex-1", after: 0, limit: 10).last?.seq)
        try await fanOutEverything(store, deliveries: [
            DeliveryRecord(id: "dlv-1", executionID: "ex-1", eventSeq: event, subscriptionID: nil, url: "https://example.com/hook", nextAttemptAt: 0, createdAt: 0),
        ])
        #expect(try await purge(store, before: 100).deleted == 0, "a delivery is pending")
        _ = try await store.applyRecording([.recordDeliveryAttempt(id: "dlv-1", attempt: ["attempt": 1, "status_code": 200], status: .succeeded, nextAttemptAt: nil, at: 20)])
        #expect(try await purge(store, before: 100).deleted == 1)
        #expect(try await store.delivery(id: "dlv-1") == nil)
    }

    @Test(arguments: Driver.allCases)
    func keepLastKeepsTheNewestFinishedAndEachCallIsBounded(driver: Driver) async throws {
        let store = try await driver.make()
        let ids = (1...6).map { "ex-\($0)" }
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))] + ids.map { .insertExecution(execution($0, tasks: 1)) })
        // ex-1 stays RUNNING; the others finish.
        _ = try await store.applyRecording(ids.dropFirst().map { finish($0, status: $0 == "ex-3" ? .failed : .completed) })
        try await fanOutEverything(store)

        // The window holds only ex-1, which is running: nothing goes, and the next call starts after it.
        let first = try await purge(store, keepLast: 2, window: 1)
        #expect(first.deleted == 0 && first.windowFull)
        let after = try #require(first.lastExamined)
        // At most `limit` at a time.
        #expect(try await purge(store, keepLast: 2, after: after, limit: 2).deleted == 2)
        #expect(try await purge(store, keepLast: 2, after: after, limit: 2).deleted == 1)
        #expect(try await purge(store, keepLast: 2, after: after, limit: 2).deleted == 0)
        let left = try await store.executions(workflowID: "wf-1", status: nil, limit: 10, before: nil).items.map(\.id)
        #expect(left == ["ex-6", "ex-5", "ex-1"], "the two newest finished and the running one")
    }
}
