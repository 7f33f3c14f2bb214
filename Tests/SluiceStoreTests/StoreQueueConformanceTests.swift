import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// Queued `Worker.Task` attempts: what every driver does the same way.
@Suite(.postgresSchemas) struct StoreQueueConformanceTests {
    /// Execution `id` of workflow `wf-1` with its task 0 RUNNING at attempt `attempt`.
    func running(_ store: any Store, _ id: String, attempt: Int = 1) async throws {
        _ = try await store.applyRecording([.insertExecution(execution(id))])
        let start = ExecutionTransition(executionID: id, tasks: [TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 10, attempt: attempt)])
        #expect(try await store.applyRecording([.transition(start)]) == [.applied])
    }

    func queued(_ id: String, execution: String, queue: String = "jobs", namespace: String = "default", attempt: Int = 1, at t: Int64 = 10) -> QueuedTaskRecord {
        QueuedTaskRecord(
            id: id, executionID: execution, workflowID: "wf-1", namespace: namespace, index: 0, stepID: "step-1", attempt: attempt,
            queue: queue, input: ["text": .string(id)], outputType: "text", leaseMilliseconds: 1000, createdAt: t
        )
    }

    @Test(arguments: Driver.allCases)
    func anAttemptIsQueuedOnceAndClaimedOldestFirstOnceEach(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        for (k, id) in ["ex-1", "ex-2", "ex-3"].enumerated() {
            try await running(store, id)
            _ = try await store.enqueue(queued("qt-\(k + 1)", execution: id, at: Int64(30 - k)))
        }
        // The same attempt again (a restart): the row stored first.
        let again = try await store.enqueue(queued("qt-other", execution: "ex-1", at: 99))
        #expect(again.id == "qt-1")
        #expect(again.input == ["text": "qt-1"])
        let first = try await store.claimQueued(queue: "jobs", namespaces: nil, worker: "w1", now: 100, tokens: ["clm_a", "clm_b"])
        #expect(first.map(\.id) == ["qt-3", "qt-2"], "the longest waiting first")
        #expect(first.map { $0.claim?.token } == ["clm_a", "clm_b"])
        #expect(first.first?.claim == QueueClaim(token: "clm_a", worker: "w1", claimedAt: 100, heartbeatAt: 100, leaseUntil: 1100))
        let second = try await store.claimQueued(queue: "jobs", namespaces: nil, worker: "w2", now: 101, tokens: ["clm_c", "clm_d"])
        #expect(second.map(\.id) == ["qt-1"])
        #expect(try await store.claimQueued(queue: "jobs", namespaces: nil, worker: "w3", now: 102, tokens: ["clm_e"]).isEmpty)
        #expect(try await store.queuedTask(id: "qt-2")?.claim?.worker == "w1")
        #expect(try await store.queueSummaries(namespaces: nil, now: 102) == [QueueSummary(queue: "jobs", waiting: 0, claimed: 3, oldestWaitingSince: nil, workersSeen: 2, claimsLastMinute: 3)])
    }

    @Test(arguments: Driver.allCases)
    func claimsAndSummariesKeepToTheirQueueAndNamespaces(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        try await running(store, "ex-1")
        try await running(store, "ex-2")
        try await running(store, "ex-3")
        _ = try await store.enqueue(queued("qt-a", execution: "ex-1", namespace: "team-a", at: 5))
        _ = try await store.enqueue(queued("qt-b", execution: "ex-2", namespace: "team-b", at: 6))
        _ = try await store.enqueue(queued("qt-o", execution: "ex-3", queue: "other", at: 7))
        #expect(try await store.claimQueued(queue: "jobs", namespaces: [], worker: "w", now: 50, tokens: ["clm_1"]).isEmpty)
        #expect(try await store.claimQueued(queue: "jobs", namespaces: ["team-b"], worker: "w", now: 50, tokens: ["clm_1"]).map(\.id) == ["qt-b"])
        #expect(try await store.queueSummaries(namespaces: ["team-a"], now: 60) == [QueueSummary(queue: "jobs", waiting: 1, claimed: 0, oldestWaitingSince: 5)])
        #expect(try await store.queueSummaries(namespaces: nil, now: 60) == [
            QueueSummary(queue: "jobs", waiting: 1, claimed: 1, oldestWaitingSince: 5, workersSeen: 1, claimsLastMinute: 1),
            QueueSummary(queue: "other", waiting: 1, claimed: 0, oldestWaitingSince: 7),
        ])
    }

    @Test(arguments: Driver.allCases)
    func onlyTheHolderRenewsAndAnswersAndOnlyWhileTheAttemptRuns(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        try await running(store, "ex-1")
        _ = try await store.enqueue(queued("qt-1", execution: "ex-1"))
        #expect(try await store.renewClaim(id: "qt-1", token: "clm_x", now: 20) == .notHolder, "not claimed yet")
        _ = try await store.claimQueued(queue: "jobs", namespaces: nil, worker: "w1", now: 100, tokens: ["clm_a"])
        #expect(try await store.renewClaim(id: "qt-nope", token: "clm_a", now: 200) == .notFound)
        #expect(try await store.renewClaim(id: "qt-1", token: "clm_b", now: 200) == .notHolder)
        guard case .applied(let renewed) = try await store.renewClaim(id: "qt-1", token: "clm_a", now: 600) else { Issue.record("not renewed"); return }
        #expect(renewed.claim?.leaseUntil == 1600)
        #expect(try await store.queuedTask(id: "qt-1")?.claim?.heartbeatAt == 600)
        // The engine's own answer (a lease that ran out) applies only once the lease is past.
        #expect(try await store.answerQueued(id: "qt-1", token: nil, result: .failure(message: "lease", retryable: true), now: 1500) == .notHolder)
        #expect(try await store.answerQueued(id: "qt-1", token: "clm_b", result: .output(["text": "no"]), now: 700) == .notHolder)
        guard case .applied = try await store.answerQueued(id: "qt-1", token: "clm_a", result: .output(["text": "yes"]), now: 700) else { Issue.record("not answered"); return }
        #expect(try await store.queuedTask(id: "qt-1")?.result == .output(["text": "yes"]))
        if case .finished = try await store.answerQueued(id: "qt-1", token: "clm_a", result: .output(["text": "again"]), now: 701) {} else { Issue.record("answered twice") }

        // A task no longer RUNNING at the attempt (cancelled) takes no call and is not claimed.
        try await running(store, "ex-2")
        _ = try await store.enqueue(queued("qt-2", execution: "ex-2"))
        _ = try await store.claimQueued(queue: "jobs", namespaces: nil, worker: "w1", now: 100, tokens: ["clm_c"])
        try await running(store, "ex-3")
        _ = try await store.enqueue(queued("qt-3", execution: "ex-3"))
        let cancel = { (id: String) in ExecutionTransition(executionID: id, tasks: [TaskChange(index: 0, expected: [.running], status: .cancelled, completedAt: 150)]) }
        #expect(try await store.applyRecording([.transition(cancel("ex-2")), .transition(cancel("ex-3"))]) == [.applied, .applied])
        if case .finished = try await store.renewClaim(id: "qt-2", token: "clm_c", now: 160) {} else { Issue.record("a cancelled task's claim was renewed") }
        #expect(try await store.claimQueued(queue: "jobs", namespaces: nil, worker: "w1", now: 170, tokens: ["clm_d"]).isEmpty, "a cancelled task was claimed")
        // Nothing waits; the claims of the last five minutes still show who worked the queue.
        #expect(try await store.queueSummaries(namespaces: nil, now: 170) == [QueueSummary(queue: "jobs", waiting: 0, claimed: 0, oldestWaitingSince: nil, workersSeen: 1, claimsLastMinute: 2)])
        #expect(try await store.queueSummaries(namespaces: nil, now: 100 + QueueSummary.claimsWindow + 1).first?.claimsLastMinute == 0)
        #expect(try await store.queueSummaries(namespaces: nil, now: 100 + QueueSummary.workersWindow + 1).isEmpty)
    }

    /// Queueing and answering as mutations (what the engine sends through the group committer)
    /// follow the same rule as the store's own calls, in a batch with other writes.
    @Test(arguments: Driver.allCases)
    func queueingAndAnsweringAsMutationsFollowTheSameRule(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        try await running(store, "ex-1")
        let outcomes = try await store.apply([.enqueue(queued("qt-1", execution: "ex-1")), .appendLogs([]), .enqueue(queued("qt-again", execution: "ex-1"))])
        #expect(outcomes == [.applied, .applied, .idConflict], "the same attempt queued twice")
        #expect(try await store.queuedTask(id: "qt-1") != nil)
        #expect(try await store.queuedTask(id: "qt-again") == nil)
        let claimed = try #require(try await store.claimQueued(queue: "jobs", namespaces: nil, worker: "w1", now: 100, tokens: ["clm_a"]).first)
        #expect(claimed.id == "qt-1")
        let wrong = Mutation.answerQueued(executionID: "ex-1", id: "qt-1", token: "clm_b", result: .output(["text": "no"]), at: 200)
        let early = Mutation.answerQueued(executionID: "ex-1", id: "qt-1", token: nil, result: .failure(message: "lease", retryable: true), at: 500)
        #expect(try await store.apply([wrong, early]) == [.stale, .stale], "another token, and the lease not yet past")
        #expect(try await store.queuedTask(id: "qt-1")?.result == nil)
        let right = Mutation.answerQueued(executionID: "ex-1", id: "qt-1", token: "clm_a", result: .output(["text": "yes"]), at: 300)
        #expect(try await store.apply([right, right]) == [.applied, .stale], "answered once")
        #expect(try await store.queuedTask(id: "qt-1")?.result == .output(["text": "yes"]))
        #expect(try await store.apply([.answerQueued(executionID: "ex-1", id: "qt-none", token: "clm_a", result: .output(.null), at: 300)]) == [.stale])
    }
}
