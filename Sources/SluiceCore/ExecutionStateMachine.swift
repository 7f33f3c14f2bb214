/// The life of one execution as a value: it is told what happened (a task finished, a timer
/// fired, someone cancelled) and answers with the transition to commit, the tasks to run next and
/// the timers to arm. It performs no I/O; the engine commits each transition before it acts on
/// the answer.
public struct ExecutionStateMachine: Sendable {
    /// A task the engine should run now, with its input and the attempt (from 1) it is.
    public struct Dispatch: Sendable, Hashable {
        public var executionID: String
        public var index: Int
        public var input: JSONValue
        public var attempt: Int
        /// The task's parameters with their placeholders filled in (`render_input`); `nil`: the
        /// plan's parameters as they are.
        public var parameters: JSONValue?
        /// For a mapped task with `render_input`: the values of its placeholders other than
        /// `item`, read when the attempt starts; each item's parameters are rendered from them
        /// and the item (`MapPlan.ItemParameters`).
        public var bindings: [Reference: JSONValue]?
    }

    /// Something that happens at a time: the next attempt of a task, the end of a Delay, the
    /// execution's deadline.
    public enum Timer: Sendable, Hashable {
        case retry(index: Int, attempt: Int)
        case delay(index: Int, attempt: Int)
        case deadline
    }

    /// A timer and when it fires (milliseconds since the epoch).
    public struct ScheduledTimer: Sendable, Hashable {
        public var timer: Timer
        public var at: Int64

        public init(timer: Timer, at: Int64) {
            self.timer = timer
            self.at = at
        }
    }

    /// What the engine must do after an event: commit `transition` (if any), and once committed,
    /// run `dispatch`, arm `timers` and stop the work of the tasks in `stop`. `finished` says the
    /// transition ends the execution.
    public struct Outcome: Sendable {
        public var transition: ExecutionTransition?
        public var dispatch: [Dispatch] = []
        public var timers: [ScheduledTimer] = []
        public var stop: [Int] = []
        public var finished: Bool = false

        public init(transition: ExecutionTransition?, dispatch: [Dispatch] = [], timers: [ScheduledTimer] = [], stop: [Int] = [], finished: Bool = false) {
            self.transition = transition
            self.dispatch = dispatch
            self.timers = timers
            self.stop = stop
            self.finished = finished
        }
    }

    /// What the store knows of a task, to rebuild a machine after a restart.
    public struct TaskSnapshot: Sendable {
        public var status: TaskStatus
        public var output: JSONValue?
        public var error: String?
        public var attempt: Int
        public var wakeAt: Int64?
        /// Attempts made before the current run (a retry of the execution starts a run).
        public var attemptBase: Int
        /// When the current attempt started.
        public var startedAt: Int64?

        public init(status: TaskStatus, output: JSONValue? = nil, error: String? = nil, attempt: Int = 0, wakeAt: Int64? = nil, attemptBase: Int = 0, startedAt: Int64? = nil) {
            self.status = status
            self.output = output
            self.error = error
            self.attempt = attempt
            self.wakeAt = wakeAt
            self.attemptBase = attemptBase
            self.startedAt = startedAt
        }
    }

    enum Phase: Sendable, Hashable {
        case waiting
        case running
        case retrying
        case completed
        case failed
        case skipped
        case cancelled

        var isFinished: Bool { self == .completed || self == .failed || self == .skipped || self == .cancelled }
    }

    public let plan: WorkflowPlan
    public let executionID: String
    public let input: JSONValue
    public private(set) var status: ExecutionStatus
    /// When the execution times out, if its workflow has a timeout.
    public private(set) var deadlineAt: Int64?
    /// Whether the execution is held (suspended): no task starts while it is — a task that
    /// becomes ready, or whose retry wait ends, waits — and the tasks running go on to their end.
    /// `resume` lets them start.
    public private(set) var held = false
    var phases: [Phase]
    var outputs: [JSONValue?]
    /// Attempts started per task, over every run: a retry of the execution goes on counting.
    var attempts: [Int]
    /// Attempts made per task before the current run: the retry budget counts from there.
    var attemptBase: [Int]
    /// When each task's current attempt started (for the history of a cancelled attempt).
    var startedAt: [Int64?]
    var remainingDependencies: [Int]
    var firstFailure: (index: Int, message: String)?
    /// Why each failed task failed (for the execution's error when the first failure was handled).
    var failureMessages: [Int: String] = [:]
    /// Timers to arm when the machine starts (a resumed Delay or retry wait).
    var pendingTimers: [ScheduledTimer] = []

