import Testing
@testable import SluiceCore

@Suite struct ScheduleStateMachineTests {
    typealias Action = ScheduleStateMachine.Action

    func schedule(_ cron: String, overlap: ScheduleSpec.Overlap = .skip, catchup: Int64 = 0, paused: Bool = false, lastDue: String? = nil) throws -> Schedule {
        let spec = ScheduleSpec(timing: .cron(try CronExpression(parsing: cron)), overlap: overlap, catchupSeconds: catchup, paused: paused)
        return Schedule(spec: spec, createdAt: instant("2026-01-01T00:00:00Z"), lastDue: lastDue.map(instant))
    }

    @Test func aDueTimeFiresWhenTheWakeUpComesAndNotAgain() throws {
        var m = ScheduleStateMachine(schedule: try schedule("*/5 * * * *"))
        let early = m.tick(now: instant("2026-01-01T00:04:00Z"), running: 0)
        #expect(early.actions.isEmpty)
        #expect(early.wakeUp == instant("2026-01-01T00:05:00Z"))
        let due = m.tick(now: instant("2026-01-01T00:05:00.020Z"), running: 0)
        #expect(due.actions == [.fire(due: instant("2026-01-01T00:05:00Z"))])
        #expect(due.wakeUp == instant("2026-01-01T00:10:00Z"))
        #expect(m.schedule.lastDue == instant("2026-01-01T00:05:00Z"))
        #expect(m.tick(now: instant("2026-01-01T00:05:01Z"), running: 1).actions.isEmpty)
    }

    @Test func aFireIsDecidedOnceAcrossARestartOnlyIfItWasCommitted() throws {
        let stored = try schedule("0 * * * *")
        var m = ScheduleStateMachine(schedule: stored)
        let now = instant("2026-01-01T01:00:00.500Z")
        #expect(m.tick(now: now, running: 0).actions == [.fire(due: instant("2026-01-01T01:00:00Z"))])
        // Committed with its execution: a node that restarts from the store does not fire it again.
        var restarted = ScheduleStateMachine(schedule: m.schedule)
        #expect(restarted.tick(now: now + 2000, running: 1).actions.isEmpty)
        // Not committed (a crash first): it is decided again.
        var retried = ScheduleStateMachine(schedule: stored)
        #expect(retried.tick(now: now + 2000, running: 0).actions == [.fire(due: instant("2026-01-01T01:00:00Z"))])
    }

    @Test func aWakeUpALittleLateStillFiresWithoutACatchUpWindow() throws {
        var m = ScheduleStateMachine(schedule: try schedule("0 * * * *"))
        #expect(m.tick(now: instant("2026-01-01T01:00:45Z"), running: 0).actions == [.fire(due: instant("2026-01-01T01:00:00Z"))])
    }

    @Test func withoutACatchUpWindowTimesMissedWhileDownAreLetGo() throws {
        var m = ScheduleStateMachine(schedule: try schedule("0 * * * *", lastDue: "2026-01-01T01:00:00Z"))
        let back = m.tick(now: instant("2026-01-01T05:30:00Z"), running: 0)
        #expect(back.actions.isEmpty)
        #expect(m.schedule.lastDue == instant("2026-01-01T05:00:00Z"), "let go for good")
        #expect(back.wakeUp == instant("2026-01-01T06:00:00Z"))
    }

    @Test func withSkipACatchUpFiresOnlyTheNewestMissedTimeInTheWindow() throws {
        var m = ScheduleStateMachine(schedule: try schedule("*/10 * * * *", catchup: 1800, lastDue: "2026-01-01T01:00:00Z"))
        let back = m.tick(now: instant("2026-01-01T05:25:00Z"), running: 0)
        #expect(back.actions == [.fire(due: instant("2026-01-01T05:20:00Z"))])
        #expect(m.schedule.lastDue == instant("2026-01-01T05:20:00Z"))
        #expect(back.wakeUp == instant("2026-01-01T05:30:00Z"))
    }

    @Test func aMissedTimeOlderThanTheWindowIsNotCaughtUp() throws {
        var m = ScheduleStateMachine(schedule: try schedule("0 3 * * *", overlap: .queueOne, catchup: 3600, lastDue: "2026-01-01T03:00:00Z"))
        #expect(m.tick(now: instant("2026-01-02T04:00:01Z"), running: 0).actions.isEmpty)
        var inside = ScheduleStateMachine(schedule: try schedule("0 3 * * *", overlap: .queueOne, catchup: 3600, lastDue: "2026-01-01T03:00:00Z"))
        #expect(inside.tick(now: instant("2026-01-02T04:00:00Z"), running: 0).actions == [.fire(due: instant("2026-01-02T03:00:00Z"))])
    }

    @Test func withAllowACatchUpFiresEachMissedTimeInTheWindowOldestFirst() throws {
        var m = ScheduleStateMachine(schedule: try schedule("*/10 * * * *", overlap: .allow, catchup: 1800, lastDue: "2026-01-01T01:00:00Z"))
        let back = m.tick(now: instant("2026-01-01T05:25:00Z"), running: 2)
        #expect(back.actions == [.fire(due: instant("2026-01-01T05:00:00Z")), .fire(due: instant("2026-01-01T05:10:00Z")), .fire(due: instant("2026-01-01T05:20:00Z"))])
    }

    @Test func withAllowACatchUpStartsAtMostAHundred() throws {
        var m = ScheduleStateMachine(schedule: try schedule("* * * * * *", overlap: .allow, catchup: 3600, lastDue: "2026-01-01T01:00:00Z"))
        let back = m.tick(now: instant("2026-01-01T02:00:00Z"), running: 0)
        #expect(back.actions.count == ScheduleStateMachine.maxCatchupFires)
        #expect(back.actions.first == .fire(due: instant("2026-01-01T01:58:21Z")), "the newest hundred")
        #expect(back.actions.last == .fire(due: instant("2026-01-01T02:00:00Z")))
        #expect(m.schedule.lastDue == instant("2026-01-01T02:00:00Z"))
    }

