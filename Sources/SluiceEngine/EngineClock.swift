import Foundation
import Synchronization

/// The engine's time: what time it is, and waiting until a given time. Timestamps, Delays, retry
/// backoffs, deadlines, step timeouts and `?wait` timeouts all read it, so a test that injects a
/// `ManualClock` moves time forward instead of sleeping.
public protocol EngineClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func now() -> Int64
    /// Returns once `now()` has reached `deadline` (milliseconds since the Unix epoch); throws
    /// `CancellationError` if the calling task is cancelled first.
    func sleep(until deadline: Int64) async throws
}

/// The machine's real time.
public struct WallClock: EngineClock {
    public init() {}

    public func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    public func sleep(until deadline: Int64) async throws {
        let wait = deadline - now()
        if wait > 0 { try await Task.sleep(for: .milliseconds(wait)) } else { try Task.checkCancellation() }
    }
}

/// A clock that moves only when told to (`advance(by:)`): tests run Delays, retries, deadlines
/// and timeouts of any length in microseconds, and in the same order every time.
public final class ManualClock: EngineClock {
    struct Sleeper {
        var deadline: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var now: Int64
        var sleepers: [Int: Sleeper] = [:]
        var nextToken = 0
        /// Tokens whose sleep was cancelled before it was registered.
        var cancelled: Set<Int> = []
    }

    let state: Mutex<State>

    /// A clock that reads `now` (milliseconds since the Unix epoch) until moved.
    public init(now: Int64 = 1_767_225_600_000) {
        state = Mutex(State(now: now))
    }

    public func now() -> Int64 { state.withLock { $0.now } }

    /// How many sleeps are waiting for the clock to move.
    public var sleeping: Int { state.withLock { $0.sleepers.count } }

    /// Moves the clock forward by `milliseconds` and wakes every sleep that is due.
    public func advance(by milliseconds: Int64) {
        precondition(milliseconds >= 0, "a clock does not go back")
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now += milliseconds
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for token in due.keys { state.sleepers[token] = nil }
            return due.sorted { $0.value.deadline < $1.value.deadline }.map(\.value.continuation)
        }
        for c in due { c.resume() }
    }

    /// Sets the clock to `milliseconds`, back or forward, as a wall clock that an operator or
    /// NTP corrects does; wakes every sleep that is then due.
    public func jump(to milliseconds: Int64) {
        let now = state.withLock { $0.now }
        if milliseconds >= now { return advance(by: milliseconds - now) }
        state.withLock { $0.now = milliseconds }
    }

    /// Moves the clock forward by `duration` (rounded down to milliseconds).
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        advance(by: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    public func sleep(until deadline: Int64) async throws {
        let token = state.withLock { state -> Int in
            defer { state.nextToken += 1 }
            return state.nextToken
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if state.cancelled.remove(token) != nil { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[token] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                if let s = state.sleepers.removeValue(forKey: token) { return s }
                state.cancelled.insert(token)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        // A cancellation that came after the sleep ended leaves its token behind.
        _ = state.withLock { $0.cancelled.remove(token) }
    }
}
