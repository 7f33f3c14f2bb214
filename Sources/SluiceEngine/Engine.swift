import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceStore
import Synchronization

/// Runs executions durably. New executions and finished tasks feed an in-memory ready queue; the
/// run loop takes ready tasks in batches, runs them, and hands each resulting transition to the
/// group committer. A task's dependants become ready only after its transition is committed, so
/// nothing downstream ever sees an output that a crash could lose. On start, every unfinished
/// execution in the store is resumed; a task that was running when the process died runs again
/// (at least once).
public final class Engine: Service, Sendable {
    struct State {
        var active: [String: ExecutionStateMachine] = [:]
        var ready: [ExecutionStateMachine.Dispatch] = []
        var readyHead = 0
        /// Requests waiting on an execution: until it finishes (`?wait`), or until its next change
        /// (log follow).
        var waiters: [String: [Int: Waiter]] = [:]
        /// Steps with I/O running now, to cancel when their execution is cancelled or times out.
        var running: [RunningKey: Task<Void, Never>] = [:]
        /// Log lines not yet submitted for commit.
        var pendingLogs: [TaskLogLine] = []
        var logFlushScheduled = false
        var nextWaiterToken = 0
        var stopping = false
        /// Whether unfinished executions from the store have been resumed.
        var recovery: RecoveryPhase = .notStarted
        var recoveryWaiters: [CheckedContinuation<Void, Never>] = []
        /// On a cluster: the claim loop found no room (`maxActiveExecutions`); a finishing
        /// execution wakes it.
        var claimStarved = false
        /// On a cluster: whether this node is the maintenance leader now.
        var leading = false
        /// On a cluster: executions that finished lately (here or elsewhere), oldest first, so a
        /// waiter registering just after the finish was announced returns at once.
        var recentlyFinished = RecentSet(capacity: 16_384)
        /// Transitions computed from an execution's machine but not yet submitted to the
        /// committer, by execution. A cancel or a deadline waits until there are none, so that it
        /// is committed after them: otherwise an earlier transition that starts the execution
        /// (PENDING → RUNNING) could be committed after the cancel and revive it.
        var unsubmitted: [String: Int] = [:]

        /// Counts `n` transitions of `id` as submitted.
        mutating func submitted(_ id: String, _ n: Int = 1) {
            let left = (unsubmitted[id] ?? 0) - n
            unsubmitted[id] = left > 0 ? left : nil
        }

        /// Removes the requests waiting for the next change of execution `id` (not those waiting
        /// for it to finish) and returns their continuations, to resume outside the lock.
        mutating func takeChangeWaiters(of id: String) -> [CheckedContinuation<Void, Never>] {
            guard var w = waiters[id] else { return [] }
            var released: [CheckedContinuation<Void, Never>] = []
            for (token, waiter) in w where !waiter.untilFinished {
                released.append(waiter.continuation)
                w[token] = nil
            }
            waiters[id] = w.isEmpty ? nil : w
            return released
        }
    }

    struct Waiter {
        var continuation: CheckedContinuation<Void, Never>
        var untilFinished: Bool
    }

    enum RecoveryPhase {
        case notStarted, running, done
    }

    public let store: any Store
    public let committer: GroupCommitter
    public let checker: TypeChecker
    public let configuration: Configuration
    let logger: Logger
    /// Milliseconds since the Unix epoch (a test clock in tests).
    public let clock: @Sendable () -> Int64
    let state = Mutex(State())
    let plans = Mutex(PlanCache())
    let wake: AsyncStream<Void>
    let wakeContinuation: AsyncStream<Void>.Continuation
    /// The store, when other nodes share it: executions are claimed from it rather than all
    /// resumed (Engine+Cluster.swift).
    let cluster: (any ClusterStore)?
    /// This node's id in the cluster.
    public let nodeID: String
    /// Wakes the claim loop: new work here or announced by another node.
    let workSignal = CommitSignal()

