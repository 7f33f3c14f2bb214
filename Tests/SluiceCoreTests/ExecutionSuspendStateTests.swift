import Testing
@testable import SluiceCore

/// Suspend and resume in the state machine, without I/O: a `Suspend` task waits for a resume, a
/// held (suspended) execution starts no task until it is resumed, and both survive a rebuild
/// from what the store holds.
@Suite struct ExecutionSuspendStateTests {
    func plan(_ json: String) throws -> WorkflowPlan {
        try TypeChecker().check(json: try JSONParser.parse(json)).get()
    }

    /// a (pure) → approve (Suspend, no time) → b.
    static let approval = #"{"name": "s", "tasks": [{"id": "a", "type": "TextOperation.Trim"}, {"id": "approve", "type": "Suspend", "depends_on": ["a"]}, {"id": "b", "type": "TextOperation.Uppercase", "depends_on": ["approve"]}]}"#

    @Test func aSuspendWithoutATimeWaitsUntilTheExecutionIsResumed() throws {
        var m = ExecutionStateMachine(plan: try plan(Self.approval), executionID: "ex", input: ["text": " x "])
        let a = try some(m.start(now: 0).dispatch.first)
        let afterA = try some(m.taskSucceeded(0, attempt: 1, input: a.input, output: ["text": "x"], startedAt: 0, completedAt: 1))
        let wait = try some(afterA.dispatch.first)
        #expect(wait.index == 1 && afterA.timers.isEmpty)
        _ = m.taskStarted(1, now: 1, input: wait.input)
        #expect(m.suspendedTasks == [1])
        #expect(m.timerFired(.delay(index: 1, attempt: 2), now: 5) == nil, "no timer ends it")
        let resumed = try some(m.resume(now: 9))
        #expect(resumed.transition?.tasks.map(\.index) == [1] && resumed.transition?.tasks.first?.status == .completed)
        #expect(resumed.transition?.tasks.first?.output == ["text": "x"], "it passes its input on")
        #expect(resumed.dispatch.map(\.index) == [2] && !resumed.finished)
        #expect(m.suspendedTasks.isEmpty)
        #expect(try some(m.resume(now: 10)).transition == nil, "a second resume has nothing to end")
    }

    @Test func aSuspendWithATimeEndsAtItsTimeOrAtAnEarlierResume() throws {
        let p = try plan(#"{"name": "t", "tasks": [{"id": "wait", "type": "Suspend", "input": {"seconds": 60}}, {"id": "b", "type": "Echo", "depends_on": ["wait"]}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex", input: ["n": 1])
        let wait = try some(m.start(now: 0).dispatch.first)
        _ = m.taskStarted(0, now: 0, wakeAt: 60_000, input: wait.input)
        let early = try some(m.resume(now: 5_000))
        #expect(early.transition?.tasks.first?.status == .completed)
        #expect(m.timerFired(.delay(index: 0, attempt: 1), now: 60_000) == nil, "its timer no longer applies")
    }

    @Test func aHeldExecutionStartsNoTaskUntilItIsResumedAndTheRunningOnesFinish() throws {
        let p = try plan(#"{"name": "h", "tasks": [{"id": "a", "type": "TextOperation.Trim"}, {"id": "b", "type": "TextOperation.Uppercase", "depends_on": ["a"]}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex", input: ["text": " x "])
        let a = try some(m.start(now: 0).dispatch.first)
        let holding = m.hold()
        #expect(holding && m.held)
        let afterA = try some(m.taskSucceeded(0, attempt: 1, input: a.input, output: ["text": "x"], startedAt: 0, completedAt: 1))
        #expect(afterA.transition?.tasks.map(\.status) == [.completed], "the running task finishes")
        #expect(afterA.dispatch.isEmpty && !afterA.finished, "its dependant waits")
        let resumed = try some(m.resume(now: 7))
        #expect(!m.held)
        #expect(resumed.dispatch.map(\.index) == [1])
        let b = resumed.dispatch[0]
        #expect(try some(m.taskSucceeded(1, attempt: 1, input: b.input, output: ["text": "X"], startedAt: 7, completedAt: 8)).finished)
        let heldAfterTheEnd = m.hold()
        #expect(!heldAfterTheEnd, "a finished execution cannot be held")
        #expect(m.resume(now: 9) == nil)
    }

    @Test func aHoldAlsoHoldsTheNextAttemptOfARetryAndAnEntryTask() throws {
        let p = try plan(#"{"name": "r", "tasks": [{"id": "a", "type": "TextOperation.Trim", "retry": {"max_attempts": 2}}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex", input: ["text": "x"])
        let a = try some(m.start(now: 0).dispatch.first)
        _ = try some(m.taskFailed(0, attempt: 1, input: a.input, message: "flaky", retryable: true, startedAt: 0, completedAt: 1))
        _ = m.hold()
        let fired = try some(m.timerFired(.retry(index: 0, attempt: 2), now: 2_000))
        #expect(fired.dispatch.isEmpty, "the next attempt waits for the resume")
        let resumed = try some(m.resume(now: 3_000))
        #expect(resumed.dispatch.map(\.attempt) == [2])

        var held = ExecutionStateMachine(plan: p, executionID: "ex2", input: ["text": "x"], status: .pending, held: true, tasks: [.init(status: .pending)])
        #expect(held.start(now: 0).dispatch.isEmpty, "an execution created suspended starts nothing")
        #expect(try some(held.resume(now: 1)).dispatch.map(\.index) == [0])
    }

    @Test func aRebuiltExecutionKeepsItsSuspendWaitingAndItsHold() throws {
        let snapshot: [ExecutionStateMachine.TaskSnapshot] = [
            .init(status: .completed, output: ["text": "x"], attempt: 1),
            .init(status: .running, attempt: 1, startedAt: 1),
            .init(status: .pending),
        ]
        var m = ExecutionStateMachine(plan: try plan(Self.approval), executionID: "ex", input: ["text": " x "], status: .running, held: true, tasks: snapshot)
        let started = m.start(now: 100)
        #expect(started.dispatch.isEmpty && started.timers.isEmpty && started.transition == nil, "the Suspend is not run again")
        #expect(m.held && m.suspendedTasks == [1])
        let resumed = try some(m.resume(now: 200))
        #expect(resumed.transition?.tasks.first?.status == .completed)
        #expect(resumed.dispatch.map(\.index) == [2])

        var finished = ExecutionStateMachine(plan: try plan(Self.approval), executionID: "ex", input: ["text": " x "], status: .completed, held: true, tasks: snapshot)
        #expect(!finished.held, "a finished execution is never held")
        #expect(finished.resume(now: 1) == nil)
    }

    @Test func resumingSomeSuspendsEndsOnlyThoseAndKeepsTheHold() throws {
        let p = try plan(#"{"name": "two", "tasks": [{"id": "x", "type": "Suspend"}, {"id": "y", "type": "Suspend"}, {"id": "after", "type": "Echo", "depends_on": ["x"]}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex", input: ["n": 1])
        for d in m.start(now: 0).dispatch { _ = m.taskStarted(d.index, now: 0, input: d.input) }
        _ = m.hold()
        let partial = try some(m.resume(now: 5, release: false, selected: { $0 == 0 }))
        #expect(partial.transition?.tasks.map(\.index) == [0])
        #expect(partial.dispatch.isEmpty, "still held: its dependant waits")
        #expect(m.held && m.suspendedTasks == [1])
        let all = try some(m.resume(now: 6))
        #expect(Set(all.transition?.tasks.map(\.index) ?? []) == [1])
        #expect(all.dispatch.map(\.index) == [2])
    }
}
