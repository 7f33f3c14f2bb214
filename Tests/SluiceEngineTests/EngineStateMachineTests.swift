import SluiceCore
@testable import SluiceEngine
import SluiceStore
import Testing

/// The engine's rules without I/O: events in, actions out. The orderings that used to need
/// sleeps and polls (a cancel racing a start, a deadline while transitions are in flight, two
/// steps finishing at once) are plain sequences of calls here, and each run takes microseconds.
struct EngineStateMachineTests {
    typealias Actions = EngineStateMachine.Actions

    func plan(_ definition: JSONValue) throws -> WorkflowPlan {
        switch TypeChecker(registry: testRegistry).check(json: definition) {
        case .success(let plan): return plan
        case .failure(let failure): throw failure
        }
    }

    /// A new execution of `plan`, as stored before anything ran, and its machine.
    func fresh(_ plan: WorkflowPlan, id: String = "ex-1", input: JSONValue = ["text": "hi"], deadlineAt: Int64? = nil) -> (ExecutionStateMachine, ExecutionDetail) {
        let record = ExecutionDetail(
            execution: ExecutionRecord(id: id, workflowID: "wf-1", input: input, createdAt: 0, deadlineAt: deadlineAt),
            tasks: plan.nodes.map { TaskRecord(index: $0.index, taskID: "task-\($0.index)", stepID: $0.id, type: $0.step.name) })
        return (ExecutionStateMachine(plan: plan, executionID: id, input: input, deadlineAt: deadlineAt), record)
    }

    /// Writes `commits` to `store` in order, as the committer would, and reports each outcome.
    func write(_ commits: [EngineStateMachine.Commit], to store: MemoryStore) async throws -> [[MutationOutcome]] {
        var results: [[MutationOutcome]] = []
        for c in commits { results.append(try await store.apply(c.mutations)) }
        return results
    }

    /// Every mutation of `commit` applied.
    func applied(_ commit: EngineStateMachine.Commit) -> Result<[MutationOutcome], any Error> {
        .success(commit.mutations.map { _ in .applied })
    }

    func transition(_ commit: EngineStateMachine.Commit) -> ExecutionTransition? {
        for m in commit.mutations { if case .transition(let t) = m { return t } }
        return nil
    }

    func storeWith(_ record: ExecutionDetail) async throws -> MemoryStore {
        let store = MemoryStore()
        _ = try await store.apply([.insertWorkflow(WorkflowRecord(id: "wf-1", name: "w", description: nil, definition: ["steps": []], createdAt: 0)), .insertExecution(record)])
        return store
    }

    struct Missing: Error {}
    /// `value`, or a thrown error when it is nil (for results of mutating calls, which `#require`
    /// cannot take).
    func some<T>(_ value: T?) throws -> T {
        guard let value else { throw Missing() }
        return value
    }

    let ioChain: JSONValue = ["name": "io", "steps": [["type": "Test.SlowUpper"], ["type": "TextOperation.Reverse"]]]