    /// A new execution: every task waiting.
    public init(plan: WorkflowPlan, executionID: String, input: JSONValue, deadlineAt: Int64? = nil) {
        self.plan = plan
        self.executionID = executionID
        self.input = input
        self.status = .pending
        self.deadlineAt = deadlineAt
        self.phases = Array(repeating: .waiting, count: plan.nodes.count)
        self.outputs = Array(repeating: nil, count: plan.nodes.count)
        self.attempts = Array(repeating: 0, count: plan.nodes.count)
        self.attemptBase = Array(repeating: 0, count: plan.nodes.count)
        self.startedAt = Array(repeating: nil, count: plan.nodes.count)
        self.remainingDependencies = plan.nodes.map(\.dependencies.count)
    }

    /// An execution rebuilt from what the store holds. A task found `RUNNING` was interrupted and
    /// runs again as the same attempt (at least once), except a Delay, which keeps waiting for the
    /// time it stored; a `RETRYING` task waits for its stored time, then runs its next attempt.
    public init(plan: WorkflowPlan, executionID: String, input: JSONValue, status: ExecutionStatus, deadlineAt: Int64? = nil, held: Bool = false, tasks: [TaskSnapshot]) {
        self.init(plan: plan, executionID: executionID, input: input, deadlineAt: deadlineAt)
        self.status = status
        self.held = held && !status.isTerminal
        for (i, t) in tasks.enumerated() where i < phases.count {
            attempts[i] = t.attempt
            attemptBase[i] = t.attemptBase
            startedAt[i] = t.startedAt
            switch t.status {
            case .pending: phases[i] = .waiting
            case .running:
                if case .timer = plan.nodes[i].step.implementation, let wake = t.wakeAt {
                    phases[i] = .running
                    pendingTimers.append(ScheduledTimer(timer: .delay(index: i, attempt: t.attempt), at: wake))
                } else if plan.nodes[i].step.waitsForResume, plan.nodes[i].map == nil {
                    // A Suspend without a time: it waits for a resume, as before the restart.
                    phases[i] = .running
                } else {
                    phases[i] = .waiting
                    attempts[i] = max(t.attempt - 1, t.attemptBase)
                }
            case .retrying:
                phases[i] = .retrying
                pendingTimers.append(ScheduledTimer(timer: .retry(index: i, attempt: t.attempt + 1), at: t.wakeAt ?? 0))
            case .completed: phases[i] = .completed; outputs[i] = t.output
            case .failed:
                phases[i] = .failed
                if firstFailure == nil { firstFailure = (i, t.error ?? "failed") }
                failureMessages[i] = t.error ?? "failed"
            case .skipped: phases[i] = .skipped
            case .cancelled: phases[i] = .cancelled
            }
        }
        recountDependencies()
    }

    mutating func recountDependencies() {
        for node in plan.nodes {
            remainingDependencies[node.index] = node.dependencies.filter { !phases[$0].isFinished }.count
        }
    }

    /// Starts (or resumes) the execution: the tasks ready to run and the timers to arm, or the
    /// final transition if nothing is left to do.
    public mutating func start(now: Int64) -> Outcome {
        var outcome = Outcome(transition: nil)
        guard !status.isTerminal else { return outcome }
        var transition = ExecutionTransition(executionID: executionID, tasks: [])
        for node in plan.nodes where phases[node.index] == .waiting && remainingDependencies[node.index] == 0 {
            ready(node.index, now: now, into: &transition, dispatch: &outcome.dispatch)
        }
        outcome.timers = pendingTimers
        pendingTimers = []
        if let deadlineAt { outcome.timers.append(ScheduledTimer(timer: .deadline, at: deadlineAt)) }
        if outcome.dispatch.isEmpty && allTasksFinished {
            transition.execution = finish(now: now, startedAt: status == .pending ? now : nil)
            return Outcome(transition: transition, finished: true)
        }
        if !transition.tasks.isEmpty {
            // Tasks skipped by their condition before anything ran.
            if status == .pending {
                status = .running
                transition.execution = ExecutionChange(status: .running, startedAt: now)
            }
            outcome.transition = transition
        }
        return outcome
    }

