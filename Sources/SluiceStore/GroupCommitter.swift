import SluiceCore
import Synchronization

/// Group commit: writes submitted by many executions and requests while a transaction is being
/// committed are gathered and committed together in the next one, so one fsync covers them all.
/// There is no timer: a batch is whatever queued up during the previous commit.
///
/// A store that takes concurrent transactions (`Store.commitConcurrency` > 1, PostgreSQL) gets up
/// to that many batches at once. Order is kept where it matters: a submission waits while an
/// earlier one touching the same execution is in flight or waiting, so each execution's writes
/// are applied in the order they were submitted (writes that belong to no execution, such as
/// webhook bookkeeping, keep their order among themselves the same way).
public final class GroupCommitter: Sendable {
    /// Called with the outcomes of one submission, once its transaction is durable (or failed).
    public typealias Completion = @Sendable (Result<[MutationOutcome], any Error>) -> Void

    struct Entry {
        var mutations: [Mutation]
        var completion: Completion
        /// The executions it writes to (`"*"` for writes that belong to none: they are ordered
        /// among themselves).
        var keys: Set<String>
    }

    struct State {
        var queue: [Entry] = []
        /// Mutations queued, not yet taken into a batch.
        var queued = 0
        /// Callers of `waitUntilIdle`, resumed when nothing is queued or in flight.
        var idleWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextIdleWaiter = 0
        var inFlight = 0
        /// Keys of the batches in flight, with how many hold each.
        var busy: [String: Int] = [:]
    }

    let store: any Store
    /// The most mutations one transaction takes; a longer queue is committed in several.
    let maxBatch: Int
    /// The most transactions in flight at once.
    let concurrency: Int
    let state = Mutex(State())
    /// Notified after every successful commit.
    public let committed: CommitSignal
    /// Where batch sizes, commit durations and failures are reported (and, for those who write
    /// through this committer, what else they report).
    public let metrics: SluiceMetrics

    public init(store: any Store, maxBatch: Int = 2048, concurrency: Int? = nil, committed: CommitSignal = CommitSignal(), metrics: SluiceMetrics = .none) {
        self.store = store
        self.metrics = metrics
        self.maxBatch = maxBatch
        self.concurrency = max(1, concurrency ?? store.commitConcurrency)
        self.committed = committed
    }

    /// Queues `mutations` (applied together, in order, in one transaction) and calls `completion`
    /// when they are committed. Never blocks.
    public func submit(_ mutations: [Mutation], completion: @escaping Completion) {
        let entry = Entry(mutations: mutations, completion: completion, keys: Self.keys(mutations))
        let batches = state.withLock { state in
            state.queue.append(entry)
            state.queued += entry.mutations.count
            return takeBatches(&state)
        }
        for batch in batches { launch(batch) }
    }

    /// Commits `mutations` with the next group and returns their outcomes.
    public func commit(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        try await withCheckedThrowingContinuation { continuation in
            submit(mutations) { continuation.resume(with: $0) }
        }
    }

    static func keys(_ mutations: [Mutation]) -> Set<String> {
        var keys = Set<String>()
        for m in mutations {
            switch m {
            case .transition(let t): keys.insert(t.executionID)
            case .insertExecution(let d, _): keys.insert(d.execution.id)
            case .appendLogs(let lines): for l in lines { keys.insert(l.executionID) }
            case .enqueue(let task): keys.insert(task.executionID)
            case .answerQueued(let executionID, _, _, _, _): keys.insert(executionID)
            case .suspendExecution(let executionID, _): keys.insert(executionID)
            default: keys.insert("*")
            }
        }
        return keys
    }

    /// Takes the batches that may start now: while fewer than `concurrency` are in flight, the
    /// queued entries (in order, up to `maxBatch` mutations) whose executions are neither in
    /// flight nor written by an earlier entry left waiting, so no write overtakes an earlier one
    /// to the same execution.
    func takeBatches(_ state: inout State) -> [[Entry]] {
        var batches: [[Entry]] = []
        while state.inFlight < concurrency, !state.queue.isEmpty {
            var batch: [Entry] = []
            var waiting: [Entry] = []
            var count = 0
            var keys = Set<String>()
            var blocked = Set<String>()
            for entry in state.queue {
                let fits = batch.isEmpty || count + entry.mutations.count <= maxBatch
                if fits, !entry.keys.contains(where: { state.busy[$0] != nil || blocked.contains($0) }) {
                    batch.append(entry)
                    count += entry.mutations.count
                    keys.formUnion(entry.keys)
                } else {
                    waiting.append(entry)
                    blocked.formUnion(entry.keys)
                }
            }
            if batch.isEmpty { break }
            state.queue = waiting
            state.queued -= count
            for key in keys { state.busy[key, default: 0] += 1 }
            state.inFlight += 1
            batches.append(batch)
        }
        return batches
    }

    func launch(_ batch: [Entry]) {
        Task {
            await self.commit(batch)
            let keys = batch.reduce(into: Set<String>()) { $0.formUnion($1.keys) }
            let (next, idle) = self.state.withLock { state -> ([[Entry]], [CheckedContinuation<Void, Never>]) in
                state.inFlight -= 1
                for key in keys {
                    let n = (state.busy[key] ?? 1) - 1
                    state.busy[key] = n > 0 ? n : nil
                }
                let next = self.takeBatches(&state)
                guard state.inFlight == 0, state.queue.isEmpty else { return (next, []) }
                defer { state.idleWaiters = [:] }
                return (next, Array(state.idleWaiters.values))
            }
            for batch in next { self.launch(batch) }
            for waiter in idle { waiter.resume() }
        }
    }

    func commit(_ batch: [Entry]) async {
        let mutations = batch.flatMap(\.mutations)
        let started = ContinuousClock.now
        do {
            let outcomes = try await store.apply(mutations)
            metrics.commit(writes: mutations.count, duration: ContinuousClock.now - started, failed: false)
            committed.notify()
            var offset = 0
            for entry in batch {
                entry.completion(.success(Array(outcomes[offset..<offset + entry.mutations.count])))
                offset += entry.mutations.count
            }
        } catch {
            metrics.commit(writes: mutations.count, duration: ContinuousClock.now - started, failed: true)
            guard batch.count > 1 else {
                batch[0].completion(.failure(error))
                return
            }
            // Isolate the failing submission: commit each on its own.
            for entry in batch {
                do {
                    let outcomes = try await store.apply(entry.mutations)
                    committed.notify()
                    entry.completion(.success(outcomes))
                } catch {
                    entry.completion(.failure(error))
                }
            }
        }
    }
}

extension GroupCommitter {
    /// How many mutations wait for a batch (not counting those being committed).
    public var queuedMutations: Int { state.withLock { $0.queued } }

    /// Whether nothing is queued or being committed.
    public var isIdle: Bool { state.withLock { $0.inFlight == 0 && $0.queue.isEmpty } }

    /// Returns once nothing is queued or being committed (everything submitted so far is
    /// committed or failed; no polling: the last batch to finish resumes it), or after `limit`
    /// (a store that hangs must not hold a shutdown forever).
    public func waitUntilIdle(limit: Duration = .seconds(30)) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.idle() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    func idle() async {
        let token = state.withLock { state -> Int in
            defer { state.nextIdleWaiter += 1 }
            return state.nextIdleWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if (state.inFlight == 0 && state.queue.isEmpty) || Task.isCancelled { return true }
                    state.idleWaiters[token] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.idleWaiters.removeValue(forKey: token) }?.resume()
        }
    }
}
