import Foundation
import SluiceCore
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing
import Synchronization

/// The drivers every conformance test runs against. PostgreSQL runs when
/// `SLUICE_TEST_POSTGRES_URL` names a server (`.ci/postgres` starts one; `.ci/run` does), each
/// test in a schema of its own that is dropped afterwards; without it, it is left out and
/// `PostgresStoreTests.theConformanceSuitesRunAgainstPostgreSQL` is skipped with the reason.
enum Driver: String, CaseIterable, CustomTestStringConvertible {
    case memory, sqlite, postgres
    var testDescription: String { rawValue }

    static var allCases: [Driver] { PostgresTestDatabase.url == nil ? [.memory, .sqlite] : [.memory, .sqlite, .postgres] }

    func make() async throws -> any Store {
        switch self {
        case .memory: return MemoryStore()
        case .sqlite:
            let dir = Scratch.root.appendingPathComponent("sluice-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return try SQLiteStore(path: dir.appendingPathComponent("test.db").path)
        case .postgres:
            return try await PostgresTestDatabase.makeStore()
        }
    }
}

func workflow(_ id: String, at t: Int64 = 1) -> WorkflowRecord {
    WorkflowRecord(id: id, name: "w \(id)", description: nil, definition: ["name": .string(id), "steps": [["type": "Echo"]]], createdAt: t)
}

func execution(_ id: String, workflow: String = "wf-1", key: String? = nil, tasks: Int = 2) -> ExecutionDetail {
    ExecutionDetail(
        execution: ExecutionRecord(id: id, workflowID: workflow, input: ["text": "x"], idempotencyKey: key, createdAt: 5),
        tasks: (0..<tasks).map { TaskRecord(index: $0, taskID: "task-\($0)", stepID: "step-\($0 + 1)", type: "Echo") }
    )
}

/// One suite every store driver passes unchanged.
@Suite(.postgresSchemas) struct StoreConformanceTests {
    @Test(arguments: Driver.allCases)
    func workflowsAreStoredAndIDsAreUnique(driver: Driver) async throws {
        let store = try await driver.make()
        #expect(try await store.applyRecording([.insertWorkflow(workflow("wf-1"))]) == [.applied])
        #expect(try await store.applyRecording([.insertWorkflow(workflow("wf-1"))]) == [.idConflict])
        let read = try #require(try await store.workflow(id: "wf-1"))
        #expect(read.name == "w wf-1")
        #expect(read.definition["steps"] == [["type": "Echo"]])
        #expect(try await store.workflow(id: "wf-2") == nil)
    }

    @Test(arguments: Driver.allCases)
    func workflowsPageNewestFirst(driver: Driver) async throws {
        let store = try await driver.make()
        for i in 1...5 { _ = try await store.applyRecording([.insertWorkflow(workflow("wf-\(i)"))]) }
        var seen: [String] = []
        var cursor: Int64?
        repeat {
            let page = try await store.workflows(limit: 2, before: cursor)
            seen += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ["wf-5", "wf-4", "wf-3", "wf-2", "wf-1"])
    }

    /// A lookup by name and namespace (the Argo API finds its objects so): only the workflows of
    /// that name in that namespace, newest first.
    @Test(arguments: Driver.allCases)
    func workflowsAreFoundByNameWithinANamespace(driver: Driver) async throws {
        let store = try await driver.make()
        func named(_ id: String, _ name: String, _ namespace: String) -> WorkflowRecord {
            var w = workflow(id)
            w.name = name
            w.namespace = namespace
            return w
        }
        _ = try await store.applyRecording([
            .insertWorkflow(named("wf-1", "hello", "team-a")), .insertWorkflow(named("wf-2", "hello", "team-b")),
            .insertWorkflow(named("wf-3", "other", "team-a")), .insertWorkflow(named("wf-4", "hello", "team-a")),
        ])
        #expect(try await store.workflows(named: "hello", namespace: "team-a").map(\.id) == ["wf-4", "wf-1"])
        #expect(try await store.workflows(named: "hello", namespace: "team-b").map(\.id) == ["wf-2"])
        #expect(try await store.workflows(named: "hello", namespace: "team-c").isEmpty)
        #expect(try await store.workflows(named: "hell", namespace: "team-a").isEmpty)
    }

