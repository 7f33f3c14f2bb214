import Synchronization
import Dispatch
import ServiceLifecycle
import SluiceCore
import SluiceStore

extension Engine {
    /// A stored workflow (its head: the latest version) and the latest version's checked plan.
    public struct LoadedWorkflow: Sendable {
        public var record: WorkflowRecord
        public var plan: WorkflowPlan
    }

    /// Checks `definition` and stores it under a new id, as version 1. Throws
    /// `EngineError.invalid` listing every problem; nothing is stored then. `maxTasks`:
    /// `Limits.maxTranslatedTasks` for a definition the server wrote itself (an Argo Workflow's).
    public func createWorkflow(_ definition: JSONValue, maxTasks: Int = SluiceCore.Limits.maxTasks) async throws -> LoadedWorkflow {
        let plan = try await check(definition, maxTasks: maxTasks)
        for _ in 0..<8 {
            let record = WorkflowRecord(id: Identifier.make("wf"), name: plan.definition.name, description: plan.definition.description, definition: definition, createdAt: clock.now(), namespace: plan.definition.effectiveNamespace)
            let outcome = try await commit(.insertWorkflow(record))
            if outcome == .applied {
                plans.withLock { $0.insert(plan, workflowID: record.id, version: 1, isLatest: true) }
                return LoadedWorkflow(record: record, plan: plan)
            }
        }
        throw EngineError.unavailable("could not allocate a unique workflow id")
    }

    /// Deletes a workflow with its versions, executions (tasks, logs, events, idempotency keys),
    /// webhook subscriptions and deliveries, in one store transaction. `workflowNotFound` for an
    /// unknown workflow; `conflict` (nothing deleted) while it has unfinished executions or the
    /// latest version of another workflow runs it with `Workflow.Run`.
    public func deleteWorkflow(_ id: String) async throws {
        let outcome: WorkflowDeletion
        do {
            outcome = try await store.deleteWorkflow(id: id)
        } catch {
            throw EngineError.unavailable(reportStoreError(error, while: "deleting the workflow"))
        }
        switch outcome {
        case .deleted:
            plans.withLock { $0.remove(workflowID: id) }
            finished.withLock { $0.remove(workflowID: id) }
            // Its executions' artifacts go with them.
            await sweepArtifacts()
        case .notFound:
            throw EngineError.workflowNotFound(id)
        case .inUse(let use):
            throw EngineError.conflict(Self.inUseMessage(id, use))
        }
    }

    /// Why workflow `id` cannot be deleted, and what to do about it.
    static func inUseMessage(_ id: String, _ use: WorkflowUse) -> String {
        var reasons: [String] = []
        if use.unfinishedCount > 0, let example = use.unfinishedExample {
            let executions = use.unfinishedCount == 1 ? "1 unfinished execution (\(example))" : "\(use.unfinishedCount) unfinished executions (such as \(example))"
            reasons.append("it has \(executions); cancel them first (POST /workflows/\(id)/executions/{execution_id}/cancel) or wait for them to finish")
        }
        if !use.callers.isEmpty {
            let list = use.callers.joined(separator: ", ")
            reasons.append("the latest version of \(use.callers.count == 1 ? "workflow" : "workflows") \(list) \(use.callers.count == 1 ? "runs" : "run") it with Workflow.Run; store versions of \(use.callers.count == 1 ? "it" : "them") without that step, or delete \(use.callers.count == 1 ? "it" : "them"), first")
        }
        if !use.callingExecutions.isEmpty {
            let list = use.callingExecutions.prefix(5).joined(separator: ", ") + (use.callingExecutions.count > 5 ? ", …" : "")
            reasons.append("unfinished executions of other workflows run it with Workflow.Run (\(list)); cancel them first or wait for them to finish")
        }
        return "workflow \(id) was not deleted: " + reasons.joined(separator: "; and ")
    }

