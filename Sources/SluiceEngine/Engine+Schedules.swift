import SluiceCore
import SluiceStore

/// Schedules: a workflow started by cron expression or interval (`ScheduleSpec`), decided by
/// `ScheduleStateMachine` and fired by the maintenance leader (`ScheduleRunner`).
///
/// Exactly one execution per fire time, across restarts and nodes: each fire starts its
/// execution with the idempotency key `schedule:<schedule id>:<fire time in ms>`, which is
/// committed with the execution. The schedule's new state (how far its fire times are handled,
/// and what each did) is committed after, only if no other write to the schedule came between
/// (its revision). A crash, or a second leader for a moment, between the two decides the same
/// fire times again, and their starts find the executions already there.
extension Engine {
    /// The idempotency key of the execution schedule `id` starts for fire time `due`.
    public static func scheduleKey(_ id: String, due: Int64) -> String { "schedule:\(id):\(due)" }

    /// Creates a schedule of workflow `workflowID`. Its input must be one the workflow's latest
    /// version takes (checked now; a version stored later that no longer takes it makes its
    /// fires fail, each recorded with why).
    public func createSchedule(workflowID: String, spec: ScheduleSpec, createdBy: String? = nil) async throws -> ScheduleRecord {
        if isStopping { throw EngineError.shuttingDown }
        try admitWrites()
        try await checkScheduleInput(workflowID: workflowID, spec: spec)
        let existing = try await readStore("reading the workflow's schedules") { try await $0.schedules(workflowID: workflowID) }.count
        if existing >= SluiceCore.Limits.schedulesPerWorkflow {
            throw EngineError.conflict("workflow \(workflowID) has \(existing) schedules, the most one workflow may have (\(SluiceCore.Limits.schedulesPerWorkflow)); delete one first")
        }
        let now = clock.now()
        for _ in 0..<4 {
            let schedule = Schedule(spec: spec, createdAt: now)
            let record = ScheduleRecord(
                id: Identifier.make("sch"), workflowID: workflowID, schedule: schedule, updatedAt: now,
                nextFireAt: schedule.nextFireTimes(count: 1, after: now).first, createdBy: createdBy)
            switch try await commit(.insertSchedule(record)) {
            case .applied:
                scheduleSignal.notify()
                return record
            case .stale: throw EngineError.workflowNotFound(workflowID)
            default: continue
            }
        }
        throw EngineError.unavailable("could not allocate a unique schedule id")
    }

    /// Workflow `workflowID`'s schedules, oldest first.
    public func schedules(workflowID: String) async throws -> [ScheduleRecord] {
        guard try await readStore("reading the workflow", { try await $0.workflow(id: workflowID) }) != nil else { throw EngineError.workflowNotFound(workflowID) }
        return try await readStore("reading the workflow's schedules") { try await $0.schedules(workflowID: workflowID) }
    }

    /// Schedule `id` of workflow `workflowID`.
    public func schedule(workflowID: String, id: String) async throws -> ScheduleRecord {
        guard let record = try await readStore("reading the schedule", { try await $0.schedule(id: id) }), record.workflowID == workflowID else {
            guard try await readStore("reading the workflow", { try await $0.workflow(id: workflowID) }) != nil else { throw EngineError.workflowNotFound(workflowID) }
            throw EngineError.scheduleNotFound(workflowID: workflowID, id: id)
        }
        return record
    }

    /// Changes schedule `id` to `spec` (the caller merges what the request changes into the
    /// current spec), if it is still at `expectedRevision` when given. A change of its timing
    /// or time zone starts it afresh from now (no fire time of the new timing before now is
    /// caught up); unpausing lets the fire times of the pause go (`Schedule.resume(at:)`).
    public func updateSchedule(workflowID: String, id: String, expectedRevision: Int64? = nil, change: (ScheduleSpec) throws -> ScheduleSpec) async throws -> ScheduleRecord {
        if isStopping { throw EngineError.shuttingDown }
        try admitWrites()
        for _ in 0..<8 {
            let current = try await schedule(workflowID: workflowID, id: id)
            if let expectedRevision, expectedRevision != current.revision {
                throw EngineError.preconditionFailed("schedule \(id) is at revision \(current.revision), not \(expectedRevision) as If-Match expected; nothing was changed. Read it again and send If-Match: \"\(current.revision)\"")
            }
            let spec = try change(current.schedule.spec)
            if spec.input != current.schedule.spec.input { try await checkScheduleInput(workflowID: workflowID, spec: spec) }
            let now = clock.now()
            var next = current
            let old = current.schedule.spec
            if spec.timing != old.timing || spec.timeZone != old.timeZone {
                next.schedule = Schedule(spec: spec, createdAt: now)
            } else if old.paused, !spec.paused {
                next.schedule.spec = spec
                next.schedule.resume(at: now)
            } else {
                next.schedule.spec = spec
            }
            if spec.paused || spec.overlap != .queueOne { next.schedule.queuedDue = nil }
            next.updatedAt = now
            next.nextFireAt = next.schedule.nextFireTimes(count: 1, after: now).first
            switch try await commit(.updateSchedule(next, expectedRevision: current.revision, fires: [])) {
            case .applied:
                scheduleSignal.notify()
                next.revision = current.revision + 1
                return next
            default:
                // The leader ticked it (or another edit came) meanwhile: read it again.
                continue
            }
        }
        throw EngineError.unavailable("schedule \(id) kept changing while it was being updated; try again")
    }