    /// Marks task `index` running as its next attempt.
    mutating func begin(_ index: Int) -> Dispatch {
        phases[index] = .running
        attempts[index] += 1
        var dispatch = Dispatch(executionID: executionID, index: index, input: input(for: index), attempt: attempts[index])
        if let template = plan.nodes[index].parameterTemplate {
            let (input, outputs, indexByID) = (self.input, self.outputs, plan.indexByID)
            let execution = template.references.contains { $0.reference.root == .execution } ? executionValue() : nil
            let resolve = { (r: Reference) in r.resolve(input: input, output: { id in indexByID[id].flatMap { outputs[$0] } }, execution: { execution }) }
            if plan.nodes[index].map != nil {
                var bindings: [Reference: JSONValue] = [:]
                for (reference, _) in template.references where reference.root != .item {
                    if let value = resolve(reference) { bindings[reference] = value }
                }
                dispatch.bindings = bindings
            } else {
                dispatch.parameters = template.render(resolve)
            }
        }
        return dispatch
    }

    /// Whether attempt `attempt` of task `index` is the one running now (a late answer from an
    /// attempt that timed out or was cancelled is not).
    public func isCurrent(_ index: Int, attempt: Int) -> Bool {
        index < phases.count && phases[index] == .running && attempts[index] == attempt
    }

    /// The transition that records task `index` as RUNNING before work that takes time starts
    /// (steps with I/O, Delays). `wakeAt` is when a Delay ends; `input`, what the attempt was
    /// given (its dispatch's input), is recorded with it, so a running task's input is known
    /// while it runs, and stays known if it is cancelled.
    public mutating func taskStarted(_ index: Int, now: Int64, wakeAt: Int64? = nil, input: JSONValue? = nil) -> ExecutionTransition {
        startedAt[index] = now
        var transition = ExecutionTransition(executionID: executionID, tasks: [
            TaskChange(index: index, expected: [.pending, .running, .retrying], status: .running, input: input, startedAt: now, attempt: attempts[index], wakeAt: wakeAt),
        ])
        if status == .pending {
            status = .running
            transition.execution = ExecutionChange(status: .running, startedAt: now)
        }
        return transition
    }

    /// Attempt `attempt` of task `index` produced `output`. `nil` if that attempt is no longer current.
    public mutating func taskSucceeded(_ index: Int, attempt: Int, input: JSONValue, output: JSONValue, startedAt: Int64, completedAt: Int64) -> Outcome? {
        guard isCurrent(index, attempt: attempt) else { return nil }
        phases[index] = .completed
        outputs[index] = output
        var transition = ExecutionTransition(executionID: executionID, tasks: [
            TaskChange(index: index, expected: [.pending, .running, .retrying], status: .completed, input: input, output: output, startedAt: startedAt, completedAt: completedAt, attempt: attempt),
        ])
        var dispatch: [Dispatch] = []
        release(index, now: completedAt, into: &transition, dispatch: &dispatch)
        let finished = advance(&transition, startedAt: startedAt, now: completedAt)
        return Outcome(transition: transition, dispatch: dispatch, finished: finished)
    }