    /// Checks a definition without storing it. `maxTasks`: `Limits.maxTranslatedTasks` for a
    /// definition the server wrote itself (an Argo Workflow's), else what a client may send.
    public func validate(_ definition: JSONValue, maxTasks: Int = SluiceCore.Limits.maxTasks) async throws -> Result<WorkflowPlan, ValidationFailure> {
        try await checker(for: definition, maxTasks: maxTasks).check(json: definition)
    }

    /// A type checker that knows the plans of the workflows `definition`'s `Workflow.Run` tasks
    /// run (their latest versions; a missing one is reported by the check).
    func checker(for definition: JSONValue, depth: Int = 0, maxTasks: Int = SluiceCore.Limits.maxTasks) async throws -> TypeChecker {
        var checker = self.checker
        checker.maxTasks = maxTasks
        let ids = StepRegistry.subworkflowIDs(in: definition, maxTasks: maxTasks)
        guard !ids.isEmpty else { return checker }
        guard depth < SluiceCore.Limits.workflowRunDepth else { throw EngineError.invalid(ValidationFailure(title: "Invalid workflow definition", issues: [
            .init(path: "steps", code: "nesting_too_deep", message: "Workflow.Run nests more than \(SluiceCore.Limits.workflowRunDepth) workflows deep (or they run each other in a cycle)"),
        ])) }
        // A workflow runs only workflows of its own namespace: one elsewhere is unknown to it.
        let namespace = definition["namespace"]?.stringValue ?? Namespace.default
        for id in ids {
            if let loaded = try await loadPlan(workflowID: id, depth: depth + 1), loaded.record.namespace == namespace { checker.workflows[id] = loaded.plan }
        }
        return checker
    }

    /// The plan of `definition`, or `EngineError.invalid` with every problem.
    func check(_ definition: JSONValue, maxTasks: Int = SluiceCore.Limits.maxTasks) async throws -> WorkflowPlan {
        switch try await checker(for: definition, maxTasks: maxTasks).check(json: definition) {
        case .failure(let failure): throw EngineError.invalid(failure)
        case .success(let plan): return plan
        }
    }

    /// A stored workflow with the plan of its latest version, or `nil` if there is none with
    /// `workflowID`. Reads the head from the store (the plan comes from the cache when possible).
    public func loadPlan(workflowID: String, depth: Int = 0) async throws -> LoadedWorkflow? {
        guard let record = try await store.workflow(id: workflowID) else { return nil }
        let cached = plans.withLock { cache -> WorkflowPlan? in
            guard let plan = cache.plan(workflowID, version: record.version) else { return nil }
            cache.insert(plan, workflowID: workflowID, version: record.version, isLatest: true)
            return plan
        }
        if let cached { return LoadedWorkflow(record: record, plan: cached) }
        let plan = try await storedPlan(record.latestVersion, depth: depth)
        plans.withLock { $0.insert(plan, workflowID: workflowID, version: record.version, isLatest: true) }
        return LoadedWorkflow(record: record, plan: plan)
    }

    /// The plan of a stored version; a stored definition that no longer checks (the step
    /// registry changed) makes the workflow unavailable. It was checked against its own limit
    /// of tasks when it was stored, so only the largest applies here.
    func storedPlan(_ version: WorkflowVersionRecord, depth: Int = 0) async throws -> WorkflowPlan {
        switch try await checker(for: version.definition, depth: depth, maxTasks: SluiceCore.Limits.maxTranslatedTasks).check(json: version.definition) {
        case .success(let plan): return plan
        case .failure(let failure):
            throw EngineError.unavailable("stored workflow \(version.workflowID) version \(version.version) no longer type-checks: \(failure)")
        }
    }

    /// A workflow's latest version and its plan, from the cache when possible (the hot path of
    /// `execute`: no store read once the workflow's plan is cached).
    func latestPlan(workflowID: String) async throws -> PlanCache.Latest? {
        if let latest = plans.withLock({ $0.latest(workflowID) }) { return latest }
        return try await loadPlan(workflowID: workflowID).map { PlanCache.Latest(version: $0.record.version, plan: $0.plan) }
    }

