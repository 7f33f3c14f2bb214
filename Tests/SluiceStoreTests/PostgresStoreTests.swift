import Foundation
import Logging
import PostgresNIO
import SluiceCore
@testable import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

@Suite(.postgresSchemas) struct PostgresStoreTests {
    /// Says, in every test run, whether the conformance suites ran against PostgreSQL: skipped
    /// with the reason when `SLUICE_TEST_POSTGRES_URL` is not set (`Driver.allCases` then
    /// leaves PostgreSQL out).
    @Test(.enabled(if: PostgresTestDatabase.url != nil, PostgresTestDatabase.skipReason))
    func theConformanceSuitesRunAgainstPostgreSQL() {
        #expect(Driver.allCases.contains(.postgres))
    }

    @Test func urlsAreParsedAndPasswordsKeptOutOfDescriptions() throws {
        let c = try PostgresConfiguration(url: "postgres://sluice:s%40cret@db.example:6543/work?sslmode=disable&pool_size=3")
        #expect(c.host == "db.example")
        #expect(c.port == 6543)
        #expect(c.username == "sluice")
        #expect(c.password == "s@cret")
        #expect(c.database == "work")
        #expect(c.tls == .disable)
        #expect(c.maximumConnections == 3)
        #expect(!c.description.contains("cret"))
        let d = try PostgresConfiguration(url: "postgresql://localhost/db")
        #expect(d.port == 5432 && d.username == "postgres" && d.tls == .prefer)
        #expect(throws: StoreError.self) { try PostgresConfiguration(url: "mysql://localhost/db") }
        #expect(throws: StoreError.self) { try PostgresConfiguration(url: "postgres://localhost/db?sslmode=bogus") }
        #expect(throws: StoreError.self) { try PostgresConfiguration(url: "postgres:///db") }
    }

