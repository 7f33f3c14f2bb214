import Dispatch
import Logging
import SluiceCore
import SluiceStore

extension Engine {
    /// Runs every ready task (in batches) and submits the resulting transitions for commit.
    func dispatchReady() {
        while true {
            let batch: ArraySlice<ExecutionStateMachine.Dispatch> = state.withLock { state in
                let end = min(state.ready.count, state.readyHead + configuration.dispatchBatchSize)
                let batch = state.ready[state.readyHead..<end]
                state.readyHead = end
                if state.readyHead == state.ready.count {
                    state.ready.removeAll(keepingCapacity: true)
                    state.readyHead = 0
                } else if state.readyHead > 4096 {
                    state.ready.removeFirst(state.readyHead)
                    state.readyHead = 0
                }
                return batch
            }
            if batch.isEmpty { return }
            // Pure steps are deterministic and have no side effects, so a task made ready by a
            // pure step runs in this same turn instead of after the commit: an execution's whole
            // run of pure steps is one transition, committed atomically (if any part of it no
            // longer applies, none of it does). Nothing is acknowledged before that commit.
            // Steps with I/O and Delays start only after that transition and their own RUNNING
            // transition are committed.
            var work = Array(batch)
            var outcomes: [ExecutionStateMachine.Outcome] = []
            var deferred: [ExecutionStateMachine.Dispatch] = []
            var slot: [String: Int] = [:]
            var computed: [String: Int] = [:] // transitions advance() counted as unsubmitted
            outcomes.reserveCapacity(batch.count)
            var next = 0
            while next < work.count {
                let dispatch = work[next]
                next += 1
                guard let node = state.withLock({ $0.active[dispatch.executionID]?.plan.nodes[dispatch.index] }) else { continue }
                let startedAt = clock()
                let result: Result<JSONValue, StepFailure>
                if let map = node.map {
                    guard map.isPure else {
                        deferred.append(dispatch)
                        continue
                    }
                    do throws(StepFailure) { result = .success(try map.runPure(dispatch.input)) } catch { result = .failure(error) }
                } else if case .pure(let function) = node.step.implementation {
                    do throws(StepFailure) {
                        result = .success(try function(dispatch.input, node.parameters))
                    } catch {
                        result = .failure(error)
                    }
                } else {
                    deferred.append(dispatch)
                    continue
                }
                guard var outcome = advance(dispatch, result, startedAt: startedAt, completedAt: clock()) else { continue }
                work += outcome.dispatch
                outcome.dispatch = []
                guard let t = outcome.transition else { continue }
                computed[t.executionID, default: 0] += 1
                if let k = slot[t.executionID] {
                    outcomes[k].transition = outcomes[k].transition.map { $0.followed(by: t) } ?? t
                    outcomes[k].finished = outcomes[k].finished || outcome.finished
                    outcomes[k].timers += outcome.timers
                } else {
                    slot[t.executionID] = outcomes.count
                    outcomes.append(outcome)
                }
            }
            if !outcomes.isEmpty {
                // A pure step's failure was logged above: its lines go to the committer first, so
                // they are committed before the transition that ends the attempt (the committer
                // keeps each execution's writes in order).
                flushLogs()
                let submitted = outcomes
                committer.submit(outcomes.map { .transition($0.transition!) }) { result in self.afterCommit(submitted, result) }
                state.withLock { state in for (id, n) in computed { state.submitted(id, n) } }
            }
            for dispatch in deferred { begin(dispatch) }
        }
    }

