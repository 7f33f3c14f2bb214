import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// Attempts, wake times, reopening and task logs: every driver behaves the same.
@Suite(.postgresSchemas) struct StoreControlConformanceTests {
    @Test(arguments: Driver.allCases)
    func failedAttemptsAccumulateAndWakeTimesAreWrittenAndCleared(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        let first: JSONValue = ["attempt": 1, "error": ["message": "boom"]]
        let second: JSONValue = ["attempt": 2, "error": ["message": "bang"]]
        #expect(try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending, .running], status: .retrying, attempt: 1, failedAttempt: first, wakeAt: 500),
        ]))]) == [.applied])
        var task = try #require(try await store.execution(id: "ex-1")?.tasks[0])
        #expect(task.status == .retrying && task.attempt == 1 && task.wakeAt == 500 && task.attempts == [first])
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.retrying], status: .failed, error: ["message": "bang"], attempt: 2, failedAttempt: second),
        ]))])
        task = try #require(try await store.execution(id: "ex-1")?.tasks[0])
        #expect(task.status == .failed && task.attempt == 2 && task.wakeAt == nil, "wake_at is cleared by a change without one")
        #expect(task.attempts == [first, second])
    }

    @Test(arguments: Driver.allCases)
    func reopeningClearsTheOutcomeButKeepsTheAttemptHistory(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        let attempt: JSONValue = ["attempt": 1]
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .failed, input: ["text": "x"], error: ["message": "boom"], startedAt: 1, completedAt: 2, attempt: 1, failedAttempt: attempt),
            TaskChange(index: 1, expected: [.pending], status: .skipped, completedAt: 2),
        ], execution: ExecutionChange(status: .failed, error: ["message": "boom"], startedAt: 1, completedAt: 2)))])
        #expect(try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.failed, .cancelled, .skipped], status: .pending, reset: true, attemptBase: 1),
            TaskChange(index: 1, expected: [.failed, .cancelled, .skipped], status: .pending, reset: true, attemptBase: 0),
        ], execution: ExecutionChange(status: .running, reopen: true, deadlineAt: 99)))]) == [.applied])
        let detail = try #require(try await store.execution(id: "ex-1"))
        #expect(detail.execution.status == .running)
        #expect(detail.execution.error == nil && detail.execution.completedAt == nil)
        #expect(detail.execution.startedAt == 1, "the first start is kept")
        #expect(detail.execution.deadlineAt == 99)
        #expect(detail.tasks[0].status == .pending && detail.tasks[0].error == nil && detail.tasks[0].input == nil)
        #expect(detail.tasks[0].attempt == 1 && detail.tasks[0].attemptBase == 1, "attempt numbers go on; the retry budget counts from the reopen")
        #expect(detail.tasks[0].attempts == [attempt])
        #expect(try await store.unfinishedExecutions().map(\.execution.id) == ["ex-1"])
    }

    @Test(arguments: Driver.allCases)
    func aSuspendIsStoredWithTheExecutionAndOnlyAnUnfinishedOneIsSuspended(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        #expect(try await store.execution(id: "ex-1")?.execution.suspended == false)
        #expect(try await store.applyRecording([.suspendExecution(executionID: "ex-1", suspended: true)]) == [.applied])
        #expect(try await store.execution(id: "ex-1")?.execution.suspended == true)
        #expect(try await store.unfinishedExecutions().first?.execution.suspended == true, "a restart reads it suspended")
        #expect(try await store.executions(workflowID: "wf-1", status: nil, limit: 10, before: nil).items.first?.suspended == true)
        #expect(try await store.applyRecording([.suspendExecution(executionID: "ex-1", suspended: false)]) == [.applied])
        #expect(try await store.execution(id: "ex-1")?.execution.suspended == false)
        #expect(try await store.applyRecording([.suspendExecution(executionID: "nope", suspended: true)]) == [.stale])
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [], execution: ExecutionChange(status: .cancelled, completedAt: 3)))])
        #expect(try await store.applyRecording([.suspendExecution(executionID: "ex-1", suspended: true)]) == [.stale], "a finished execution is not suspended")
        #expect(try await store.execution(id: "ex-1")?.execution.suspended == false)
    }

    @Test(arguments: Driver.allCases)
    func cancelledExecutionsAreFinished(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .cancelled, completedAt: 3),
            TaskChange(index: 1, expected: [.pending], status: .cancelled, completedAt: 3),
        ], execution: ExecutionChange(status: .cancelled, completedAt: 3)))])
        #expect(try await store.unfinishedExecutions().isEmpty)
        #expect(try await store.executions(workflowID: "wf-1", status: .cancelled, limit: 5, before: nil).items.map(\.id) == ["ex-1"])
    }

    @Test(arguments: Driver.allCases)
    func logLinesAreNumberedPerTaskAndPaged(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1")), .insertExecution(execution("ex-2"))])
        func line(_ e: String, _ i: Int, _ text: String) -> TaskLogLine { TaskLogLine(executionID: e, index: i, at: 7, attempt: 1, source: "step", line: text) }
        _ = try await store.applyRecording([.appendLogs([line("ex-1", 0, "a"), line("ex-1", 1, "other task"), line("ex-1", 0, "b")])])
        _ = try await store.applyRecording([.appendLogs([line("ex-1", 0, "c"), line("ex-2", 0, "other execution"), line("ex-none", 0, "dropped")])])
        let all = try await store.logs(executionID: "ex-1", index: 0, after: 0, limit: 10)
        #expect(all.map(\.line) == ["a", "b", "c"])
        #expect(all.map(\.seq) == [1, 2, 3])
        #expect(all.allSatisfy { $0.at == 7 && $0.attempt == 1 && $0.source == "step" })
        #expect(try await store.logs(executionID: "ex-1", index: 0, after: 1, limit: 1).map(\.line) == ["b"])
        #expect(try await store.logs(executionID: "ex-1", index: 1, after: 0, limit: 10).map(\.seq) == [1])
        #expect(try await store.logs(executionID: "ex-2", index: 0, after: 0, limit: 10).map(\.line) == ["other execution"])
    }

    @Test func aVersion1DatabaseIsUpgradedInPlace() async throws {
        let path = Scratch.root.appendingPathComponent("sluice-upgrade-\(UUID().uuidString).db").path
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteMigrations.migrator.migrate(pool, upTo: "001_workflows_executions_tasks")
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO workflows (id, name, definition, created_at) VALUES ('wf-1', 'w', '{}', 1)")
                try db.execute(sql: "INSERT INTO executions (id, workflow_id, status, input, created_at) VALUES ('ex-1', 'wf-1', 'RUNNING', '{}', 2)")
                try db.execute(sql: "INSERT INTO tasks (execution_seq, idx, task_id, step_id, type, status) VALUES (1, 0, 'task-1', 'step-1', 'Echo', 'RUNNING')")
            }
            try pool.close()
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations() == ["001_workflows_executions_tasks", "002_attempts_timers_logs", "003_workflow_versions", "004_events_webhooks", "005_attempt_base", "006_access", "007_queues", "008_human_tasks", "009_groups_and_queue_grants", "010_annotation", "011_schedules", "012_trace_context", "013_workflow_names", "014_execution_suspended", "015_annotation_item_filters"])
        let detail = try #require(try await store.execution(id: "ex-1"))
        #expect(detail.tasks[0].status == .running)
        #expect(detail.tasks[0].attempt == 0 && detail.tasks[0].attempts.isEmpty && detail.tasks[0].wakeAt == nil)
        #expect(detail.execution.deadlineAt == nil)
    }
}
