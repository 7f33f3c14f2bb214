/// A schedule as the store keeps it: what was asked for, when, and how far its fire times have
/// been handled. Times are milliseconds since the epoch.
public struct Schedule: Sendable, Hashable {
    public var spec: ScheduleSpec
    /// When it was created: an interval is anchored here, and nothing is due before it.
    public var createdAt: Int64
    /// The newest due time already handled (fired, queued, skipped or let go), or `nil` before
    /// the first. Committed in the same transaction as the executions a decision starts, it is
    /// what makes each due time fire exactly once across restarts.
    public var lastDue: Int64?
    /// With overlap `queue_one`: the due time waiting for the running executions to finish.
    public var queuedDue: Int64?

    public init(spec: ScheduleSpec, createdAt: Int64, lastDue: Int64? = nil, queuedDue: Int64? = nil) {
        self.spec = spec
        self.createdAt = createdAt
        self.lastDue = lastDue
        self.queuedDue = queuedDue
    }

    /// The due times after which nothing is due yet: the last one handled, or the creation.
    var cursor: Int64 { lastDue ?? createdAt }

    /// Unpauses at `now`: the due times that passed while paused are let go (none of them is
    /// caught up), so the first fire is the first due time after `now`.
    public mutating func resume(at now: Int64) {
        spec.paused = false
        lastDue = max(lastDue ?? now, now)
    }

    /// The next `count` (at most 100) fire times after `instant`, for the API's answer; none
    /// while paused.
    public func nextFireTimes(count: Int, after instant: Int64) -> [Int64] {
        guard !spec.paused else { return [] }
        var times: [Int64] = []
        var from = max(instant, cursor)
        while times.count < min(count, 100), let due = spec.nextDue(after: from, createdAt: createdAt) {
            times.append(due)
            from = due
        }
        return times
    }

    /// The newest due time in (`lower`, `upper`], or `nil` when there is none. A cron
    /// expression is searched by bisection (about 40 `next` calls whatever the distance).
    func latestDue(atOrBefore upper: Int64, after lower: Int64) -> Int64? {
        guard let first = spec.nextDue(after: lower, createdAt: createdAt), first <= upper else { return nil }
        if case .interval(let seconds) = spec.timing {
            let step = seconds * 1000
            return createdAt + (upper - createdAt) / step * step
        }
        // The newest due time d is the smallest x with nothing due in (x, upper]. Cron fire
        // times are whole seconds, so the bisection goes by seconds.
        var low = first, high = CronExpression.floorDiv(upper, 1000) * 1000
        while low < high {
            let mid = low + (high - low) / 2000 * 1000
            if let next = spec.nextDue(after: mid, createdAt: createdAt), next <= upper { low = next } else { high = mid }
        }
        return low
    }
}

/// Decides what a schedule does now, as a value: told the time and how many of the executions
/// it started are still running, it answers with actions and the state to commit. No I/O.
///
/// The rules of `tick(now:running:)`:
/// 1. Paused: nothing happens and there is no wake-up (`Schedule.resume(at:)` lets the due
///    times of the pause go).
/// 2. A due time waiting (`queue_one`) fires once no execution of the schedule runs.
/// 3. The due times since `lastDue` (or since creation) up to `now` are looked at. Those more
///    than the window — `catchupSeconds`, but at least `lateToleranceSeconds`, so that a wake-up
///    a little late still fires — before `now` are let go without an action. Of those within it,
///    `skip` and `queue_one` take only the newest, `allow` takes each of them, oldest first, at
///    most the newest `maxCatchupFires`.
/// 4. Each due time taken: `allow` fires it; `skip` fires it if nothing runs, else skips it
///    (reason `running`); `queue_one` fires it if nothing runs, else queues it if nothing waits,
///    else skips it (reason `queue_full`). A fire counts as running for the due times after it.
/// 5. `lastDue` becomes the newest due time up to `now`; the wake-up is the next due time after
///    `now` (the end of a running execution is an event: tick again then, for a queued one).
///
/// Commit `schedule` in the same transaction as the executions the `fire` actions start: a
/// crash before the commit decides the same due times again, one after it does not.
public struct ScheduleStateMachine: Sendable {
    public enum SkipReason: String, Sendable, Hashable {
        /// Overlap `skip`: an execution of the schedule is still running.
        case running
        /// Overlap `queue_one`: one is running and another due time waits already.
        case queueFull = "queue_full"
    }

    public enum Action: Sendable, Hashable {
        /// Start an execution for this due time.
        case fire(due: Int64)
        /// Keep this due time in `queuedDue` until the running executions finish.
        case queue(due: Int64)
        /// Start nothing for this due time.
        case skip(due: Int64, reason: SkipReason)
    }

    public struct Decision: Sendable, Hashable {
        public var actions: [Action]
        /// When to tick next, or `nil` (paused, or no fire time ahead).
        public var wakeUp: Int64?
    }

    /// How late a due time may be looked at and still fire with no catch-up window.
    public static let lateToleranceSeconds: Int64 = 60
    /// The most executions one `allow` catch-up starts.
    public static let maxCatchupFires = Limits.scheduleCatchupFires

    /// The state to commit after a tick.
    public private(set) var schedule: Schedule

    public init(schedule: Schedule) {
        self.schedule = schedule
    }

    public mutating func tick(now: Int64, running: Int) -> Decision {
        let spec = schedule.spec
        guard !spec.paused else { return Decision(actions: [], wakeUp: nil) }
        var actions: [Action] = []
        var running = max(0, running)
        if let queued = schedule.queuedDue, running == 0 {
            actions.append(.fire(due: queued))
            schedule.queuedDue = nil
            running = 1
        }
        let cursor = schedule.cursor
        if let newest = schedule.latestDue(atOrBefore: now, after: cursor) {
            // Due times after `windowStart` are within the window.
            let window = max(spec.catchupSeconds, Self.lateToleranceSeconds) * 1000
            let windowStart = max(cursor, now - window - 1)
            var taken: [Int64] = []
            if newest > windowStart {
                taken.append(newest)
                if spec.overlap == .allow {
                    while taken.count < Self.maxCatchupFires, let earlier = schedule.latestDue(atOrBefore: taken.last! - 1, after: windowStart) {
                        taken.append(earlier)
                    }
                }
            }
            for due in taken.reversed() {
                switch spec.overlap {
                case .allow:
                    actions.append(.fire(due: due))
                case .skip:
                    actions.append(running == 0 ? .fire(due: due) : .skip(due: due, reason: .running))
                case .queueOne:
                    if running == 0 {
                        actions.append(.fire(due: due))
                    } else if schedule.queuedDue == nil {
                        actions.append(.queue(due: due))
                        schedule.queuedDue = due
                    } else {
                        actions.append(.skip(due: due, reason: .queueFull))
                    }
                }
                if case .fire = actions.last { running += 1 }
            }
            schedule.lastDue = newest
        }
        return Decision(actions: actions, wakeUp: spec.nextDue(after: max(now, schedule.cursor), createdAt: schedule.createdAt))
    }
}