    /// Deletes schedule `id` with its fire history; the executions it started stay.
    public func deleteSchedule(workflowID: String, id: String) async throws {
        if isStopping { throw EngineError.shuttingDown }
        try admitWrites()
        _ = try await schedule(workflowID: workflowID, id: id)
        if try await commit(.deleteSchedule(workflowID: workflowID, id: id)) != .applied {
            throw EngineError.scheduleNotFound(workflowID: workflowID, id: id)
        }
        scheduleSignal.notify()
    }

    /// What schedule `id`'s fire times did, the newest first.
    public func scheduleFires(workflowID: String, id: String, limit: Int, before: Int64?) async throws -> Page<ScheduleFireRecord> {
        try await scheduleFires(of: try await schedule(workflowID: workflowID, id: id), limit: limit, before: before)
    }

    /// What `schedule`'s fire times did (a schedule already looked up), the newest first.
    public func scheduleFires(of schedule: ScheduleRecord, limit: Int, before: Int64?) async throws -> Page<ScheduleFireRecord> {
        try await readStore("reading the schedule's fires") { try await $0.scheduleFires(scheduleID: schedule.id, limit: limit, before: before) }
    }

    func checkScheduleInput(workflowID: String, spec: ScheduleSpec) async throws {
        guard let latest = try await latestPlan(workflowID: workflowID) else { throw EngineError.workflowNotFound(workflowID) }
        let issues = latest.plan.inputSchema.validate(spec.input, path: "input")
        if !issues.isEmpty { throw EngineError.invalid(ValidationFailure(title: "Invalid schedule input", issues: issues)) }
    }

    func readStore<T>(_ doing: String, _ read: (any Store) async throws -> T) async throws -> T {
        do {
            return try await read(store)
        } catch {
            throw EngineError.unavailable(reportStoreError(error, while: doing))
        }
    }

    /// One round of the maintenance leader: ticks every schedule due at the engine's clock,
    /// starting the executions their fire times call for. Returns how many schedules it wrote.
    /// A store that fails or a server at its limits ends the round (nothing of the schedule is
    /// written: the next round decides the same fire times, while they are within
    /// `ScheduleStateMachine.lateToleranceSeconds` or the schedule's catch-up window).
    @discardableResult
    public func runDueSchedules(limit: Int = 100) async throws -> Int {
        let now = clock.now()
        var written = 0
        for record in try await store.dueSchedules(now: now, limit: limit) {
            if isStopping || Task.isCancelled { break }
            if try await tick(record, now: now) { written += 1 }
        }
        return written
    }

    func tick(_ record: ScheduleRecord, now: Int64) async throws -> Bool {
        let schedule = record.schedule
        let counts = schedule.spec.overlap != .allow || schedule.queuedDue != nil
        let running = counts ? try await store.runningExecutions(scheduleID: record.id) : 0
        var machine = ScheduleStateMachine(schedule: schedule)
        let decision = machine.tick(now: now, running: running)
        var next = record
        next.schedule = machine.schedule
        next.nextFireAt = decision.wakeUp
        var fires: [ScheduleFireRecord] = []
        for action in decision.actions {
            switch action {
            case .queue(let due):
                fires.append(ScheduleFireRecord(scheduleID: record.id, due: due, at: now, outcome: .queued))
            case .skip(let due, let reason):
                fires.append(ScheduleFireRecord(scheduleID: record.id, due: due, at: now, outcome: .skipped, reason: reason.rawValue))
            case .fire(let due):
                do {
                    let started = try await startExecution(
                        workflowID: record.workflowID, request: ExecutionRequest(input: schedule.spec.input), idempotencyKey: Self.scheduleKey(record.id, due: due))
                    fires.append(ScheduleFireRecord(scheduleID: record.id, due: due, at: now, outcome: .fired, executionID: started.executionID))
                    next.lastError = nil
                } catch EngineError.invalid(let failure) {
                    let reason = "the workflow does not take the schedule's input: " + failure.issues.prefix(3).map { "\($0.path): \($0.message)" }.joined(separator: "; ")
                    fires.append(ScheduleFireRecord(scheduleID: record.id, due: due, at: now, outcome: .failed, reason: reason))
                    next.lastError = reason
                    logger.warning("a schedule's fire time started nothing", metadata: ["schedule.id": "\(record.id)", "workflow.id": "\(record.workflowID)", "reason": "\(reason)"])
                } catch EngineError.workflowNotFound {
                    // Deleted meanwhile, with its schedules.
                    return false
                }
            }
        }
        let applied = try await commit(.updateSchedule(next, expectedRevision: record.revision, fires: fires)) == .applied
        if applied { metrics.scheduleFires(fires) }
        return applied
    }
}