    /// The result of `startExecution`.
    public struct Started: Sendable, Hashable {
        public var executionID: String
        /// `true` when an earlier request with the same idempotency key created the execution.
        public var replayed: Bool
    }

    /// Validates `request.input` against the input schema of the workflow's latest version (or
    /// of `request.version`), runs the execution's pure steps as far as they go, and commits the
    /// execution as they leave it (with the events of that run) in one write; then its steps
    /// with I/O start. A workflow of pure steps is stored already finished: one commit. Returns
    /// once the execution is durable. With an `idempotencyKey` already used for this workflow,
    /// returns that execution instead.
    public func startExecution(workflowID: String, request: ExecutionRequest, idempotencyKey: String? = nil) async throws -> Started {
        if isStopping { throw EngineError.shuttingDown }
        try admitWrites()
        let version: Int
        let plan: WorkflowPlan
        if let requested = request.version {
            version = requested
            plan = try await requestedPlan(workflowID: workflowID, version: requested)
        } else {
            guard let latest = try await latestPlan(workflowID: workflowID) else { throw EngineError.workflowNotFound(workflowID) }
            (version, plan) = (latest.version, latest.plan)
        }
        let issues = plan.inputSchema.validate(request.input, path: "input")
        if !issues.isEmpty { throw EngineError.invalid(ValidationFailure(title: "Invalid execution input", issues: issues)) }
        for _ in 0..<8 {
            let id = Identifier.make("ex")
            var taskIDs = Set<String>()
            let tasks = plan.nodes.map { node in
                var taskID = Identifier.make("task")
                while !taskIDs.insert(taskID).inserted { taskID = Identifier.make("task") }
                return TaskRecord(index: node.index, taskID: taskID, stepID: node.id, type: node.step.name)
            }
            let now = clock.now()
            let deadline = plan.definition.timeoutSeconds.map { now + Int64(($0 * 1000).rounded()) }
            let trace = traceStart(executionID: id, workflowID: workflowID, version: version, at: now)
            let execution = ExecutionRecord(id: id, workflowID: workflowID, workflowVersion: version, input: request.input, webhookURL: request.webhookURL, webhookSecret: request.webhookSecret, idempotencyKey: idempotencyKey, createdAt: now, deadlineAt: deadline, traceContext: trace)
            let machine = ExecutionStateMachine(plan: plan, executionID: id, input: request.input, deadlineAt: deadline)
            let prepared = EngineStateMachine.prepare(machine, record: ExecutionDetail(execution: execution, tasks: tasks), now: now, jitter: { Double.random(in: 0..<1) })
            // One that ran to its end already holds nothing here: only the others count. On a
            // cluster it waits in the store until a node with room claims it.
            if !prepared.finished, cluster == nil {
                do {
                    try admitActive()
                } catch {
                    // A repeated start of one that exists is answered, full or not: only a new
                    // execution is refused.
                    if let idempotencyKey, let existing = try await store.executionID(workflowID: workflowID, idempotencyKey: idempotencyKey) {
                        return Started(executionID: existing, replayed: true)
                    }
                    throw error
                }
            }
            let outcome: MutationOutcome
            if !prepared.finished, cluster == nil {
                // Driven here from its insert, which also starts its first steps with I/O.
                outcome = try await admit(Self.machine(plan: plan, detail: prepared.record), prepared, now: now)
            } else {
                var mutations: [Mutation] = [.insertExecution(prepared.record, events: prepared.events)]
                if !prepared.logs.isEmpty { mutations.append(.appendLogs(prepared.logs)) }
                outcome = try await commit(mutations)
            }
            switch outcome {
            case .applied:
                metrics.executionStarted(workflowID: workflowID)
                if prepared.finished {
                    metrics.executionFinished(prepared.record)
                    traceFinished(prepared.record)
                    // Nothing left to run: nobody needs to drive it. On a cluster, a waiter that
                    // registers now must not wait for an announcement of its end.
                    if cluster != nil { state.withLock { $0.core.recentlyFinished.insert(id) } }
                    finished.withLock { $0.insert(prepared.record) }
                } else if cluster != nil {
                    // Stored unheld: this node or another claims it.
                    workSignal.notify()
                }
                return Started(executionID: id, replayed: false)
            case .duplicate(let existing):
                return Started(executionID: existing, replayed: true)
            case .stale:
                // The workflow was deleted after its plan was read (the plan may have come from
                // the cache, which a concurrent load can refill).
                plans.withLock { $0.remove(workflowID: workflowID) }
                throw EngineError.workflowNotFound(workflowID)
            case .idConflict, .versionConflict:
                continue
            }
        }
        throw EngineError.unavailable("could not allocate a unique execution id")
    }

