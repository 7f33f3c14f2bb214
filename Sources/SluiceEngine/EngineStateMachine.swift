import SluiceCore
import SluiceStore

/// The engine's state and rules as one value, with no I/O: each method takes an event (an
/// execution to run, a commit done, a step finished, a timer fired, a cancel, a waiter) and
/// returns the `Actions` that follow (commit these writes in this order, launch these steps, arm
/// these timers, stop these steps, release these waiters). `Engine` holds it under one lock and
/// carries the actions out; writes are handed to the group committer in the same critical section
/// that computed them, and the committer keeps each execution's writes in order, so the order in
/// which transitions are computed is the order in which they commit.
///
/// Pure steps run here, inline: they are deterministic and have no side effects, so a task made
/// ready by a pure step runs in the same transition rather than after a commit. Steps with I/O and
/// Delays are marked RUNNING in that transition and start once it is committed; a task's
/// dependants never see an output a crash could lose.
struct EngineStateMachine {
    /// An execution the engine drives: its machine, and its record as the store will hold it once
    /// every write submitted so far has committed (the events are computed from it).
    struct Active {
        var machine: ExecutionStateMachine
        var record: ExecutionDetail
        /// Which time this engine drives the execution: a retry (or a reload) drives it anew, and
        /// the timers and steps of an earlier time, which may still fire or finish, name an
        /// older incarnation and are ignored. (Attempt numbers alone do not tell them apart: a
        /// retry starts its tasks' attempts over.)
        var incarnation: UInt64
        /// Committed changes (transitions, log lines) since this engine drives it: a waiter that
        /// read the execution when this was `n` waits only while it is still `n`.
        var changes: UInt64 = 0
    }

    /// A step with I/O to start once its RUNNING transition is committed.
    struct Launch: Sendable {
        var dispatch: ExecutionStateMachine.Dispatch
        var node: WorkflowPlan.Node
        var startedAt: Int64
        var incarnation: UInt64
        /// The attempt's queue row (a `Worker.Task` or `Human.Task`), written by the commit that
        /// starts it as its mutation `mutation`; dropped when that write did not apply (a row
        /// stored for the attempt before, which the step then finds).
        var queued: (record: QueuedTaskRecord, mutation: Int)?
    }

    /// A timer to arm, for one incarnation of an execution.
    struct Arm: Sendable {
        var executionID: String
        var timer: ExecutionStateMachine.ScheduledTimer
        var incarnation: UInt64
    }

    /// What to do once one transition is committed.
    struct Effect: Sendable {
        var executionID: String
        /// Index of its mutation in the commit.
        var mutation: Int
        var launch: [Launch] = []
        var timers: [ExecutionStateMachine.ScheduledTimer] = []
        var stop: [Int] = []
        var finished = false
        /// Its mutation inserts the execution (`admit`): when that does not apply, or fails, the
        /// execution is not stored and is dropped here, not reloaded.
        var creates = false
    }

    /// Writes to commit together, in order, and what follows each transition among them.
    struct Commit: Sendable {
        var mutations: [Mutation]
        var effects: [Effect] = []
        /// Executions whose log lines it writes: their change waiters are released once it commits.
        var logsOf: Set<String> = []
    }

    /// Everything the engine must do after an event, in this order: submit `commits` (still
    /// holding the lock), then the rest.
    struct Actions: Sendable {
        var commits: [Commit] = []
        var launch: [Launch] = []
        var timers: [Arm] = []
        var stop: [RunningKey] = []
        /// Waiter tokens to release.
        var resume: [Int] = []
        /// Executions dropped after a write that did not apply: reload them from the store.
        var reload: [String] = []
        /// A cluster node has room to claim more executions again.
        var claimRoom = false
        /// Executions that finished, as committed (for `FinishedExecutions`).
        var finished: [ExecutionDetail] = []

        mutating func append(_ other: Actions) {
            commits += other.commits
            launch += other.launch
            timers += other.timers
            stop += other.stop
            resume += other.resume
            reload += other.reload
            claimRoom = claimRoom || other.claimRoom
            finished += other.finished
        }
    }

