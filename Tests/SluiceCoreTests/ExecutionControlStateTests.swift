import Testing
@testable import SluiceCore

/// The state machine's retries, timers, cancel, deadline and reopen, without I/O.
@Suite struct ExecutionControlStateTests {
    func plan(_ json: String) throws -> WorkflowPlan {
        try TypeChecker().check(json: try JSONParser.parse(json)).get()
    }

    static let retrying = #"{"name": "r", "steps": [{"type": "TextOperation.Trim", "retry": {"max_attempts": 3, "backoff": {"initial_seconds": 2, "multiplier": 3, "max_seconds": 5}}}, {"type": "Echo"}]}"#

    @Test func aRetryableFailureWaitsItsBackoffThenRunsTheNextAttempt() throws {
        var m = ExecutionStateMachine(plan: try plan(Self.retrying), executionID: "ex", input: ["text": " a "])
        let d = try some(m.start(now: 0).dispatch.first)
        #expect(d.attempt == 1)
        let failed = try some(m.taskFailed(0, attempt: 1, input: d.input, message: "flaky", retryable: true, startedAt: 10, completedAt: 20, jitter: 0.5))
        #expect(failed.transition?.tasks.map(\.status) == [.retrying])
        #expect(failed.transition?.tasks.first?.wakeAt == 2_020, "2 s × (0.8 + 0.4 × 0.5) after the failure")
        #expect(failed.transition?.tasks.first?.failedAttempt?["error"]?["message"] == "flaky")
        #expect(failed.timers == [.init(timer: .retry(index: 0, attempt: 2), at: 2_020)])
        #expect(!failed.finished && failed.dispatch.isEmpty)
        #expect(m.timerFired(.retry(index: 0, attempt: 3), now: 2_020) == nil, "a timer for another attempt is ignored")
        let again = try some(m.timerFired(.retry(index: 0, attempt: 2), now: 2_020))
        #expect(again.transition == nil)
        #expect(again.dispatch.map(\.attempt) == [2])
        #expect(m.taskSucceeded(0, attempt: 1, input: d.input, output: ["text": "a"], startedAt: 0, completedAt: 1) == nil, "a late answer from attempt 1 is ignored")
        let done = try some(m.taskSucceeded(0, attempt: 2, input: d.input, output: ["text": "a"], startedAt: 2_030, completedAt: 2_031))
        #expect(done.transition?.tasks.first?.attempt == 2)
        #expect(done.transition?.tasks.first?.wakeAt == nil)
    }

    @Test func backoffGrowsByTheMultiplierUpToTheMaximum() {
        let policy = RetryPolicy(maxAttempts: 5, initialSeconds: 2, multiplier: 3, maxSeconds: 5)
        #expect(policy.delay(afterAttempt: 1, jitter: 0.5) == 2)
        #expect(policy.delay(afterAttempt: 2, jitter: 0.5) == 5, "6 is capped at 5")
        #expect(policy.delay(afterAttempt: 4, jitter: 0.5) == 5)
        #expect(policy.delay(afterAttempt: 1, jitter: 0) == 1.6)
        #expect(policy.delay(afterAttempt: 1, jitter: 0.999_999) < 2.4)
    }

    @Test func theLastAttemptFailsTheTaskAndANonRetryableFailureNeverRetries() throws {
        var m = ExecutionStateMachine(plan: try plan(Self.retrying), executionID: "ex", input: ["text": "a"])
        let d = try some(m.start(now: 0).dispatch.first)
        let permanent = try some(m.taskFailed(0, attempt: 1, input: d.input, message: "bad input", retryable: false, startedAt: 0, completedAt: 1))
        #expect(permanent.transition?.tasks.map(\.status) == [.failed, .skipped])
        #expect(permanent.finished)

        var n = ExecutionStateMachine(plan: try plan(Self.retrying), executionID: "ex2", input: ["text": "a"])
        var attempt = try some(n.start(now: 0).dispatch.first)
        for k in 1...2 {
            let o = try some(n.taskFailed(0, attempt: k, input: attempt.input, message: "x", retryable: true, startedAt: 0, completedAt: 1))
            #expect(o.transition?.tasks.first?.status == .retrying)
            attempt = try some(n.timerFired(.retry(index: 0, attempt: k + 1), now: 100)?.dispatch.first)
        }
        let last = try some(n.taskFailed(0, attempt: 3, input: attempt.input, message: "x", retryable: true, startedAt: 0, completedAt: 1))
        #expect(last.transition?.tasks.first?.status == .failed)
        #expect(last.finished)
    }