    /// Attempt `attempt` of task `index` failed with `message`. A retryable failure with attempts
    /// left makes the task RETRYING until its backoff (varied by `jitter` in [0, 1)) has passed.
    /// Otherwise the task FAILED: the tasks downstream of it are skipped, independent branches go
    /// on, and the execution fails once nothing is left to run. `nil` if the attempt is not current.
    public mutating func taskFailed(_ index: Int, attempt: Int, input: JSONValue, message: String, retryable: Bool = false, startedAt: Int64, completedAt: Int64, jitter: Double = 0.5) -> Outcome? {
        guard isCurrent(index, attempt: attempt) else { return nil }
        let node = plan.nodes[index]
        var history = JSONObject()
        history.append("attempt", .number(Double(attempt)))
        history.append("error", ["message": .string(message), "retryable": .bool(retryable)])
        history.append("started_at", .string(Timestamp.format(milliseconds: startedAt)))
        history.append("completed_at", .string(Timestamp.format(milliseconds: completedAt)))
        if retryable && attempt - attemptBase[index] < node.retry.maxAttempts {
            phases[index] = .retrying
            let wake = completedAt + Int64((node.retry.delay(afterAttempt: attempt, jitter: jitter) * 1000).rounded())
            var transition = ExecutionTransition(executionID: executionID, tasks: [
                TaskChange(index: index, expected: [.pending, .running, .retrying], status: .retrying, input: input, startedAt: startedAt, attempt: attempt, failedAttempt: .object(history), wakeAt: wake),
            ])
            _ = advance(&transition, startedAt: startedAt, now: completedAt)
            return Outcome(transition: transition, timers: [ScheduledTimer(timer: .retry(index: index, attempt: attempt + 1), at: wake)])
        }
        phases[index] = .failed
        if firstFailure == nil { firstFailure = (index, message) }
        failureMessages[index] = message
        var transition = ExecutionTransition(executionID: executionID, tasks: [
            TaskChange(index: index, expected: [.pending, .running, .retrying], status: .failed, input: input, error: ["message": .string(message)], startedAt: startedAt, completedAt: completedAt, attempt: attempt, failedAttempt: .object(history)),
        ])
        var dispatch: [Dispatch] = []
        skipDownstream(of: index, into: &transition, dispatch: &dispatch, now: completedAt)
        let finished = advance(&transition, startedAt: startedAt, now: completedAt)
        return Outcome(transition: transition, dispatch: dispatch, finished: finished)
    }

    /// Task `index` finished (completed, or skipped by a condition): its dependants whose
    /// dependencies have all finished become ready.
    mutating func release(_ index: Int, now: Int64, into transition: inout ExecutionTransition, dispatch: inout [Dispatch]) {
        for d in plan.nodes[index].dependents {
            remainingDependencies[d] -= 1
            if remainingDependencies[d] == 0 && phases[d] == .waiting {
                ready(d, now: now, into: &transition, dispatch: &dispatch)
            }
        }
    }

    /// Task `index`'s dependencies have all finished. It runs unless every one of them was
    /// skipped or its `when` is false; then it is SKIPPED (with the reason in its `error`) and
    /// its own dependants are considered in turn.
    mutating func ready(_ index: Int, now: Int64, into transition: inout ExecutionTransition, dispatch: inout [Dispatch]) {
        // Held: it stays waiting, its dependencies done; `resume` takes it up.
        if held { return }
        let node = plan.nodes[index]
        let reason: JSONValue
        if !node.runsAfterFailure && !node.dependencies.isEmpty && !node.dependencies.contains(where: { phases[$0] == .completed }) {
            reason = ["code": "dependencies_skipped", "message": "skipped: every task it depends on was skipped"]
        } else if let condition = node.condition, !condition.evaluate(input: input, output: { id in plan.indexByID[id].flatMap { outputs[$0] } }, status: { id in plan.indexByID[id].flatMap { statusName($0) } }, execution: { executionValue() }) {
            reason = ["code": "condition_false", "message": .string("skipped: its condition was false: \(condition)")]
        } else {
            dispatch.append(begin(index))
            return
        }
        phases[index] = .skipped
        transition.tasks.append(TaskChange(index: index, expected: [.pending], status: .skipped, error: reason, completedAt: now))
        release(index, now: now, into: &transition, dispatch: &dispatch)
    }

    /// Task `index` failed: the tasks downstream of it are skipped, except those with
    /// `"trigger": "all_finished"`, which count it as finished (and run once all their
    /// dependencies have, if their `when` holds).
    mutating func skipDownstream(of index: Int, into transition: inout ExecutionTransition, dispatch: inout [Dispatch], now: Int64) {
        let failed = plan.nodes[index].id
        let reason: JSONValue = ["code": "upstream_failed", "message": .string("skipped: task \"\(failed)\" upstream of it failed")]
        var stack = plan.nodes[index].dependents
        while let d = stack.popLast() {
            guard phases[d] == .waiting else { continue }
            if plan.nodes[d].runsAfterFailure {
                remainingDependencies[d] -= 1
                if remainingDependencies[d] == 0 { ready(d, now: now, into: &transition, dispatch: &dispatch) }
                continue
            }
            phases[d] = .skipped
            transition.tasks.append(TaskChange(index: d, expected: [.pending], status: .skipped, error: reason, completedAt: now))
            stack += plan.nodes[d].dependents
        }
    }