    @Test func aWorkflowOfPureStepsRunsToItsEndBeforeItIsFirstStored() throws {
        let plan = try plan(["name": "seed", "steps": [["type": "StaticTextInput", "input": "Hello"], ["type": "TextOperation.Reverse"], ["type": "Echo"]]])
        let (machine, record) = fresh(plan)
        let prepared = EngineStateMachine.prepare(machine, record: record, now: 7, jitter: { 0.5 })
        #expect(prepared.finished)
        #expect(prepared.record.execution.status == .completed && prepared.record.execution.output == ["text": "olleH"])
        #expect(prepared.record.tasks.map(\.status) == [.completed, .completed, .completed])
        #expect(prepared.events.map(\.type) == [
            "execution.pending", "execution.running", "task.completed", "task.completed", "task.completed", "execution.completed",
        ], "the same events as when it ran after being stored")
    }

    @Test func aWorkflowWithAStepWithIOIsStoredWithItsPureStepsDoneAndTheRestPending() throws {
        let plan = try plan(["name": "mixed", "steps": [["type": "StaticTextInput", "input": "abc"], ["type": "Test.SlowUpper"], ["type": "Echo"]]])
        let (machine, record) = fresh(plan)
        let prepared = EngineStateMachine.prepare(machine, record: record, now: 7, jitter: { 0.5 })
        #expect(!prepared.finished)
        #expect(prepared.record.tasks.map(\.status) == [.completed, .pending, .pending], "a step with I/O starts only under the engine that drives it")
        #expect(prepared.record.execution.status == .running)
    }

    @Test func aStepWithIOIsMarkedRunningInTheTransitionAndLaunchedOnlyOnceItIsCommitted() async throws {
        let (machine, record) = fresh(try plan(ioChain))
        var core = EngineStateMachine(clustered: false, seed: 1)
        let actions = try some(core.register(machine, record: record, now: 10))
        #expect(actions.launch.isEmpty, "nothing starts before its RUNNING transition is committed")
        #expect(actions.commits.count == 1)
        let t = try #require(transition(actions.commits[0]))
        #expect(t.tasks.map(\.status) == [.running] && t.execution?.status == .running)
        #expect(t.events.map(\.type) == ["execution.running", "task.running"])
        let after = core.committed(actions.commits[0], .success([.applied]))
        #expect(after.launch.map(\.dispatch.index) == [0])
        let twice = core.register(machine, record: record, now: 11)
        #expect(twice == nil, "an execution is driven once")
    }

    /// A new execution costs one write: its insert already holds its first step with I/O
    /// RUNNING (with the events of that start), and the step launches once the insert commits.
    @Test func aNewExecutionIsInsertedWithItsFirstStepWithIOStartedAndLaunchedOnceItCommits() async throws {
        let plan = try plan(["name": "mixed", "steps": [["type": "StaticTextInput", "input": "abc"], ["type": "Test.SlowUpper"], ["type": "Echo"]]])
        let (machine, record) = fresh(plan)
        let prepared = EngineStateMachine.prepare(machine, record: record, now: 7, jitter: { 0.5 })
        var core = EngineStateMachine(clustered: false, seed: 1)
        // The machine as the engine builds it: from the record its pure steps left.
        let actions = core.admit(Engine.machine(plan: plan, detail: prepared.record), record: prepared.record, events: prepared.events, logs: prepared.logs, now: 7)
        #expect(actions.launch.isEmpty, "nothing starts before the insert is durable")
        #expect(actions.commits.count == 1, "one write: no RUNNING transition after the insert")
        let commit = actions.commits[0]
        guard case .insertExecution(let inserted, let events)? = commit.mutations.first else {
            Issue.record("the commit does not insert the execution first: \(commit.mutations)")
            return
        }
        #expect(inserted.tasks.map(\.status) == [.completed, .running, .pending])
        #expect(inserted.tasks[1].attempt == 1 && inserted.tasks[1].startedAt == 7 && inserted.tasks[1].input == ["text": "abc"])
        #expect(events.map(\.type) == ["execution.pending", "execution.running", "task.completed", "task.running"],
                "the creation's events, then the start's, as when they were two writes")
        // Stored, it reads back as the engine holds it.
        let store = try await storeWith(fresh(plan, id: "other").1)
        _ = try await write([commit], to: store)
        var read = try #require(try await store.execution(id: "ex-1"))
        read.execution.seq = inserted.execution.seq  // the store's own row number
        #expect(read == inserted)
        let after = core.committed(commit, applied(commit))
        #expect(after.launch.map(\.dispatch.index) == [1])
        #expect(after.reload.isEmpty)
    }

    /// An insert that does not apply (a replayed idempotency key, an id taken) leaves nothing to
    /// drive: the execution is dropped, never reloaded (it is not in the store). One that failed
    /// may have committed (the connection dropped after its COMMIT): it is read back, and driven
    /// if it was stored — else a retry of its start with the idempotency key would answer an
    /// execution nobody runs (found by PostgresOutageTests: PENDING for good).
    @Test func anAdmittedExecutionWhoseInsertDoesNotApplyIsDroppedAndOneThatFailedIsReadBack() throws {
        let (machine, record) = fresh(try plan(ioChain))
        var core = EngineStateMachine(clustered: false, seed: 1)
        let actions = core.admit(machine, record: record, events: [record.creationEvent], logs: [], now: 10)
        let after = core.committed(actions.commits[0], .success([.duplicate(executionID: "ex-0")]))
        #expect(after.reload.isEmpty && after.launch.isEmpty && core.active.isEmpty)
        struct Down: Error {}
        let again = core.admit(machine, record: record, events: [record.creationEvent], logs: [], now: 11)
        #expect(core.active["ex-1"] != nil)
        let failed = core.committed(again.commits[0], .failure(Down()))
        #expect(failed.reload == ["ex-1"] && core.active.isEmpty && core.reloading == ["ex-1"])
        #expect(core.addWaiter("ex-1", untilFinished: true)?.local == true, "a wait on it waits for the read")
    }

    @Test func aCancelRacingTheFirstStepIsCommittedAfterItAndTheStepNeverStarts() async throws {
        let (machine, record) = fresh(try plan(ioChain))
        let store = try await storeWith(record)
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        let token = try some(core.addWaiter("ex-1", untilFinished: true)).token
        guard case .commit(let cancel) = core.cancel("ex-1", now: 11) else {
            Issue.record("the cancel found nothing to do")
            return
        }
        // Both reach the committer in the order computed; both apply in that order.
        #expect(try await write(start.commits + cancel.commits, to: store) == [[.applied], [.applied]])
        #expect(transition(cancel.commits[0])?.events.map(\.type) == ["task.cancelled", "task.cancelled", "execution.cancelled"],
                "computed from the execution as the start left it: no second execution.running")
        let afterStart = core.committed(start.commits[0], .success([.applied]))
        #expect(afterStart.launch.isEmpty, "the cancel ended the attempt before its start was committed")
        let afterCancel = core.committed(cancel.commits[0], .success([.applied]))
        #expect(afterCancel.resume == [token] && core.active.isEmpty)
        let stored = try #require(try await store.execution(id: "ex-1"))
        #expect(stored.execution.status == .cancelled && stored.tasks.map(\.status) == [.cancelled, .cancelled])
        #expect(try await store.events(executionID: "ex-1", after: 0, limit: 20).map(\.type) == [
            "execution.pending", "execution.running", "task.running", "task.cancelled", "task.cancelled", "execution.cancelled",
        ])
    }

    /// A step that ends changes the execution's record in place: its task array is not copied
    /// for each transition (it was, while a second reference to the entry lived — O(tasks) per
    /// step, which made a 10,000-task workflow quadratic).
    @Test func aTransitionChangesTheRecordInPlaceWithoutCopyingItsTasks() throws {
        let (machine, record) = fresh(try plan(["name": "three", "steps": [["type": "Test.SlowUpper"], ["type": "Test.SlowUpper"], ["type": "Test.SlowUpper"]]]))
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        func tasksAddress() -> UInt { core.active["ex-1"]!.record.tasks.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }
        let first = try #require(core.committed(start.commits[0], applied(start.commits[0])).launch.first)
        let before = tasksAddress()
        let finished = core.stepFinished(first.dispatch, .success(["text": "HI"]), startedAt: 10, now: 20, incarnation: first.incarnation)
        #expect(finished.commits.count == 1)
        #expect(core.active["ex-1"]!.record.tasks.map(\.status) == [.completed, .running, .pending])
        #expect(tasksAddress() == before, "the tasks were copied")
        _ = core.committed(finished.commits[0], applied(finished.commits[0]))
        guard case .commit(let cancelled) = core.cancel("ex-1", now: 40) else { Issue.record("the cancel found nothing to do"); return }
        #expect(cancelled.commits.count == 1)
        #expect(core.active["ex-1"]!.record.tasks.map(\.status) == [.completed, .cancelled, .cancelled])
        #expect(tasksAddress() == before, "the tasks were copied")
    }

    @Test func aDeadlineWithTransitionsInFlightIsComputedAfterThemAndCommittedLast() async throws {
        let (machine, record) = fresh(try plan(["name": "two", "timeout_seconds": 5, "steps": [["type": "Test.SlowUpper"], ["type": "Test.SlowUpper"]]]), deadlineAt: 5010)
        let store = try await storeWith(record)
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        #expect(start.commits.count == 1)
        let afterStart = core.committed(start.commits[0], .success([.applied]))
        #expect(afterStart.timers.map(\.timer.timer) == [.deadline])
        let first = try #require(afterStart.launch.first)
        // The first step ends; before its transition commits, the deadline fires.
        let finished = core.stepFinished(first.dispatch, .success(["text": "HI"]), startedAt: 10, now: 4000, incarnation: first.incarnation)
        let deadline = core.timerFired("ex-1", .deadline, now: 5010, incarnation: afterStart.timers[0].incarnation)
        #expect(finished.commits.count == 1 && deadline.commits.count == 1)
        #expect(try await write(start.commits + finished.commits + deadline.commits, to: store) == [[.applied], [.applied], [.applied]])
        let stored = try #require(try await store.execution(id: "ex-1"))
        #expect(stored.execution.status == .failed && stored.execution.error?["code"] == "execution_timeout")
        #expect(stored.tasks.map(\.status) == [.completed, .failed], "the second step, started by the first one's transition, timed out")
        let afterFinished = core.committed(finished.commits[0], .success([.applied]))
        #expect(afterFinished.launch.isEmpty, "the deadline ended the second step before it could start")
        let afterDeadline = core.committed(deadline.commits[0], .success([.applied]))
        #expect(afterDeadline.stop == [RunningKey(executionID: "ex-1", index: 1)] && core.active.isEmpty)
    }

    @Test func twoStepsFinishingAtOnceCommitInTheOrderTheyFinishedAndTheJoinRunsOnce() async throws {
        let (machine, record) = fresh(try plan(["name": "fan", "tasks": [
            ["id": "a", "type": "Test.SlowUpper"], ["id": "b", "type": "Test.SlowUpper"],
            ["id": "join", "type": "TextOperation.Reverse", "depends_on": ["a", "b"]],
        ]]))
        let store = try await storeWith(record)
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        let launched = core.committed(start.commits[0], .success([.applied])).launch
        #expect(launched.map(\.dispatch.index) == [0, 1])
        let b = core.stepFinished(launched[1].dispatch, .success(["text": "B"]), startedAt: 10, now: 20, incarnation: launched[1].incarnation)
        let a = core.stepFinished(launched[0].dispatch, .success(["text": "A"]), startedAt: 10, now: 21, incarnation: launched[0].incarnation)
        #expect(transition(b.commits[0])?.tasks.map(\.index) == [1], "the join waits for both")
        #expect(transition(a.commits[0])?.tasks.map(\.index) == [0, 2], "the second to finish runs the (pure) join in its transition")
        #expect(transition(a.commits[0])?.execution?.status == .completed)
        #expect(try await write(start.commits + b.commits + a.commits, to: store) == [[.applied], [.applied], [.applied]])
        #expect(try await store.execution(id: "ex-1")?.execution.output == ["text": "A"])
        _ = core.committed(b.commits[0], .success([.applied]))
        _ = core.committed(a.commits[0], .success([.applied]))
        #expect(core.active.isEmpty)
    }

    @Test func aRetriedCancelledExecutionRunsItsUnfinishedStepsAsNewAttempts() async throws {
        let p = try plan(ioChain)
        var (machine, record) = fresh(p)
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        _ = core.committed(start.commits[0], .success([.applied]))
        guard case .commit(let cancel) = core.cancel("ex-1", now: 20) else {
            Issue.record("nothing to cancel")
            return
        }
        _ = core.committed(cancel.commits[0], .success([.applied]))
        #expect(core.active.isEmpty)
        // The store holds the cancelled execution; a retry reopens it and drives it again.
        _ = record.apply(try #require(transition(start.commits[0])))
        _ = record.apply(try #require(transition(cancel.commits[0])))
        machine = Engine.machine(plan: p, detail: record)
        let reopen = try some(machine.reopen(now: 30, deadlineAt: nil))
        _ = record.apply(reopen)
        let again = try some(core.register(machine, record: record, now: 31))
        let t = try #require(transition(again.commits[0]))
        #expect(t.tasks.map(\.status) == [.running] && t.tasks[0].attempt == 2, "a new attempt, numbered after the cancelled one")
        let relaunched = core.committed(again.commits[0], applied(again.commits[0]))
        #expect(relaunched.launch.map(\.dispatch.attempt) == [2])
        #expect(record.tasks[0].attempts.count == 1 && record.tasks[0].attempts[0]["attempt"] == 1, "the cancelled attempt stays in the history")
        #expect(record.tasks[0].attempts[0]["error"]?["message"]?.stringValue?.hasPrefix("cancelled") == true)
        #expect(record.tasks[0].attempts[0]["error"]?["code"] == "cancelled")
    }

    @Test func aStepsLogLinesAreCommittedBeforeTheTransitionThatEndsItsAttempt() throws {
        let (machine, record) = fresh(try plan(ioChain))
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        let launch = try some(core.committed(start.commits[0], .success([.applied])).launch.first)
        let first = core.appendLog(TaskLogLine(executionID: "ex-1", index: 0, at: 11, attempt: 1, source: "step", line: "working"))
        let second = core.appendLog(TaskLogLine(executionID: "ex-2", index: 0, at: 11, attempt: 1, source: "step", line: "other"))
        #expect(first && !second, "one flush is scheduled at a time")
        let done = core.stepFinished(launch.dispatch, .failure(StepFailure("boom")), startedAt: 10, now: 12, incarnation: launch.incarnation)
        let mutations = done.commits[0].mutations
        guard mutations.count == 2, case .appendLogs(let lines) = mutations[0], case .transition = mutations[1] else {
            Issue.record("expected the log lines, then the transition: \(mutations)")
            return
        }
        #expect(lines.map(\.line) == ["working", "attempt 1 failed: boom"], "only this execution's lines, the engine's note last")
        let flushed = core.flushLogs()
        #expect(flushed.commits.first?.logsOf == ["ex-2"], "other executions' lines wait for the flush")
    }

    @Test func aWriteThatNoLongerAppliesDropsTheExecutionForAReload() throws {
        let (machine, record) = fresh(try plan(ioChain))
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        let after = core.committed(start.commits[0], .success([.stale]))
        #expect(after.reload == ["ex-1"] && after.launch.isEmpty && core.active.isEmpty)
        struct Down: Error {}
        let again = try some(core.register(machine, record: record, now: 11))
        let failed = core.committed(again.commits[0], .failure(Down()))
        #expect(failed.reload == ["ex-1"])
    }

    /// Found with a full disk (DiskFullTests): while an execution waited for its reload after a
    /// failed write, `?wait=` answered its stale RUNNING at once, as if no node drove it.
    @Test func aWaiterOnAnExecutionAwaitingItsReloadWaitsForItsEnd() throws {
        let (machine, record) = fresh(try plan(ioChain))
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        struct Full: Error {}
        #expect(core.committed(start.commits[0], .failure(Full())).reload == ["ex-1"])
        let waiting = try some(core.addWaiter("ex-1", untilFinished: true))
        #expect(waiting.local, "still this node's: it waits")
        // Driven again once the write goes through, then finished: the waiter is released then.
        let again = try some(core.register(machine, record: record, now: 11))
        #expect(core.reloading.isEmpty)
        let launch = try some(core.committed(again.commits[0], applied(again.commits[0])).launch.first)
        let done = core.stepFinished(launch.dispatch, .success(["text": "HI"]), startedAt: 11, now: 12, incarnation: launch.incarnation)
        #expect(done.resume.isEmpty, "not before its end is committed")
        #expect(core.committed(done.commits[0], applied(done.commits[0])).resume == [waiting.token])
        // A reload that finds nothing to drive (finished elsewhere, or gone) releases its waiters.
        #expect(core.committed(try some(core.register(machine, record: record, now: 13)).commits[0], .failure(Full())).reload == ["ex-1"])
        let second = try some(core.addWaiter("ex-1", untilFinished: true))
        #expect(core.reloadEnded("ex-1").resume == [second.token])
        #expect(core.addWaiter("ex-1", untilFinished: true) == nil, "then it is not this node's")
    }

    @Test func onAClusterAWaiterOnAnExecutionThatFinishedElsewhereReturnsAtOnce() {
        var core = EngineStateMachine(clustered: true, seed: 1)
        let waiting = core.addWaiter("ex-9", untilFinished: true)
        #expect(waiting?.local == false, "another node may run it: wait for its announcement")
        let released = core.remote(changed: [], finished: ["ex-9"])
        #expect(released.resume == [waiting?.token].compactMap { $0 })
        let late = core.addWaiter("ex-9", untilFinished: true)
        #expect(late == nil, "it finished lately: no wait")
        var single = EngineStateMachine(clustered: false, seed: 1)
        let alone = single.addWaiter("ex-9", untilFinished: true)
        #expect(alone == nil, "on one node, an execution not driven here is not running")
    }

    @Test func aTimerOrStepOfTheRunBeforeARetryDoesNotTouchTheRetriedRun() async throws {
        let p = try plan(["name": "w", "timeout_seconds": 60, "tasks": [
            ["id": "wait", "type": "Delay", "input": ["seconds": 5]], ["id": "up", "type": "Test.SlowUpper"],
        ]])
        var (machine, record) = fresh(p, input: ["text": "x"], deadlineAt: 60_010)
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        let started = core.committed(start.commits[0], .success([.applied]))
        let oldDelay = try some(started.timers.first { if case .delay = $0.timer.timer { return true } else { return false } })
        let oldDeadline = try some(started.timers.first { $0.timer.timer == .deadline })
        let oldStep = try some(started.launch.first)
        guard case .commit(let cancel) = core.cancel("ex-1", now: 2_000) else {
            Issue.record("nothing to cancel")
            return
        }
        _ = core.committed(cancel.commits[0], .success([.applied]))
        _ = record.apply(try some(transition(start.commits[0])))
        _ = record.apply(try some(transition(cancel.commits[0])))
        machine = Engine.machine(plan: p, detail: record)
        let reopen = try some(machine.reopen(now: 4_000, deadlineAt: 64_000))
        _ = record.apply(reopen)
        let again = try some(core.register(machine, record: record, now: 4_000))
        let relaunched = core.committed(again.commits[0], applied(again.commits[0]))
        let newDelay = try some(relaunched.timers.first { if case .delay = $0.timer.timer { return true } else { return false } })
        #expect(newDelay.timer.at == 9_000, "the retried Delay waits its full 5 s again")
        // The first run's Delay (due at 5,010, attempt 1 like the new one), its deadline and its
        // step, which ignored the cancel and finished late, are all of the earlier run.
        let staleDelay = core.timerFired("ex-1", oldDelay.timer.timer, now: 5_010, incarnation: oldDelay.incarnation)
        let staleDeadline = core.timerFired("ex-1", .deadline, now: 60_010, incarnation: oldDeadline.incarnation)
        let staleStep = core.stepFinished(oldStep.dispatch, .success(["text": "OLD"]), startedAt: 10, now: 5_000, incarnation: oldStep.incarnation)
        #expect(staleDelay.commits.isEmpty && staleDeadline.commits.isEmpty && staleStep.commits.isEmpty)
        let due = core.timerFired("ex-1", newDelay.timer.timer, now: 9_000, incarnation: newDelay.incarnation)
        #expect(transition(due.commits[0])?.tasks.map(\.status) == [.completed], "the new Delay ends at its own time")
    }

    /// A suspend is one write of its own, stored with the execution, and holds back the next
    /// step once the running one ends; the resume is one commit — the write that clears it, then
    /// the transition that starts what waited — and the launch follows its commit.
    @Test func aSuspendIsStoredAndHoldsTheNextStepUntilTheResumeCommits() async throws {
        let chain: JSONValue = ["name": "io2", "steps": [["type": "Test.SlowUpper"], ["type": "Test.SlowUpper"]]]
        let (machine, record) = fresh(try plan(chain))
        let store = try await storeWith(record)
        var core = EngineStateMachine(clustered: false, seed: 1)
        let start = try some(core.register(machine, record: record, now: 10))
        guard case .commit(let suspend) = core.suspend("ex-1") else {
            Issue.record("the suspend found nothing to do")
            return
        }
        #expect(suspend.commits.count == 1)
        guard case .suspendExecution("ex-1", true)? = suspend.commits[0].mutations.first else {
            Issue.record("the suspend is not a suspendExecution write")
            return
        }
        #expect(try await write(start.commits + suspend.commits, to: store) == [[.applied], [.applied]])
        #expect(try await store.execution(id: "ex-1")?.execution.suspended == true)
        let launched = core.committed(start.commits[0], .success([.applied])).launch
        #expect(launched.map(\.dispatch.index) == [0], "the step running goes on")
        _ = core.committed(suspend.commits[0], .success([.applied]))
        let first = try some(launched.first)
        let done = core.stepFinished(first.dispatch, .success(["text": "HI"]), startedAt: 10, now: 20, incarnation: first.incarnation)
        #expect(transition(done.commits[0])?.tasks.map(\.status) == [.completed], "no RUNNING for the next step")
        #expect(core.committed(done.commits[0], applied(done.commits[0])).launch.isEmpty)
        guard case .commit(let resume) = core.resume("ex-1", release: true, tasks: nil, now: 30) else {
            Issue.record("the resume found nothing to do")
            return
        }
        guard case .suspendExecution("ex-1", false)? = resume.commits[0].mutations.first else {
            Issue.record("the resume does not clear the suspend first")
            return
        }
        #expect(transition(resume.commits[0])?.tasks.map(\.status) == [.running])
        #expect(try await write(done.commits + resume.commits, to: store) == [[.applied], [.applied, .applied]])
        #expect(try await store.execution(id: "ex-1")?.execution.suspended == false)
        #expect(core.committed(resume.commits[0], applied(resume.commits[0])).launch.map(\.dispatch.index) == [1])
        if case .notHere = core.suspend("ex-2") {} else { Issue.record("an execution not driven here is not suspended here") }
    }
}
