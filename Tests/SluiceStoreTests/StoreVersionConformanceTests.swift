import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

func version(_ workflowID: String, name: String, steps: JSONValue = [["type": "Echo"]], at t: Int64) -> WorkflowVersionRecord {
    WorkflowVersionRecord(workflowID: workflowID, version: 0, name: name, description: "d \(name)", definition: ["name": .string(name), "steps": steps], createdAt: t)
}

/// Workflow versions and the version each execution runs: every driver behaves the same.
@Suite(.postgresSchemas) struct StoreVersionConformanceTests {
    @Test(arguments: Driver.allCases)
    func aNewWorkflowIsVersion1(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1", at: 7))])
        let head = try #require(try await store.workflow(id: "wf-1"))
        #expect(head.version == 1)
        #expect(head.updatedAt == 7)
        let first = try #require(try await store.workflowVersion(id: "wf-1", version: 1))
        #expect(first == WorkflowVersionRecord(workflowID: "wf-1", version: 1, name: "w wf-1", description: nil, definition: head.definition, createdAt: 7))
        #expect(try await store.workflowVersion(id: "wf-1", version: 2) == nil)
        #expect(try await store.workflowVersion(id: "wf-1", version: 0) == nil)
        #expect(try await store.workflowVersion(id: "wf-404", version: 1) == nil)
    }

    @Test(arguments: Driver.allCases)
    func aNewVersionBecomesTheHeadAndKeepsTheOldOnes(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1", at: 1)), .insertWorkflow(workflow("wf-2", at: 2))])
        let v2 = version("wf-1", name: "second", steps: [["type": "TextOperation.Reverse"]], at: 9)
        #expect(try await store.applyRecording([.insertWorkflowVersion(v2, expectedVersion: 1)]) == [.applied])
        let head = try #require(try await store.workflow(id: "wf-1"))
        #expect(head.version == 2)
        #expect(head.name == "second" && head.description == "d second")
        #expect(head.definition == v2.definition, "the head holds the latest definition")
        #expect(head.createdAt == 1, "created_at stays the first version's")
        #expect(head.updatedAt == 9)
        let stored = try #require(try await store.workflowVersion(id: "wf-1", version: 2))
        #expect(stored.version == 2 && stored.name == "second" && stored.definition == v2.definition && stored.createdAt == 9)
        #expect(try await store.workflowVersion(id: "wf-1", version: 1)?.definition == workflow("wf-1").definition, "version 1 is unchanged")
        #expect(try await store.workflows(limit: 10, before: nil).items.map(\.id) == ["wf-2", "wf-1"], "a new version does not move a workflow in the list")
        #expect(try await store.workflow(id: "wf-2")?.version == 1, "other workflows are untouched")
    }

    @Test(arguments: Driver.allCases)
    func anOutdatedExpectedVersionIsAConflictAndStoresNothing(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        // Two writers that both read version 1: the first wins, the second learns the version.
        let outcomes = try await store.applyRecording([
            .insertWorkflowVersion(version("wf-1", name: "a", at: 2), expectedVersion: 1),
            .insertWorkflowVersion(version("wf-1", name: "b", at: 3), expectedVersion: 1),
        ])
        #expect(outcomes == [.applied, .versionConflict(current: 2)])
        #expect(try await store.applyRecording([.insertWorkflowVersion(version("wf-1", name: "c", at: 4), expectedVersion: 5)]) == [.versionConflict(current: 2)])
        let head = try #require(try await store.workflow(id: "wf-1"))
        #expect(head.version == 2 && head.name == "a" && head.updatedAt == 2)
        #expect(try await store.workflowVersion(id: "wf-1", version: 3) == nil)
        #expect(try await store.applyRecording([.insertWorkflowVersion(version("wf-404", name: "x", at: 5), expectedVersion: 1)]) == [.stale], "no such workflow")
        #expect(try await store.workflowVersions(id: "wf-404", limit: 10, before: nil).items.isEmpty)
    }

    @Test(arguments: Driver.allCases)
    func versionsPageNewestFirst(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2"))])
        for v in 1...4 {
            #expect(try await store.applyRecording([.insertWorkflowVersion(version("wf-1", name: "v\(v + 1)", at: Int64(v + 1)), expectedVersion: v)]) == [.applied])
        }
        _ = try await store.applyRecording([.insertWorkflowVersion(version("wf-2", name: "other", at: 9), expectedVersion: 1)])
        var pages: [[Int]] = []
        var cursor: Int64?
        repeat {
            let page = try await store.workflowVersions(id: "wf-1", limit: 2, before: cursor)
            pages.append(page.items.map(\.version))
            cursor = page.nextCursor
        } while cursor != nil
        #expect(pages == [[5, 4], [3, 2], [1]])
        let all = try await store.workflowVersions(id: "wf-1", limit: 10, before: nil)
        #expect(all.items.map(\.name) == ["v5", "v4", "v3", "v2", "w wf-1"])
        #expect(all.items.map(\.createdAt) == [5, 4, 3, 2, 1])
        #expect(all.nextCursor == nil)
        #expect(try await store.workflowVersions(id: "wf-2", limit: 10, before: nil).items.map(\.version) == [2, 1])
    }