    /// A timer fired. A retry wait that ended dispatches the next attempt; a Delay that ended
    /// completes with its input as output; the deadline times the execution out. `nil` if the
    /// timer no longer applies (the task moved on, the execution finished).
    public mutating func timerFired(_ timer: Timer, now: Int64) -> Outcome? {
        guard !status.isTerminal else { return nil }
        switch timer {
        case .retry(let index, let attempt):
            guard index < phases.count, phases[index] == .retrying, attempts[index] + 1 == attempt else { return nil }
            if held {
                // Its next attempt waits for the resume (its row stays RETRYING until then).
                phases[index] = .waiting
                return Outcome(transition: nil)
            }
            return Outcome(transition: nil, dispatch: [begin(index)])
        case .delay(let index, let attempt):
            guard isCurrent(index, attempt: attempt) else { return nil }
            let value = input(for: index)
            return taskSucceeded(index, attempt: attempt, input: value, output: value, startedAt: now, completedAt: now).map { outcome in
                var outcome = outcome
                // The Delay's start was recorded when it began; keep it.
                outcome.transition?.tasks[0].startedAt = nil
                return outcome
            }
        case .deadline:
            return timeOut(now: now)
        }
    }

    /// Holds the execution (suspends it): from now on no task starts until `resume`; the tasks
    /// running go on. `false` if it already finished (nothing changes). Holding a held execution
    /// changes nothing and is `true`.
    public mutating func hold() -> Bool {
        guard !status.isTerminal else { return false }
        held = true
        return true
    }

    /// Resumes the execution: it is no longer held, so the tasks that became ready meanwhile
    /// start, and its running `Suspend` tasks that `selected` accepts (all by default) complete
    /// now with their input as output, as a `Delay` ends. `nil` if it already finished. With
    /// `release: false` only the selected Suspend tasks end, and a hold stays (Argo's resume of
    /// some nodes).
    public mutating func resume(now: Int64, release: Bool = true, selected: (Int) -> Bool = { _ in true }) -> Outcome? {
        guard !status.isTerminal else { return nil }
        if release { held = false }
        var outcome = Outcome(transition: nil)
        func merge(_ next: Outcome) {
            if let t = next.transition { outcome.transition = outcome.transition.map { $0.followed(by: t) } ?? t }
            outcome.dispatch += next.dispatch
            outcome.timers += next.timers
            outcome.stop += next.stop
            outcome.finished = outcome.finished || next.finished
        }
        for i in phases.indices where phases[i] == .running && plan.nodes[i].step.waitsForResume && plan.nodes[i].map == nil && selected(i) {
            guard !outcome.finished, let ended = timerFired(.delay(index: i, attempt: attempts[i]), now: now) else { continue }
            merge(ended)
        }
        guard !outcome.finished, !held else { return outcome }
        var transition = ExecutionTransition(executionID: executionID, tasks: [])
        var dispatch: [Dispatch] = []
        for node in plan.nodes where phases[node.index] == .waiting && remainingDependencies[node.index] == 0 {
            ready(node.index, now: now, into: &transition, dispatch: &dispatch)
        }
        if !transition.tasks.isEmpty || !dispatch.isEmpty {
            let finished = advance(&transition, startedAt: now, now: now)
            merge(Outcome(transition: transition.tasks.isEmpty && transition.execution == nil ? nil : transition, dispatch: dispatch, finished: finished))
        }
        return outcome
    }

    /// The `Suspend` tasks waiting for a resume now.
    public var suspendedTasks: [Int] { phases.indices.filter { phases[$0] == .running && plan.nodes[$0].step.waitsForResume } }

    /// Cancels the execution: every unfinished task becomes CANCELLED and so does the execution.
    /// `nil` if it already finished.
    public mutating func cancel(now: Int64) -> Outcome? {
        guard !status.isTerminal else { return nil }
        var transition = ExecutionTransition(executionID: executionID, tasks: [])
        var stop: [Int] = []
        for i in phases.indices where !phases[i].isFinished {
            var history: JSONValue?
            if phases[i] == .running {
                stop.append(i)
                // The attempt under way ends here; it stays in the task's history.
                history = attemptRecord(i, message: "cancelled: the execution was cancelled", code: "cancelled", now: now)
            }
            phases[i] = .cancelled
            transition.tasks.append(TaskChange(index: i, expected: [.pending, .running, .retrying], status: .cancelled, completedAt: now, failedAttempt: history))
        }
        status = .cancelled
        transition.execution = ExecutionChange(status: .cancelled, error: ["message": "the execution was cancelled"], completedAt: now)
        return Outcome(transition: transition, stop: stop, finished: true)
    }