    /// A line the engine writes to a task's log (an attempt failed, started again).
    struct Note: Sendable, Hashable {
        var index: Int
        var attempt: Int
        var line: String
    }

    var active: [String: Active] = [:]
    /// Requests waiting on an execution, by token: until it finishes (`true`, `?wait`), or until
    /// its next committed change (`false`, log follow).
    var waiters: [String: [Int: Bool]] = [:]
    var nextWaiterToken = 0
    /// Log lines not yet submitted for commit; every commit computed here takes them first, so a
    /// step's lines are committed before the transition that ends its attempt.
    var pendingLogs: [TaskLogLine] = []
    var logFlushScheduled = false
    var stopping = false
    /// On a cluster: whether other nodes may drive executions (waiters then wait for their
    /// announcements too).
    let clustered: Bool
    /// On a cluster: executions that finished lately (here or elsewhere), so a waiter registering
    /// just after the finish was announced returns at once.
    var recentlyFinished = RecentSet(capacity: 16_384)
    /// Executions dropped after a write that failed or no longer applied, until they are driven
    /// again (`register`) or found not to need it (`reloadEnded`): still this node's, so a waiter
    /// on one waits for its end rather than answering a stale state at once (a full disk keeps
    /// an execution here for as long as its writes fail).
    var reloading: Set<String> = []
    /// On a cluster: the claim loop found no room; a finishing execution wakes it.
    var claimStarved = false
    /// The incarnation the next registered execution gets.
    var nextIncarnation: UInt64 = 1
    /// Varies retry backoffs (jitter): a cheap generator, drawn only when a step fails.
    var random: SplitMix64

    init(clustered: Bool, seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        self.clustered = clustered
        self.random = SplitMix64(seed: seed)
    }

    // MARK: Executions

    /// Puts an execution under the engine's control and settles it: its ready pure tasks run, its
    /// ready steps with I/O are marked RUNNING, and the result is one commit. `nil` if it is
    /// already active.
    mutating func register(_ machine: ExecutionStateMachine, record: ExecutionDetail, now: Int64) -> Actions? {
        let id = machine.executionID
        if !reloading.isEmpty { reloading.remove(id) }
        guard active[id] == nil, !stopping else { return nil }
        var machine = machine
        let outcome = machine.start(now: now)
        active[id] = Active(machine: machine, record: record, incarnation: nextIncarnation)
        nextIncarnation += 1
        return settle(id, outcome, now: now)
    }

    /// A new execution, run through its pure steps (`prepare`) and not finished, that this engine
    /// will drive: one commit inserts it as it stands once its first steps with I/O are marked
    /// RUNNING — with the events of its creation, of the pure run and of those starts — and
    /// they launch once that insert is durable, so a new execution costs one write, not an
    /// insert and then a transition. The insert may not apply (a replayed idempotency key, an id
    /// taken, a deleted workflow) or fail: then the execution is dropped here, not reloaded.
    /// The commit is always the first of the actions, and inserts the execution first.
    mutating func admit(_ machine: ExecutionStateMachine, record: ExecutionDetail, events: [EventDraft], logs: [TaskLogLine], now: Int64) -> Actions {
        let id = machine.executionID
        guard !stopping, active[id] == nil else {
            // Stored as prepared, its I/O steps PENDING: whoever drives it next starts them.
            var mutations: [Mutation] = [.insertExecution(record, events: events)]
            if !logs.isEmpty { mutations.append(.appendLogs(logs)) }
            return Actions(commits: [Commit(mutations: mutations)])
        }
        var machine = machine
        let outcome = machine.start(now: now)
        active[id] = Active(machine: machine, record: record, incarnation: nextIncarnation)
        nextIncarnation += 1
        var actions = settle(id, outcome, now: now)
        var events = events
        var lines = logs
        var effect = Effect(executionID: id, mutation: 0)
        // settle's commit of this execution (its log lines, its transition) joins the insert.
        if let k = actions.commits.firstIndex(where: { $0.effects.contains { $0.executionID == id } }) {
            let commit = actions.commits.remove(at: k)
            for mutation in commit.mutations {
                switch mutation {
                case .appendLogs(let more): lines += more
                case .transition(let t): events += t.events
                default: break
                }
            }
            effect = commit.effects.first { $0.executionID == id }!
            effect.mutation = 0
        }
        effect.creates = true
        // The record as settle left it: after the transition its events came from.
        var mutations: [Mutation] = [.insertExecution(active[id]?.record ?? record, events: events)]
        if !lines.isEmpty { mutations.append(.appendLogs(lines)) }
        actions.commits.insert(Commit(mutations: mutations, effects: [effect], logsOf: lines.isEmpty ? [] : [id]), at: 0)
        return actions
    }