    @Test(arguments: Driver.allCases)
    func executionsAreStoredWithTheirTasksInOrder(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        #expect(try await store.applyRecording([.insertExecution(execution("ex-1", tasks: 3))]) == [.applied])
        #expect(try await store.applyRecording([.insertExecution(execution("ex-1"))]) == [.idConflict])
        let detail = try #require(try await store.execution(id: "ex-1"))
        #expect(detail.execution.status == .pending)
        #expect(detail.execution.input == ["text": "x"])
        #expect(detail.tasks.map(\.taskID) == ["task-0", "task-1", "task-2"])
        #expect(detail.tasks.allSatisfy { $0.status == .pending && $0.output == nil })
    }

    @Test(arguments: Driver.allCases)
    func idempotencyKeysAreScopedToTheirWorkflow(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2"))])
        #expect(try await store.applyRecording([.insertExecution(execution("ex-1", key: "k"))]) == [.applied])
        #expect(try await store.applyRecording([.insertExecution(execution("ex-2", key: "k"))]) == [.duplicate(executionID: "ex-1")])
        #expect(try await store.applyRecording([.insertExecution(execution("ex-3", workflow: "wf-2", key: "k"))]) == [.applied])
        #expect(try await store.execution(id: "ex-2") == nil)
    }

    /// Several new executions in one batch (the PostgreSQL driver writes such a run in one call):
    /// each gets its own outcome, each sees the ones before it (a key used twice: the second is a
    /// duplicate; an id used twice: the second conflicts), and every field of an execution and its
    /// tasks, set or not, reads back as written.
    @Test(arguments: Driver.allCases)
    func aBatchOfNewExecutionsReportsEachOnesOutcomeAndStoresEveryField(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        let full = Self.everyField("ex-full", key: "k-1")
        let outcomes = try await store.applyRecording([
            .insertExecution(full),
            .insertExecution(execution("ex-plain", tasks: 3)),
            .insertExecution(execution("ex-again", key: "k-1")),
            .insertExecution(execution("ex-plain", tasks: 1)),
            .insertExecution(execution("ex-lost", workflow: "wf-404")),
            .insertExecution(execution("ex-last", key: "k-2", tasks: 0)),
        ])
        #expect(outcomes == [.applied, .applied, .duplicate(executionID: "ex-full"), .idConflict, .stale, .applied])
        var stored = try #require(try await store.execution(id: "ex-full"))
        stored.execution.seq = 0
        #expect(stored == full)
        #expect(try await store.execution(id: "ex-plain")?.tasks.map(\.taskID) == ["task-0", "task-1", "task-2"])
        #expect(try await store.execution(id: "ex-last")?.tasks.isEmpty == true)
        #expect(try await store.execution(id: "ex-again") == nil)
        #expect(try await store.execution(id: "ex-lost") == nil)
        // Each applied execution's creation event, in the batch's order; none for the others.
        let events = try await store.events(workflowID: "wf-1", after: 0, limit: 10)
        #expect(events.map(\.executionID) == ["ex-full", "ex-plain", "ex-last"])
    }

    /// Text that needs escaping at every level (JSON inside JSON inside a driver's batch).
    static let odd: JSONValue = ["text": .string("nul \u{0} é 😀 \"q\" \\ back\n")]

    /// An execution with every field of it and of its two tasks set (or left unset on purpose).
    static func everyField(_ id: String, key: String) -> ExecutionDetail {
        var full = execution(id, key: key, tasks: 2)
        full.execution = ExecutionRecord(id: id, workflowID: "wf-1", workflowVersion: 1, status: .failed, input: odd,
            output: ["n": 1], error: ["message": "no", "code": "E"], webhookURL: "https://example.com/hook", webhookSecret: "whsec_abc",
            idempotencyKey: key, createdAt: 5, startedAt: 6, completedAt: 9, deadlineAt: 60, traceContext: "00-abc-def-01")
        full.tasks[0] = TaskRecord(index: 0, taskID: "task-0", stepID: "step-1", type: "Echo", status: .completed, input: odd,
            output: ["text": "y"], startedAt: 6, completedAt: 7, attempt: 2, attempts: [["error": "first"]], attemptBase: 1)
        full.tasks[1] = TaskRecord(index: 1, taskID: "task-1", stepID: "step-2", type: "Delay", status: .failed, error: ["message": "no"],
            startedAt: 7, completedAt: 9, attempt: 1, wakeAt: 8)
        return full
    }