    /// Execution `id` with its tasks: from memory when it finished here lately, else from the
    /// store.
    public func execution(id: String) async throws -> ExecutionDetail? {
        if let detail = finished.withLock({ $0.detail(id) }) { return detail }
        return try await store.execution(id: id)
    }

    /// Refuses a new execution (that does not finish before it is stored) while the engine
    /// drives as many as it may.
    func admitActive() throws {
        let limits = configuration.limits
        let active = activeExecutionCount
        if active >= limits.maxActiveExecutions {
            throw EngineError.overloaded("the server drives \(active) executions, its limit (--max-active-executions); none was started", retryAfter: limits.retryAfterSeconds)
        }
    }

    /// Refuses a new execution while the store is behind on its writes.
    func admitWrites() throws {
        let limits = configuration.limits
        let queued = committer.queuedMutations
        if queued >= limits.maxQueuedWrites {
            throw EngineError.overloaded("the store is \(queued) writes behind; no execution was started", retryAfter: limits.retryAfterSeconds)
        }
    }

    /// How many requests wait on executions now.
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Refuses a wait (`?wait`, a log follow) while as many requests as the limit allows are
    /// waiting already.
    public func admitWaiter() throws {
        let limits = configuration.limits
        let waiting = state.withLock { $0.waiters.count }
        if waiting >= limits.maxWaiters {
            throw EngineError.overloaded("\(waiting) requests are waiting on executions, the server's limit (--max-waiters); read the execution without wait, or wait again later", retryAfter: limits.retryAfterSeconds)
        }
    }

    /// Whether this engine is driving execution `executionID` right now.
    public func isActive(executionID: String) -> Bool {
        state.withLock { $0.core.active[executionID] != nil }
    }

    /// Returns when execution `executionID` is no longer running in this engine, or after
    /// `timeout`, or when the calling task is cancelled or the server shuts down gracefully (the
    /// server stops before the engine, and must not wait for long waits). One continuation per
    /// waiter; the timeout is a timer on the engine's clock, not a task. `false` when it
    /// returned at once, without waiting (nothing drives the execution that could announce its
    /// end, or the server is stopping).
    @discardableResult
    public func waitUntilFinished(executionID: String, timeout: Duration) async -> Bool {
        await waitFor(executionID: executionID, untilFinished: true, timeout: timeout)
    }

    /// Returns after the next committed change of execution `executionID` (a transition or log
    /// lines), when it finishes, or after `timeout`. With `after` (a `changeCount` read before the
    /// caller looked at the execution), returns at once if a change was committed since.
    public func waitForChange(executionID: String, timeout: Duration, after: UInt64? = nil) async {
        _ = await waitFor(executionID: executionID, untilFinished: false, timeout: timeout, after: after)
    }

    /// How many changes of execution `executionID` this engine committed while driving it (0
    /// when it does not drive it): read it before looking at the execution, then
    /// `waitForChange(after:)` cannot miss a change made in between.
    public func changeCount(executionID: String) -> UInt64 {
        state.withLock { $0.core.active[executionID]?.changes ?? 0 }
    }