    /// The history entry of task `index`'s current attempt, ended at `now` by `message`.
    func attemptRecord(_ index: Int, message: String, code: String? = nil, now: Int64) -> JSONValue {
        var error = JSONObject()
        error.append("message", .string(message))
        if let code { error.append("code", .string(code)) }
        error.append("retryable", .bool(false))
        var history = JSONObject()
        history.append("attempt", .number(Double(attempts[index])))
        history.append("error", .object(error))
        history.append("started_at", startedAt[index].timestamp)
        history.append("completed_at", .string(Timestamp.format(milliseconds: now)))
        return .object(history)
    }

    /// The execution ran past its deadline: running tasks fail with a timeout, the rest are
    /// skipped, and the execution fails.
    mutating func timeOut(now: Int64) -> Outcome? {
        guard !status.isTerminal else { return nil }
        let seconds = plan.definition.timeoutSeconds.map { $0.compact } ?? "?"
        let message = "the execution timed out after \(seconds) s"
        var transition = ExecutionTransition(executionID: executionID, tasks: [])
        var stop: [Int] = []
        for i in phases.indices where !phases[i].isFinished {
            if phases[i] == .running {
                stop.append(i)
                let history = attemptRecord(i, message: message, code: "execution_timeout", now: now)
                phases[i] = .failed
                transition.tasks.append(TaskChange(index: i, expected: [.pending, .running, .retrying], status: .failed, error: ["message": .string(message), "code": "execution_timeout"], completedAt: now, failedAttempt: history))
            } else {
                phases[i] = .skipped
                transition.tasks.append(TaskChange(index: i, expected: [.pending, .running, .retrying], status: .skipped, error: ["message": "skipped: the execution timed out before it ran", "code": "execution_timeout"], completedAt: now))
            }
        }
        status = .failed
        transition.execution = ExecutionChange(status: .failed, error: ["message": .string(message), "code": "execution_timeout"], startedAt: nil, completedAt: now)
        return Outcome(transition: transition, stop: stop, finished: true)
    }

    /// Makes a FAILED or CANCELLED execution run again from where it stopped: its failed,
    /// cancelled and skipped tasks become PENDING and run again as new attempts (attempt numbers
    /// go on; the retry budget starts afresh); completed tasks keep their outputs. Returns the
    /// transition to commit, then `start` dispatches. `nil` if the execution is not FAILED or
    /// CANCELLED.
    public mutating func reopen(now: Int64, deadlineAt: Int64?) -> ExecutionTransition? {
        guard status == .failed || status == .cancelled else { return nil }
        var transition = ExecutionTransition(executionID: executionID, tasks: [])
        for i in phases.indices where phases[i] != .completed {
            phases[i] = .waiting
            attemptBase[i] = attempts[i]
            startedAt[i] = nil
            transition.tasks.append(TaskChange(index: i, expected: [.failed, .cancelled, .skipped, .pending], status: .pending, reset: true, attemptBase: attempts[i]))
        }
        firstFailure = nil
        status = .running
        self.deadlineAt = deadlineAt
        transition.execution = ExecutionChange(status: .running, reopen: true, deadlineAt: deadlineAt)
        recountDependencies()
        return transition
    }

    /// How many attempts task `index` made before the current run.
    public func attemptsBeforeRun(_ index: Int) -> Int { attemptBase[index] }

    /// Whether every task has finished.
    public var allTasksFinished: Bool { phases.allSatisfy(\.isFinished) }

    /// The tasks running now (a step with I/O under way, a Delay waiting).
    public var runningTasks: [Int] { phases.indices.filter { phases[$0] == .running } }

    /// The execution's output so far: see `WorkflowPlan.outputNodes`.
    public var output: JSONValue? {
        let produced = plan.outputNodes.filter { outputs[$0] != nil }
        if plan.outputNodes.count == 1 { return produced.first.flatMap { outputs[$0] } }
        var o = JSONObject()
        for i in produced { o.append(plan.nodes[i].id, outputs[i]!) }
        return .object(o)
    }