    /// A batch of new executions only, every one of them new (what `POST …/execute` commits; the
    /// PostgreSQL driver writes it in one statement): each applied and read back as written, and
    /// each one's events — none, one or several — in the batch's order, with seqs that follow the
    /// last committed one without a gap.
    @Test(arguments: Driver.allCases)
    func aBatchOfOnlyNewExecutionsStoresThemAndTheirEventsInOrder(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2")), .insertExecution(execution("ex-0"))])
        let last = try #require(try await store.events(workflowID: nil, after: 0, limit: 10).last?.seq)
        let full = Self.everyField("ex-full", key: "k-1")
        let oddData = Self.odd.jsonString
        let outcomes = try await store.apply([
            .insertExecution(full, events: [EventDraft(type: "execution.pending", data: oddData), EventDraft(type: "execution.failed", data: #"{"n":1}"#)]),
            .insertExecution(execution("ex-other", workflow: "wf-2", tasks: 3), events: [EventDraft(type: "execution.pending", data: #"{"n":2}"#)]),
            .insertExecution(execution("ex-quiet", tasks: 0), events: []),
            .insertExecution(execution("ex-last", key: "k-2", tasks: 1), events: [
                EventDraft(type: "execution.pending", data: #"{"n":3}"#), EventDraft(type: "task.completed", data: #"{"n":4}"#),
            ]),
        ])
        #expect(outcomes == [.applied, .applied, .applied, .applied])
        var stored = try #require(try await store.execution(id: "ex-full"))
        stored.execution.seq = 0
        #expect(stored == full)
        #expect(try await store.execution(id: "ex-other")?.tasks.map(\.taskID) == ["task-0", "task-1", "task-2"])
        #expect(try await store.execution(id: "ex-quiet")?.tasks.isEmpty == true)
        #expect(try await store.execution(id: "ex-last")?.execution.idempotencyKey == "k-2")
        let events = try await store.events(workflowID: nil, after: last, limit: 10)
        #expect(events.map(\.seq) == Array(last + 1...last + 5))
        #expect(events.map(\.executionID) == ["ex-full", "ex-full", "ex-other", "ex-last", "ex-last"])
        #expect(events.map(\.workflowID) == ["wf-1", "wf-1", "wf-2", "wf-1", "wf-1"])
        #expect(events.map(\.type) == ["execution.pending", "execution.failed", "execution.pending", "execution.pending", "task.completed"])
        #expect(events.map(\.data) == [oddData, #"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#, #"{"n":4}"#])
        // The same batch again: nothing new (every id is taken, a key is reused), no event.
        let again = try await store.apply([
            .insertExecution(execution("ex-new", key: "k-2"), events: [EventDraft(type: "execution.pending", data: "{}")]),
            .insertExecution(execution("ex-other"), events: [EventDraft(type: "execution.pending", data: "{}")]),
        ])
        #expect(again == [.duplicate(executionID: "ex-last"), .idConflict])
        #expect(try await store.events(workflowID: nil, after: last + 5, limit: 10).isEmpty)
        #expect(try await store.execution(id: "ex-new") == nil)
    }

    /// Two transitions merged into one may change a task twice (started, then completed): each
    /// change sees the one before it; in one batch with other transitions, each keeps its outcome.
    @Test(arguments: Driver.allCases)
    func aTransitionMayChangeOneTaskTwice(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1")), .insertExecution(execution("ex-2"))])
        let twice = ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 10),
            TaskChange(index: 0, expected: [.running], status: .completed, output: ["text": "b"], completedAt: 11),
        ], execution: ExecutionChange(status: .running, startedAt: 10))
        let stale = ExecutionTransition(executionID: "ex-2", tasks: [TaskChange(index: 1, expected: [.running], status: .completed)])
        let fine = ExecutionTransition(executionID: "ex-2", tasks: [TaskChange(index: 1, expected: [.pending], status: .running, startedAt: 12)])
        #expect(try await store.applyRecording([.transition(stale), .transition(twice), .transition(fine)]) == [.stale, .applied, .applied])
        let one = try #require(try await store.execution(id: "ex-1"))
        #expect(one.tasks[0].status == .completed)
        #expect(one.tasks[0].startedAt == 10)
        #expect(one.tasks[0].output == ["text": "b"])
        let two = try #require(try await store.execution(id: "ex-2"))
        #expect(two.tasks[1].status == .running)
        #expect(two.tasks[1].startedAt == 12)
        let types = try await store.events(executionID: "ex-1", after: 0, limit: 10).map(\.type)
        #expect(types == ["execution.pending", "execution.running", "task.running", "task.completed"])
    }

    @Test(arguments: Driver.allCases)
    func transitionsApplyOnlyWhileTasksAreInTheExpectedStatus(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        let complete = ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending, .running], status: .completed, input: ["text": "a"], output: ["text": "b"], startedAt: 10, completedAt: 11),
        ], execution: ExecutionChange(status: .running, startedAt: 10))
        #expect(try await store.applyRecording([.transition(complete)]) == [.applied])
        // The same completion again finds the task COMPLETED: stale, nothing changes.
        #expect(try await store.applyRecording([.transition(complete)]) == [.stale])
        // A transition whose second change is stale applies none of its changes.
        let mixed = ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 1, expected: [.pending], status: .failed, error: ["message": "x"]),
            TaskChange(index: 0, expected: [.pending], status: .skipped),
        ], execution: ExecutionChange(status: .failed, completedAt: 20))
        #expect(try await store.applyRecording([.transition(mixed)]) == [.stale])
        let detail = try #require(try await store.execution(id: "ex-1"))
        #expect(detail.execution.status == .running)
        #expect(detail.execution.startedAt == 10)
        #expect(detail.tasks[0].status == .completed)
        #expect(detail.tasks[0].output == ["text": "b"])
        #expect(detail.tasks[0].startedAt == 10)
        #expect(detail.tasks[1].status == .pending)
        #expect(detail.tasks[1].error == nil)
        #expect(try await store.applyRecording([.transition(ExecutionTransition(executionID: "ex-404", tasks: [TaskChange(index: 0, expected: [.pending], status: .completed)]))]) == [.stale])
    }

    @Test(arguments: Driver.allCases)
    func oneBatchReportsEachMutationsOutcome(driver: Driver) async throws {
        let store = try await driver.make()
        let outcomes = try await store.applyRecording([
            .insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-1")),
            .insertExecution(execution("ex-1")),
            .transition(ExecutionTransition(executionID: "ex-1", tasks: [TaskChange(index: 0, expected: [.running], status: .completed)])),
        ])
        #expect(outcomes == [.applied, .idConflict, .applied, .stale])
    }

    @Test(arguments: Driver.allCases)
    func executionsListFiltersByStatusAndPages(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2"))])
        for i in 1...5 { _ = try await store.applyRecording([.insertExecution(execution("ex-\(i)"))]) }
        _ = try await store.applyRecording([.insertExecution(execution("ex-other", workflow: "wf-2"))])
        for i in [2, 4] {
            _ = try await store.applyRecording([.transition(ExecutionTransition(executionID: "ex-\(i)", tasks: [], execution: ExecutionChange(status: .completed, output: "ok", completedAt: 9)))])
        }
        let all = try await store.executions(workflowID: "wf-1", status: nil, limit: 10, before: nil)
        #expect(all.items.map(\.id) == ["ex-5", "ex-4", "ex-3", "ex-2", "ex-1"])
        #expect(all.nextCursor == nil)
        let done = try await store.executions(workflowID: "wf-1", status: .completed, limit: 10, before: nil)
        #expect(done.items.map(\.id) == ["ex-4", "ex-2"])
        let first = try await store.executions(workflowID: "wf-1", status: nil, limit: 3, before: nil)
        #expect(first.items.map(\.id) == ["ex-5", "ex-4", "ex-3"])
        let second = try await store.executions(workflowID: "wf-1", status: nil, limit: 3, before: first.nextCursor)
        #expect(second.items.map(\.id) == ["ex-2", "ex-1"])
        #expect(second.nextCursor == nil)
    }

    @Test(arguments: Driver.allCases)
    func unfinishedExecutionsAreThoseNotCompletedOrFailed(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        for i in 1...4 { _ = try await store.applyRecording([.insertExecution(execution("ex-\(i)"))]) }
        _ = try await store.applyRecording([
            .transition(ExecutionTransition(executionID: "ex-1", tasks: [], execution: ExecutionChange(status: .completed))),
            .transition(ExecutionTransition(executionID: "ex-2", tasks: [], execution: ExecutionChange(status: .running))),
            .transition(ExecutionTransition(executionID: "ex-3", tasks: [], execution: ExecutionChange(status: .failed))),
        ])
        let unfinished = try await store.unfinishedExecutions()
        #expect(unfinished.map(\.execution.id) == ["ex-2", "ex-4"])
        #expect(unfinished[0].tasks.count == 2)
    }
}