    /// Attempt `dispatch` of a step with I/O, launched for `incarnation`, ended with `result`.
    mutating func stepFinished(_ dispatch: ExecutionStateMachine.Dispatch, _ result: Result<JSONValue, StepFailure>, startedAt: Int64, now: Int64, incarnation: UInt64) -> Actions {
        let id = dispatch.executionID
        guard !stopping, var entry = active.removeValue(forKey: id) else { return Actions() }
        guard entry.incarnation == incarnation else {
            active[id] = consume entry
            return Actions()
        }
        var notes: [Note] = []
        var random = self.random
        let outcome = Self.finish(&entry.machine, dispatch, result, startedAt: startedAt, completedAt: now, jitter: { random.nextUnit() }, notes: &notes)
        self.random = random
        active[id] = consume entry
        guard let outcome else { return Actions() }
        return settle(id, outcome, now: now, notes: notes)
    }

    /// A timer of execution `executionID`, armed for `incarnation`, fired.
    mutating func timerFired(_ executionID: String, _ timer: ExecutionStateMachine.Timer, now: Int64, incarnation: UInt64) -> Actions {
        guard !stopping, var entry = active.removeValue(forKey: executionID) else { return Actions() }
        guard entry.incarnation == incarnation else {
            active[executionID] = consume entry
            return Actions()
        }
        let outcome = entry.machine.timerFired(timer, now: now)
        active[executionID] = consume entry
        guard let outcome else { return Actions() }
        return settle(executionID, outcome, now: now)
    }

    /// What a cancel found.
    enum CancelDecision {
        /// This engine does not drive the execution.
        case notHere
        /// It already finished: nothing to write.
        case finished
        /// Commit `actions.commits[0]`; the cancel is done once it applies.
        case commit(Actions)
    }

    /// Cancels execution `executionID` if this engine drives it. Its transition is computed from
    /// the machine as every earlier transition left it, and submitted after them.
    mutating func cancel(_ executionID: String, now: Int64) -> CancelDecision {
        guard var entry = active.removeValue(forKey: executionID) else { return .notHere }
        let outcome = entry.machine.cancel(now: now)
        active[executionID] = consume entry
        guard let outcome else { return .finished }
        return .commit(settle(executionID, outcome, now: now))
    }

    /// Suspends execution `executionID` if this engine drives it: from the commit on, no task of
    /// it starts (`ExecutionStateMachine.hold`); the tasks running go on. One write,
    /// `suspendExecution`, so a restart finds it suspended.
    mutating func suspend(_ executionID: String) -> CancelDecision {
        guard var entry = active.removeValue(forKey: executionID) else { return .notHere }
        guard entry.machine.hold() else {
            active[executionID] = consume entry
            return .finished
        }
        entry.record.execution.suspended = true
        active[executionID] = consume entry
        let commit = Commit(mutations: [.suspendExecution(executionID: executionID, suspended: true)], effects: [Effect(executionID: executionID, mutation: 0)])
        return .commit(Actions(commits: [commit]))
    }

