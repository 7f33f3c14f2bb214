import Foundation
import SluiceCore

/// A workflow's schedule: when it starts the workflow, with what input, and what it did.
public struct WorkflowSchedule: Sendable, Hashable {
    /// The `sch-…` id.
    public var id: String
    public var workflowID: String
    /// The cron expression, when it fires by one.
    public var cron: String?
    /// The interval, when it fires at one.
    public var intervalSeconds: Int?
    /// The IANA time zone a cron expression is read in.
    public var timeZone: String
    /// `skip`, `queue_one` or `allow`.
    public var overlap: String
    public var catchupSeconds: Int
    public var paused: Bool
    public var input: JSONValue
    /// The next five fire times (none while paused).
    public var nextFireTimes: [Date]
    /// The newest fire time handled.
    public var lastFireTime: Date?
    /// With overlap `queue_one`: the fire time waiting for the running executions.
    public var queuedFireTime: Date?
    /// Why the last fire time could not start an execution.
    public var lastError: String?
    /// Send it back as `ifMatch` to change the schedule only if nobody else did.
    public var revision: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var createdBy: String?
    /// The schedule as the server answered it.
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        self.json = json
        let f = try Fields(json, "schedule")
        id = try f.string("schedule_id")
        workflowID = try f.string("workflow_id")
        cron = try f.optionalString("cron")
        intervalSeconds = try f.optionalInt("interval_seconds")
        timeZone = try f.string("time_zone")
        overlap = try f.string("overlap")
        catchupSeconds = try f.int("catchup_seconds")
        paused = try f.bool("paused")
        input = f.value("input") ?? .object(JSONObject())
        nextFireTimes = try f.list("next_fire_times") { (value) throws(SluiceClientError) in
            guard let text = value.stringValue, let date = Fields.parseDate(text) else { throw f.fail("next_fire_times", "an array of RFC 3339 date-times") }
            return date
        }
        lastFireTime = try f.optionalDate("last_fire_time")
        queuedFireTime = try f.optionalDate("queued_fire_time")
        lastError = try f.optionalString("last_error")
        revision = try f.int("revision")
        createdAt = try f.date("created_at")
        updatedAt = try f.date("updated_at")
        createdBy = try f.optionalString("created_by")
    }
}

/// What one fire time of a schedule did.
public struct ScheduleFire: Sendable, Hashable {
    public var fireTime: Date
    public var decidedAt: Date
    /// `fired`, `queued`, `skipped` or `failed`.
    public var outcome: String
    /// The execution it started (`fired`).
    public var executionID: String?
    /// Why it was skipped (`running`, `queue_full`) or failed.
    public var reason: String?

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "schedule fire")
        fireTime = try f.date("fire_time")
        decidedAt = try f.date("decided_at")
        outcome = try f.string("outcome")
        executionID = try f.optionalString("execution_id")
        reason = try f.optionalString("reason")
    }
}
