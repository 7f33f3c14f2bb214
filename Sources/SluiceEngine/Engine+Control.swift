import SluiceCore
import SluiceStore

extension Engine {
    /// Cancels execution `executionID`: it and its unfinished tasks become CANCELLED, and running
    /// steps are told to stop. Returns the execution as stored after the cancel. Cancelling a
    /// CANCELLED execution changes nothing; a COMPLETED or FAILED one is a conflict.
    public func cancelExecution(_ executionID: String) async throws -> ExecutionDetail {
        await recovered()
        // On a cluster the execution may be claimed by this node (or change hands) while the
        // cancel is under way: try again, here or elsewhere, a few times.
        var attempts = 0
        while attempts < 5 {
            switch try await cancelHere(executionID) {
            case .done: attempts = 5
            case .stale: attempts += 1
            case .notHere:
                attempts += 1
                guard cluster != nil else { attempts = 5; break }
                if try await cancelElsewhere(executionID) { attempts = 5 }
            }
        }
        guard var detail = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
        if !detail.execution.status.isTerminal, isActive(executionID: executionID) {
            // It finished here a moment ago and its last write is still being committed: its
            // outcome is the answer, once stored.
            await waitUntilFinished(executionID: executionID, timeout: .seconds(10))
            detail = try await store.execution(id: executionID) ?? detail
        }
        switch detail.execution.status {
        case .cancelled: return detail
        case .completed, .failed:
            throw EngineError.conflict("execution \(executionID) is already \(detail.execution.status.rawValue) and cannot be cancelled")
        case .pending, .running:
            // Not driven by this engine (it is being reloaded after a store error): try again shortly.
            throw EngineError.unavailable("execution \(executionID) is being recovered; retry the cancel in a moment")
        }
    }

    enum CancelHere { case notHere, done, stale }

    /// Cancels execution `executionID` if this engine drives it: `.notHere` if it does not,
    /// `.done` once the cancel is committed (or there was nothing to cancel), `.stale` if the
    /// cancel no longer applied (the execution is reloaded; try again). The cancel is computed
    /// from the execution as every transition submitted before it leaves it, and committed after
    /// them: no wait, no poll.
    func cancelHere(_ executionID: String) async throws -> CancelHere {
        let now = clock.now()
        let result: Result<[MutationOutcome], any Error>? = await withCheckedContinuation { continuation in
            var decision = EngineStateMachine.CancelDecision.notHere
            perform(reply: { continuation.resume(returning: $0) }) { core in
                decision = core.cancel(executionID, now: now)
                if case .commit(let actions) = decision { return actions }
                return .init()
            }
            if case .commit = decision { return }
            continuation.resume(returning: decision.isNotHere ? nil : .success([.applied]))
        }
        guard let result else { return .notHere }
        switch result {
        case .failure(let error):
            throw EngineError.unavailable(reportStoreError(error, while: "committing a cancel"))
        case .success(let outcomes):
            guard outcomes.last == .applied else { return .stale }
            logger.info("execution cancelled", metadata: ["execution.id": "\(executionID)"])
            return .done
        }
    }

