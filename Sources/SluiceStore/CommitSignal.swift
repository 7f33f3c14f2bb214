import Synchronization

/// Tells waiters that something was committed: the event streams and the webhook sender wait on
/// it instead of polling. Each commit bumps a generation; `wait(after:timeout:)` returns once
/// the generation has moved past the one the caller last saw (or on timeout or cancellation).
public final class CommitSignal: Sendable {
    struct State {
        var generation: UInt64 = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextToken = 0
        /// Tokens of calls to `wait` in progress.
        var active: Set<Int> = []
        /// Active tokens released (timeout, cancellation) while their waiter was not registered.
        var released: Set<Int> = []
    }

    let state = Mutex(State())

    public init() {}

    /// The current generation.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Marks a commit and wakes every waiter.
    public func notify() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Returns the generation once it differs from `seen`, or after `timeout`, or when the
    /// calling task is cancelled.
    @discardableResult
    public func wait(after seen: UInt64, timeout: Duration) async -> UInt64 {
        let token: Int? = state.withLock { state in
            guard state.generation == seen else { return nil }
            defer { state.nextToken += 1 }
            state.active.insert(state.nextToken)
            return state.nextToken
        }
        guard let token else { return generation }
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            self.release(token)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    // A commit (or the timer, or a cancellation) may have come first.
                    if state.generation != seen || state.released.remove(token) != nil { return true }
                    state.waiters[token] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.release(token)
        }
        timer.cancel()
        return state.withLock { state in
            state.active.remove(token)
            state.released.remove(token)
            return state.generation
        }
    }

    func release(_ token: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let w = state.waiters.removeValue(forKey: token) { return w }
            // Not registered yet: the registration sees this and returns at once.
            if state.active.contains(token) { state.released.insert(token) }
            return nil
        }
        waiter?.resume()
    }
}
