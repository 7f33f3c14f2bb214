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
            var work = Array(batch)
            var outcomes: [ExecutionStateMachine.Outcome] = []
            var slot: [String: Int] = [:]
            outcomes.reserveCapacity(batch.count)
            var next = 0
            while next < work.count {
                let dispatch = work[next]
                next += 1
                guard var outcome = run(dispatch) else { continue }
                work += outcome.dispatch
                outcome.dispatch = []
                guard let t = outcome.transition else { continue }
                if let k = slot[t.executionID] {
                    outcomes[k].transition = outcomes[k].transition.map { $0.followed(by: t) } ?? t
                    outcomes[k].finished = outcomes[k].finished || outcome.finished
                } else {
                    slot[t.executionID] = outcomes.count
                    outcomes.append(outcome)
                }
            }
            if !outcomes.isEmpty {
                let submitted = outcomes
                committer.submit(outcomes.map { .transition($0.transition!) }) { result in self.afterCommit(submitted, result) }
            }
        }
    }

    /// Runs one task and advances its execution's state machine.
    func run(_ dispatch: ExecutionStateMachine.Dispatch) -> ExecutionStateMachine.Outcome? {
        let node: WorkflowPlan.Node? = state.withLock { $0.active[dispatch.executionID]?.plan.nodes[dispatch.index] }
        guard let node else { return nil }
        let startedAt = clock()
        let result: Result<JSONValue, StepFailure>
        switch node.step.implementation {
        case .pure(let function):
            do throws(StepFailure) {
                result = .success(try function(dispatch.input, node.parameters))
            } catch {
                result = .failure(error)
            }
        case .run, .timer:
            // Not yet wired in the engine; no built-in step uses these yet.
            result = .failure(StepFailure("\(node.step.name) cannot run in this engine yet"))
        }
        let completedAt = clock()
        return state.withLock { state in
            guard var machine = state.active[dispatch.executionID] else { return nil }
            let outcome: ExecutionStateMachine.Outcome
            switch result {
            case .success(let output):
                outcome = machine.taskSucceeded(dispatch.index, input: dispatch.input, output: output, startedAt: startedAt, completedAt: completedAt)
            case .failure(let failure):
                outcome = machine.taskFailed(dispatch.index, input: dispatch.input, message: failure.message, startedAt: startedAt, completedAt: completedAt)
            }
            state.active[dispatch.executionID] = machine
            return outcome
        }
    }

    /// Acts on committed transitions: queues the tasks they made ready and releases waiters on
    /// finished executions. A transition that failed to commit is retried from the store.
    func afterCommit(_ outcomes: [ExecutionStateMachine.Outcome], _ result: Result<[MutationOutcome], any Error>) {
        switch result {
        case .success(let results):
            var released: [CheckedContinuation<Void, Never>] = []
            var dropped: [String] = []
            let queued: Bool = state.withLock { state in
                var queued = false
                for (outcome, applied) in zip(outcomes, results) {
                    guard let id = outcome.transition?.executionID else { continue }
                    guard applied == .applied else {
                        state.active[id] = nil
                        dropped.append(id)
                        continue
                    }
                    if outcome.finished {
                        state.active[id] = nil
                        if let w = state.waiters.removeValue(forKey: id) { released += w.values }
                    } else if !outcome.dispatch.isEmpty {
                        state.ready.append(contentsOf: outcome.dispatch)
                        queued = true
                    }
                }
                return queued
            }
            for w in released { w.resume() }
            if queued { wakeContinuation.yield() }
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
                if let detail = try await store.execution(id: executionID) { await resume(detail) }
            } catch {
                logger.error("could not reload execution", metadata: ["execution.id": "\(executionID)", "error": "\(error)"])
                reloadLater(executionID)
            }
        }
    }
}