    /// Whether it waited (registered); `false` when it returned at once.
    func waitFor(executionID: String, untilFinished: Bool, timeout: Duration, after: UInt64? = nil) async -> Bool {
        await recovered()
        // The token is known once the waiter is registered; a cancellation or shutdown before
        // that finds none and the registration sees the task cancelled.
        let token = Mutex<Int?>(nil)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let (seconds, attoseconds) = timeout.components
                    var limit = min(seconds, 86_400) * 1000 + attoseconds / 1_000_000_000_000_000
                    let registered = state.withLock { shell -> Int? in
                        guard !Task.isCancelled, !Task.isShuttingDownGracefully,
                            let (t, local) = shell.core.addWaiter(executionID, untilFinished: untilFinished, after: after) else { return nil }
                        // On a cluster, log lines committed elsewhere between the caller's read and
                        // this registration announce nothing more: look again within a second.
                        if !local, !untilFinished { limit = min(limit, 1000) }
                        shell.waiters[t] = (continuation, nil)
                        return t
                    }
                    guard let registered else {
                        continuation.resume()
                        return
                    }
                    token.withLock { $0 = registered }
                    let timer = timers.schedule(at: clock.now() + limit) { self.releaseWaiter(executionID, registered) }
                    let released = state.withLock { shell -> Bool in
                        guard shell.waiters[registered] != nil else { return true }
                        shell.waiters[registered]?.timer = timer
                        return false
                    }
                    if released { timers.cancel(timer) }
                }
            } onCancel: {
                if let t = token.withLock({ $0 }) { self.releaseWaiter(executionID, t) }
            }
        } onGracefulShutdown: {
            if let t = token.withLock({ $0 }) { self.releaseWaiter(executionID, t) }
        }
        return token.withLock { $0 } != nil
    }

    /// Resumes one waiter if it is still waiting (whoever removes it resumes it, exactly once).
    func releaseWaiter(_ executionID: String, _ token: Int) {
        let waiter = state.withLock { shell -> (continuation: CheckedContinuation<Void, Never>, timer: Timers.ID?)? in
            guard shell.core.removeWaiter(executionID, token) else { return nil }
            return shell.waiters.removeValue(forKey: token)
        }
        guard let waiter else { return }
        if let timer = waiter.timer { timers.cancel(timer) }
        waiter.continuation.resume()
    }

    func commit(_ mutations: [Mutation]) async throws -> MutationOutcome {
        do {
            return try await committer.commit(mutations)[0]
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError.unavailable(reportStoreError(error, while: "committing a change"))
        }
    }

    /// Inserts a new execution that this engine drives from then on (`EngineStateMachine.admit`),
    /// its first steps with I/O started by the same commit; the insert's outcome.
    func admit(_ machine: ExecutionStateMachine, _ prepared: (record: ExecutionDetail, events: [EventDraft], logs: [TaskLogLine], finished: Bool), now: Int64) async throws -> MutationOutcome {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                // The insert is the first commit of the actions: its result is the reply.
                perform(reply: { result in continuation.resume(with: result.map { $0[0] }) }) { core in
                    core.admit(machine, record: prepared.record, events: prepared.events, logs: prepared.logs, now: now)
                }
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError.unavailable(reportStoreError(error, while: "committing a change"))
        }
    }

    func commit(_ mutation: Mutation) async throws -> MutationOutcome {
        try await commit([mutation])
    }

    /// Logs a store error with an id and returns the text to answer with: the id, never the
    /// database's own words (they can name tables, constraints, hosts).
    public func reportStoreError(_ error: any Error, while doing: String) -> String {
        let id = Identifier.make("err")
        // `String(reflecting:)`: PostgresNIO's errors keep the server's message out of `description`.
        logger.error("store error", metadata: ["error.id": "\(id)", "error": "\(String(reflecting: error))", "operation": "\(doing)"])
        if StoreError.isUnavailable(error) {
            return "the database cannot be reached: it did not answer while \(doing) (error \(id); the server logged the details)"
        }
        if StoreError.isStorageFull(error) {
            return "the server's storage is full: the store had no room while \(doing) (error \(id); the server logged the details)"
        }
        return "the store failed while \(doing) (error \(id); the server logged the details)"
    }
}
