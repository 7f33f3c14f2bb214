import SluiceCore
import Synchronization

/// Group commit: writes submitted by many executions and requests while a transaction is being
/// committed are gathered and committed together in the next one, so one fsync covers them all.
/// There is no timer: a batch is whatever queued up during the previous commit.
public final class GroupCommitter: Sendable {
    /// Called with the outcomes of one submission, once its transaction is durable (or failed).
    public typealias Completion = @Sendable (Result<[MutationOutcome], any Error>) -> Void

    struct Entry {
        var mutations: [Mutation]
        var completion: Completion
    }

    struct State {
        var queue: [Entry] = []
        var draining = false
    }

    let store: any Store
    /// The most mutations one transaction takes; a longer queue is committed in several.
    let maxBatch: Int
    let state = Mutex(State())
    /// Notified after every successful commit.
    public let committed: CommitSignal

    public init(store: any Store, maxBatch: Int = 2048, committed: CommitSignal = CommitSignal()) {
        self.store = store
        self.maxBatch = maxBatch
        self.committed = committed
    }

    /// Queues `mutations` (applied together, in order, in one transaction) and calls `completion`
    /// when they are committed. Never blocks.
    public func submit(_ mutations: [Mutation], completion: @escaping Completion) {
        let start = state.withLock { state in
            state.queue.append(Entry(mutations: mutations, completion: completion))
            if state.draining { return false }
            state.draining = true
            return true
        }
        if start { Task { await self.drain() } }
    }

    /// Commits `mutations` with the next group and returns their outcomes.
    public func commit(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        try await withCheckedThrowingContinuation { continuation in
            submit(mutations) { continuation.resume(with: $0) }
        }
    }

    func drain() async {
        while true {
            let batch: [Entry] = state.withLock { state in
                var count = 0
                var taken = 0
                for entry in state.queue {
                    if taken > 0 && count + entry.mutations.count > maxBatch { break }
                    count += entry.mutations.count
                    taken += 1
                }
                let batch = Array(state.queue.prefix(taken))
                state.queue.removeFirst(taken)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    func commit(_ batch: [Entry]) async {
        do {
            let outcomes = try await store.apply(batch.flatMap(\.mutations))
            committed.notify()
            var offset = 0
            for entry in batch {
                entry.completion(.success(Array(outcomes[offset..<offset + entry.mutations.count])))
                offset += entry.mutations.count
            }
        } catch {
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
    /// Whether nothing is queued or being committed.
    public var isIdle: Bool { state.withLock { !$0.draining && $0.queue.isEmpty } }

    /// Returns once everything submitted so far is committed (for shutdown), or after `limit`.
    public func waitUntilIdle(limit: Duration = .seconds(10)) async {
        let deadline = ContinuousClock.now + limit
        while !isIdle && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
