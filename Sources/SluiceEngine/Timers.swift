import Synchronization

/// Runs actions at times of an `EngineClock`: Delays, retry backoffs, deadlines, step timeouts
/// and `?wait` timeouts. One loop (`run()`, inside the engine's service) sleeps until the earliest
/// timer, so there is no thread or task per timer and nothing fires after the engine stopped.
/// Timers scheduled before `run()` starts fire once it does.
public final class Timers: Sendable {
    /// Names a scheduled timer, to cancel it.
    public struct ID: Hashable, Sendable {
        let value: UInt64
    }

    struct State {
        var heap = TimerHeap()
        var actions: [UInt64: @Sendable () -> Void] = [:]
        var nextID: UInt64 = 0
        /// When the loop wakes next (`Int64.max` while it waits for a first timer).
        var target: Int64 = .max
        /// Bumped by a timer earlier than `target`: the loop's sleep is too long.
        var generation: UInt64 = 0
        var wake: CheckedContinuation<Void, Never>?
    }

    let clock: any EngineClock
    let state = Mutex(State())

    public init(clock: any EngineClock) {
        self.clock = clock
    }

    /// How many timers are scheduled and not cancelled.
    public var count: Int { state.withLock { $0.actions.count } }

    /// Runs `action` once the clock reaches `at` (milliseconds since the Unix epoch), on the timer
    /// loop: it must be short and never block.
    @discardableResult
    public func schedule(at: Int64, _ action: @escaping @Sendable () -> Void) -> ID {
        let (id, wake) = state.withLock { state -> (UInt64, CheckedContinuation<Void, Never>?) in
            let id = state.nextID
            state.nextID += 1
            state.actions[id] = action
            state.heap.push(.init(at: at, id: id))
            guard at < state.target else { return (id, nil) }
            state.target = at
            state.generation &+= 1
            defer { state.wake = nil }
            return (id, state.wake)
        }
        wake?.resume()
        return ID(value: id)
    }

    /// Cancels a timer that has not fired (nothing happens if it has).
    public func cancel(_ id: ID) {
        state.withLock { state in
            guard state.actions.removeValue(forKey: id.value) != nil else { return }
            // Cancelled entries stay in the heap until their time; rebuild it when they dominate.
            if state.heap.count > 1024 && state.heap.count > 4 * state.actions.count {
                let live = state.actions
                state.heap.removeAll { live[$0.id] == nil }
            }
        }
    }

    /// Fires timers as they fall due until the calling task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let now = clock.now()
            let (due, next, generation) = state.withLock { state -> ([@Sendable () -> Void], Int64?, UInt64) in
                var due: [@Sendable () -> Void] = []
                while let first = state.heap.first, first.at <= now {
                    state.heap.popFirst()
                    if let action = state.actions.removeValue(forKey: first.id) { due.append(action) }
                }
                let next = state.heap.first?.at
                state.target = next ?? .max
                return (due, next, state.generation)
            }
            for action in due { action() }
            if !due.isEmpty { continue }
            await withTaskGroup(of: Void.self) { group in
                if let next { group.addTask { try? await self.clock.sleep(until: next) } }
                group.addTask { await self.earlierTimer(after: generation) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Returns once a timer earlier than the loop's target is scheduled (after `generation`), or
    /// when the calling task is cancelled.
    func earlierTimer(after generation: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.generation != generation || Task.isCancelled { return true }
                    state.wake = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.wake = nil }
                return state.wake
            }
            wake?.resume()
        }
    }
}

/// A binary min-heap of timers by time (then by id, so equal times fire in scheduling order).
struct TimerHeap {
    struct Entry {
        var at: Int64
        var id: UInt64

        func precedes(_ other: Entry) -> Bool { at < other.at || (at == other.at && id < other.id) }
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var first: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var i = entries.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard entries[i].precedes(entries[parent]) else { break }
            entries.swapAt(i, parent)
            i = parent
        }
    }

    @discardableResult
    mutating func popFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        let top = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            siftDown(0)
        }
        return top
    }

    mutating func removeAll(where shouldRemove: (Entry) -> Bool) {
        entries.removeAll(where: shouldRemove)
        var i = entries.count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < entries.count && entries[l].precedes(entries[m]) { m = l }
            if r < entries.count && entries[r].precedes(entries[m]) { m = r }
            if m == i { return }
            entries.swapAt(i, m)
            i = m
        }
    }
}