@Suite struct SQLiteStoreTests {
    @Test func commitsAreFsyncedWithSynchronousFull() async throws {
        let store = try await Driver.sqlite.make() as! SQLiteStore
        #expect(try store.synchronousMode() == 2)
    }

    @Test func schemaComesFromNumberedMigrationsAppliedOnce() async throws {
        let store = try await Driver.sqlite.make() as! SQLiteStore
        #expect(try store.appliedMigrations() == ["001_workflows_executions_tasks", "002_attempts_timers_logs", "003_workflow_versions", "004_events_webhooks", "005_attempt_base", "006_access", "007_queues", "008_human_tasks", "009_groups_and_queue_grants", "010_annotation", "011_schedules", "012_trace_context", "013_workflow_names", "014_execution_suspended", "015_annotation_item_filters"])
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        try await store.close()
        let reopened = try SQLiteStore(path: store.path)
        #expect(try reopened.appliedMigrations() == ["001_workflows_executions_tasks", "002_attempts_timers_logs", "003_workflow_versions", "004_events_webhooks", "005_attempt_base", "006_access", "007_queues", "008_human_tasks", "009_groups_and_queue_grants", "010_annotation", "011_schedules", "012_trace_context", "013_workflow_names", "014_execution_suspended", "015_annotation_item_filters"])
        #expect(try await reopened.workflow(id: "wf-1") != nil, "data survives reopening")
    }