    @Test func withSkipADueTimeWhileOneRunsIsSkipped() throws {
        var m = ScheduleStateMachine(schedule: try schedule("*/5 * * * *"))
        #expect(m.tick(now: instant("2026-01-01T00:05:00Z"), running: 1).actions == [.skip(due: instant("2026-01-01T00:05:00Z"), reason: .running)])
        #expect(m.tick(now: instant("2026-01-01T00:10:00Z"), running: 0).actions == [.fire(due: instant("2026-01-01T00:10:00Z"))])
    }

    @Test func withQueueOneOneWaitsTheNextIsSkippedAndTheWaitingOneStartsWhenTheRunEnds() throws {
        var m = ScheduleStateMachine(schedule: try schedule("*/5 * * * *", overlap: .queueOne))
        #expect(m.tick(now: instant("2026-01-01T00:05:00Z"), running: 1).actions == [.queue(due: instant("2026-01-01T00:05:00Z"))])
        #expect(m.schedule.queuedDue == instant("2026-01-01T00:05:00Z"))
        #expect(m.tick(now: instant("2026-01-01T00:10:00Z"), running: 1).actions == [.skip(due: instant("2026-01-01T00:10:00Z"), reason: .queueFull)])
        // The run ends: the waiting one starts, and a due time now finds it running.
        let ended = m.tick(now: instant("2026-01-01T00:15:00Z"), running: 0)
        #expect(ended.actions == [.fire(due: instant("2026-01-01T00:05:00Z")), .queue(due: instant("2026-01-01T00:15:00Z"))])
        #expect(m.schedule.queuedDue == instant("2026-01-01T00:15:00Z"))
    }

    @Test func withAllowADueTimeFiresWhileOthersRun() throws {
        var m = ScheduleStateMachine(schedule: try schedule("*/5 * * * *", overlap: .allow))
        #expect(m.tick(now: instant("2026-01-01T00:05:00Z"), running: 7).actions == [.fire(due: instant("2026-01-01T00:05:00Z"))])
    }

    @Test func aPausedScheduleNeitherFiresNorWakesNorShowsFireTimes() throws {
        let paused = try schedule("*/5 * * * *", overlap: .queueOne, paused: true)
        var m = ScheduleStateMachine(schedule: paused)
        let decision = m.tick(now: instant("2026-01-01T00:05:00Z"), running: 0)
        #expect(decision.actions.isEmpty)
        #expect(decision.wakeUp == nil)
        #expect(m.schedule == paused)
        #expect(paused.nextFireTimes(count: 5, after: instant("2026-01-01T00:00:00Z")).isEmpty)
    }

    @Test func nextFireTimesListsTheComingTimesInTheZone() throws {
        var spec = ScheduleSpec(timing: .cron(try CronExpression(parsing: "30 2 * * *")))
        spec.timeZone = try #require(ScheduleTimeZone(identifier: "Europe/Berlin"))
        let s = Schedule(spec: spec, createdAt: instant("2026-03-01T00:00:00Z"))
        #expect(s.nextFireTimes(count: 3, after: instant("2026-03-28T12:00:00Z")) == [
            instant("2026-03-29T03:00:00+02:00"), instant("2026-03-30T02:30:00+02:00"), instant("2026-03-31T02:30:00+02:00"),
        ])
    }

    @Test func nothingIsDueBeforeTheScheduleWasCreated() throws {
        var m = ScheduleStateMachine(schedule: Schedule(spec: ScheduleSpec(timing: .cron(try CronExpression(parsing: "0 * * * *")), catchupSeconds: 86_400), createdAt: instant("2026-01-01T05:10:00Z")))
        let first = m.tick(now: instant("2026-01-01T05:20:00Z"), running: 0)
        #expect(first.actions.isEmpty)
        #expect(first.wakeUp == instant("2026-01-01T06:00:00Z"))
    }

    @Test func anImpossibleExpressionNeverWakesUp() throws {
        var m = ScheduleStateMachine(schedule: try schedule("0 0 31 2 *"))
        let decision = m.tick(now: instant("2026-01-01T00:00:00Z"), running: 0)
        #expect(decision.actions.isEmpty)
        #expect(decision.wakeUp == nil)
    }

    @Test func anIntervalScheduleCatchesUpOnItsOwnGrid() {
        let spec = ScheduleSpec(timing: .interval(seconds: 90), catchupSeconds: 600)
        var m = ScheduleStateMachine(schedule: Schedule(spec: spec, createdAt: instant("2026-01-01T00:00:10Z")))
        let decision = m.tick(now: instant("2026-01-01T01:00:00Z"), running: 0)
        #expect(decision.actions == [.fire(due: instant("2026-01-01T00:58:40Z"))])
        #expect(decision.wakeUp == instant("2026-01-01T01:00:10Z"))
    }
}

extension ScheduleStateMachineTests {
    @Test func resumingLetsTheTimesOfThePauseGoEvenWithACatchUpWindow() throws {
        var s = try schedule("*/10 * * * *", catchup: 3600, paused: true, lastDue: "2026-01-01T01:00:00Z")
        s.resume(at: instant("2026-01-01T01:35:00Z"))
        #expect(!s.spec.paused)
        var m = ScheduleStateMachine(schedule: s)
        let decision = m.tick(now: instant("2026-01-01T01:35:00Z"), running: 0)
        #expect(decision.actions.isEmpty)
        #expect(decision.wakeUp == instant("2026-01-01T01:40:00Z"))
    }
}