    /// Resumes execution `executionID` if this engine drives it: its `Suspend` tasks (those
    /// whose ids `tasks` names, or all) complete, and — with `release` — it is no longer
    /// suspended, so the tasks that became ready meanwhile start. One commit: the
    /// `suspendExecution` write (with `release`), then the transition.
    mutating func resume(_ executionID: String, release: Bool, tasks: Set<String>?, now: Int64) -> CancelDecision {
        guard var entry = active.removeValue(forKey: executionID) else { return .notHere }
        let plan = entry.machine.plan
        let outcome = entry.machine.resume(now: now, release: release, selected: { tasks?.contains(plan.nodes[$0].id) ?? true })
        guard let outcome else {
            active[executionID] = consume entry
            return .finished
        }
        if release { entry.record.execution.suspended = false }
        active[executionID] = consume entry
        var actions = settle(executionID, outcome, now: now)
        guard release else { return .commit(actions) }
        let write = Mutation.suspendExecution(executionID: executionID, suspended: false)
        if let k = actions.commits.firstIndex(where: { $0.effects.contains { $0.executionID == executionID } }) {
            actions.commits[k].mutations.insert(write, at: 0)
            for e in actions.commits[k].effects.indices { actions.commits[k].effects[e].mutation += 1 }
            if k != 0 { actions.commits.insert(actions.commits.remove(at: k), at: 0) }
        } else {
            var commit = Commit(mutations: [write], effects: [Effect(executionID: executionID, mutation: 0)])
            // settle armed its timers at once (no transition to wait for): arm them after this write.
            commit.effects[0].timers = actions.timers.filter { $0.executionID == executionID }.map(\.timer)
            actions.timers.removeAll { $0.executionID == executionID }
            actions.commits.insert(commit, at: 0)
        }
        return .commit(actions)
    }

    /// Runs the pure tasks of `outcome.dispatch` (and those they make ready) to their end, marks
    /// the rest RUNNING, and turns the result into one commit: the pending log lines, then the
    /// transition with its events.
    ///
    /// Each of these takes the execution's entry out of `active` while it changes it and puts it
    /// back with `consume`, which ends the local copy's life there: changed while a second
    /// reference lived (the dictionary's, or the caller's local still alive during `settle`), its
    /// machine's and record's arrays were copied whole for every transition — a 10,000-task
    /// workflow copied 10,000 task records per step that ended.
    mutating func settle(_ id: String, _ outcome: ExecutionStateMachine.Outcome, now: Int64, notes: [Note] = []) -> Actions {
        guard var entry = active.removeValue(forKey: id) else { return Actions() }
        var outcome = outcome
        var notes = notes
        var launch: [Launch] = []
        var delays: [ExecutionStateMachine.ScheduledTimer] = []
        var random = self.random
        let io = Self.runPure(&entry.machine, &outcome, now: now, jitter: { random.nextUnit() }, notes: &notes)
        self.random = random
        for dispatch in io {
            guard entry.machine.isCurrent(dispatch.index, attempt: dispatch.attempt) else { continue }
            let node = entry.machine.plan.nodes[dispatch.index]
            var wakeAt: Int64?
            if node.map == nil, case .timer(let duration) = node.step.implementation {
                // A Suspend without a time waits for a resume: no wake-up time, no timer.
                let seconds = duration(dispatch.input, dispatch.parameters ?? node.parameters)
                if seconds.isFinite {
                    wakeAt = now + Int64((max(0, seconds) * 1000).rounded())
                    delays.append(.init(timer: .delay(index: dispatch.index, attempt: dispatch.attempt), at: wakeAt!))
                }
            } else {
                launch.append(Launch(dispatch: dispatch, node: node, startedAt: now, incarnation: entry.incarnation))
            }
            let base = entry.machine.attemptsBeforeRun(dispatch.index)
            if base > 0 {
                notes.append(Note(index: dispatch.index, attempt: dispatch.attempt, line: "attempt \(dispatch.attempt) started (\(dispatch.attempt - base) of \(node.retry.maxAttempts) since the execution was retried)"))
            } else if node.retry.maxAttempts > 1 || dispatch.attempt > 1 {
                notes.append(Note(index: dispatch.index, attempt: dispatch.attempt, line: "attempt \(dispatch.attempt) of \(node.retry.maxAttempts) started"))
            }
            let started = entry.machine.taskStarted(dispatch.index, now: now, wakeAt: wakeAt, input: dispatch.input)
            outcome.transition = outcome.transition.map { $0.followed(by: started) } ?? started
        }
        var actions = Actions()
        for note in notes {
            pendingLogs.append(TaskLogLine(executionID: id, index: note.index, at: now, attempt: note.attempt, source: "engine", line: note.line))
        }
        guard let transition = outcome.transition else {
            // Nothing to write (a retry wait ended and its task waits again, say): act at once.
            let incarnation = entry.incarnation
            active[id] = consume entry
            for t in outcome.timers { actions.timers.append(Arm(executionID: id, timer: t, incarnation: incarnation)) }
            return actions
        }
        let recorded = entry.record.recording(transition)
        active[id] = consume entry
        var commit = takeLogs(of: id)
        commit.effects.append(Effect(
            executionID: id, mutation: commit.mutations.count, launch: launch, timers: outcome.timers + delays,
            stop: outcome.stop, finished: outcome.finished))
        commit.mutations.append(.transition(recorded))
        actions.commits.append(commit)
        return actions
    }