    /// Tells the state machine how attempt `dispatch` ended, and logs a failure.
    func advance(_ dispatch: ExecutionStateMachine.Dispatch, _ result: Result<JSONValue, StepFailure>, startedAt: Int64, completedAt: Int64) -> ExecutionStateMachine.Outcome? {
        // Drawn only for failures: a random draw is a system call, too dear for every task.
        var jitter = 0.5
        if case .failure = result { jitter = Double.random(in: 0..<1) }
        let outcome: ExecutionStateMachine.Outcome? = state.withLock { state in
            guard var machine = state.active[dispatch.executionID] else { return nil }
            let outcome: ExecutionStateMachine.Outcome?
            switch result {
            case .success(let output):
                outcome = machine.taskSucceeded(dispatch.index, attempt: dispatch.attempt, input: dispatch.input, output: output, startedAt: startedAt, completedAt: completedAt)
            case .failure(let failure):
                outcome = machine.taskFailed(dispatch.index, attempt: dispatch.attempt, input: dispatch.input, message: failure.message, retryable: failure.retryable, startedAt: startedAt, completedAt: completedAt, jitter: jitter)
            }
            state.active[dispatch.executionID] = machine
            // Counted until its caller submits it (see State.unsubmitted).
            if outcome?.transition != nil { state.unsubmitted[dispatch.executionID, default: 0] += 1 }
            return outcome
        }
        if case .failure(let failure) = result, let outcome {
            var line = "attempt \(dispatch.attempt) failed: \(failure.message)"
            if let retry = outcome.timers.first {
                line += "; retrying in \(Self.seconds(retry.at - completedAt)) (attempt \(dispatch.attempt + 1))"
            } else if failure.retryable {
                line += "; no attempts left"
            }
            appendLog(dispatch, source: "engine", line)
        }
        return outcome
    }

    /// Starts a step that takes time: commits its RUNNING transition, then runs it (a `.run`
    /// step on its own task, with its timeout) or arms its timer (a Delay).
    func begin(_ dispatch: ExecutionStateMachine.Dispatch) {
        let now = clock()
        let started: (ExecutionTransition, WorkflowPlan.Node, Int64?)? = state.withLock { state in
            guard var machine = state.active[dispatch.executionID], machine.isCurrent(dispatch.index, attempt: dispatch.attempt) else { return nil }
            let node = machine.plan.nodes[dispatch.index]
            var wakeAt: Int64?
            if node.map == nil, case .timer(let duration) = node.step.implementation {
                let seconds = max(0, duration(dispatch.input, node.parameters))
                wakeAt = now + Int64((seconds * 1000).rounded())
            }
            let transition = machine.taskStarted(dispatch.index, now: now, wakeAt: wakeAt)
            state.active[dispatch.executionID] = machine
            state.unsubmitted[dispatch.executionID, default: 0] += 1
            return (transition, node, wakeAt)
        }
        guard let (transition, node, wakeAt) = started else { return }
        defer { state.withLock { $0.submitted(dispatch.executionID) } }
        if node.retry.maxAttempts > 1 || dispatch.attempt > 1 {
            appendLog(dispatch, source: "engine", "attempt \(dispatch.attempt) of \(node.retry.maxAttempts) started")
        }
        let outcome = ExecutionStateMachine.Outcome(transition: transition)
        committer.submit([.transition(transition)]) { result in
            self.afterCommit([outcome], result)
            guard case .success(let outcomes) = result, outcomes.first == .applied else { return }
            if let wakeAt {
                self.arm(dispatch.executionID, .init(timer: .delay(index: dispatch.index, attempt: dispatch.attempt), at: wakeAt))
            } else if let map = node.map {
                self.launch(dispatch, node: node, function: { context throws(StepFailure) in try await Self.runMap(map, context) }, startedAt: now)
            } else if case .run(let function) = node.step.implementation {
                self.launch(dispatch, node: node, function: function, startedAt: now)
            } else if case .subworkflow = node.step.implementation {
                self.launch(dispatch, node: node, function: { context throws(StepFailure) in try await self.runSubworkflow(context) }, startedAt: now)
            }
        }
    }

