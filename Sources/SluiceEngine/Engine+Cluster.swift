import SluiceCore
import SluiceStore

/// Several nodes on one store (`ClusterStore`, PostgreSQL). Each unfinished execution is held by
/// one node, which runs all its tasks and whose transitions alone apply to it:
///
/// - new executions are stored unheld and claimed in batches by whichever node has room (woken
///   by the store's notifications, or by a slow fallback poll);
/// - heartbeats renew the node's lease; the maintenance leader (one node at a time) releases the
///   executions of nodes whose lease ran out, and other nodes claim and resume them;
/// - other nodes' commits are announced: they wake the event streams and webhook sender, and
///   release `?wait` and log-follow requests waiting here on executions run elsewhere.
extension Engine {
    /// Whether this node may run maintenance work (webhook delivery): always on a single node; on
    /// a cluster, only while it is the maintenance leader.
    public var leadsMaintenance: Bool {
        cluster == nil || state.withLock { $0.leading }
    }

    func runClusterLoops(_ cluster: any ClusterStore) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.claimLoop(cluster) }
            group.addTask { await self.heartbeatLoop(cluster) }
            group.addTask { await self.maintenanceLoop(cluster) }
            group.addTask { await self.noticeLoop(cluster) }
            await group.waitForAll()
        }
    }

    /// Claims executions while there is work and room, then waits for a wake-up.
    func claimLoop(_ cluster: any ClusterStore) async {
        let settings = configuration.cluster
        while !Task.isCancelled, !isStopping {
            let seen = workSignal.generation
            await claimAvailable(cluster)
            await workSignal.wait(after: seen, timeout: settings.pollInterval)
        }
    }

    func claimAvailable(_ cluster: any ClusterStore) async {
        let settings = configuration.cluster
        if state.withLock({ $0.claimsUncertain }) {
            guard await adoptHeld(cluster) else {
                try? await Task.sleep(for: .seconds(1))
                return
            }
        }
        while !Task.isCancelled, !isStopping {
            let room = state.withLock { shell -> Int in
                let room = min(settings.maxActiveExecutions, configuration.limits.maxActiveExecutions) - shell.core.active.count
                shell.core.claimStarved = room <= 0
                return room
            }
            guard room > 0 else { return }
            let limit = min(settings.claimBatch, room)
            let claimed: [ExecutionDetail]
            do {
                claimed = try await cluster.claim(limit: limit)
            } catch {
                if Task.isCancelled { return }
                // The claim may have committed and its answer been lost (the connection closed
                // after the commit): what this node now holds is read before claiming again.
                state.withLock { $0.claimsUncertain = true }
                logger.error("could not claim executions; trying again", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
                return
            }
            for detail in claimed { await resume(detail) }
            if claimed.count < limit { return }
        }
    }

    /// Resumes the executions the store says this node holds that it is not driving (a claim
    /// that committed but whose answer was lost). `false` when the store could not be read.
    func adoptHeld(_ cluster: any ClusterStore) async -> Bool {
        let held: [String]
        do {
            held = try await cluster.heldExecutionIDs()
        } catch {
            logger.error("could not read the executions this node holds; trying again", metadata: ["error": "\(error)"])
            return false
        }
        state.withLock { $0.claimsUncertain = false }
        // Driven already, or about to be (a reload after a write that did not apply resumes it).
        let driven = state.withLock { Set($0.core.active.keys).union($0.core.reloading) }
        for id in held where !driven.contains(id) {
            do {
                if let detail = try await cluster.heldExecution(id: id), await resume(detail) {
                    logger.warning("resumed an execution claimed by a claim whose answer was lost", metadata: ["execution.id": "\(id)"])
                }
            } catch {
                state.withLock { $0.claimsUncertain = true }
                return false
            }
        }
        return true
    }

    /// Renews the lease every third of it. A lease that ran out (the node stalled, the database
    /// was unreachable) means other nodes may be running its executions: drop them all here.
    func heartbeatLoop(_ cluster: any ClusterStore) async {
        let lease = configuration.cluster.lease
        while !Task.isCancelled, !isStopping {
            // Real time, not the engine's clock: the lease runs on the database's clock.
            do { try await Task.sleep(for: lease / 3) } catch { return }
            do {
                let renewed = try await cluster.heartbeat(lease: lease)
                metrics.leaseRenewal(succeeded: renewed)
                if !renewed {
                    // Dropped first, registered again after: a claim in between finds nothing,
                    // rather than being dropped here while the store says this node holds it.
                    dropAll()
                    try await cluster.rejoin(lease: lease)
                }
            } catch {
                metrics.leaseRenewal(succeeded: false)
                logger.error("heartbeat failed; the node's lease runs out unless the next one succeeds", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Forgets every execution this node was driving (they are no longer its to run) and stops
    /// their steps; waiters stay, released by the notifications of the nodes that take over.
    func dropAll() {
        let running = state.withLock { shell in
            shell.core.active = [:]
            forgetParked(nil, &shell)
            defer { shell.running = [:] }
            return shell.running.values.map(\.task)
        }
        for task in running { task.cancel() }
        workSignal.notify()
    }

    /// Tries for maintenance leadership; while leading, rescues the executions of dead nodes.
    func maintenanceLoop(_ cluster: any ClusterStore) async {
        let period = min(configuration.cluster.lease / 3, .seconds(5))
        while !Task.isCancelled, !isStopping {
            let leading = await cluster.lead()
            let was = state.withLock { shell in
                defer { shell.leading = leading }
                return shell.leading
            }
            if leading != was { committer.committed.notify() }
            if leading {
                do {
                    if try await cluster.rescue() > 0 { workSignal.notify() }
                } catch {
                    logger.error("rescue failed; trying again", metadata: ["error": "\(error)"])
                }
            }
            do { try await Task.sleep(for: period) } catch { return }
        }
    }

    /// Acts on other nodes' announcements.
    func noticeLoop(_ cluster: any ClusterStore) async {
        for await notice in cluster.notifications() {
            if Task.isCancelled { return }
            if notice.nodeID == nodeID { continue }
            if notice.work { workSignal.notify() }
            // New events: the event streams and the webhook sender read them.
            committer.committed.notify()
            if notice.nodeID.isEmpty {
                // The listener reconnected and may have missed announcements: everyone waiting
                // here looks again.
                releaseRemoteWaiters(changed: nil, finished: nil)
                taskSignals.notifyAll()
                queueSignals.notifyAll()
            } else if !notice.changed.isEmpty || !notice.finished.isEmpty {
                releaseRemoteWaiters(changed: notice.changed, finished: notice.finished)
                // A queued task answered or claimed on another node: its step here looks again.
                for id in notice.changed { taskSignals.notify(id) }
            }
            // A task queued on another node: the claims waiting here look again.
            for queue in notice.queues { queueSignals.notify(queue) }
        }
    }

    /// Releases waiters on executions another node changed or finished (all those on executions
    /// not running here when both lists are `nil`). An execution this node was driving that another node finished (a
    /// cancel) is dropped here, and its steps stopped.
    func releaseRemoteWaiters(changed: [String]?, finished: [String]?) {
        // Another node changed them: what this one remembers of them may be old.
        self.finished.withLock { cache in
            guard let changed, let finished else {
                cache = FinishedExecutions(capacity: cache.capacity)
                return
            }
            for id in changed + finished { cache.remove(id) }
        }
        perform { $0.remote(changed: changed, finished: finished) }
    }

    /// Cancels an unfinished execution this node is not driving (another node holds it, or none
    /// has claimed it yet): the cancel applies whoever holds it, and the holder, told by the
    /// announcement, stops its steps. `true` when done (cancelled, or already finished or gone),
    /// `false` when it changed meanwhile (this node claimed it, or its holder committed first):
    /// the caller tries again.
    func cancelElsewhere(_ executionID: String) async throws -> Bool {
        guard let detail = try await store.execution(id: executionID), !detail.execution.status.isTerminal else { return true }
        if isActive(executionID: executionID) { return false }
        let plan = try await plan(of: detail.execution)
        var machine = Self.machine(plan: plan, detail: detail)
        guard let transition = machine.cancel(now: clock.now())?.transition else { return true }
        var record = detail
        guard try await commit(.transition(record.recording(transition))) == .applied else { return false }
        releaseRemoteWaiters(changed: [], finished: [executionID])
        logger.info("execution cancelled", metadata: ["execution.id": "\(executionID)"])
        return true
    }
}