    /// Adds the execution's own change to `transition`: RUNNING on its first task, and the final
    /// status once every task has finished. Returns whether the execution finished.
    mutating func advance(_ transition: inout ExecutionTransition, startedAt: Int64, now: Int64) -> Bool {
        if allTasksFinished {
            transition.execution = finish(now: now, startedAt: status == .pending ? startedAt : nil)
            return true
        }
        if status == .pending {
            status = .running
            transition.execution = ExecutionChange(status: .running, startedAt: startedAt)
        }
        return false
    }

    mutating func finish(now: Int64, startedAt: Int64?) -> ExecutionChange {
        if var failure = firstFailure, let unhandled = unhandledFailure {
            if unhandled != failure.index { failure = (unhandled, failureMessages[unhandled] ?? failure.message) }
            status = .failed
            let node = plan.nodes[failure.index]
            let error: JSONValue = [
                "message": .string("task \"\(node.id)\" (\(node.step.name)) failed: \(failure.message)"),
                "step_id": .string(node.id),
            ]
            return ExecutionChange(status: .failed, error: error, startedAt: startedAt, completedAt: now)
        }
        status = .completed
        return ExecutionChange(status: .completed, output: output ?? .null, startedAt: startedAt, completedAt: now)
    }

    /// The first failed task whose failure no `"trigger": "all_finished"` task downstream of it
    /// handled (ran after it); `nil` when every failure was handled. The first failure when no
    /// task has that trigger.
    var unhandledFailure: Int? {
        guard let first = firstFailure?.index else { return nil }
        guard plan.nodes.contains(where: \.runsAfterFailure) else { return first }
        func handled(_ i: Int) -> Bool {
            plan.nodes[i].dependents.contains { d in plan.nodes[d].runsAfterFailure && plan.nodes[d].handlesFailures && (phases[d] == .completed || phases[d] == .failed) }
        }
        if !handled(first) { return first }
        return phases.indices.first { phases[$0] == .failed && !handled($0) }
    }

    /// `execution` as references read it: whether a task failed with no `all_finished` handler
    /// run after it (`failed`), and those tasks with their error (`failures`), oldest first.
    func executionValue() -> JSONValue {
        var failures: [JSONValue] = []
        if firstFailure != nil {
            let anyHandler = plan.nodes.contains(where: \.runsAfterFailure)
            for i in phases.indices where phases[i] == .failed {
                if anyHandler, plan.nodes[i].dependents.contains(where: { d in plan.nodes[d].runsAfterFailure && plan.nodes[d].handlesFailures && (phases[d] == .completed || phases[d] == .failed) }) { continue }
                failures.append(["task": .string(plan.nodes[i].id), "message": .string(failureMessages[i] ?? (firstFailure?.index == i ? firstFailure!.message : "failed"))])
            }
        }
        return ["failed": .bool(!failures.isEmpty), "failures": .array(failures)]
    }

    /// A finished task's status as `status.<id>` reads it; `nil` while it has not finished.
    func statusName(_ i: Int) -> String? {
        switch phases[i] {
        case .completed: return TaskStatus.completed.rawValue
        case .failed: return TaskStatus.failed.rawValue
        case .skipped: return TaskStatus.skipped.rawValue
        case .cancelled: return TaskStatus.cancelled.rawValue
        default: return nil
        }
    }

    /// The input of task `index`, assembled from the execution input (entry tasks), its
    /// parameters (sources) or its dependencies' outputs (the first listed wins on a clash).
    public func input(for index: Int) -> JSONValue {
        let node = plan.nodes[index]
        if let source = StepRegistry.sourceValue(for: node.step, parameters: node.parameters) { return source }
        if let map = node.map {
            return ["list": map.over.resolve(input: input, output: { id in plan.indexByID[id].flatMap { outputs[$0] } }) ?? .null]
        }
        var merged: JSONValue
        if let selections = node.inputFrom {
            var o = JSONObject()
            for s in selections {
                o.append(s.field, s.reference.resolve(input: input, output: { id in plan.indexByID[id].flatMap { outputs[$0] } }) ?? .null)
            }
            merged = .object(o)
        } else if node.dependencies.isEmpty {
            merged = input
        } else {
            var o = JSONObject()
            for d in node.dependencies {
                guard case .object(let produced)? = outputs[d] else { continue }
                for m in produced where o[m.key] == nil { o.append(m.key, m.value) }
            }
            merged = .object(o)
        }
        if case .value(let t) = node.step.input {
            merged = [t.field: merged[t.field] ?? .null]
        }
        return merged
    }
}