    @Test(arguments: Driver.allCases)
    func anExecutionKeepsTheVersionItRuns(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        _ = try await store.applyRecording([.insertWorkflowVersion(version("wf-1", name: "v2", at: 2), expectedVersion: 1)])
        var old = execution("ex-1")
        old.execution.workflowVersion = 1
        var new = execution("ex-2")
        new.execution.workflowVersion = 2
        #expect(try await store.applyRecording([.insertExecution(old), .insertExecution(new)]) == [.applied, .applied])
        _ = try await store.applyRecording([.insertWorkflowVersion(version("wf-1", name: "v3", at: 3), expectedVersion: 2)])
        #expect(try await store.execution(id: "ex-1")?.execution.workflowVersion == 1)
        #expect(try await store.execution(id: "ex-2")?.execution.workflowVersion == 2)
        #expect(try await store.executions(workflowID: "wf-1", status: nil, limit: 10, before: nil).items.map(\.workflowVersion) == [2, 1])
        #expect(try await store.unfinishedExecutions().map(\.execution.workflowVersion) == [1, 2])
    }

    @Test func aVersion2DatabaseIsUpgradedWithItsWorkflowsAsVersion1() async throws {
        let path = Scratch.root.appendingPathComponent("sluice-upgrade-\(UUID().uuidString).db").path
        let definition = #"{"name":"w","steps":[{"type":"Echo"}]}"#
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteMigrations.migrator.migrate(pool, upTo: "002_attempts_timers_logs")
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO workflows (id, name, description, definition, created_at) VALUES ('wf-1', 'w', 'about w', ?, 1)", arguments: [definition])
                try db.execute(sql: "INSERT INTO executions (id, workflow_id, status, input, created_at, deadline_at) VALUES ('ex-1', 'wf-1', 'RUNNING', '{}', 2, 99)")
                try db.execute(sql: "INSERT INTO tasks (execution_seq, idx, task_id, step_id, type, status, attempt) VALUES (1, 0, 'task-1', 'step-1', 'Echo', 'RUNNING', 1)")
            }
            try pool.close()
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations() == ["001_workflows_executions_tasks", "002_attempts_timers_logs", "003_workflow_versions", "004_events_webhooks", "005_attempt_base", "006_access", "007_queues", "008_human_tasks", "009_groups_and_queue_grants", "010_annotation", "011_schedules", "012_trace_context", "013_workflow_names", "014_execution_suspended", "015_annotation_item_filters"])
        let head = try #require(try await store.workflow(id: "wf-1"))
        #expect(head.version == 1 && head.createdAt == 1 && head.updatedAt == 1)
        let first = try #require(try await store.workflowVersion(id: "wf-1", version: 1))
        #expect(first == WorkflowVersionRecord(workflowID: "wf-1", version: 1, name: "w", description: "about w", definition: try JSONParser.parse(definition), createdAt: 1))
        #expect(try await store.workflowVersions(id: "wf-1", limit: 10, before: nil).items.map(\.version) == [1])
        let detail = try #require(try await store.execution(id: "ex-1"))
        #expect(detail.execution.workflowVersion == 1)
        #expect(detail.execution.deadlineAt == 99 && detail.tasks[0].attempt == 1)
        #expect(try await store.unfinishedExecutions().map(\.execution.workflowVersion) == [1])
        // And the upgraded workflow takes new versions.
        #expect(try await store.applyRecording([.insertWorkflowVersion(version("wf-1", name: "w2", at: 5), expectedVersion: 1)]) == [.applied])
        #expect(try await store.workflow(id: "wf-1")?.version == 2)
    }

    @Test func aVersion5DatabaseIsUpgradedWithItsWorkflowsInTheDefaultNamespace() async throws {
        let path = Scratch.root.appendingPathComponent("sluice-upgrade-\(UUID().uuidString).db").path
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteMigrations.migrator.migrate(pool, upTo: "005_attempt_base")
            try await pool.write { db in
                try db.execute(sql: #"INSERT INTO workflows (id, name, definition, created_at, updated_at) VALUES ('wf-1', 'w', '{"name":"w","steps":[{"type":"Echo"}]}', 1, 1)"#)
            }
            try pool.close()
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations().last == "015_annotation_item_filters")
        #expect(try await store.workflow(id: "wf-1")?.namespace == "default")
        #expect(try await store.workflows(limit: 10, before: nil, namespaces: ["default"]).items.map(\.id) == ["wf-1"])
        #expect(try await store.accounts(limit: 10, before: nil).items.isEmpty)
    }
}
