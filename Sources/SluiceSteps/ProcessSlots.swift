import SluiceCore
import Synchronization

/// How many programs — containers and `Process` tasks — a node runs at once
/// (`sluice serve --max-processes`); the others wait for a slot, first come first served.
///
/// Without it a DAG of ten thousand parallel tasks started ten thousand programs at once: the
/// server ran out of file descriptors (three pipes each) and the subprocess library stopped the
/// process on a descriptor it could not close. Waiting here costs a suspended task, not a program.
public final class ProcessSlots: Sendable {
    /// The most programs running at once (at least 1).
    public let limit: Int

    struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, any Error>
    }

    struct State {
        var running = 0
        /// Waiting in arrival order from `head` on; cancelled ones are removed where they stand.
        var waiters: [Waiter] = []
        var head = 0
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Programs running now, and tasks waiting for a slot.
    public var counts: (running: Int, waiting: Int) {
        state.withLock { ($0.running, $0.waiters.count - $0.head) }
    }

    /// Runs one step's program holding a slot, waiting for one first; a wait goes to the task
    /// log (how long, and the flag that sets the limit). A task cancelled while it waits fails
    /// without having started anything.
    public func step(_ context: StepContext, what: String, _ body: () async throws(StepFailure) -> JSONValue) async throws(StepFailure) -> JSONValue {
        let start = ContinuousClock.now
        let waited: Bool
        do {
            waited = try await acquire()
        } catch {
            throw StepFailure("\(what) was cancelled before it started (it was waiting for one of the \(limit) process slots, --max-processes)")
        }
        defer { release() }
        if waited {
            context.log("waited \(HTTPRequestStep.format(duration: ContinuousClock.now - start)) for one of the \(limit) process slots (--max-processes)")
        }
        return try await body()
    }

    /// Takes a slot; `true` when it had to wait for it. The check for a free slot and the queueing
    /// happen under one lock, so a slot given back in between is never missed.
    func acquire() async throws -> Bool {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                enum Outcome { case free, cancelled, queued }
                let outcome: Outcome = state.withLock { s in
                    if Task.isCancelled { return .cancelled }
                    if s.running < limit, s.head == s.waiters.count {
                        s.running += 1
                        return .free
                    }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch outcome {
                case .free: continuation.resume(returning: false)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let cancelled: CheckedContinuation<Bool, any Error>? = state.withLock { s in
                guard let i = s.waiters[s.head...].firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    /// Gives a slot back: to the first waiter if there is one (the count stays), else to the pool.
    func release() {
        let next: CheckedContinuation<Bool, any Error>? = state.withLock { s in
            guard s.head < s.waiters.count else {
                s.running -= 1
                return nil
            }
            let waiter = s.waiters[s.head]
            s.head += 1
            // Drop what was handed out once it is half the array: amortized O(1) per waiter.
            if s.head * 2 >= s.waiters.count {
                s.waiters.removeFirst(s.head)
                s.head = 0
            }
            return waiter.continuation
        }
        next?.resume(returning: true)
    }
}
