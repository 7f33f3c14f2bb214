import SluiceCore

extension SluiceClient {
    /// `POST /workflows/{id}/schedules`: starts the workflow on a schedule. Give `cron` (read in
    /// `timeZone`, an IANA name) or `intervalSeconds`, not both.
    ///
    /// - Parameters:
    ///   - overlap: what a fire time does while an execution the schedule started still runs:
    ///     `skip` (the server's default), `queue_one` or `allow`.
    ///   - catchupSeconds: how long after a fire time missed while the server was down it still starts.
    public func createSchedule(
        workflowID: String, cron: String? = nil, intervalSeconds: Int? = nil, timeZone: String? = nil, input: JSONValue? = nil,
        overlap: String? = nil, catchupSeconds: Int? = nil, paused: Bool? = nil
    ) async throws -> WorkflowSchedule {
        let body = Self.body([
            ("cron", cron.map(JSONValue.string)), ("interval_seconds", intervalSeconds.map { .number(Double($0)) }),
            ("time_zone", timeZone.map(JSONValue.string)), ("input", input), ("overlap", overlap.map(JSONValue.string)),
            ("catchup_seconds", catchupSeconds.map { .number(Double($0)) }), ("paused", paused.map(JSONValue.bool)),
        ])
        return try WorkflowSchedule(json: try await fetch(.POST, Self.path("workflows", workflowID, "schedules"), body: body))
    }

    /// `GET /workflows/{id}/schedules`: the workflow's schedules, oldest first.
    public func listSchedules(workflowID: String) async throws -> [WorkflowSchedule] {
        let json = try await fetch(.GET, Self.path("workflows", workflowID, "schedules"))
        return try Fields(json, "schedule list").list("schedules", WorkflowSchedule.init(json:))
    }

    /// `GET /workflows/{id}/schedules/{schedule_id}`.
    public func schedule(workflowID: String, scheduleID: String) async throws -> WorkflowSchedule {
        try WorkflowSchedule(json: try await fetch(.GET, Self.path("workflows", workflowID, "schedules", scheduleID)))
    }

    /// `PATCH /workflows/{id}/schedules/{schedule_id}`: changes the members `changes` names
    /// (`{"paused": true}`); `null` sets one back to its default.
    ///
    /// - Parameter ifMatch: change it only if it is still at this revision (else a `412` problem).
    public func updateSchedule(workflowID: String, scheduleID: String, changes: JSONValue, ifMatch revision: Int? = nil) async throws -> WorkflowSchedule {
        let headers = revision.map { [("If-Match", "\"\($0)\"")] } ?? []
        return try WorkflowSchedule(json: try await fetch(.PATCH, Self.path("workflows", workflowID, "schedules", scheduleID), headers: headers, body: changes.jsonBytes))
    }

    /// `DELETE /workflows/{id}/schedules/{schedule_id}`: the executions it started stay.
    public func deleteSchedule(workflowID: String, scheduleID: String) async throws {
        _ = try await send(.DELETE, Self.path("workflows", workflowID, "schedules", scheduleID))
    }

    /// `GET …/fires`: one page of what the schedule's fire times did, the newest first.
    public func listScheduleFires(workflowID: String, scheduleID: String, limit: Int? = nil, cursor: String? = nil) async throws -> Page<ScheduleFire> {
        let query: [(String, String?)] = [("limit", limit.map(String.init)), ("cursor", cursor)]
        let json = try await fetch(.GET, Self.path("workflows", workflowID, "schedules", scheduleID, "fires"), query: query)
        return try Page(json, key: "fires", ScheduleFire.init(json:))
    }
}