    /// Runs a FAILED or CANCELLED execution again from where it stopped: its failed, cancelled
    /// and skipped tasks run again; completed tasks keep their outputs and do not run. It keeps
    /// running the workflow version it started with, whatever version is latest now.
    public func retryExecution(_ executionID: String) async throws {
        await recovered()
        if isStopping { throw EngineError.shuttingDown }
        guard let detail = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
        let status = detail.execution.status
        guard status == .failed || status == .cancelled else {
            throw EngineError.conflict("execution \(executionID) is \(status.rawValue); only a FAILED or CANCELLED execution can be retried")
        }
        guard !isActive(executionID: executionID) else { throw EngineError.conflict("execution \(executionID) is already running") }
        let plan = try await plan(of: detail.execution)
        var machine = Self.machine(plan: plan, detail: detail)
        let now = clock.now()
        let deadline = plan.definition.timeoutSeconds.map { now + Int64(($0 * 1000).rounded()) }
        guard let transition = machine.reopen(now: now, deadlineAt: deadline) else {
            throw EngineError.conflict("execution \(executionID) cannot be retried")
        }
        var recorded = detail
        // Reads go to the store from now on: it is about to change.
        finished.withLock { $0.remove(executionID) }
        guard try await commit(.transition(recorded.recording(transition))) == .applied else {
            throw EngineError.conflict("execution \(executionID) changed while it was being retried; read it again")
        }
        if recorded.execution.suspended {
            // Suspended when it ended (a suspended workflow stopped): it runs again unsuspended.
            _ = try await commit(.suspendExecution(executionID: executionID, suspended: false))
            recorded.execution.suspended = false
        }
        logger.info("execution retried", metadata: ["execution.id": "\(executionID)"])
        register(machine, record: recorded)
    }

    /// Starts a new execution of the same workflow with the same input that reuses the outputs
    /// of execution `executionID`'s completed tasks, except `fromTask` (a step id or task id) and
    /// everything downstream of it, which run again. Without `fromTask`, everything runs again.
    /// The new execution runs the same workflow version as `executionID`, not the latest.
    public func rerunExecution(_ executionID: String, fromTask: String?) async throws -> Started {
        await recovered()
        if isStopping { throw EngineError.shuttingDown }
        guard let source = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
        // The same version as the execution it reruns, so that its tasks and outputs line up.
        let plan = try await plan(of: source.execution)
        var rerun = Set(plan.nodes.indices)
        if let fromTask {
            guard let start = source.tasks.first(where: { $0.stepID == fromTask || $0.taskID == fromTask })?.index else {
                let known = source.tasks.map(\.stepID).joined(separator: ", ")
                throw EngineError.taskNotFound("execution \(executionID) has no task \"\(fromTask)\"; expected a step id (\(known)) or a task id")
            }
            rerun = [start]
            var stack = plan.nodes[start].dependents
            while let d = stack.popLast() {
                if rerun.insert(d).inserted { stack += plan.nodes[d].dependents }
            }
        }
        for _ in 0..<8 {
            let id = Identifier.make("ex")
            var taskIDs = Set<String>()
            let tasks = plan.nodes.map { node -> TaskRecord in
                var taskID = Identifier.make("task")
                while !taskIDs.insert(taskID).inserted { taskID = Identifier.make("task") }
                var record = TaskRecord(index: node.index, taskID: taskID, stepID: node.id, type: node.step.name)
                if !rerun.contains(node.index), node.index < source.tasks.count, source.tasks[node.index].status == .completed {
                    let old = source.tasks[node.index]
                    record.status = .completed
                    record.input = old.input
                    record.output = old.output
                    record.startedAt = old.startedAt
                    record.completedAt = old.completedAt
                    record.attempt = old.attempt
                }
                return record
            }
            let now = clock.now()
            let deadline = plan.definition.timeoutSeconds.map { now + Int64(($0 * 1000).rounded()) }
            let trace = traceStart(executionID: id, workflowID: source.execution.workflowID, version: source.execution.workflowVersion, at: now)
            let execution = ExecutionRecord(id: id, workflowID: source.execution.workflowID, workflowVersion: source.execution.workflowVersion, input: source.execution.input, webhookURL: source.execution.webhookURL, webhookSecret: source.execution.webhookSecret, createdAt: now, deadlineAt: deadline, traceContext: trace)
            let detail = ExecutionDetail(execution: execution, tasks: tasks)
            switch try await commit(.insertExecution(detail)) {
            case .applied:
                if cluster != nil { workSignal.notify() } else { register(Self.machine(plan: plan, detail: detail), record: detail) }
                logger.info("execution rerun", metadata: ["execution.id": "\(id)", "execution.source": "\(executionID)"])
                return Started(executionID: id, replayed: false)
            case .stale:
                throw EngineError.workflowNotFound(source.execution.workflowID)
            case .duplicate, .idConflict, .versionConflict:
                continue
            }
        }
        throw EngineError.unavailable("could not allocate a unique execution id")
    }
}

