import Logging
import ServiceLifecycle
import SluiceCore
import SluiceStore
import Synchronization

/// Runs executions durably. The rules live in `EngineStateMachine`, a value that takes events
/// and returns actions; this class holds it under one lock and carries the actions out: it hands
/// writes to the group committer (in the critical section that computed them, so they commit in
/// the order they were computed), starts steps with I/O, arms timers on the injected clock and
/// releases waiters. A task's dependants become ready only once its transition is committed, so
/// nothing downstream ever sees an output that a crash could lose. On start, every unfinished
/// execution in the store is resumed; a task that was running when the process died runs again
/// (at least once).
public final class Engine: Service, Sendable {
    /// What the lock guards: the state machine, and what its actions refer to by name.
    struct Shell {
        var core: EngineStateMachine
        /// Waiters by token: the request to resume and the timer that ends its wait.
        var waiters: [Int: (continuation: CheckedContinuation<Void, Never>, timer: Timers.ID?)] = [:]
        /// Steps with I/O running now, with the attempt each runs.
        var running: [RunningKey: (attempt: Int, task: Task<Void, Never>)] = [:]
        /// Steps waiting for a notice without a task (`Engine+Parking`).
        var parked: [RunningKey: ParkedStep] = [:]
        /// Whether unfinished executions from the store have been resumed.
        var recovery: RecoveryPhase = .notStarted
        var recoveryWaiters: [CheckedContinuation<Void, Never>] = []
        /// On a cluster: whether this node is the maintenance leader now.
        var leading = false
        /// Reloads under way (after a write that did not apply), so shutdown can wait for them.
        var reloads: [Int: Task<Void, Never>] = [:]
        var nextReload = 0
        /// On a cluster: a claim failed, and it may have committed with its answer lost; the
        /// executions this node holds are read again before the next claim.
        var claimsUncertain = false
    }

    enum RecoveryPhase {
        case notStarted, running, done
    }

    public let store: any Store
    public let committer: GroupCommitter
    /// What an operator sees (`GET /metrics`): executions, tasks, commits, claims.
    public let metrics: SluiceMetrics
    public let checker: TypeChecker
    public let configuration: Configuration
    let logger: Logger
    /// The engine's time: timestamps and every timer (a `ManualClock` in tests).
    public let clock: any EngineClock
    /// Delays, retry waits, deadlines, step timeouts and `?wait` timeouts, on `clock`.
    public let timers: Timers
    let state: Mutex<Shell>
    let plans = Mutex(PlanCache())
    /// The last executions that finished here, to answer reads of them without the store.
    let finished = Mutex(FinishedExecutions(capacity: 4096))
    let stopped: AsyncStream<Void>
    let stoppedContinuation: AsyncStream<Void>.Continuation
    /// The store, when other nodes share it: executions are claimed from it rather than all
    /// resumed (Engine+Cluster.swift).
    let cluster: (any ClusterStore)?
    /// This node's id in the cluster.
    public let nodeID: String
    /// Wakes the claim loop: new work here or announced by another node.
    let workSignal = CommitSignal()
    /// Wakes claims waiting on a queue (by queue name) when a task is queued there.
    let queueSignals = Mailbox()
    /// Wakes the queued tasks of an execution (by execution id) when a worker's answer is stored.
    let taskSignals = Mailbox()
    /// Park requests of step functions that just ended asking to park, taken by their tasks.
    let parkRequests = Mutex<[RunningKey: ParkRequest]>([:])
    /// Wakes the `ScheduleRunner` when a schedule is created, changed or deleted here.
    public let scheduleSignal = CommitSignal()

    public init(
        store: any Store, registry: StepRegistry = .builtin, configuration: Configuration = .init(),
        logger: Logger = Logger(label: "sluice.engine"), clock: any EngineClock = WallClock(),
        metrics: SluiceMetrics = .none
    ) {
        self.store = store
        self.metrics = metrics
        self.committer = GroupCommitter(store: store, metrics: metrics)
        self.checker = TypeChecker(registry: registry)
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.timers = Timers(clock: clock)
        cluster = store as? any ClusterStore
        state = Mutex(Shell(core: EngineStateMachine(clustered: cluster != nil)))
        (stopped, stoppedContinuation) = AsyncStream.makeStream(of: Void.self)
        nodeID = configuration.cluster.nodeID ?? Identifier.make("node")
    }

    /// Whether other nodes may share the store (it is a `ClusterStore`).
    public var isClustered: Bool { cluster != nil }

