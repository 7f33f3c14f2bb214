import Tracing
import Logging
import SluiceCore
import SluiceStore

extension Engine {
    /// Feeds an event to the state machine (`body`) and carries out the actions it returns.
    /// Commits are submitted while the lock is held, so two transitions of one execution reach
    /// the committer in the order they were computed; steps are launched under it too, so a stop
    /// computed later always finds them. `reply` is called with the outcome of the first commit.
    func perform(reply: (@Sendable (Result<[MutationOutcome], any Error>) -> Void)? = nil, _ body: (inout EngineStateMachine) -> EngineStateMachine.Actions) {
        let (actions, released, stopped) = state.withLock { shell -> (EngineStateMachine.Actions, [(CheckedContinuation<Void, Never>, Timers.ID?)], [Task<Void, Never>]) in
            var actions = body(&shell.core)
            queueWithTheirStart(&actions, shell.core)
            for (k, commit) in actions.commits.enumerated() {
                let answer = k == 0 ? reply : nil
                committer.submit(commit.mutations) { result in
                    self.perform { $0.committed(commit, result) }
                    answer?(result)
                }
            }
            let stopped = actions.stop.compactMap { shell.running.removeValue(forKey: $0)?.task }
            if !shell.parked.isEmpty { forgetParked(actions.stop, &shell) }
            for launch in actions.launch { start(launch, &shell) }
            let released = actions.resume.compactMap { shell.waiters.removeValue(forKey: $0).map { ($0.continuation, $0.timer) } }
            return (actions, released, stopped)
        }
        for task in stopped { task.cancel() }
        // Finished executions and timers first: a waiter released by this change finds them.
        if !actions.finished.isEmpty {
            finished.withLock { for d in actions.finished { $0.insert(d) } }
            for d in actions.finished {
                metrics.executionFinished(d)
                traceFinished(d)
            }
        }
        for arm in actions.timers { self.arm(arm) }
        for (continuation, timer) in released {
            if let timer { timers.cancel(timer) }
            continuation.resume()
        }
        if actions.claimRoom { workSignal.notify() }
        for id in actions.reload {
            logger.warning("a write no longer applied; the execution is reloaded from the store", metadata: ["execution.id": "\(id)"])
            reloadLater(id)
        }
    }

    /// Starts a step with I/O (its RUNNING transition is committed) on a task of its own.
    /// `resuming`: a parked step's function, run instead of the step's own (`Engine+Parking`).
    func start(_ launch: EngineStateMachine.Launch, _ shell: inout Shell, resuming: StepFunction? = nil) {
        let dispatch = launch.dispatch
        let node = launch.node
        let key = RunningKey(executionID: dispatch.executionID, index: dispatch.index)
        // A step launched again (a reload) is no longer parked.
        if !shell.parked.isEmpty { forgetParked([key], &shell) }
        // Only a wait with nothing but a notice to wake it parks: with a timeout, the step's
        // task races its timer.
        let mayPark = node.timeoutSeconds == nil
        let function: StepFunction
        if let resuming {
            function = resuming
        } else if let map = node.map {
            let itemParameters = dispatch.bindings.flatMap { b in node.parameterTemplate.map { MapPlan.ItemParameters(template: $0, bindings: b) } }
            function = { context throws(StepFailure) in try await Self.runMap(map, context, itemParameters: itemParameters) }
        } else {
            switch node.step.implementation {
            case .run(let run): function = run
            case .subworkflow: function = { context throws(StepFailure) in try await self.runSubworkflow(context) }
            case .external:
                let active = shell.core.active[dispatch.executionID]
                let workflowID = active?.record.execution.workflowID ?? ""
                let namespace = active?.machine.plan.definition.effectiveNamespace ?? Namespace.default
                let index = dispatch.index
                if node.step.name == AnnotationItem.stepType {
                    let version = active?.record.execution.workflowVersion ?? 1
                    function = { context throws(StepFailure) in try await self.runAnnotationItem(context, index: index, workflowID: workflowID, version: version, namespace: namespace, mayPark: mayPark) }
                } else {
                    let human = node.step.name == HumanTask.stepType
                    let queued = launch.queued?.record
                    function = { context throws(StepFailure) in try await self.runExternal(context, index: index, workflowID: workflowID, namespace: namespace, human: human, queued: queued, mayPark: mayPark) }
                }
            case .pure, .timer: return
            }
        }
        let log = StepLog { [weak self] line in self?.appendLog(dispatch, source: "step", line) }
        let context = StepContext(input: dispatch.input, parameters: dispatch.parameters ?? node.parameters, executionID: dispatch.executionID, stepID: node.id, attempt: dispatch.attempt, log: log)
        let timeout = node.timeoutSeconds
        let startedAt = launch.startedAt
        // Tracing off: not even the stored context is looked up (this runs for every step launched).
        let span = configuration.tracer == nil ? nil : traceTask(dispatch, stepID: node.id, type: node.step.name, stored: shell.core.active[dispatch.executionID]?.record.execution.traceContext, at: startedAt)
        let task = Task {
            let result: Result<JSONValue, StepFailure>
            if let span {
                result = await ServiceContext.$current.withValue(span.context) { await self.run(function, context, timeout: timeout, from: startedAt) }
            } else {
                result = await self.run(function, context, timeout: timeout, from: startedAt)
            }
            if let request = self.takeParkRequest(key, result) {
                // Each run of a parked step is a span of its own.
                span?.attributes["sluice.task.parked"] = true
                span?.end(at: TraceInstant(milliseconds: self.clock.now()))
                self.parkStep(key, launch, request)
                return
            }
            self.traceTaskEnded(span, result, at: self.clock.now())
            let stopping = self.state.withLock { shell in
                if shell.running[key]?.attempt == dispatch.attempt { shell.running[key] = nil }
                return shell.core.stopping
            }
            // A shutdown interrupts the step; it stays RUNNING in the store and runs again when
            // the server starts (at least once), rather than failing as "cancelled".
            if stopping { return }
            let now = self.clock.now()
            self.perform { $0.stepFinished(dispatch, result, startedAt: startedAt, now: now, incarnation: launch.incarnation) }
        }
        shell.running[key] = (dispatch.attempt, task)
    }