    /// Runs the pure tasks among `outcome.dispatch`, and those they make ready, merging their
    /// changes into `outcome`; returns the dispatches left (steps with I/O, Delays, maps of them).
    static func runPure(_ machine: inout ExecutionStateMachine, _ outcome: inout ExecutionStateMachine.Outcome, now: Int64, jitter: () -> Double, notes: inout [Note]) -> [ExecutionStateMachine.Dispatch] {
        var work = outcome.dispatch
        outcome.dispatch = []
        var left: [ExecutionStateMachine.Dispatch] = []
        var next = 0
        while next < work.count {
            let dispatch = work[next]
            next += 1
            let node = machine.plan.nodes[dispatch.index]
            let result: Result<JSONValue, StepFailure>
            if let map = node.map {
                guard map.isPure else {
                    left.append(dispatch)
                    continue
                }
                let itemParameters = dispatch.bindings.flatMap { b in node.parameterTemplate.map { MapPlan.ItemParameters(template: $0, bindings: b) } }
                do throws(StepFailure) { result = .success(try map.runPure(dispatch.input, itemParameters: itemParameters)) } catch { result = .failure(error) }
            } else if case .pure(let function) = node.step.implementation {
                do throws(StepFailure) { result = .success(try function(dispatch.input, dispatch.parameters ?? node.parameters)) } catch { result = .failure(error) }
            } else {
                left.append(dispatch)
                continue
            }
            guard let step = finish(&machine, dispatch, result, startedAt: now, completedAt: now, jitter: jitter, notes: &notes) else { continue }
            work += step.dispatch
            if let t = step.transition { outcome.transition = outcome.transition.map { $0.followed(by: t) } ?? t }
            outcome.timers += step.timers
            outcome.stop += step.stop
            outcome.finished = outcome.finished || step.finished
        }
        return left
    }

    /// Tells the machine how attempt `dispatch` ended; a failure adds a line for the task's log.
    static func finish(_ machine: inout ExecutionStateMachine, _ dispatch: ExecutionStateMachine.Dispatch, _ result: Result<JSONValue, StepFailure>, startedAt: Int64, completedAt: Int64, jitter: () -> Double, notes: inout [Note]) -> ExecutionStateMachine.Outcome? {
        switch result {
        case .success(let output):
            return machine.taskSucceeded(dispatch.index, attempt: dispatch.attempt, input: dispatch.input, output: output, startedAt: startedAt, completedAt: completedAt)
        case .failure(let failure):
            guard let outcome = machine.taskFailed(dispatch.index, attempt: dispatch.attempt, input: dispatch.input, message: failure.message, retryable: failure.retryable, startedAt: startedAt, completedAt: completedAt, jitter: jitter()) else { return nil }
            var line = "attempt \(dispatch.attempt) failed: \(failure.message)"
            if let retry = outcome.timers.first {
                line += "; retrying in \(Engine.seconds(retry.at - completedAt)) (attempt \(dispatch.attempt + 1))"
            } else if failure.retryable {
                line += "; no attempts left"
            }
            notes.append(Note(index: dispatch.index, attempt: dispatch.attempt, line: line))
            return outcome
        }
    }

