import Testing
@testable import SluiceCore

@Suite struct ExecutionStateMachineTests {
    func plan(_ json: String) throws -> WorkflowPlan {
        try TypeChecker().check(json: try JSONParser.parse(json)).get()
    }

    func run(_ machine: inout ExecutionStateMachine, _ d: ExecutionStateMachine.Dispatch, now: Int64 = 10) throws -> ExecutionStateMachine.Outcome {
        let node = machine.plan.nodes[d.index]
        guard case .pure(let f) = node.step.implementation else { fatalError() }
        let outcome: ExecutionStateMachine.Outcome?
        do throws(StepFailure) {
            let output = try f(d.input, node.parameters)
            outcome = machine.taskSucceeded(d.index, attempt: d.attempt, input: d.input, output: output, startedAt: now, completedAt: now + 1)
        } catch {
            outcome = machine.taskFailed(d.index, attempt: d.attempt, input: d.input, message: error.message, startedAt: now, completedAt: now + 1)
        }
        return try #require(outcome)
    }

    @Test func chainRunsOneTaskAtATimeAndCompletesWithEchoOutput() throws {
        let p = try plan(#"{"name": "s", "steps": [{"type": "StaticTextInput", "input": "Hello, world!"}, {"type": "TextOperation.Reverse"}, {"type": "Echo"}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex-1", input: [:])
        let start = m.start(now: 1)
        #expect(start.transition == nil)
        #expect(start.dispatch.map(\.index) == [0])
        #expect(start.dispatch[0].input == ["text": "Hello, world!"])

        let first = try run(&m, start.dispatch[0])
        #expect(first.transition?.execution?.status == .running)
        #expect(first.transition?.tasks.map(\.status) == [.completed])
        #expect(first.dispatch.map(\.index) == [1])
        #expect(!first.finished)

        let second = try run(&m, first.dispatch[0])
        #expect(second.transition?.execution == nil)
        #expect(second.dispatch[0].input == ["text": "!dlrow ,olleH"])

        let last = try run(&m, second.dispatch[0])
        #expect(last.finished)
        #expect(last.transition?.execution?.status == .completed)
        #expect(last.transition?.execution?.output == ["text": "!dlrow ,olleH"])
        #expect(m.status == .completed)
    }

    @Test func failureSkipsDownstreamButIndependentBranchesFinish() throws {
        // a → b(Length) → c(Echo);  x(Reverse from input) independent.
        let p = try plan(#"{"name": "d", "tasks": [{"id": "a", "type": "TextOperation.Trim"}, {"id": "b", "type": "TextOperation.Length", "depends_on": ["a"]}, {"id": "c", "type": "Echo", "depends_on": ["b"]}, {"id": "x", "type": "TextOperation.Reverse"}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex-2", input: ["text": " hi "])
        let start = m.start(now: 1)
        #expect(start.dispatch.map(\.index) == [0, 3])
        let maybeFailed = m.taskFailed(0, attempt: 1, input: start.dispatch[0].input, message: "boom", startedAt: 2, completedAt: 3)
        let failed = try #require(maybeFailed)
        #expect(failed.transition?.tasks.map(\.status) == [.failed, .skipped, .skipped])
        #expect(failed.transition?.tasks.map(\.index) == [0, 1, 2])
        #expect(failed.transition?.tasks[1].error?["code"] == "upstream_failed", "a skipped task says why")
        #expect(failed.transition?.tasks[2].error?["message"] == "skipped: task \"a\" upstream of it failed")
        #expect(!failed.finished, "x is still running")
        let other = try run(&m, start.dispatch[1])
        #expect(other.finished)
        #expect(other.transition?.execution?.status == .failed)
        #expect(other.transition?.execution?.error?["message"]?.stringValue?.contains("boom") == true)
        #expect(other.transition?.execution?.error?["step_id"] == "a")
    }

    @Test func joinWaitsForEveryDependency() throws {
        let p = try plan(#"{"name": "d", "tasks": [{"id": "a", "type": "StaticTextInput", "input": "abc"}, {"id": "b", "type": "TextOperation.Length", "depends_on": ["a"]}, {"id": "c", "type": "TextOperation.Uppercase", "depends_on": ["a"]}, {"id": "d", "type": "Echo", "depends_on": ["b", "c"]}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex-3", input: [:])
        let a = try run(&m, m.start(now: 0).dispatch[0])
        #expect(a.dispatch.map(\.index) == [1, 2])
        let b = try run(&m, a.dispatch[0])
        #expect(b.dispatch.isEmpty)
        let c = try run(&m, a.dispatch[1])
        #expect(c.dispatch.map(\.index) == [3])
        #expect(c.dispatch[0].input == ["number": 3, "text": "ABC"])
        let d = try run(&m, c.dispatch[0])
        #expect(d.finished)
        #expect(d.transition?.execution?.output == ["number": 3, "text": "ABC"])
    }

    @Test func restoringRerunsInterruptedTasksAndKeepsCompletedOutputs() throws {
        let p = try plan(#"{"name": "s", "steps": [{"type": "StaticTextInput", "input": "ab"}, {"type": "TextOperation.Reverse"}, {"type": "Echo"}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex-4", input: [:], status: .running, tasks: [
            .init(status: .completed, output: ["text": "ab"], attempt: 1), .init(status: .running, attempt: 1), .init(status: .pending),
        ])
        let start = m.start(now: 5)
        #expect(start.dispatch.map(\.index) == [1])
        #expect(start.dispatch[0].input == ["text": "ab"])
        let second = try run(&m, start.dispatch[0])
        #expect(second.transition?.execution == nil, "already RUNNING: no second RUNNING transition")
    }

    @Test func restoringAFinishedSetOfTasksFinishesTheExecution() throws {
        let p = try plan(#"{"name": "s", "steps": [{"type": "StaticTextInput", "input": "ab"}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex-5", input: [:], status: .running, tasks: [.init(status: .completed, output: ["text": "ab"], attempt: 1)])
        let start = m.start(now: 5)
        #expect(start.finished)
        #expect(start.transition?.execution?.status == .completed)
        #expect(start.transition?.execution?.output == ["text": "ab"])
    }

    @Test func transitionsExpectTheTaskStillUnfinished() throws {
        let p = try plan(#"{"name": "s", "steps": [{"type": "StaticTextInput", "input": "ab"}, {"type": "Echo"}]}"#)
        var m = ExecutionStateMachine(plan: p, executionID: "ex-6", input: [:])
        let t = try run(&m, m.start(now: 0).dispatch[0]).transition
        #expect(t?.tasks.first?.expected == [.pending, .running, .retrying])
    }
}

@Suite struct TransitionMergeTests {
    @Test func mergedTransitionKeepsEveryTaskChangeTheFirstStartAndTheLastStatus() {
        let a = ExecutionTransition(executionID: "ex-1", tasks: [TaskChange(index: 0, expected: [.pending], status: .completed)], execution: ExecutionChange(status: .running, startedAt: 5))
        let b = ExecutionTransition(executionID: "ex-1", tasks: [TaskChange(index: 1, expected: [.pending], status: .completed)])
        let c = ExecutionTransition(executionID: "ex-1", tasks: [TaskChange(index: 2, expected: [.pending], status: .completed)], execution: ExecutionChange(status: .completed, output: "x", completedAt: 9))
        let m = a.followed(by: b).followed(by: c)
        #expect(m.tasks.map(\.index) == [0, 1, 2])
        #expect(m.execution == ExecutionChange(status: .completed, output: "x", startedAt: 5, completedAt: 9))
    }
}