    @Test func cancelStopsRunningTasksAndIgnoresTheirLateAnswers() throws {
        let p = try plan(#"{"name": "c", "tasks": [{"id": "a", "type": "Delay", "input": {"seconds": 5}}, {"id": "b", "type": "TextOperation.Trim"}, {"id": "c", "type": "Echo", "depends_on": ["a", "b"]}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex", input: ["text": "x"])
        let start = m.start(now: 0)
        _ = m.taskStarted(0, now: 1, wakeAt: 5_001)
        let done = try some(m.taskSucceeded(1, attempt: 1, input: start.dispatch[1].input, output: ["text": "x"], startedAt: 1, completedAt: 2))
        #expect(!done.finished)
        let cancel = try some(m.cancel(now: 3))
        #expect(cancel.finished)
        #expect(cancel.stop == [0], "the running Delay is stopped")
        #expect(cancel.transition?.tasks.map(\.index) == [0, 2], "the completed task stays COMPLETED")
        #expect(cancel.transition?.tasks.allSatisfy { $0.status == .cancelled } == true)
        #expect(cancel.transition?.execution?.status == .cancelled)
        #expect(m.timerFired(.delay(index: 0, attempt: 1), now: 5_001) == nil)
        #expect(m.cancel(now: 4) == nil, "a finished execution cannot be cancelled")
    }

    @Test func theDeadlineFailsRunningTasksAndSkipsTheRest() throws {
        let p = try plan(#"{"name": "d", "timeout_seconds": 2, "steps": [{"type": "Delay", "input": {"seconds": 60}}, {"type": "Echo"}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex", input: [:], deadlineAt: 2_000)
        let start = m.start(now: 0)
        #expect(start.timers == [.init(timer: .deadline, at: 2_000)])
        _ = m.taskStarted(0, now: 0, wakeAt: 60_000)
        let out = try some(m.timerFired(.deadline, now: 2_000))
        #expect(out.finished && out.stop == [0])
        #expect(out.transition?.tasks.map(\.status) == [.failed, .skipped])
        #expect(out.transition?.execution?.error?["message"] == "the execution timed out after 2 s")
    }

    @Test func aResumedDelayKeepsItsWakeTimeAndARetryingTaskItsNextAttempt() throws {
        let p = try plan(#"{"name": "d", "tasks": [{"id": "a", "type": "Delay", "input": {"seconds": 60}}, {"id": "b", "type": "TextOperation.Trim", "retry": {"max_attempts": 3}}, {"id": "c", "type": "TextOperation.Trim"}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex", input: ["text": "x"], status: .running, tasks: [
            .init(status: .running, attempt: 1, wakeAt: 9_000), .init(status: .retrying, attempt: 1, wakeAt: 7_000), .init(status: .running, attempt: 2),
        ])
        let start = m.start(now: 100)
        #expect(Set(start.timers) == [.init(timer: .delay(index: 0, attempt: 1), at: 9_000), .init(timer: .retry(index: 1, attempt: 2), at: 7_000)])
        #expect(start.dispatch.map(\.index) == [2], "an interrupted step runs again")
        #expect(start.dispatch.first?.attempt == 2, "as the same attempt")
        let delay = try some(m.timerFired(.delay(index: 0, attempt: 1), now: 9_000))
        #expect(delay.transition?.tasks.first?.status == .completed)
        #expect(delay.transition?.tasks.first?.output == ["text": "x"])
        #expect(delay.transition?.tasks.first?.startedAt == nil, "the stored start of the Delay is kept")
    }

    @Test func reopeningAFailedExecutionResetsWhatDidNotComplete() throws {
        let p = try plan(#"{"name": "r", "steps": [{"type": "TextOperation.Trim"}, {"type": "TextOperation.Uppercase"}, {"type": "Echo"}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex", input: ["text": "x"], status: .failed, tasks: [
            .init(status: .completed, output: ["text": "x"], attempt: 1), .init(status: .failed, error: "boom", attempt: 1), .init(status: .skipped),
        ])
        var running = ExecutionStateMachine(plan: p, executionID: "ex2", input: [:], status: .running, tasks: [])
        #expect(running.reopen(now: 0, deadlineAt: nil) == nil, "only FAILED or CANCELLED executions reopen")
        let t = try some(m.reopen(now: 50, deadlineAt: 900))
        #expect(t.tasks.map(\.index) == [1, 2])
        #expect(t.tasks.allSatisfy { $0.reset && $0.status == .pending })
        #expect(t.execution?.status == .running && t.execution?.reopen == true && t.execution?.deadlineAt == 900)
        let start = m.start(now: 51)
        #expect(start.dispatch.map(\.index) == [1])
        #expect(start.dispatch.first?.input == ["text": "x"], "the completed output feeds the rerun")
        #expect(start.dispatch.first?.attempt == 2, "a new attempt: numbers go on")
        #expect(t.tasks.first?.attemptBase == 1, "the retry budget counts from the reopen")
    }
}

/// `value`, or a test failure if it is `nil` (for results of mutating calls, which `#require` cannot wrap).
func some<T>(_ value: T?, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    try #require(value, sourceLocation: sourceLocation)
}