    /// A new execution run as far as its pure steps take it, before it is first stored: what to
    /// insert (the record as it stands after them), the events of its creation and of that run,
    /// its log lines, and whether it finished. Its steps with I/O stay PENDING, for whichever
    /// engine then drives it (this one, or on a cluster whichever node claims it).
    static func prepare(_ machine: ExecutionStateMachine, record: ExecutionDetail, now: Int64, jitter: () -> Double) -> (record: ExecutionDetail, events: [EventDraft], logs: [TaskLogLine], finished: Bool) {
        var machine = machine
        var record = record
        var events = [record.creationEvent]
        var outcome = machine.start(now: now)
        var notes: [Note] = []
        let io = runPure(&machine, &outcome, now: now, jitter: jitter, notes: &notes)
        // The steps with I/O (`io`) were only dispatched, not started: they stay PENDING, and the
        // execution is stored RUNNING if its pure steps started it.
        _ = io
        if let transition = outcome.transition, let recorded = record.apply(transition) { events += recorded }
        let logs = notes.map { TaskLogLine(executionID: machine.executionID, index: $0.index, at: now, attempt: $0.attempt, source: "engine", line: $0.line) }
        return (record, events, logs, outcome.finished)
    }

    /// The pending log lines (of execution `id` only, if given) as the start of a commit.
    mutating func takeLogs(of id: String? = nil) -> Commit {
        guard !pendingLogs.isEmpty else { return Commit(mutations: []) }
        var lines: [TaskLogLine]
        if let id {
            lines = []
            pendingLogs.removeAll { line in
                guard line.executionID == id else { return false }
                lines.append(line)
                return true
            }
            if lines.isEmpty { return Commit(mutations: []) }
        } else {
            lines = pendingLogs
            pendingLogs = []
        }
        return Commit(mutations: [.appendLogs(lines)], logsOf: Set(lines.map(\.executionID)))
    }

    // MARK: Commits

    /// `commit` was committed with `outcomes` (one per mutation), or failed.
    mutating func committed(_ commit: Commit, _ result: Result<[MutationOutcome], any Error>) -> Actions {
        var actions = Actions()
        switch result {
        case .success(let outcomes):
            for id in commit.logsOf {
                active[id]?.changes += 1
                actions.resume += takeChangeWaiters(of: id)
            }
            for effect in commit.effects {
                let id = effect.executionID
                guard effect.mutation < outcomes.count, outcomes[effect.mutation] == .applied else {
                    if effect.creates {
                        // Not stored: nobody knows it, nothing to reload.
                        active.removeValue(forKey: id)
                        continue
                    }
                    if active.removeValue(forKey: id) != nil {
                        reloading.insert(id)
                        actions.reload.append(id)
                    }
                    continue
                }
                active[id]?.changes += 1
                actions.stop += effect.stop.map { RunningKey(executionID: id, index: $0) }
                if effect.finished {
                    if let entry = active.removeValue(forKey: id) { actions.finished.append(entry.record) }
                    if clustered { recentlyFinished.insert(id) }
                    if let w = waiters.removeValue(forKey: id) { actions.resume += w.keys }
                    if claimStarved {
                        claimStarved = false
                        actions.claimRoom = true
                    }
                } else {
                    guard let entry = active[id] else { continue }
                    // A cancel or deadline computed since may have ended the attempt already.
                    for var launch in effect.launch where entry.machine.isCurrent(launch.dispatch.index, attempt: launch.dispatch.attempt) {
                        if let queued = launch.queued, queued.mutation >= outcomes.count || outcomes[queued.mutation] != .applied { launch.queued = nil }
                        actions.launch.append(launch)
                    }
                    for t in effect.timers { actions.timers.append(Arm(executionID: id, timer: t, incarnation: entry.incarnation)) }
                    actions.resume += takeChangeWaiters(of: id)
                }
            }
        case .failure:
            // A failed write's outcome is unknown (the connection can drop after its COMMIT was
            // sent), a new execution's insert's too: each is read back, and driven if stored. Its
            // start was answered 503, and a retry with its idempotency key answers it as started.
            for effect in commit.effects where active.removeValue(forKey: effect.executionID) != nil {
                reloading.insert(effect.executionID)
                actions.reload.append(effect.executionID)
            }
        }
        return actions
    }