    @Test func anUnopenablePathIsAClearError() {
        #expect {
            _ = try SQLiteStore(path: "/nonexistent-dir-\(UUID().uuidString)/x.db")
        } throws: { error in
            "\(error)".contains("cannot open the SQLite database at /nonexistent-dir-")
        }
    }
}

@Suite struct GroupCommitterTests {
    /// Counts transactions to show that concurrent submissions share them.
    final class CountingStore: StoreDecorator, @unchecked Sendable {
        let inner = MemoryStore()
        var base: any Store { inner }
        let lock = NSLock()
        var transactions = 0
        func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
            lock.withLock { transactions += 1 }
            try await Task.sleep(for: .milliseconds(2))  // a commit takes time, as an fsync does
            return try await inner.apply(mutations)
        }
    }

    @Test func concurrentSubmissionsShareTransactions() async throws {
        let store = CountingStore()
        let committer = GroupCommitter(store: store)
        try await withThrowingTaskGroup(of: MutationOutcome.self) { group in
            for i in 0..<200 { group.addTask { try await committer.commit([.insertWorkflow(workflow("wf-\(i)"))])[0] } }
            for try await outcome in group { #expect(outcome == .applied) }
        }
        #expect(try await store.workflows(limit: 500, before: nil).items.count == 200)
        #expect(store.lock.withLock { store.transactions } < 50, "200 writes should need far fewer transactions")
    }

    /// With room for several transactions, the committer runs batches of different executions
    /// side by side, but never two of one execution: its writes apply in submission order.
    @Test func concurrentBatchesKeepEachExecutionsOrder() async throws {
        final class SlowStore: StoreDecorator, @unchecked Sendable {
            let inner = MemoryStore()
            var base: any Store { inner }
            let lock = NSLock()
            var running: [Set<String>] = []
            var peak = 0
            var overlapOfOneExecution = false
            var order: [String] = []
            func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
                let keys = Set(mutations.compactMap { m -> String? in if case .transition(let t) = m { return t.executionID } else { return nil } })
                lock.withLock {
                    if running.contains(where: { !$0.isDisjoint(with: keys) }) { overlapOfOneExecution = true }
                    running.append(keys)
                    peak = max(peak, running.count)
                }
                try await Task.sleep(for: .milliseconds(20))
                let outcomes = try await inner.apply(mutations)
                lock.withLock {
                    running.remove(at: running.firstIndex(of: keys)!)
                    for m in mutations { if case .transition(let t) = m { order.append("\(t.executionID):\(t.tasks[0].status.rawValue)") } }
                }
                return outcomes
            }
        }
        let store = SlowStore()
        _ = try await store.inner.apply([.insertWorkflow(workflow("wf-1"))] + (1...4).map { .insertExecution(execution("ex-\($0)")) })
        let committer = GroupCommitter(store: store, concurrency: 4)
        func step(_ id: String, _ from: TaskStatus, _ to: TaskStatus) -> Mutation {
            .transition(ExecutionTransition(executionID: id, tasks: [TaskChange(index: 0, expected: [from], status: to)]))
        }
        // Each execution's task goes PENDING → RUNNING → COMPLETED, submitted back to back: the
        // second is stale unless the first was applied before it.
        var results: [String: [MutationOutcome]] = [:]
        await withTaskGroup(of: (String, [MutationOutcome]).self) { group in
            for i in 1...4 {
                let id = "ex-\(i)"
                let done = Mutex<[MutationOutcome]>([])
                committer.submit([step(id, .pending, .running)]) { r in done.withLock { $0 += (try? r.get()) ?? [] } }
                committer.submit([step(id, .running, .completed)]) { r in done.withLock { $0 += (try? r.get()) ?? [] } }
                group.addTask {
                    while done.withLock({ $0.count }) < 2 { try? await Task.sleep(for: .milliseconds(5)) }
                    return (id, done.withLock { $0 })
                }
            }
            for await (id, r) in group { results[id] = r }
        }
        for i in 1...4 { #expect(results["ex-\(i)"] == [.applied, .applied], "ex-\(i) applied in order") }
        #expect(!store.lock.withLock { store.overlapOfOneExecution }, "two batches of one execution were in flight at once")
        #expect(store.lock.withLock { store.peak } > 1, "batches of different executions ran side by side")
        for i in 1...4 { #expect(try await store.execution(id: "ex-\(i)")?.tasks[0].status == .completed) }
    }

    @Test func aFailingSubmissionDoesNotFailItsNeighbours() async throws {
        struct Failing: Error {}
        final class PickyStore: StoreDecorator, @unchecked Sendable {
            let inner = MemoryStore()
            var base: any Store { inner }
            func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
                for m in mutations { if case .insertWorkflow(let w) = m, w.id == "wf-bad" { throw Failing() } }
                return try await inner.apply(mutations)
            }
        }
        let store = PickyStore()
        let committer = GroupCommitter(store: store)
        let results = await withTaskGroup(of: (String, Bool).self) { group in
            for id in ["wf-1", "wf-bad", "wf-2", "wf-3"] {
                group.addTask { (id, (try? await committer.commit([.insertWorkflow(workflow(id))])) != nil) }
            }
            var r: [String: Bool] = [:]
            for await (id, ok) in group { r[id] = ok }
            return r
        }
        #expect(results == ["wf-1": true, "wf-bad": false, "wf-2": true, "wf-3": true])
    }
}
