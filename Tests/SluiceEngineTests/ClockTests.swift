import Logging
import ServiceLifecycle
import SluiceCore
@testable import SluiceEngine
import SluiceStore
import Synchronization
import Testing

/// Time comes from an injected clock that also runs the timers: an hour-long Delay, a retry
/// backoff or a deadline is a call to `advance(by:)`, not a wait.
@Suite(.timeLimit(.minutes(1))) struct ClockTests {
    /// Runs `body` with `Timers` running on `clock`.
    func withTimers(_ clock: ManualClock, _ body: (Timers) async throws -> Void) async throws {
        let timers = Timers(clock: clock)
        let loop = Task { await timers.run() }
        defer { loop.cancel() }
        try await body(timers)
    }

    /// Returns once `condition` holds, yielding to the timer loop in between (no real sleeps).
    func until(_ condition: () -> Bool) async {
        while !condition() { await Task.yield() }
    }

    @Test func timersFireInTimeOrderOnlyWhenTheClockReachesThem() async throws {
        let clock = ManualClock(now: 1000)
        try await withTimers(clock) { timers in
            let fired = Mutex<[String]>([])
            timers.schedule(at: 3000) { fired.withLock { $0.append("late") } }
            timers.schedule(at: 2000) { fired.withLock { $0.append("early") } }
            timers.schedule(at: 2000) { fired.withLock { $0.append("early, scheduled second") } }
            await until { clock.sleeping == 1 }
            #expect(fired.withLock { $0 }.isEmpty, "nothing fires before its time")
            clock.advance(by: 999)
            await until { clock.sleeping == 1 }
            #expect(fired.withLock { $0 }.isEmpty)
            clock.advance(by: 1)
            await until { fired.withLock { $0.count } == 2 }
            #expect(fired.withLock { $0 } == ["early", "early, scheduled second"])
            clock.advance(by: 5000)
            await until { fired.withLock { $0.count } == 3 }
            #expect(fired.withLock { $0 }.last == "late")
        }
    }

    @Test func aCancelledTimerNeverFires() async throws {
        let clock = ManualClock(now: 0)
        try await withTimers(clock) { timers in
            let fired = Mutex(0)
            let id = timers.schedule(at: 10) { fired.withLock { $0 += 1 } }
            timers.schedule(at: 20) { fired.withLock { $0 += 10 } }
            timers.cancel(id)
            #expect(timers.count == 1)
            clock.advance(by: 30)
            await until { fired.withLock { $0 } != 0 }
            #expect(fired.withLock { $0 } == 10)
        }
    }

    @Test func aTimerEarlierThanTheOneTheLoopSleepsForWakesItInTime() async throws {
        let clock = ManualClock(now: 0)
        try await withTimers(clock) { timers in
            let fired = Mutex<[Int]>([])
            timers.schedule(at: 1_000_000) { fired.withLock { $0.append(1_000_000) } }
            await until { clock.sleeping == 1 }
            timers.schedule(at: 50) { fired.withLock { $0.append(50) } }
            // The loop gives up its long sleep for the new, earlier timer.
            await until { clock.sleeping == 1 && timers.count == 2 }
            clock.advance(by: 50)
            await until { fired.withLock { $0 } == [50] }
            #expect(timers.count == 1)
        }
    }

    @Test func aManualClockWakesOnlyTheSleepsThatAreDueAndACancelledSleepThrows() async throws {
        let clock = ManualClock(now: 0)
        let short = Task { try await clock.sleep(until: 5) }
        let long = Task { try await clock.sleep(until: 500) }
        await until { clock.sleeping == 2 }
        clock.advance(by: 5)
        try await short.value
        #expect(clock.sleeping == 1)
        long.cancel()
        await #expect(throws: CancellationError.self) { try await long.value }
        #expect(clock.sleeping == 0)
    }

    /// An engine on a manual clock, its timers included, as a service.
    func withEngine(_ clock: ManualClock, _ body: (Engine) async throws -> Void) async throws {
        let engine = Engine(store: MemoryStore(clock: { clock.now() }), registry: testRegistry, logger: Logger(label: "test"), clock: clock)
        let group = ServiceGroup(services: [engine], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body(engine)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func anHourLongDelayEndsWhenTheClockIsAnHourLater() async throws {
        let clock = ManualClock(now: 1_000_000)
        try await withEngine(clock) { engine in
            let wf = try await engine.createWorkflow(["name": "wait", "steps": [
                ["type": "StaticTextInput", "input": "later"], ["type": "Delay", "input": ["seconds": 3600]], ["type": "Echo"],
            ]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest()).executionID
            let waiting = try await untilStored(engine, id) { $0.tasks[1].status == .running }
            let hourLater: Int64 = 1_000_000 + 3_600_000
            #expect(waiting.tasks[1].wakeAt.map { $0 == hourLater } == true)
            clock.advance(by: .seconds(3599))
            #expect(try await engine.store.execution(id: id)?.tasks[1].status == .running, "a second early, it still waits")
            clock.advance(by: .seconds(1))
            let done = try await untilStored(engine, id) { $0.execution.status.isTerminal }
            #expect(done.execution.status == .completed && done.execution.output == ["text": "later"])
            #expect(done.execution.completedAt.map { $0 == hourLater } == true)
        }
    }

    @Test func aRetryWaitsItsBackoffOnTheClock() async throws {
        let clock = ManualClock(now: 0)
        try await withEngine(clock) { engine in
            let wf = try await engine.createWorkflow(["name": "flaky", "tasks": [
                ["id": "f", "type": "Test.Flaky", "input": ["succeed_on": 2], "retry": ["max_attempts": 3, "backoff": ["initial_seconds": 60]]],
            ]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"])).executionID
            let retrying = try await untilStored(engine, id) { $0.tasks[0].status == .retrying }
            let wake = try #require(retrying.tasks[0].wakeAt)
            #expect(wake >= 48_000 && wake <= 72_000, "the first backoff is a minute, give or take its jitter")
            clock.advance(by: wake)
            let done = try await untilStored(engine, id) { $0.execution.status.isTerminal }
            #expect(done.execution.status == .completed && done.tasks[0].attempt == 2)
        }
    }

    /// Clock jumps (issue 21): set back an hour, nothing fires early; then a year forward, each
    /// pending timer fires exactly once — the Delay completes once, the retry runs once.
    @Test func aClockJumpingBackThenFarForwardFiresEachTimerOnce() async throws {
        let clock = ManualClock(now: 1_000_000_000)
        try await withEngine(clock) { engine in
            let wf = try await engine.createWorkflow(["name": "jumps", "tasks": [
                ["id": "s", "type": "StaticTextInput", "input": "x"],
                ["id": "d", "type": "Delay", "input": ["seconds": 60], "depends_on": ["s"]],
                ["id": "f", "type": "Test.Flaky", "input": ["succeed_on": 2], "depends_on": ["s"], "retry": ["max_attempts": 3, "backoff": ["initial_seconds": 60]]],
            ]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: [:])).executionID
            _ = try await untilStored(engine, id) { $0.tasks[1].status == .running && $0.tasks[2].status == .retrying }
            clock.jump(to: 1_000_000_000 - 3_600_000)
            try await Task.sleep(for: .milliseconds(50))
            let back = try #require(try await engine.store.execution(id: id))
            #expect(back.tasks[1].status == .running && back.tasks[2].status == .retrying, "an hour back, nothing is due")
            clock.jump(to: 1_000_000_000 + 365 * 86_400_000)
            let done = try await untilStored(engine, id) { $0.execution.status.isTerminal }
            #expect(done.execution.status == .completed)
            #expect(done.tasks[1].attempt == 1 && done.tasks[2].attempt == 2, "the Delay ran once, the retry once")
            let events = try await engine.store.events(executionID: id, after: 0, limit: 100)
            #expect(events.filter { $0.type == "task.completed" }.count == 3, "\(events.map(\.type))")
            #expect(events.filter { $0.type == "execution.completed" }.count == 1)
        }
    }

    @Test func aDeadlineFailsTheExecutionWhenTheClockPassesIt() async throws {
        let clock = ManualClock(now: 0)
        try await withEngine(clock) { engine in
            let wf = try await engine.createWorkflow(["name": "slow", "timeout_seconds": 600, "steps": [
                ["type": "Delay", "input": ["seconds": 3600]], ["type": "Echo"],
            ]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"])).executionID
            _ = try await untilStored(engine, id) { $0.tasks[0].status == .running }
            clock.advance(by: .seconds(600))
            let done = try await untilStored(engine, id) { $0.execution.status.isTerminal }
            #expect(done.execution.status == .failed && done.execution.error?["code"] == "execution_timeout")
            #expect(done.tasks.map(\.status) == [.failed, .skipped])
            // The skipped task says why (the CLI's NOTE column and the UI show this message).
            #expect(done.tasks[1].error?["code"] == "execution_timeout")
            #expect(done.tasks[1].error?["message"]?.stringValue?.contains("timed out before it ran") == true)
        }
    }

    /// A running task's input is recorded when it starts, so it is known while it runs and kept
    /// when the execution is cancelled (it used to be written only when the task finished).
    @Test func aRunningDelaysInputIsKnownWhileItWaitsAndAfterACancel() async throws {
        let clock = ManualClock(now: 0)
        try await withEngine(clock) { engine in
            let wf = try await engine.createWorkflow(["name": "wait", "steps": [
                ["type": "StaticTextInput", "input": "x"], ["type": "Delay", "input": ["seconds": 5]],
            ]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest()).executionID
            let running = try await untilStored(engine, id) { $0.tasks[1].status == .running }
            #expect(running.tasks[1].input == ["text": "x"])
            _ = try await engine.cancelExecution(id)
            let cancelled = try await untilStored(engine, id) { $0.tasks[1].status == .cancelled }
            #expect(cancelled.tasks[1].input == ["text": "x"])
        }
    }

    /// A 5 s Delay cancelled at 2 s and retried at 4 s waits its full 5 s again (it used to end
    /// at the first run's wake time, 1 s after the retry), as attempt 2, with the cancelled
    /// attempt 1 kept in its history.
    @Test func aRetriedDelayWaitsItsWholeDurationAgainAsANewAttempt() async throws {
        let clock = ManualClock(now: 0)
        try await withEngine(clock) { engine in
            let wf = try await engine.createWorkflow(["name": "wait", "steps": [
                ["type": "StaticTextInput", "input": "x"], ["type": "Delay", "input": ["seconds": 5]], ["type": "Echo"],
            ]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest()).executionID
            _ = try await untilStored(engine, id) { $0.tasks[1].status == .running }
            clock.advance(by: 2000)
            _ = try await engine.cancelExecution(id)
            clock.advance(by: 2000)
            try await engine.retryExecution(id)
            let retried = try await untilStored(engine, id) { $0.tasks[1].status == .running }
            #expect(retried.tasks[1].attempt == 2 && retried.tasks[1].wakeAt == 9000)
            clock.advance(by: 1000)  // the first run's wake time: nothing happens
            #expect(try await engine.store.execution(id: id)?.tasks[1].status == .running)
            clock.advance(by: 4000)
            let done = try await untilStored(engine, id) { $0.execution.status.isTerminal }
            #expect(done.execution.status == .completed && done.tasks[1].completedAt == 9000)
            #expect(done.tasks[1].attempts.map { $0["attempt"] } == [1], "the cancelled attempt stays in the history")
            #expect(done.tasks[1].attempts.first?["error"]?["message"]?.stringValue?.hasPrefix("cancelled") == true)
            #expect(done.tasks[1].attempts.first?["error"]?["code"] == "cancelled", "a cancelled attempt says so in its code, as a timed-out one does")
        }
    }
}
