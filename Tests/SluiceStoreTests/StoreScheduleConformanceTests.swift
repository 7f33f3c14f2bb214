import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// Schedules and their fire records: what every driver does the same way.
@Suite(.postgresSchemas) struct StoreScheduleConformanceTests {
    func record(_ id: String, workflow: String = "wf-1", every seconds: Int64 = 60, createdAt: Int64 = 1_000, paused: Bool = false) -> ScheduleRecord {
        let spec = ScheduleSpec(timing: .interval(seconds: seconds), overlap: .skip, paused: paused, input: ["text": "hi"])
        return ScheduleRecord(id: id, workflowID: workflow, schedule: Schedule(spec: spec, createdAt: createdAt), updatedAt: createdAt, nextFireAt: paused ? nil : createdAt + seconds * 1000, createdBy: "ana")
    }

    @Test(arguments: Driver.allCases)
    func aScheduleIsStoredReadBackAndNeedsItsWorkflow(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        var cron = record("sch-2")
        cron.schedule.spec = ScheduleSpec(timing: .cron(try CronExpression(parsing: "30 9 * * MON-FRI")), timeZone: try #require(ScheduleTimeZone(identifier: "Europe/Berlin")), overlap: .queueOne, catchupSeconds: 600, input: ["n": 2])
        #expect(try await store.applyRecording([.insertSchedule(record("sch-1")), .insertSchedule(cron)]) == [.applied, .applied])
        #expect(try await store.applyRecording([.insertSchedule(record("sch-1"))]) == [.idConflict])
        #expect(try await store.applyRecording([.insertSchedule(record("sch-3", workflow: "wf-none"))]) == [.stale])
        #expect(try await store.schedule(id: "sch-1") == record("sch-1"))
        #expect(try await store.schedule(id: "sch-2") == cron, "a cron spec with its time zone, overlap, catch-up and input round-trips")
        #expect(try await store.schedules(workflowID: "wf-1").map(\.id) == ["sch-1", "sch-2"])
        #expect(try await store.schedule(id: "sch-3") == nil)
    }

    @Test(arguments: Driver.allCases)
    func anUpdateAppliesOnlyAtTheRevisionItReadAndRecordsOneFirePerTime(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertSchedule(record("sch-1"))])
        var next = record("sch-1")
        next.schedule.lastDue = 61_000
        next.schedule.queuedDue = 61_000
        next.nextFireAt = 121_000
        next.lastError = "boom"
        next.createdBy = "someone else"
        let queued = ScheduleFireRecord(scheduleID: "sch-1", due: 61_000, at: 61_500, outcome: .queued)
        #expect(try await store.applyRecording([.updateSchedule(next, expectedRevision: 1, fires: [queued])]) == [.applied])
        #expect(try await store.applyRecording([.updateSchedule(next, expectedRevision: 1, fires: [])]) == [.stale], "revision 1 is gone")
        let read = try #require(try await store.schedule(id: "sch-1"))
        #expect(read.revision == 2)
        #expect(read.schedule.lastDue == 61_000 && read.schedule.queuedDue == 61_000 && read.nextFireAt == 121_000 && read.lastError == "boom")
        #expect(read.createdBy == "ana", "who created it never changes")
        // The queued time fires later: its record is replaced, not doubled.
        next.schedule.queuedDue = nil
        let fired = ScheduleFireRecord(scheduleID: "sch-1", due: 61_000, at: 70_000, outcome: .fired, executionID: "ex-1")
        let skipped = ScheduleFireRecord(scheduleID: "sch-1", due: 121_000, at: 121_000, outcome: .skipped, reason: "running")
        #expect(try await store.applyRecording([.updateSchedule(next, expectedRevision: 2, fires: [fired, skipped])]) == [.applied])
        let page = try await store.scheduleFires(scheduleID: "sch-1", limit: 1, before: nil)
        #expect(page.items == [skipped])
        #expect(page.nextCursor == 121_000)
        let rest = try await store.scheduleFires(scheduleID: "sch-1", limit: 10, before: page.nextCursor)
        #expect(rest.items == [fired])
        #expect(rest.nextCursor == nil)
        var wrongWorkflow = next
        wrongWorkflow.workflowID = "wf-2"
        #expect(try await store.applyRecording([.updateSchedule(wrongWorkflow, expectedRevision: 3, fires: [])]) == [.stale])
    }

    @Test(arguments: Driver.allCases)
    func theDueOnesAreThoseNotPausedAtTheirTimeOrHoldingAQueuedTime(driver: Driver) async throws {
        let store = try await driver.make()
        var queued = record("sch-q", every: 3600)
        queued.schedule.queuedDue = 500
        _ = try await store.applyRecording([
            .insertWorkflow(workflow("wf-1")),
            .insertSchedule(record("sch-a", every: 10)),  // due at 11,000
            .insertSchedule(record("sch-b", every: 5)),  // due at 6,000
            .insertSchedule(record("sch-c", every: 100)),  // due at 101,000
            .insertSchedule(record("sch-p", every: 1, paused: true)),
            .insertSchedule(queued),
        ])
        #expect(try await store.dueSchedules(now: 11_000, limit: 10).map(\.id) == ["sch-b", "sch-a", "sch-q"])
        #expect(try await store.dueSchedules(now: 11_000, limit: 1).map(\.id) == ["sch-b"], "the earliest first")
        #expect(try await store.dueSchedules(now: 5_999, limit: 10).map(\.id) == ["sch-q"])
        #expect(try await store.nextScheduleFireAt() == 6_000)
        #expect(try await store.applyRecording([.deleteSchedule(workflowID: "wf-1", id: "sch-b")]) == [.applied])
        #expect(try await store.applyRecording([.deleteSchedule(workflowID: "wf-1", id: "sch-b")]) == [.stale])
        #expect(try await store.applyRecording([.deleteSchedule(workflowID: "wf-2", id: "sch-a")]) == [.stale], "another workflow's id")
        #expect(try await store.nextScheduleFireAt() == 11_000)
    }

    @Test(arguments: Driver.allCases)
    func runningCountsTheUnfinishedExecutionsItsFiresStarted(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([
            .insertWorkflow(workflow("wf-1")), .insertSchedule(record("sch-1")), .insertSchedule(record("sch-2")),
            .insertExecution(execution("ex-1")), .insertExecution(execution("ex-2")), .insertExecution(execution("ex-3")), .insertExecution(execution("ex-other")),
        ])
        let fires = ["ex-1", "ex-2", "ex-3"].enumerated().map { ScheduleFireRecord(scheduleID: "sch-1", due: Int64(61_000 + $0.offset * 60_000), at: 0, outcome: .fired, executionID: $0.element) }
        #expect(try await store.applyRecording([.updateSchedule(record("sch-1"), expectedRevision: 1, fires: fires)]) == [.applied])
        #expect(try await store.runningExecutions(scheduleID: "sch-1") == 3)
        #expect(try await store.runningExecutions(scheduleID: "sch-2") == 0)
        let finish = ExecutionTransition(executionID: "ex-2", tasks: [], execution: ExecutionChange(status: .completed, startedAt: 1, completedAt: 2))
        #expect(try await store.applyRecording([.transition(finish)]) == [.applied])
        #expect(try await store.runningExecutions(scheduleID: "sch-1") == 2)
    }

    @Test(arguments: Driver.allCases)
    func deletingTheWorkflowDeletesItsSchedulesAndTheirFires(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2")), .insertSchedule(record("sch-1")), .insertSchedule(record("sch-2", workflow: "wf-2"))])
        let fire = ScheduleFireRecord(scheduleID: "sch-1", due: 61_000, at: 0, outcome: .skipped, reason: "running")
        _ = try await store.applyRecording([.updateSchedule(record("sch-1"), expectedRevision: 1, fires: [fire])])
        #expect(try await store.deleteWorkflow(id: "wf-1") == .deleted)
        #expect(try await store.schedule(id: "sch-1") == nil)
        #expect(try await store.scheduleFires(scheduleID: "sch-1", limit: 10, before: nil).items.isEmpty)
        #expect(try await store.schedules(workflowID: "wf-2").map(\.id) == ["sch-2"])
        #expect(try await store.dueSchedules(now: .max, limit: 10).map(\.id) == ["sch-2"])
    }
}
