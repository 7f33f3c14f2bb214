import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// `Human.Task` attempts: the inbox lists and the people's calls, the same in every driver.
@Suite(.postgresSchemas) struct StoreHumanTaskConformanceTests {
    /// Execution `id` of workflow `wf-1` with its task 0 RUNNING at attempt 1.
    func running(_ store: any Store, _ id: String) async throws {
        _ = try await store.applyRecording([.insertExecution(execution(id))])
        let start = ExecutionTransition(executionID: id, tasks: [TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 10, attempt: 1)])
        #expect(try await store.applyRecording([.transition(start)]) == [.applied])
    }

    func human(_ id: String, execution: String, assignees: [String] = [], namespace: String = "default", at t: Int64 = 10, dueAt: Int64? = nil, onDue: HumanTask.OnDue = .fail) -> QueuedTaskRecord {
        QueuedTaskRecord(
            id: id, executionID: execution, workflowID: "wf-1", namespace: namespace, index: 0, stepID: "step-1", attempt: 1,
            queue: HumanTask.queue, input: ["text": .string(id)], outputType: "json", leaseMilliseconds: 0, createdAt: t,
            human: HumanTask.Spec(title: "Review \(id)", instructions: "Look closely.", form: ["type": "object", "required": ["ok"]], assignees: assignees, dueSeconds: dueAt.map { _ in 60 }, onDue: onDue),
            dueAt: dueAt
        )
    }

    func store(_ driver: Driver, tasks: [QueuedTaskRecord]) async throws -> any Store {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        for task in tasks {
            try await running(store, task.executionID)
            _ = try await store.enqueue(task)
        }
        return store
    }

    @Test(arguments: Driver.allCases)
    func whatAPersonSeesIsStoredAndReadBack(driver: Driver) async throws {
        let task = human("ht-1", execution: "ex-1", assignees: ["alice", "bob"], dueAt: 5000, onDue: .answer(["ok": true]))
        let store = try await store(driver, tasks: [task])
        let read = try await store.queuedTask(id: "ht-1")
        #expect(read?.human == task.human)
        #expect(read?.dueAt == 5000)
        #expect(try await store.queueSummaries(namespaces: nil, now: 20).isEmpty, "human tasks are not a workers' queue")
    }

    @Test(arguments: Driver.allCases)
    func theInboxShowsWhatEachPersonHoldsAndMayClaim(driver: Driver) async throws {
        let store = try await store(driver, tasks: [
            human("ht-1", execution: "ex-1", assignees: ["alice"], at: 10),
            human("ht-2", execution: "ex-2", at: 11),
            human("ht-3", execution: "ex-3", assignees: ["bob", "alice.b"], at: 12),
            human("ht-4", execution: "ex-4", namespace: "team-b", at: 13),
        ])
        #expect(try await store.humanTasks(.claimableBy("alice"), namespaces: nil, after: nil, limit: 10).map(\.id) == ["ht-1", "ht-2", "ht-4"],
                "assigned to alice or to anyone; not to alice.b")
        #expect(try await store.humanTasks(.claimableBy("bob"), namespaces: nil, after: nil, limit: 10).map(\.id) == ["ht-2", "ht-3", "ht-4"])
        #expect(try await store.humanTasks(.claimableBy("bob"), namespaces: ["team-b"], after: nil, limit: 10).map(\.id) == ["ht-4"])
        #expect(try await store.humanTasks(.claimableBy("bob"), namespaces: [], after: nil, limit: 10).isEmpty)
        #expect(try await store.humanTasks(.open, namespaces: nil, after: "ht-2", limit: 1).map(\.id) == ["ht-3"], "a page after a cursor")
        #expect(try await store.humanTasks(.open, namespaces: nil, after: "ht-nope", limit: 10).isEmpty)

        guard case .applied(let held) = try await store.updateHumanTask(id: "ht-2", action: .claim(account: "alice", token: "clm_1"), now: 50) else {
            Issue.record("not claimed"); return
        }
        #expect(held.claim?.worker == "alice")
        #expect(held.claim?.leaseUntil == QueuedTaskRecord.heldUntilAnswered, "a person holds a task until they answer or let go")
        #expect(try await store.humanTasks(.heldBy("alice"), namespaces: nil, after: nil, limit: 10).map(\.id) == ["ht-2"])
        #expect(try await store.humanTasks(.claimableBy("bob"), namespaces: nil, after: nil, limit: 10).map(\.id) == ["ht-3", "ht-4"])
        #expect(try await store.humanTasks(.open, namespaces: nil, after: nil, limit: 10).count == 4)

        // Answered or no longer running: in nobody's inbox.
        _ = try await store.updateHumanTask(id: "ht-2", action: .complete(account: "alice", output: ["json": ["ok": true]], token: "clm_2"), now: 60)
        let cancel = ExecutionTransition(executionID: "ex-4", tasks: [TaskChange(index: 0, expected: [.running], status: .cancelled, completedAt: 70)])
        #expect(try await store.applyRecording([.transition(cancel)]) == [.applied])
        #expect(try await store.humanTasks(.open, namespaces: nil, after: nil, limit: 10).map(\.id) == ["ht-1", "ht-3"])
        #expect(try await store.humanTasks(.heldBy("alice"), namespaces: nil, after: nil, limit: 10).isEmpty)
    }

    @Test(arguments: Driver.allCases)
    func claimsReleasesAnswersAndReassignmentsFollowOneRule(driver: Driver) async throws {
        let store = try await store(driver, tasks: [human("ht-1", execution: "ex-1", assignees: ["alice", "bob"])])
        #expect(try await store.updateHumanTask(id: "ht-1", action: .claim(account: "carol", token: "clm_c"), now: 20) == .notAssigned(assignees: ["alice", "bob"]))
        #expect(try await store.updateHumanTask(id: "ht-1", action: .release(account: "alice"), now: 20) == .heldBy(nil))
        guard case .applied = try await store.updateHumanTask(id: "ht-1", action: .claim(account: "alice", token: "clm_a"), now: 20) else { Issue.record("not claimed"); return }
        guard case .applied(let again) = try await store.updateHumanTask(id: "ht-1", action: .claim(account: "alice", token: "clm_z"), now: 25) else { Issue.record("a second claim by the holder failed"); return }
        #expect(again.claim?.token == "clm_a" && again.claim?.claimedAt == 20, "claiming what one holds changes nothing")
        #expect(try await store.updateHumanTask(id: "ht-1", action: .claim(account: "bob", token: "clm_b"), now: 30) == .heldBy("alice"))
        #expect(try await store.updateHumanTask(id: "ht-1", action: .complete(account: "bob", output: ["json": ["ok": true]], token: "clm_b"), now: 30) == .heldBy("alice"))
        // An editor gives it to someone else, who may then answer it.
        guard case .applied(let moved) = try await store.updateHumanTask(id: "ht-1", action: .reassign(account: "carol", token: "clm_r"), now: 40) else { Issue.record("not reassigned"); return }
        #expect(moved.claim?.worker == "carol")
        #expect(try await store.updateHumanTask(id: "ht-1", action: .release(account: "alice"), now: 45) == .heldBy("carol"))
        guard case .applied = try await store.updateHumanTask(id: "ht-1", action: .release(account: "carol"), now: 50) else { Issue.record("not released"); return }
        #expect(try await store.queuedTask(id: "ht-1")?.claim == nil)
        // Answering a task nobody holds claims it in the same change.
        guard case .applied(let answered) = try await store.updateHumanTask(id: "ht-1", action: .complete(account: "bob", output: ["json": ["ok": false]], token: "clm_b"), now: 60) else {
            Issue.record("not answered"); return
        }
        #expect(answered.claim?.worker == "bob")
        let stored = try await store.queuedTask(id: "ht-1")
        #expect(stored?.result == .output(["json": ["ok": false]]))
        #expect(stored?.claim?.worker == "bob")
        if case .finished = try await store.updateHumanTask(id: "ht-1", action: .complete(account: "bob", output: ["json": ["ok": true]], token: "clm_b"), now: 61) {} else {
            Issue.record("answered twice")
        }
        #expect(try await store.updateHumanTask(id: "ht-nope", action: .release(account: "bob"), now: 61) == .notFound)
    }

    @Test(arguments: Driver.allCases)
    func aGroupsMembersAtTheTimeOfTheCallSeeAndClaimItsTasks(driver: Driver) async throws {
        let store = try await store(driver, tasks: [
            human("ht-1", execution: "ex-1", assignees: ["group:ops"], at: 10),
            human("ht-2", execution: "ex-2", assignees: ["carol", "group:qa"], at: 11),
            human("ht-3", execution: "ex-3", assignees: ["group:ops"], at: 12),
        ])
        _ = try await store.applyRecording([
            .insertAccount(AccountRecord(id: "acct-alice", name: "alice", kind: .person, createdAt: 1)),
            .insertAccount(AccountRecord(id: "acct-bob", name: "bob", kind: .person, createdAt: 1)),
            .insertGroup(GroupRecord(id: "grp-ops", name: "ops", createdAt: 1)),
            .insertGroup(GroupRecord(id: "grp-op", name: "op", createdAt: 1)),
            .addGroupMember(groupID: "grp-op", accountID: "acct-alice", at: 1),
        ])
        func claimable(_ account: String) async throws -> [String] {
            try await store.humanTasks(.claimableBy(account), namespaces: nil, after: nil, limit: 10).map(\.id)
        }
        #expect(try await claimable("alice").isEmpty, "a member of \"op\" is not one of \"ops\"")
        #expect(try await store.updateHumanTask(id: "ht-1", action: .claim(account: "alice", token: "clm_1"), now: 20) == .notAssigned(assignees: ["group:ops"]))
        #expect(try await store.updateHumanTask(id: "ht-1", action: .complete(account: "alice", output: ["json": ["ok": true]], token: "clm_1"), now: 20)
                == .notAssigned(assignees: ["group:ops"]))

        // Added later: the group's tasks are hers from the next call on.
        _ = try await store.applyRecording([.addGroupMember(groupID: "grp-ops", accountID: "acct-alice", at: 30)])
        #expect(try await claimable("alice") == ["ht-1", "ht-3"])
        #expect(try await claimable("bob").isEmpty)
        #expect(try await claimable("carol") == ["ht-2"], "an account named beside a group")
        guard case .applied(let held) = try await store.updateHumanTask(id: "ht-1", action: .claim(account: "alice", token: "clm_2"), now: 40) else {
            Issue.record("a member could not claim"); return
        }
        #expect(held.claim?.worker == "alice")
        guard case .applied = try await store.updateHumanTask(id: "ht-3", action: .complete(account: "alice", output: ["json": ["ok": true]], token: "clm_3"), now: 41) else {
            Issue.record("a member could not answer a task nobody held"); return
        }

        // Taken out: no longer in her inbox; what she holds stays hers.
        _ = try await store.applyRecording([.removeGroupMember(groupID: "grp-ops", accountID: "acct-alice")])
        #expect(try await claimable("alice").isEmpty)
        #expect(try await store.humanTasks(.heldBy("alice"), namespaces: nil, after: nil, limit: 10).map(\.id) == ["ht-1"])
    }

    @Test(arguments: Driver.allCases)
    func whenATaskWasAnsweredIsStored(driver: Driver) async throws {
        let store = try await store(driver, tasks: [
            human("ht-1", execution: "ex-1"),
            human("ht-2", execution: "ex-2", dueAt: 1000, onDue: .answer(["ok": true])),
        ])
        #expect(try await store.queuedTask(id: "ht-1")?.answeredAt == nil)
        guard case .applied(let answered) = try await store.updateHumanTask(id: "ht-1", action: .complete(account: "ann", output: ["json": ["ok": true]], token: "clm_1"), now: 70) else {
            Issue.record("not answered"); return
        }
        #expect(answered.answeredAt == 70)
        #expect(try await store.queuedTask(id: "ht-1")?.answeredAt == 70)
        _ = try await store.updateHumanTask(id: "ht-2", action: .due, now: 1005)
        #expect(try await store.queuedTask(id: "ht-2")?.answeredAt == 1005, "the due time's answer too")

        // A worker's answer, by a call or through the group committer.
        try await running(store, "ex-3")
        try await running(store, "ex-4")
        for (id, execution) in [("qt-3", "ex-3"), ("qt-4", "ex-4")] {
            _ = try await store.enqueue(QueuedTaskRecord(
                id: id, executionID: execution, workflowID: "wf-1", namespace: "default", index: 0, stepID: "step-1", attempt: 1,
                queue: "jobs", input: .null, outputType: "json", leaseMilliseconds: 1000, createdAt: 10
            ))
        }
        _ = try await store.claimQueued(queue: "jobs", namespaces: nil, worker: "w1", now: 50, tokens: ["clm_a", "clm_b"])
        #expect(try await store.answerQueued(id: "qt-3", token: "clm_a", result: .output(["json": 1]), now: 80) != .notFound)
        #expect(try await store.applyRecording([.answerQueued(executionID: "ex-4", id: "qt-4", token: "clm_b", result: .output(["json": 2]), at: 90)]) == [.applied])
        #expect(try await store.queuedTask(id: "qt-3")?.answeredAt == 80)
        #expect(try await store.queuedTask(id: "qt-4")?.answeredAt == 90)
    }

    @Test(arguments: Driver.allCases)
    func aDueTaskEndsAsOnDueSaysOnlyOnceDueAndOnlyIfUnanswered(driver: Driver) async throws {
        let store = try await store(driver, tasks: [
            human("ht-1", execution: "ex-1", dueAt: 1000),
            human("ht-2", execution: "ex-2", dueAt: 1000, onDue: .answer(["ok": "default"])),
            human("ht-3", execution: "ex-3", dueAt: 1000),
        ])
        if case .finished = try await store.updateHumanTask(id: "ht-1", action: .due, now: 999) {} else { Issue.record("due before its time") }
        #expect(try await store.queuedTask(id: "ht-1")?.result == nil)
        _ = try await store.updateHumanTask(id: "ht-1", action: .due, now: 1000)
        if case .failure(let message, let retryable)? = try await store.queuedTask(id: "ht-1")?.result {
            #expect(message.contains("due time"))
            #expect(!retryable)
        } else {
            Issue.record("on_due fail did not fail it")
        }
        _ = try await store.updateHumanTask(id: "ht-2", action: .due, now: 1001)
        #expect(try await store.queuedTask(id: "ht-2")?.result == .output(["json": ["ok": "default"]]))
        // Answered first: the due time changes nothing.
        _ = try await store.updateHumanTask(id: "ht-3", action: .complete(account: "dave", output: ["json": ["ok": 1]], token: "clm_d"), now: 900)
        if case .finished = try await store.updateHumanTask(id: "ht-3", action: .due, now: 1000) {} else { Issue.record("the due time overwrote an answer") }
        #expect(try await store.queuedTask(id: "ht-3")?.result == .output(["json": ["ok": 1]]))
        // A worker's queued task is not a human task.
        #expect(try await store.updateHumanTask(id: "qt-none", action: .due, now: 1000) == .notFound)
    }

    @Test(arguments: Driver.allCases)
    func aChangeOfHolderIsAnEventInTheSameTransaction(driver: Driver) async throws {
        let store = try await store(driver, tasks: [human("ht-1", execution: "ex-1", assignees: ["alice", "bob"])])
        try await running(store, "ex-2")
        _ = try await store.enqueue(QueuedTaskRecord(
            id: "qt-1", executionID: "ex-2", workflowID: "wf-1", namespace: "default", index: 0, stepID: "step-1", attempt: 1,
            queue: "jobs", input: .null, outputType: "json", leaseMilliseconds: 1000, createdAt: 10
        ))
        func holderEvents(_ execution: String) async throws -> [(String, JSONValue)] {
            try await store.events(executionID: execution, after: 0, limit: 100)
                .filter { $0.type == EventType.taskClaimed || $0.type == EventType.taskReleased }
                .map { ($0.type, try JSONParser.parse($0.data)) }
        }
        _ = try await store.updateHumanTask(id: "ht-1", action: .claim(account: "alice", token: "clm_1"), now: 20)
        _ = try await store.updateHumanTask(id: "ht-1", action: .claim(account: "alice", token: "clm_2"), now: 21)  // no change: no event
        _ = try await store.updateHumanTask(id: "ht-1", action: .claim(account: "carol", token: "clm_3"), now: 22)  // refused: no event
        _ = try await store.updateHumanTask(id: "ht-1", action: .reassign(account: "bob", token: "clm_4"), now: 30)
        _ = try await store.updateHumanTask(id: "ht-1", action: .release(account: "bob"), now: 40)
        let events = try await holderEvents("ex-1")
        #expect(events.map(\.0) == ["task.claimed", "task.claimed", "task.released"])
        #expect(events.map { $0.1["holder"] } == ["alice", "bob", .null])
        #expect(events.first?.1["human_task_id"] == "ht-1")
        #expect(events.first?.1["step_id"] == "step-1")
        #expect(events.first?.1["attempt"] == 1)
        #expect(events.first?.1["task_id"]?.stringValue?.isEmpty == false)

        _ = try await store.claimQueued(queue: "jobs", namespaces: nil, worker: "w1", now: 50, tokens: ["clm_w"])
        let worker = try await holderEvents("ex-2")
        #expect(worker.map(\.0) == ["task.claimed"])
        #expect(worker.first?.1["holder"] == "w1")
        #expect(worker.first?.1["queue"] == "jobs")
        #expect(worker.first?.1["lease_expires_at"]?.stringValue == Timestamp.format(milliseconds: 1050))
        #expect(try await store.unansweredQueuedTasks(executionID: "ex-2").map(\.id) == ["qt-1"])
        _ = try await store.answerQueued(id: "qt-1", token: "clm_w", result: .output(["json": 1]), now: 60)
        #expect(try await store.unansweredQueuedTasks(executionID: "ex-2").isEmpty)
    }
}