    /// Runs a step, bounded by its timeout on the engine's clock.
    func run(_ function: @escaping @Sendable (StepContext) async throws(StepFailure) -> JSONValue, _ context: StepContext, timeout: Double?, from startedAt: Int64) async -> Result<JSONValue, StepFailure> {
        guard let timeout else {
            do throws(StepFailure) { return .success(try await function(context)) } catch { return .failure(error) }
        }
        let deadline = startedAt + Int64((timeout * 1000).rounded())
        return await withTaskGroup(of: Result<JSONValue, StepFailure>?.self) { group in
            group.addTask {
                do throws(StepFailure) { return .success(try await function(context)) } catch { return .failure(error) }
            }
            group.addTask {
                do { try await self.clock.sleep(until: deadline) } catch { return nil }
                return .failure(StepFailure("timed out after \(timeout.formatted) s (timeout_seconds)", retryable: true))
            }
            var result: Result<JSONValue, StepFailure> = .failure(StepFailure("cancelled"))
            if let first = await group.next(), let first { result = first }
            group.cancelAll()
            return result
        }
    }

    /// Arms a timer on the engine's clock.
    func arm(_ arm: EngineStateMachine.Arm) {
        timers.schedule(at: arm.timer.at) { self.fire(arm.executionID, arm.timer.timer, incarnation: arm.incarnation) }
    }

    func fire(_ executionID: String, _ timer: ExecutionStateMachine.Timer, incarnation: UInt64) {
        let now = clock.now()
        var timedOut = false
        perform { core in
            let actions = core.timerFired(executionID, timer, now: now, incarnation: incarnation)
            if case .deadline = timer, !actions.commits.isEmpty { timedOut = true }
            return actions
        }
        if timedOut { logger.info("execution timed out", metadata: ["execution.id": "\(executionID)"]) }
    }

    /// Reloads an execution from the store after `commitRetryDelay` and resumes it.
    func reloadLater(_ executionID: String) {
        let delay = configuration.commitRetryDelay
        let at = clock.now() + delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
        timers.schedule(at: at) {
            self.state.withLock { shell in
                guard !shell.core.stopping else { return }
                let n = shell.nextReload
                shell.nextReload += 1
                shell.reloads[n] = Task {
                    await self.reload(executionID)
                    _ = self.state.withLock { $0.reloads.removeValue(forKey: n) }
                }
            }
        }
    }

    func reload(_ executionID: String) async {
        do {
            // On a cluster, only while this node still holds it.
            let detail = if let cluster { try await cluster.heldExecution(id: executionID) } else { try await store.execution(id: executionID) }
            if let detail, await resume(detail) { return }
            // Nothing to drive here any more: whoever waits on it looks again.
            perform { $0.reloadEnded(executionID) }
        } catch {
            if Task.isCancelled { return }
            logger.error("could not reload execution", metadata: ["execution.id": "\(executionID)", "error": "\(error)"])
            reloadLater(executionID)
        }
    }

    static func seconds(_ milliseconds: Int64) -> String {
        (Double(milliseconds) / 1000).formatted + " s"
    }
}

extension Double {
    /// At most three decimals, no trailing zeros: `2.5`, `0.125`, `3`.
    var formatted: String {
        let rounded = (self * 1000).rounded() / 1000
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(rounded)
    }
}
