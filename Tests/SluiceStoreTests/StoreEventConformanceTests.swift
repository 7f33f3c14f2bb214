import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// Events (the outbox), webhook subscriptions and deliveries: every driver behaves the same.
@Suite(.postgresSchemas) struct StoreEventConformanceTests {
    func data(_ e: EventRecord) throws -> JSONValue { try JSONParser.parse(e.data) }

    @Test(arguments: Driver.allCases)
    func everyCommittedStatusChangeIsAnEventInCommitOrder(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 10, attempt: 1),
        ], execution: ExecutionChange(status: .running, startedAt: 10)))])
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.running], status: .completed, output: ["text": "out"], completedAt: 20),
            TaskChange(index: 1, expected: [.pending], status: .completed, output: ["text": "last"], startedAt: 20, completedAt: 21, attempt: 1),
        ], execution: ExecutionChange(status: .completed, output: ["text": "last"], completedAt: 21)))])
        let events = try await store.events(executionID: "ex-1", after: 0, limit: 100)
        #expect(events.map(\.type) == [
            "execution.pending", "execution.running", "task.running", "task.completed", "task.completed", "execution.completed",
        ], "an execution's start comes before the task events of the same commit")
        #expect(events.map(\.seq) == events.map(\.seq).sorted() && Set(events.map(\.seq)).count == events.count)
        let running = try data(events[2])
        #expect(running["task_id"] == "task-0" && running["step_id"] == "step-1" && running["type"] == "Echo")
        #expect(running["status"] == "RUNNING" && running["attempt"] == 1 && running["execution_id"] == "ex-1" && running["workflow_id"] == "wf-1")
        let completed = try data(events[3])
        #expect(completed["output"] == ["text": "out"], "a completion carries its output")
        #expect(completed["started_at"] == Optional<Int64>(10).timestamp, "the state after the change, not only what changed")
        let finished = try data(events[5])
        #expect(try data(events[1])["status"] == "RUNNING" && (try data(events[1]))["started_at"] == Optional<Int64>(10).timestamp)
        #expect(finished["status"] == "COMPLETED" && finished["output"] == ["text": "last"] && finished["started_at"] == Optional<Int64>(10).timestamp)
        #expect(try await store.events(executionID: "ex-1", after: events[2].seq, limit: 2).map(\.seq) == [events[3].seq, events[4].seq])
        #expect(try await store.lastEventSeq() == events.last!.seq)
    }

    @Test(arguments: Driver.allCases)
    func anExecutionThatRunsAndFinishesInOneCommitStillReportsItsStart(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1", tasks: 1))])
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .completed, output: ["text": "x"], startedAt: 3, completedAt: 4, attempt: 1),
        ], execution: ExecutionChange(status: .completed, output: ["text": "x"], startedAt: 3, completedAt: 4)))])
        let events = try await store.events(executionID: "ex-1", after: 0, limit: 10)
        #expect(events.map(\.type) == ["execution.pending", "execution.running", "task.completed", "execution.completed"])
        #expect(try await store.execution(id: "ex-1")?.execution.status == .completed)
    }

    @Test(arguments: Driver.allCases)
    func aTransitionThatDoesNotApplyLeavesNoEvent(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        let before = try await store.lastEventSeq()
        // The second change expects a status the task is not in: none of it applies.
        #expect(try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .completed, output: ["text": "x"]),
            TaskChange(index: 1, expected: [.running], status: .completed, output: ["text": "y"]),
        ], execution: ExecutionChange(status: .completed)))]) == [.stale])
        #expect(try await store.lastEventSeq() == before)
        #expect(try await store.events(executionID: "ex-1", after: 0, limit: 10).map(\.type) == ["execution.pending"])
    }

    @Test(arguments: Driver.allCases)
    func eventsAcrossExecutionsFilterByWorkflow(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2"))])
        _ = try await store.applyRecording([.insertExecution(execution("ex-1")), .insertExecution(execution("ex-2", workflow: "wf-2")), .insertExecution(execution("ex-3"))])
        let all = try await store.events(workflowID: nil, after: 0, limit: 10)
        #expect(all.map(\.executionID) == ["ex-1", "ex-2", "ex-3"])
        #expect(try await store.events(workflowID: "wf-1", after: 0, limit: 10).map(\.executionID) == ["ex-1", "ex-3"])
        #expect(try await store.events(workflowID: nil, after: all[0].seq, limit: 1).map(\.executionID) == ["ex-2"])
        #expect(!store.instanceID.isEmpty)
    }

    func subscription(_ id: String, workflow: String = "wf-1", types: [String] = []) -> SubscriptionRecord {
        SubscriptionRecord(id: id, workflowID: workflow, url: "https://example.com/\(id)", eventTypes: types, secret: "whsec_new", createdAt: 1)
    }

    @Test(arguments: Driver.allCases)
    func subscriptionsAreStoredRotatedDisabledAndDeleted(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        let last = try await store.lastEventSeq()
        #expect(try await store.applyRecording([.insertSubscription(subscription("wh-1", types: ["task.failed"])), .insertSubscription(subscription("wh-1"))]) == [.applied, .idConflict])
        var sub = try #require(try await store.subscription(id: "wh-1"))
        #expect(sub.eventTypes == ["task.failed"] && sub.fromEventSeq == last, "it receives events committed after its creation")
        #expect(sub.wants("task.failed") && !sub.wants("task.completed"))
        #expect(try await store.applyRecording([.rotateSubscriptionSecret(workflowID: "wf-1", id: "wh-1", secret: "whsec_newer", previousExpiresAt: 100)]) == [.applied])
        sub = try #require(try await store.subscription(id: "wh-1"))
        #expect(sub.secret == "whsec_newer" && sub.previousSecret == "whsec_new")
        #expect(sub.signingSecrets(now: 99) == ["whsec_newer", "whsec_new"] && sub.signingSecrets(now: 100) == ["whsec_newer"])
        #expect(try await store.applyRecording([.rotateSubscriptionSecret(workflowID: "wf-2", id: "wh-1", secret: "x", previousExpiresAt: 1)]) == [.stale], "another workflow's id")
        #expect(try await store.applyRecording([.disableSubscription(id: "wh-1", at: 5, reason: "410 Gone")]) == [.applied])
        #expect(try await store.applyRecording([.disableSubscription(id: "wh-1", at: 6, reason: "again")]) == [.stale])
        #expect(try await store.activeSubscriptions().isEmpty)
        #expect(try await store.subscriptions(workflowID: "wf-1").map(\.disabledReason) == ["410 Gone"])
        #expect(try await store.applyRecording([.deleteSubscription(workflowID: "wf-1", id: "wh-1", at: 7)]) == [.applied])
        #expect(try await store.applyRecording([.deleteSubscription(workflowID: "wf-1", id: "wh-1", at: 7)]) == [.stale])
        #expect(try await store.subscription(id: "wh-1") == nil)
    }

    func delivery(_ id: String, execution: String = "ex-1", event: Int64, subscription: String? = nil, at: Int64 = 0) -> DeliveryRecord {
        DeliveryRecord(id: id, executionID: execution, eventSeq: event, subscriptionID: subscription, url: "https://example.com/hook", nextAttemptAt: at, createdAt: 0)
    }

    @Test(arguments: Driver.allCases)
    func fanOutMovesTheCursorOnceAndDeliveriesGoInOrderPerLane(driver: Driver) async throws {
        let store = try await driver.make()
        var ex1 = execution("ex-1")
        ex1.execution.webhookURL = "https://example.com/hook"
        ex1.execution.webhookSecret = "whsec_exec"
        ex1.execution.traceContext = "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(ex1), .insertExecution(execution("ex-2"))])
        _ = try await store.applyRecording([.insertSubscription(subscription("wh-1"))])
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 1)]))])
        let events = try await store.fanOutEvents(after: 0, limit: 10)
        #expect(events.map(\.event.type) == ["execution.pending", "execution.pending", "task.running"])
        #expect(events[0].webhookURL == "https://example.com/hook" && events[0].webhookSecret == "whsec_exec" && events[1].webhookURL == nil)
        #expect(try await store.fanOutCursor() == 0)
        let (e1, e3) = (events[0].event.seq, events[2].event.seq)
        #expect(try await store.applyRecording([.fanOut(after: 0, through: e3, deliveries: [
            delivery("dlv-1", event: e1), delivery("dlv-2", event: e3), delivery("dlv-3", event: e3, subscription: "wh-1"),
        ])]) == [.applied])
        #expect(try await store.applyRecording([.fanOut(after: 0, through: e3, deliveries: [delivery("dlv-9", event: e1)])]) == [.stale], "a second fan-out of the same events")
        #expect(try await store.fanOutCursor() == e3)

        var due = try await store.dueDeliveries(now: 10, limit: 10)
        #expect(due.map(\.delivery.id) == ["dlv-1", "dlv-3"], "dlv-2 waits for dlv-1, the earlier delivery of its lane")
        #expect(due[0].secrets == ["whsec_exec"] && due[1].secrets == ["whsec_new"])
        #expect(due[0].traceContext == ex1.execution.traceContext && due[1].traceContext == ex1.execution.traceContext, "deliveries go with their execution's trace")
        #expect(try await store.execution(id: "ex-1")?.execution.traceContext == ex1.execution.traceContext)
        #expect(try await store.execution(id: "ex-2")?.execution.traceContext == nil)
        #expect(due[0].event.type == "execution.pending" && due[0].delivery.eventType == "execution.pending")
        // A failed attempt keeps the lane waiting until it is due again.
        #expect(try await store.applyRecording([.recordDeliveryAttempt(id: "dlv-1", attempt: ["attempt": 1, "status_code": 500], status: .pending, nextAttemptAt: 50, at: 10)]) == [.applied])
        due = try await store.dueDeliveries(now: 20, limit: 10)
        #expect(due.map(\.delivery.id) == ["dlv-3"])
        #expect(try await store.nextDeliveryAt() == 0)
        #expect(try await store.applyRecording([.recordDeliveryAttempt(id: "dlv-3", attempt: ["attempt": 1, "status_code": 200], status: .succeeded, nextAttemptAt: nil, at: 20)]) == [.applied])
        #expect(try await store.nextDeliveryAt() == 0, "dlv-2 is pending, due at 0 behind dlv-1")
        #expect(try await store.applyRecording([.recordDeliveryAttempt(id: "dlv-1", attempt: ["attempt": 2, "status_code": 200], status: .succeeded, nextAttemptAt: nil, at: 50)]) == [.applied])
        #expect(try await store.applyRecording([.recordDeliveryAttempt(id: "dlv-1", attempt: ["attempt": 3], status: .succeeded, nextAttemptAt: nil, at: 50)]) == [.stale], "only a pending delivery takes attempts")
        #expect(try await store.dueDeliveries(now: 60, limit: 10).map(\.delivery.id) == ["dlv-2"])

        let listed = try await store.deliveries(executionID: "ex-1", after: 0, limit: 10)
        #expect(listed.map(\.id) == ["dlv-1", "dlv-2", "dlv-3"])
        #expect(listed[0].status == .succeeded && listed[0].attempts.count == 2 && listed[0].completedAt == 50 && listed[0].nextAttemptAt == nil)
        #expect(listed[1].eventType == "task.running")
        #expect(try await store.delivery(id: "dlv-3")?.status == .succeeded)
        #expect(try await store.applyRecording([.insertDelivery(delivery("dlv-3", event: e1))]) == [.idConflict])
    }

    @Test(arguments: Driver.allCases)
    func disablingOrDeletingASubscriptionOrAGoneReceiverCancelsPendingDeliveries(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        _ = try await store.applyRecording([.insertSubscription(subscription("wh-1")), .insertSubscription(subscription("wh-2"))])
        let e = try await store.lastEventSeq()
        _ = try await store.applyRecording([.fanOut(after: 0, through: e, deliveries: [
            delivery("dlv-1", event: e, subscription: "wh-1"), delivery("dlv-2", event: e, subscription: "wh-2"), delivery("dlv-3", event: e),
        ])])
        _ = try await store.applyRecording([.disableSubscription(id: "wh-1", at: 9, reason: "gone"), .deleteSubscription(workflowID: "wf-1", id: "wh-2", at: 9), .cancelExecutionDeliveries(executionID: "ex-1", at: 9)])
        let listed = try await store.deliveries(executionID: "ex-1", after: 0, limit: 10)
        #expect(listed.map(\.status) == [.cancelled, .cancelled, .cancelled])
        #expect(listed.allSatisfy { $0.completedAt == 9 && $0.nextAttemptAt == nil })
        #expect(try await store.dueDeliveries(now: 100, limit: 10).isEmpty)
        #expect(try await store.nextDeliveryAt() == nil)
    }

    /// The sender reads the active subscriptions, then commits a fan-out; a 410 that disables a
    /// subscription may commit in between. The fan-out then stores no deliveries for it: they
    /// would be pending behind a disabled subscription and sent (seen on PostgreSQL, where
    /// the window is wider, as a receiver that answered 410 getting every later event).
    @Test(arguments: Driver.allCases)
    func aFanOutStoresNoDeliveriesForASubscriptionDisabledMeanwhile(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1"))])
        _ = try await store.applyRecording([.insertSubscription(subscription("wh-1")), .insertSubscription(subscription("wh-2"))])
        let e = try await store.lastEventSeq()
        #expect(try await store.applyRecording([.disableSubscription(id: "wh-1", at: 9, reason: "gone")]) == [.applied])
        #expect(try await store.applyRecording([.fanOut(after: 0, through: e, deliveries: [
            delivery("dlv-1", event: e, subscription: "wh-1"), delivery("dlv-2", event: e, subscription: "wh-2"), delivery("dlv-3", event: e),
        ])]) == [.applied])
        #expect(try await store.fanOutCursor() == e)
        #expect(try await store.deliveries(executionID: "ex-1", after: 0, limit: 10).map(\.id) == ["dlv-2", "dlv-3"])
    }

    /// The previous release's schema (through 011_schedules) with data in it: the upgrade keeps
    /// its workflows, executions and schedules, and its executions run on untraced.
    @Test func aVersion11DatabaseIsUpgradedKeepingItsExecutionsAndSchedules() async throws {
        let path = Scratch.root.appendingPathComponent("sluice-upgrade-\(UUID().uuidString).db").path
        let spec = ScheduleSpec(timing: .interval(seconds: 60), overlap: .skip, paused: false, input: [:]).json.jsonString
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteMigrations.migrator.migrate(pool, upTo: "011_schedules")
            try await pool.write { db in
                try db.execute(sql: #"INSERT INTO workflows (id, name, definition, created_at, updated_at) VALUES ('wf-1', 'w', '{"name":"w","steps":[{"type":"Echo"}]}', 1, 1)"#)
                try db.execute(sql: "INSERT INTO executions (id, workflow_id, status, input, created_at, webhook_url, webhook_secret) VALUES ('ex-1', 'wf-1', 'RUNNING', '{}', 2, 'https://example.com/h', 'whsec_x')")
                try db.execute(sql: "INSERT INTO tasks (execution_seq, idx, task_id, step_id, type, status, attempt) VALUES (1, 0, 'task-1', 'step-1', 'Echo', 'RUNNING', 1)")
                try db.execute(sql: "INSERT INTO schedules (id, workflow_id, spec, paused, created_at, updated_at, revision, next_fire_at) VALUES ('sch-1', 'wf-1', ?, 0, 1, 1, 1, 60000)", arguments: [spec])
                try db.execute(sql: "INSERT INTO schedule_fires (schedule_id, due, at, outcome, execution_id) VALUES ('sch-1', 1000, 1000, 'fired', 'ex-1')")
            }
            try pool.close()
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations().suffix(4) == ["012_trace_context", "013_workflow_names", "014_execution_suspended", "015_annotation_item_filters"])
        let execution = try #require(try await store.execution(id: "ex-1"))
        #expect(execution.execution.status == .running && execution.execution.webhookSecret == "whsec_x" && execution.execution.traceContext == nil)
        #expect(execution.tasks.map(\.status) == [.running])
        #expect(try await store.schedule(id: "sch-1")?.nextFireAt == 60000)
        #expect(try await store.scheduleFires(scheduleID: "sch-1", limit: 10, before: nil).items.map(\.executionID) == ["ex-1"])
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.running], status: .completed, output: ["text": "x"], completedAt: 5),
        ], execution: ExecutionChange(status: .completed, output: ["text": "x"], completedAt: 5)))])
        #expect(try await store.execution(id: "ex-1")?.execution.status == .completed)
    }

    @Test func eventIDsCarryTheirSeqAndTheStoreInstance() {
        #expect(EventID.make(instance: "abc", seq: 42) == "evt_abc_42")
        #expect(EventID.seq("evt_abc_42") == 42 && EventID.seq("42") == 42)
        #expect(EventID.seq("evt_42") == nil && EventID.seq("nonsense") == nil && EventID.seq("-1") == nil)
        #expect(EventID.seq("evt__5") == nil && EventID.seq("_evt_a_5_") == nil && EventID.seq("evt_a_5_") == nil)
        #expect(EventID.parse("evt_abc_42")?.instance == "abc" && EventID.parse("42")?.instance == nil)
    }

    @Test func aVersion3DatabaseIsUpgradedAndItsRunningExecutionsProduceEvents() async throws {
        let path = Scratch.root.appendingPathComponent("sluice-upgrade-\(UUID().uuidString).db").path
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteMigrations.migrator.migrate(pool, upTo: "003_workflow_versions")
            try await pool.write { db in
                try db.execute(sql: #"INSERT INTO workflows (id, name, definition, created_at, updated_at) VALUES ('wf-1', 'w', '{"name":"w","steps":[{"type":"Echo"}]}', 1, 1)"#)
                try db.execute(sql: "INSERT INTO executions (id, workflow_id, status, input, created_at, webhook_url) VALUES ('ex-1', 'wf-1', 'RUNNING', '{}', 2, 'https://example.com/h')")
                try db.execute(sql: "INSERT INTO tasks (execution_seq, idx, task_id, step_id, type, status, attempt) VALUES (1, 0, 'task-1', 'step-1', 'Echo', 'RUNNING', 1)")
            }
            try pool.close()
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations().last == "015_annotation_item_filters")
        #expect(store.instanceID.count == 8)
        #expect(try await store.lastEventSeq() == 0, "no events for changes made before events existed")
        #expect(try await store.fanOutCursor() == 0)
        #expect(try await store.execution(id: "ex-1")?.execution.webhookSecret == nil)
        _ = try await store.applyRecording([.transition(.init(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.running], status: .completed, output: ["text": "x"], completedAt: 5),
        ], execution: ExecutionChange(status: .completed, output: ["text": "x"], completedAt: 5)))])
        #expect(try await store.events(executionID: "ex-1", after: 0, limit: 10).map(\.type) == ["task.completed", "execution.completed"])
        let reopened = try SQLiteStore(path: path)
        #expect(reopened.instanceID == store.instanceID, "the instance id is chosen once per database")
    }
}