    /// Milliseconds since the Unix epoch, by the engine's clock.
    public func now() -> Int64 { clock.now() }

    /// Number of executions the engine is currently driving.
    public var activeExecutionCount: Int { state.withLock { $0.core.active.count } }

    var isStopping: Bool { state.withLock { $0.core.stopping } }

    /// Whether the executions left unfinished in the store have been resumed (`recover()` ran to
    /// its end): until then a node is not ready for traffic.
    public var hasRecovered: Bool { state.withLock { $0.recovery == .done } }

    public func run() async throws {
        try await recover()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.timers.run() }
            // On a cluster: claiming, heartbeats, maintenance and notifications run beside it.
            if let cluster { group.addTask { await self.runClusterLoops(cluster) } }
            await withGracefulShutdownHandler {
                for await _ in stopped {}
            } onGracefulShutdown: {
                self.stop()
            }
            self.stop()
            group.cancelAll()
        }
        // Log lines not yet submitted go too, and everything submitted is committed before the
        // engine returns: what was acknowledged stays.
        perform { $0.flushLogs() }
        await committer.waitUntilIdle()
        let (waiters, running, reloads) = state.withLock { shell in
            defer {
                shell.waiters = [:]
                shell.running = [:]
                shell.reloads = [:]
            }
            // Parked steps run again when the server starts again, as interrupted ones do.
            forgetParked(nil, &shell)
            _ = shell.core.takeAllWaiters()
            return (shell.waiters.values.map(\.continuation), shell.running.values.map(\.task), Array(shell.reloads.values))
        }
        // Waiters return: the execution resumes when the server starts again.
        for w in waiters { w.resume() }
        // Steps still running are interrupted; they run again when the server starts again.
        for task in running + reloads { task.cancel() }
        for task in running + reloads { await task.value }
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
        state.withLock { $0.core.stopping = true }
        stoppedContinuation.finish()
    }

    /// Resumes every unfinished execution found in the store. Runs once: the server calls it
    /// before it starts listening (so `?wait` never misses a resumed execution), and `run()`
    /// calls it in case nobody did.
    public func recover() async throws {
        let first = state.withLock { shell in
            guard shell.recovery == .notStarted else { return false }
            shell.recovery = .running
            return true
        }
        guard first else {
            await recovered()
            return
        }
        defer {
            let waiters = state.withLock { shell in
                shell.recovery = .done
                defer { shell.recoveryWaiters = [] }
                return shell.recoveryWaiters
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
            let done = state.withLock { shell in
                if shell.recovery != .running { return true }
                shell.recoveryWaiters.append(continuation)
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
        return register(Self.machine(plan: plan, detail: detail), record: detail)
    }

    /// A state machine for a stored execution.
    static func machine(plan: WorkflowPlan, detail: ExecutionDetail) -> ExecutionStateMachine {
        let e = detail.execution
        return ExecutionStateMachine(
            plan: plan, executionID: e.id, input: e.input, status: e.status, deadlineAt: e.deadlineAt, held: e.suspended,
            tasks: detail.tasks.map {
                .init(status: $0.status, output: $0.output, error: $0.error?["message"]?.stringValue, attempt: $0.attempt, wakeAt: $0.wakeAt, attemptBase: $0.attemptBase, startedAt: $0.startedAt)
            }
        )
    }

    /// Drives `machine` (whose execution is stored as `record`), unless it is already driven.
    @discardableResult
    func register(_ machine: ExecutionStateMachine, record: ExecutionDetail) -> Bool {
        let now = clock.now()
        var registered = false
        perform { core in
            guard let actions = core.register(machine, record: record, now: now) else { return .init() }
            registered = true
            return actions
        }
        return registered
    }

    /// Adds a line to the log of the task `dispatch` runs; lines are committed in batches, and
    /// before the transition that ends the attempt.
    func appendLog(_ dispatch: ExecutionStateMachine.Dispatch, source: String, _ line: String) {
        appendLog(TaskLogLine(executionID: dispatch.executionID, index: dispatch.index, at: clock.now(), attempt: dispatch.attempt, source: source, line: line))
    }

    func appendLog(_ entry: TaskLogLine) {
        if state.withLock({ $0.core.appendLog(entry) }) {
            // On the timer loop at once: lines written meanwhile go in the same commit.
            timers.schedule(at: clock.now()) { self.perform { $0.flushLogs() } }
        }
    }
}