    @Test func migrationsAreAppliedOnceEvenWhenNodesStartAtOnce() async throws {
        let configuration = try PostgresTestDatabase.configuration()
        // Five "nodes" open the same empty schema at once: the advisory lock queues them, the
        // first applies the migrations and the others find them applied.
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<5 { group.addTask { try await PostgresStore.connect(configuration) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        TestStores.current?.add(stores[0])
        for store in stores {
            #expect(try await store.appliedMigrations() == ["001_initial", "002_cluster", "003_transition_function", "004_attempt_base", "005_access", "006_queues", "007_human_tasks", "008_groups_and_queue_grants", "009_annotation", "010_schedules", "011_trace_context", "012_workflow_names", "013_execution_suspended", "014_annotation_item_filters", "015_append_events", "016_insert_executions", "017_apply_at_once"])
            #expect(store.instanceID == stores[0].instanceID, "one instance id per database")
        }
        #expect(try await stores[1].apply([.insertWorkflow(workflow("wf-1"))]) == [.applied])
        #expect(try await stores[2].workflow(id: "wf-1") != nil)
        for s in stores.dropFirst() { try await s.close() }
    }

    /// The previous release's schema (through 010_schedules) with data in it: the upgrade adds
    /// 011 and keeps every row; the executions it finds are untraced.
    @Test func aVersion10DatabaseIsUpgradedKeepingItsExecutions() async throws {
        let configuration = try PostgresTestDatabase.configuration()
        let first = try await PostgresStore.connect(configuration)
        TestStores.current?.add(first)
        var traced = execution("ex-2", tasks: 1)
        traced.execution.traceContext = "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        #expect(try await first.apply([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1", tasks: 2))]) == [.applied, .applied])
        // Back to the previous release's schema, its rows kept.
        let logger = Logger(label: "test")
        let connection = try await PostgresConnection.connect(configuration: try configuration.connectionConfiguration(), id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \(PostgresMigrations.quoteIdentifier(configuration.schema ?? "public"))"), logger: logger)
            try await connection.query("ALTER TABLE executions DROP COLUMN trace_context", logger: logger)
            try await connection.query("DELETE FROM sluice_migrations WHERE name = '011_trace_context'", logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        let second = try await PostgresStore.connect(configuration)
        TestStores.current?.add(second)
        #expect(try await second.appliedMigrations().suffix(4) == ["014_annotation_item_filters", "015_append_events", "016_insert_executions", "017_apply_at_once"])
        let kept = try #require(try await second.execution(id: "ex-1"))
        #expect(kept.tasks.count == 2 && kept.execution.traceContext == nil && kept.execution.workflowID == "wf-1")
        #expect(try await second.apply([.insertExecution(traced)]) == [.applied])
        #expect(try await second.execution(id: "ex-2")?.execution.traceContext == traced.execution.traceContext)
    }

    @Test func eventSeqsFollowCommitOrderUnderConcurrentWriters() async throws {
        let store = try await PostgresTestDatabase.makeStore()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask { _ = try await store.applyRecording([.insertExecution(execution("ex-\(i)", tasks: 1))]) }
            }
            try await group.waitForAll()
        }
        let events = try await store.events(workflowID: nil, after: 0, limit: 100)
        #expect(events.map(\.seq) == Array(1...40), "consecutive: no gaps, no duplicates")
        #expect(try await store.lastEventSeq() == 40)
    }

    /// A batch of new executions only, every one of them new, is one statement: no transaction
    /// of its own (no `BEGIN`, `NOTIFY` and `COMMIT` round trips). One that cannot insert every
    /// execution leaves nothing of that statement and takes a transaction, where each gets its
    /// outcome.
    @Test func aBatchOfNewExecutionsIsOneStatementWhenEveryOneIsInserted() async throws {
        let store = try await PostgresTestDatabase.makeStore()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        let before = store.transactionsBegun.load(ordering: .relaxed)
        #expect(try await store.applyRecording([.insertExecution(execution("ex-1")), .insertExecution(execution("ex-2"))]) == [.applied, .applied])
        #expect(store.transactionsBegun.load(ordering: .relaxed) == before)
        #expect(try await store.applyRecording([.insertExecution(execution("ex-3")), .insertExecution(execution("ex-1"))]) == [.applied, .idConflict])
        #expect(store.transactionsBegun.load(ordering: .relaxed) == before + 1)
        let events = try await store.events(workflowID: nil, after: 0, limit: 10)
        #expect(events.map(\.executionID) == ["ex-1", "ex-2", "ex-3"])
        #expect(events.map(\.seq) == [1, 2, 3])
    }

    /// So is a batch of transitions only, none of them stale; one with a stale transition leaves
    /// nothing of that statement and takes a transaction, where each gets its outcome.
    @Test func aBatchOfTransitionsIsOneStatementWhenNoneIsStale() async throws {
        let store = try await PostgresTestDatabase.makeStore()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1")), .insertExecution(execution("ex-2"))])
        let start = { (id: String, index: Int) in
            Mutation.transition(ExecutionTransition(executionID: id, tasks: [TaskChange(index: index, expected: [.pending], status: .running, startedAt: 10)],
                execution: index == 0 ? ExecutionChange(status: .running, startedAt: 10) : nil))
        }
        let before = store.transactionsBegun.load(ordering: .relaxed)
        #expect(try await store.applyRecording([start("ex-1", 0), start("ex-2", 0)]) == [.applied, .applied])
        #expect(store.transactionsBegun.load(ordering: .relaxed) == before)
        #expect(try await store.applyRecording([start("ex-1", 1), start("ex-2", 0)]) == [.applied, .stale])
        #expect(store.transactionsBegun.load(ordering: .relaxed) == before + 1)
        #expect(try await store.execution(id: "ex-1")?.tasks.map(\.status) == [.running, .running])
        #expect(try await store.execution(id: "ex-2")?.tasks.map(\.status) == [.running, .pending])
        let events = try await store.events(workflowID: nil, after: 0, limit: 20)
        #expect(events.map(\.seq) == Array(1...Int64(events.count)), "consecutive: no gaps, no duplicates")
        let types = events.filter { $0.executionID == "ex-1" }.map(\.type)
        #expect(types == ["execution.pending", "execution.running", "task.running", "task.running"])
    }

    /// And a batch that mixes them, in any order — a transition of an execution inserted earlier
    /// in the same batch included: one statement, each element seeing the ones before it, the
    /// events in the batch's order. With one stale transition it takes a transaction.
    @Test func aBatchOfNewExecutionsAndTransitionsIsOneStatement() async throws {
        let store = try await PostgresTestDatabase.makeStore()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        let start = { (id: String, index: Int) in
            Mutation.transition(ExecutionTransition(executionID: id, tasks: [TaskChange(index: index, expected: [.pending], status: .running, startedAt: 10)],
                execution: index == 0 ? ExecutionChange(status: .running, startedAt: 10) : nil))
        }
        let before = store.transactionsBegun.load(ordering: .relaxed)
        let mixed = [.insertExecution(execution("ex-2")), start("ex-2", 0), start("ex-1", 0), .insertExecution(execution("ex-3")), start("ex-2", 1)]
        #expect(try await store.applyRecording(mixed) == [.applied, .applied, .applied, .applied, .applied])
        #expect(store.transactionsBegun.load(ordering: .relaxed) == before)
        #expect(try await store.execution(id: "ex-2")?.tasks.map(\.status) == [.running, .running])
        #expect(try await store.execution(id: "ex-2")?.execution.status == .running)
        #expect(try await store.execution(id: "ex-3")?.tasks.map(\.status) == [.pending, .pending])
        let events = try await store.events(workflowID: nil, after: 1, limit: 20)
        #expect(events.map(\.seq) == Array(2...Int64(events.count + 1)), "consecutive: no gaps, no duplicates")
        #expect(events.map(\.executionID) == ["ex-2", "ex-2", "ex-2", "ex-1", "ex-1", "ex-3", "ex-2"])
        #expect(events.map(\.type) == ["execution.pending", "execution.running", "task.running", "execution.running", "task.running", "execution.pending", "task.running"])
        // A stale transition (ex-1's task 0 runs already) among them: a transaction, each its outcome.
        #expect(try await store.applyRecording([.insertExecution(execution("ex-4")), start("ex-1", 0), start("ex-1", 1)]) == [.applied, .stale, .applied])
        #expect(store.transactionsBegun.load(ordering: .relaxed) == before + 1)
        #expect(try await store.execution(id: "ex-4") != nil)
        #expect(try await store.execution(id: "ex-1")?.tasks.map(\.status) == [.running, .running])
    }

    @Test func anUnreachableServerIsAClearError() async throws {
        _ = try PostgresTestDatabase.configuration()
        var configuration = try PostgresConfiguration(url: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable")
        configuration.schema = "unused"
        await #expect(throws: StoreError.self) { _ = try await PostgresStore.connect(configuration) }
    }
}