extension EngineStateMachine.CancelDecision {
    var isNotHere: Bool {
        if case .notHere = self { return true }
        return false
    }
}

extension Engine {
    /// Suspends execution `executionID`: no task of it starts until it is resumed; the tasks
    /// running go on to their end. Stored, so a restart keeps it suspended. Suspending a
    /// suspended execution changes nothing; a finished one is a conflict. Returns the execution
    /// as stored after it.
    public func suspendExecution(_ executionID: String) async throws -> ExecutionDetail {
        try await control(executionID, "suspended") { core, _ in core.suspend(executionID) }
    }

    /// Resumes execution `executionID`: its `Suspend` tasks waiting (only those whose step ids
    /// `tasks` names, when given) complete, and — unless `tasks` is given — it is no longer
    /// suspended, so the tasks that became ready meanwhile start. A finished execution is a
    /// conflict. Returns the execution as stored after it.
    public func resumeExecution(_ executionID: String, tasks: Set<String>? = nil) async throws -> ExecutionDetail {
        try await control(executionID, "resumed") { core, now in core.resume(executionID, release: tasks == nil, tasks: tasks, now: now) }
    }

    /// Computes a suspend or resume of an execution this engine drives, commits it after the
    /// execution's earlier writes, and answers the execution as stored then.
    func control(_ executionID: String, _ done: String, _ decide: @escaping @Sendable (inout EngineStateMachine, Int64) -> EngineStateMachine.CancelDecision) async throws -> ExecutionDetail {
        await recovered()
        if isStopping { throw EngineError.shuttingDown }
        for _ in 0..<5 {
            let now = clock.now()
            let result: Result<[MutationOutcome], any Error>?? = await withCheckedContinuation { continuation in
                var decision = EngineStateMachine.CancelDecision.notHere
                var writes = false
                perform(reply: { continuation.resume(returning: .some($0)) }) { core in
                    decision = decide(&core, now)
                    if case .commit(let actions) = decision {
                        writes = !actions.commits.isEmpty
                        return actions
                    }
                    return .init()
                }
                if writes { return }
                switch decision {
                case .notHere: continuation.resume(returning: nil)
                case .finished: continuation.resume(returning: .some(nil))
                case .commit: continuation.resume(returning: .some(.success([.applied])))
                }
            }
            guard let decided = result else {
                // Not driven here: finished, gone, being recovered, or on a cluster another node's.
                guard let detail = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
                if detail.execution.status.isTerminal { throw Self.finishedConflict(detail, done) }
                if isActive(executionID: executionID) { continue }
                throw EngineError.unavailable("execution \(executionID) is not driven by this node now (it is being recovered, or another node of the cluster drives it); retry in a moment")
            }
            guard let outcome = decided else {
                guard let detail = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
                throw Self.finishedConflict(detail, done)
            }
            switch outcome {
            case .failure(let error):
                throw EngineError.unavailable(reportStoreError(error, while: "committing a suspend or resume"))
            case .success(let outcomes):
                guard outcomes.allSatisfy({ $0 == .applied }) else { continue }
                logger.info("execution \(done)", metadata: ["execution.id": "\(executionID)"])
                guard let detail = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
                return detail
            }
        }
        throw EngineError.unavailable("execution \(executionID) changed while it was being \(done); try again")
    }

    static func finishedConflict(_ detail: ExecutionDetail, _ done: String) -> EngineError {
        EngineError.conflict("execution \(detail.execution.id) is already \(detail.execution.status.rawValue) and cannot be \(done)")
    }
}
