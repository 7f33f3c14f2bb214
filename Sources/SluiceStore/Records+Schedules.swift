import SluiceCore

/// A schedule of a workflow as stored: what was asked for (`schedule.spec`), how far its fire
/// times have been handled (`schedule.lastDue`, `schedule.queuedDue`), and when the maintenance
/// leader looks at it next (`nextFireAt`).
public struct ScheduleRecord: Sendable, Hashable {
    /// `sch-xxxxxxxx`.
    public var id: String
    public var workflowID: String
    public var schedule: Schedule
    public var updatedAt: Int64
    /// 1 when created, one more with each write: a write names the revision it read, and does
    /// not apply if another came first.
    public var revision: Int64
    /// The next fire time (the state machine's wake-up), `nil` while paused or when none is
    /// ahead. The leader reads the schedules due by it.
    public var nextFireAt: Int64?
    /// Why the last fire time could not start an execution (the workflow's input schema changed
    /// under the schedule's input, say), `nil` once one started again.
    public var lastError: String?
    /// The account that created it, `nil` with auth off.
    public var createdBy: String?

    public init(id: String, workflowID: String, schedule: Schedule, updatedAt: Int64, revision: Int64 = 1, nextFireAt: Int64?, lastError: String? = nil, createdBy: String? = nil) {
        self.id = id
        self.workflowID = workflowID
        self.schedule = schedule
        self.updatedAt = updatedAt
        self.revision = revision
        self.nextFireAt = nextFireAt
        self.lastError = lastError
        self.createdBy = createdBy
    }

    /// The spec as stored (JSON text), read back with `ScheduleSpec.parse`.
    public var specColumn: String { schedule.spec.json.jsonString }

    /// A record from its columns; `nil` if the stored spec no longer parses.
    public static func from(id: String, workflowID: String, spec: String, createdAt: Int64, updatedAt: Int64, revision: Int64, lastDue: Int64?, queuedDue: Int64?, nextFireAt: Int64?, lastError: String?, createdBy: String?) -> ScheduleRecord? {
        guard let value = try? JSONParser.parse(spec), let parsed = ScheduleSpec.parse(value).0 else { return nil }
        return ScheduleRecord(
            id: id, workflowID: workflowID, schedule: Schedule(spec: parsed, createdAt: createdAt, lastDue: lastDue, queuedDue: queuedDue),
            updatedAt: updatedAt, revision: revision, nextFireAt: nextFireAt, lastError: lastError, createdBy: createdBy)
    }
}

/// What became of one fire time of a schedule.
public struct ScheduleFireRecord: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        /// An execution started (`executionID`).
        case fired
        /// It waits for the running executions (overlap `queue_one`).
        case queued
        /// Nothing started (`reason`: `running`, `queue_full`).
        case skipped
        /// The execution could not start (`reason` says why).
        case failed
    }

    public var scheduleID: String
    /// The fire time, milliseconds since the epoch.
    public var due: Int64
    /// When it was decided.
    public var at: Int64
    public var outcome: Outcome
    public var executionID: String?
    public var reason: String?

    public init(scheduleID: String, due: Int64, at: Int64, outcome: Outcome, executionID: String? = nil, reason: String? = nil) {
        self.scheduleID = scheduleID
        self.due = due
        self.at = at
        self.outcome = outcome
        self.executionID = executionID
        self.reason = reason
    }
}

/// Where schedules and what their fire times did are kept. Part of `Store`: every driver passes
/// the same conformance suite. The writes are `Mutation`s (`insertSchedule`, `updateSchedule`,
/// `deleteSchedule`), so a tick commits in the same transaction as the executions it starts.
public protocol ScheduleStore: Sendable {
    func schedule(id: String) async throws -> ScheduleRecord?
    /// A workflow's schedules, oldest first.
    func schedules(workflowID: String) async throws -> [ScheduleRecord]
    /// Schedules that are not paused and either due at `now` (`nextFireAt` at or before it) or
    /// holding a queued fire time, the earliest due first, at most `limit`.
    func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord]
    /// The earliest `nextFireAt` of the schedules that are not paused, `nil` if none.
    func nextScheduleFireAt() async throws -> Int64?
    /// What schedule `scheduleID`'s fire times did, the newest first, at most `limit`, with due
    /// times before `before` if given (the cursor is a due time).
    func scheduleFires(scheduleID: String, limit: Int, before: Int64?) async throws -> Page<ScheduleFireRecord>
    /// How many executions schedule `scheduleID` started are PENDING or RUNNING.
    func runningExecutions(scheduleID: String) async throws -> Int
}

extension StoreDecorator {
    public func schedule(id: String) async throws -> ScheduleRecord? { try await base.schedule(id: id) }
    public func schedules(workflowID: String) async throws -> [ScheduleRecord] { try await base.schedules(workflowID: workflowID) }
    public func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord] { try await base.dueSchedules(now: now, limit: limit) }
    public func nextScheduleFireAt() async throws -> Int64? { try await base.nextScheduleFireAt() }
    public func scheduleFires(scheduleID: String, limit: Int, before: Int64?) async throws -> Page<ScheduleFireRecord> { try await base.scheduleFires(scheduleID: scheduleID, limit: limit, before: before) }
    public func runningExecutions(scheduleID: String) async throws -> Int { try await base.runningExecutions(scheduleID: scheduleID) }
}