    /// Runs a `.run` step on its own task, bounded by the task's timeout.
    func launch(_ dispatch: ExecutionStateMachine.Dispatch, node: WorkflowPlan.Node, function: @escaping @Sendable (StepContext) async throws(StepFailure) -> JSONValue, startedAt: Int64) {
        let key = RunningKey(executionID: dispatch.executionID, index: dispatch.index)
        let log = StepLog { [weak self] line in self?.appendLog(dispatch, source: "step", line) }
        let context = StepContext(input: dispatch.input, parameters: node.parameters, executionID: dispatch.executionID, stepID: node.id, attempt: dispatch.attempt, log: log)
        let timeout = node.timeoutSeconds
        state.withLock { state in
            state.running[key] = Task {
                let result = await Self.run(function, context, timeout: timeout)
                let stopping = self.state.withLock { state in
                    state.running.removeValue(forKey: key)
                    return state.stopping
                }
                // A shutdown interrupts the step; it stays RUNNING in the store and runs again
                // when the server starts (at least once), rather than failing as "cancelled".
                if stopping { return }
                self.finish(dispatch, result, startedAt: startedAt)
            }
        }
    }

    static func run(_ function: @escaping @Sendable (StepContext) async throws(StepFailure) -> JSONValue, _ context: StepContext, timeout: Double?) async -> Result<JSONValue, StepFailure> {
        guard let timeout else {
            do throws(StepFailure) { return .success(try await function(context)) } catch { return .failure(error) }
        }
        return await withTaskGroup(of: Result<JSONValue, StepFailure>?.self) { group in
            group.addTask {
                do throws(StepFailure) { return .success(try await function(context)) } catch { return .failure(error) }
            }
            group.addTask {
                do { try await Task.sleep(for: .milliseconds(Int64((timeout * 1000).rounded()))) } catch { return nil }
                return .failure(StepFailure("timed out after \(timeout.formatted) s (timeout_seconds)", retryable: true))
            }
            var result: Result<JSONValue, StepFailure> = .failure(StepFailure("cancelled"))
            if let first = await group.next(), let first { result = first }
            group.cancelAll()
            return result
        }
    }

    /// Records how a `.run` step's attempt ended and commits it (its log lines first).
    func finish(_ dispatch: ExecutionStateMachine.Dispatch, _ result: Result<JSONValue, StepFailure>, startedAt: Int64) {
        guard let outcome = advance(dispatch, result, startedAt: startedAt, completedAt: clock()) else { return }
        flushLogs()
        handle(outcome)
        if outcome.transition != nil { state.withLock { $0.submitted(dispatch.executionID) } }
    }

    /// Commits `outcome`'s transition and acts on it, or acts at once if there is nothing to commit.
    func handle(_ outcome: ExecutionStateMachine.Outcome) {
        if let transition = outcome.transition {
            committer.submit([.transition(transition)]) { result in self.afterCommit([outcome], result) }
        } else {
            afterCommit([outcome], .success([.applied]))
        }
    }