    public init(
        store: any Store, registry: StepRegistry = .builtin, configuration: Configuration = .init(),
        logger: Logger = Logger(label: "sluice.engine"), clock: @escaping @Sendable () -> Int64 = Engine.wallClock
    ) {
        self.store = store
        self.committer = GroupCommitter(store: store)
        self.checker = TypeChecker(registry: registry)
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        (wake, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        cluster = store as? any ClusterStore
        nodeID = configuration.cluster.nodeID ?? Identifier.make("node")
    }

    /// Whether other nodes may share the store (it is a `ClusterStore`).
    public var isClustered: Bool { cluster != nil }

    /// Milliseconds since the Unix epoch.
    public static let wallClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Number of executions the engine is currently driving.
    public var activeExecutionCount: Int { state.withLock { $0.active.count } }

    public func run() async throws {
        try await recover()
        // On a cluster: claiming, heartbeats, maintenance and notifications run beside the loop.
        let background = cluster.map { cluster in Task { await self.runClusterLoops(cluster) } }
        await withGracefulShutdownHandler {
            for await _ in wake {
                if state.withLock({ $0.stopping }) { break }
                dispatchReady()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        background?.cancel()
        await background?.value
        await committer.waitUntilIdle()
        // Release anyone waiting on an execution: it resumes when the server starts again.
        let waiters = state.withLock { state in
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap(\.values).map(\.continuation)
        }
        for w in waiters { w.resume() }
        // Steps still running are interrupted; they run again when the server starts again.
        let running = state.withLock { state in
            defer { state.running = [:] }
            return Array(state.running.values)
        }
        for task in running { task.cancel() }
        if let cluster {
            // The executions this node held go back to the pool at once (not after the lease).
            do {
                try await cluster.leave()
            } catch {
                logger.error("could not hand this node's executions back; other nodes take them when its lease runs out", metadata: ["error": "\(error)"])
            }
        }
        logger.info("engine stopped", metadata: ["executions.unfinished": "\(activeExecutionCount)"])
    }

    func stop() {
        state.withLock { $0.stopping = true }
        wakeContinuation.yield()
        wakeContinuation.finish()
    }

    /// Resumes every unfinished execution found in the store. Runs once: the server calls it
    /// before it starts listening (so `?wait` never misses a resumed execution), and `run()`
    /// calls it in case nobody did.
    public func recover() async throws {
        let first = state.withLock { state in
            guard state.recovery == .notStarted else { return false }
            state.recovery = .running
            return true
        }
        guard first else {
            await recovered()
            return
        }
        defer {
            let waiters = state.withLock { state in
                state.recovery = .done
                defer { state.recoveryWaiters = [] }
                return state.recoveryWaiters
            }
            for w in waiters { w.resume() }
        }
        if let cluster {
            // On a cluster, unfinished executions are claimed (by this node or others) instead.
            try await cluster.join(nodeID: nodeID, kind: configuration.cluster.kind, lease: configuration.cluster.lease)
            logger.info("joined the cluster", metadata: ["node.id": "\(nodeID)", "node.kind": "\(configuration.cluster.kind)"])
            return
        }
        let unfinished = try await store.unfinishedExecutions()
        var resumed = 0
        for detail in unfinished {
            if await resume(detail) { resumed += 1 }
        }
        if !unfinished.isEmpty {
            logger.info("resumed unfinished executions", metadata: ["executions.count": "\(resumed)"])
        }
    }

    /// Returns once a recovery in progress has finished (at once if none is running).
    func recovered() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.recovery != .running { return true }
                state.recoveryWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Puts a stored execution back under the engine's control. Returns whether it did.
    @discardableResult
    func resume(_ detail: ExecutionDetail) async -> Bool {
        let e = detail.execution
        guard !e.status.isTerminal else { return false }
        let plan: WorkflowPlan
        do {
            // The execution's own version, not the latest: a version stored since it started
            // does not change what it runs.
            plan = try await self.plan(of: e)
        } catch {
            logger.error("cannot resume execution", metadata: ["execution.id": "\(e.id)", "error": "\(error)"])
            return false
        }
        return register(Self.machine(plan: plan, detail: detail))
    }

    /// A state machine for a stored execution.
    static func machine(plan: WorkflowPlan, detail: ExecutionDetail) -> ExecutionStateMachine {
        let e = detail.execution
        return ExecutionStateMachine(
            plan: plan, executionID: e.id, input: e.input, status: e.status, deadlineAt: e.deadlineAt,
            tasks: detail.tasks.map {
                .init(status: $0.status, output: $0.output, error: $0.error?["message"]?.stringValue, attempt: $0.attempt, wakeAt: $0.wakeAt)
            }
        )
    }

    /// Adds `machine` to the active set and queues its ready tasks, unless it is already active.
    @discardableResult
    func register(_ machine: ExecutionStateMachine) -> Bool {
        var machine = machine
        let now = clock()
        let outcome: ExecutionStateMachine.Outcome? = state.withLock { state in
            guard state.active[machine.executionID] == nil else { return nil }
            let outcome = machine.start(now: now)
            state.active[machine.executionID] = machine
            state.ready.append(contentsOf: outcome.dispatch)
            if let transition = outcome.transition {
                // Submitted under the lock: a cancel computed after it is submitted after it.
                committer.submit([.transition(transition)]) { result in
                    self.afterCommit([outcome], result)
                }
            }
            return outcome
        }
        guard let outcome else { return false }
        for timer in outcome.timers { arm(machine.executionID, timer) }
        if !outcome.dispatch.isEmpty { wakeContinuation.yield() }
        return true
    }

    /// Adds a line to the log of the task `dispatch` runs; lines are committed in batches, and
    /// before the transition that ends the attempt.
    func appendLog(_ dispatch: ExecutionStateMachine.Dispatch, source: String, _ line: String) {
        let entry = TaskLogLine(executionID: dispatch.executionID, index: dispatch.index, at: clock(), attempt: dispatch.attempt, source: source, line: line)
        let schedule = state.withLock { state in
            state.pendingLogs.append(entry)
            if state.logFlushScheduled { return false }
            state.logFlushScheduled = true
            return true
        }
        if schedule { Task { self.flushLogs() } }
    }

    /// Submits the log lines gathered so far for commit.
    func flushLogs() {
        let lines = state.withLock { state in
            state.logFlushScheduled = false
            defer { state.pendingLogs = [] }
            return state.pendingLogs
        }
        guard !lines.isEmpty else { return }
        committer.submit([.appendLogs(lines)]) { _ in
            self.notifyChanged(Set(lines.map(\.executionID)))
        }
    }

    /// Releases the requests waiting for the next change of these executions.
    func notifyChanged(_ executionIDs: Set<String>) {
        let released = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            executionIDs.flatMap { state.takeChangeWaiters(of: $0) }
        }
        for c in released { c.resume() }
    }
}

/// The last `capacity` distinct strings added, for membership tests.
struct RecentSet {
    let capacity: Int
    var members: Set<String> = []
    var order: [String] = []
    var head = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func insert(_ s: String) {
        guard members.insert(s).inserted else { return }
        if order.count < capacity {
            order.append(s)
        } else {
            members.remove(order[head])
            order[head] = s
            head = (head + 1) % capacity
        }
    }

    func contains(_ s: String) -> Bool { members.contains(s) }
}