    // MARK: Logs

    /// Adds a line to a task's log; `true` if a flush must be scheduled (none is yet).
    mutating func appendLog(_ line: TaskLogLine) -> Bool {
        pendingLogs.append(line)
        if logFlushScheduled { return false }
        logFlushScheduled = true
        return true
    }

    /// The pending log lines as a commit of their own.
    mutating func flushLogs() -> Actions {
        logFlushScheduled = false
        let commit = takeLogs()
        return commit.mutations.isEmpty ? Actions() : Actions(commits: [commit])
    }

    // MARK: Waiters

    /// Registers a waiter on execution `id`; `nil` if it must return at once (the execution is not
    /// driven here and, on a cluster, finished lately or not at all elsewhere), else its token and
    /// whether the execution runs here.
    mutating func addWaiter(_ id: String, untilFinished: Bool, after seen: UInt64? = nil) -> (token: Int, local: Bool)? {
        guard !stopping else { return nil }
        let local = active[id] != nil || reloading.contains(id)
        // It changed since the caller looked: no need to wait.
        if let seen, (active[id]?.changes ?? 0) != seen { return nil }
        guard local || clustered else { return nil }
        if !local, recentlyFinished.contains(id) { return nil }
        nextWaiterToken += 1
        waiters[id, default: [:]][nextWaiterToken] = untilFinished
        return (nextWaiterToken, local)
    }

    /// A reload found execution `id` with nothing left to drive here (finished, gone, or on a
    /// cluster no longer this node's): its waiters look again.
    mutating func reloadEnded(_ id: String) -> Actions {
        guard reloading.remove(id) != nil, active[id] == nil else { return Actions() }
        var actions = Actions()
        if let w = waiters.removeValue(forKey: id) { actions.resume += w.keys }
        return actions
    }

    /// Removes a waiter; whether it was still waiting (whoever removes it releases it).
    mutating func removeWaiter(_ id: String, _ token: Int) -> Bool {
        guard waiters[id]?.removeValue(forKey: token) != nil else { return false }
        if waiters[id]?.isEmpty == true { waiters[id] = nil }
        return true
    }

    /// Removes the waiters for the next change of `id` (not those waiting for it to finish).
    mutating func takeChangeWaiters(of id: String) -> [Int] {
        guard var w = waiters[id] else { return [] }
        var released: [Int] = []
        for (token, untilFinished) in w where !untilFinished {
            released.append(token)
            w[token] = nil
        }
        waiters[id] = w.isEmpty ? nil : w
        return released
    }

    /// Every waiter (the engine is stopping).
    mutating func takeAllWaiters() -> [Int] {
        defer { waiters = [:] }
        return waiters.values.flatMap(\.keys)
    }

    // MARK: Cluster

    /// Other nodes changed or finished these executions (`nil`: the announcements may have been
    /// missed; every waiter on an execution not driven here looks again). A finished execution
    /// this node drove (cancelled elsewhere) is dropped and its steps stopped.
    mutating func remote(changed: [String]?, finished: [String]?) -> Actions {
        var actions = Actions()
        guard let changed, let finished else {
            for (id, w) in waiters where active[id] == nil {
                actions.resume += w.keys
                waiters[id] = nil
            }
            return actions
        }
        for id in finished {
            recentlyFinished.insert(id)
            if let w = waiters.removeValue(forKey: id) { actions.resume += w.keys }
            if let entry = active.removeValue(forKey: id) {
                actions.stop += entry.machine.runningTasks.map { RunningKey(executionID: id, index: $0) }
            }
        }
        for id in changed { actions.resume += takeChangeWaiters(of: id) }
        return actions
    }
}

/// A running step, by execution and task index.
struct RunningKey: Hashable, Sendable {
    var executionID: String
    var index: Int
}

/// A small, fast pseudo-random generator (SplitMix64): retry jitter needs spread, not secrecy.
struct SplitMix64: Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