    /// Arms `timer` of execution `executionID`: a dispatch timer, nothing held while it waits.
    func arm(_ executionID: String, _ timer: ExecutionStateMachine.ScheduledTimer) {
        let delay = max(0, timer.at - clock())
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(delay, Int64(Int32.max))))) {
            self.fire(executionID, timer)
        }
    }

    func fire(_ executionID: String, _ timer: ExecutionStateMachine.ScheduledTimer) {
        let now = clock()
        if timer.at > now {
            // A very long wait is re-armed in steps.
            arm(executionID, timer)
            return
        }
        var later = false
        let outcome: ExecutionStateMachine.Outcome? = state.withLock { state in
            guard !state.stopping, var machine = state.active[executionID] else { return nil }
            // A deadline waits for the transitions computed before it (see State.unsubmitted).
            if case .deadline = timer.timer, state.unsubmitted[executionID] != nil { later = true; return nil }
            let outcome = machine.timerFired(timer.timer, now: now)
            state.active[executionID] = machine
            if outcome?.transition != nil { state.unsubmitted[executionID, default: 0] += 1 }
            return outcome
        }
        if later {
            arm(executionID, .init(timer: timer.timer, at: now + 1))
            return
        }
        guard let outcome else { return }
        defer { if outcome.transition != nil { state.withLock { $0.submitted(executionID) } } }
        if case .deadline = timer.timer {
            logger.info("execution timed out", metadata: ["execution.id": "\(executionID)"])
        }
        handle(outcome)
    }

    /// Acts on committed transitions: queues the tasks they made ready, arms their timers, stops
    /// work that no longer matters and releases waiters. A transition that failed to commit is
    /// retried from the store.
    func afterCommit(_ outcomes: [ExecutionStateMachine.Outcome], _ result: Result<[MutationOutcome], any Error>) {
        switch result {
        case .success(let results):
            var released: [CheckedContinuation<Void, Never>] = []
            var dropped: [String] = []
            var timers: [(String, ExecutionStateMachine.ScheduledTimer)] = []
            var stopped: [Task<Void, Never>] = []
            var claimRoom = false
            let queued: Bool = state.withLock { state in
                var queued = false
                for (outcome, applied) in zip(outcomes, results) {
                    guard let id = outcome.transition?.executionID ?? outcome.dispatch.first?.executionID else { continue }
                    guard applied == .applied else {
                        state.active[id] = nil
                        dropped.append(id)
                        continue
                    }
                    for index in outcome.stop {
                        if let task = state.running.removeValue(forKey: RunningKey(executionID: id, index: index)) { stopped.append(task) }
                    }
                    if outcome.finished {
                        state.active[id] = nil
                        if cluster != nil { state.recentlyFinished.insert(id) }
                        if let w = state.waiters.removeValue(forKey: id) { released += w.values.map(\.continuation) }
                        if state.claimStarved {
                            state.claimStarved = false
                            claimRoom = true
                        }
                    } else {
                        if !outcome.dispatch.isEmpty {
                            state.ready.append(contentsOf: outcome.dispatch)
                            queued = true
                        }
                        for t in outcome.timers { timers.append((id, t)) }
                        if outcome.transition != nil { released += state.takeChangeWaiters(of: id) }
                    }
                }
                return queued
            }
            for task in stopped { task.cancel() }
            for w in released { w.resume() }
            for (id, t) in timers { arm(id, t) }
            if queued { wakeContinuation.yield() }
            if claimRoom { workSignal.notify() }
            for id in dropped {
                logger.warning("transition no longer applies; the execution is reloaded from the store", metadata: ["execution.id": "\(id)"])
                reloadLater(id)
            }
        case .failure(let error):
            let ids = Set(outcomes.compactMap { $0.transition?.executionID })
            logger.error("could not commit transitions; retrying from the store", metadata: ["error": "\(error)", "executions.count": "\(ids.count)"])
            state.withLock { state in for id in ids { state.active[id] = nil } }
            for id in ids { reloadLater(id) }
        }
    }

    /// Reloads an execution from the store after `commitRetryDelay` and resumes it.
    func reloadLater(_ executionID: String) {
        let delay = configuration.commitRetryDelay
        Task {
            try? await Task.sleep(for: delay)
            guard !state.withLock({ $0.stopping }) else { return }
            do {
                // On a cluster, only while this node still holds it.
                if let cluster {
                    if let detail = try await cluster.heldExecution(id: executionID) { await resume(detail) }
                } else if let detail = try await store.execution(id: executionID) {
                    await resume(detail)
                }
            } catch {
                logger.error("could not reload execution", metadata: ["execution.id": "\(executionID)", "error": "\(error)"])
                reloadLater(executionID)
            }
        }
    }

    static func seconds(_ milliseconds: Int64) -> String {
        (Double(milliseconds) / 1000).formatted + " s"
    }
}

/// A running `.run` step, by execution and task index.
struct RunningKey: Hashable, Sendable {
    var executionID: String
    var index: Int
}

extension Double {
    /// At most three decimals, no trailing zeros: `2.5`, `0.125`, `3`.
    var formatted: String {
        let rounded = (self * 1000).rounded() / 1000
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(rounded)
    }
}
