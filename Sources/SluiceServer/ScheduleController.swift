import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// A workflow's schedules: create, list, read, change (pause, resume), delete, and what each
/// fire time did. The engine decides and fires (`Engine+Schedules.swift`); this is the HTTP
/// translation.
struct ScheduleController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    /// How many of the next fire times an answer shows.
    static let nextFireTimes = 5

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/workflows/:workflow_id/schedules", use: create)
        router.get("/workflows/:workflow_id/schedules", use: list)
        router.get("/workflows/:workflow_id/schedules/:schedule_id", use: get)
        router.patch("/workflows/:workflow_id/schedules/:schedule_id", use: update)
        router.delete("/workflows/:workflow_id/schedules/:schedule_id", use: delete)
        router.get("/workflows/:workflow_id/schedules/:schedule_id/fires", use: fires)
    }

    static func representation(_ r: ScheduleRecord, now: Int64) -> JSONValue {
        var o = JSONObject()
        o.append("schedule_id", .string(r.id))
        o.append("workflow_id", .string(r.workflowID))
        if case .object(let spec) = r.schedule.spec.json {
            for member in spec { o.append(member.key, member.value) }
        }
        o.append("next_fire_times", .array(r.schedule.nextFireTimes(count: nextFireTimes, after: now).map { Optional($0).timestamp }))
        o.append("last_fire_time", r.schedule.lastDue.timestamp)
        o.append("queued_fire_time", r.schedule.queuedDue.timestamp)
        o.append("last_error", r.lastError.map(JSONValue.string) ?? .null)
        o.append("revision", .number(Double(r.revision)))
        o.append("created_at", Optional(r.schedule.createdAt).timestamp)
        o.append("updated_at", Optional(r.updatedAt).timestamp)
        o.append("created_by", r.createdBy.map(JSONValue.string) ?? .null)
        return .object(o)
    }

    static func representation(_ f: ScheduleFireRecord) -> JSONValue {
        var o = JSONObject()
        o.append("fire_time", Optional(f.due).timestamp)
        o.append("decided_at", Optional(f.at).timestamp)
        o.append("outcome", .string(f.outcome.rawValue))
        o.append("execution_id", f.executionID.map(JSONValue.string) ?? .null)
        o.append("reason", f.reason.map(JSONValue.string) ?? .null)
        return .object(o)
    }

    static func eTag(_ revision: Int64) -> String { "\"\(revision)\"" }

    func body(_ request: Request) async throws -> JSONObject {
        guard case .object(let body)? = try await parsing.jsonBody(request) else {
            throw Problem.badRequest(path: "", code: "invalid_body", "expected an object such as {\"cron\": \"0 9 * * MON-FRI\", \"time_zone\": \"Europe/Berlin\", \"input\": {}} or {\"interval_seconds\": 900}")
        }
        return body
    }

    @Sendable func create(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        // The workflow first (404), then the body (400), as everywhere.
        guard try await engine.store.workflow(id: workflowID) != nil else { throw EngineError.workflowNotFound(workflowID) }
        let (spec, issues) = ScheduleSpec.parse(.object(try await body(request)))
        guard let spec else { throw Problem.validation(ValidationFailure(title: "Invalid schedule", issues: issues)) }
        let record = try await engine.createSchedule(workflowID: workflowID, spec: spec, createdBy: context.identity?.account)
        return JSONResponse.make(
            Self.representation(record, now: engine.now()), status: .created,
            headers: [.location: "/workflows/\(workflowID)/schedules/\(record.id)", .eTag: Self.eTag(record.revision)])
    }

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        let now = engine.now()
        return JSONResponse.make(["schedules": .array(try await engine.schedules(workflowID: workflowID).map { Self.representation($0, now: now) })])
    }

    @Sendable func get(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let record = try await engine.schedule(workflowID: try context.parameters.require("workflow_id"), id: try context.parameters.require("schedule_id"))
        return JSONResponse.make(Self.representation(record, now: engine.now()), headers: [.eTag: Self.eTag(record.revision)])
    }

    /// Changes the members the body names; the others keep their values (`null` sets a member
    /// back to its default). `cron` replaces `interval_seconds` and the other way round.
    @Sendable func update(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        let id = try context.parameters.require("schedule_id")
        _ = try await engine.schedule(workflowID: workflowID, id: id)
        let expected = try parsing.ifMatchNumber(request, naming: "a schedule revision", from: "GET /workflows/{id}/schedules/{schedule_id}")
        let changes = try await body(request)
        // Unknown members are refused before anything is merged (a body of many members costs
        // one pass).
        let unknown = changes.keys.filter { !ScheduleSpec.members.contains($0) }
        if !unknown.isEmpty {
            let issues = unknown.prefix(Limits.problemsListed).map {
                ValidationIssue(path: $0, code: "unknown_field", message: "unknown field; expected \(ScheduleSpec.members.joined(separator: ", "))")
            }
            throw Problem.validation(ValidationFailure(title: "Invalid schedule change", issues: Array(issues)))
        }
        let record = try await engine.updateSchedule(workflowID: workflowID, id: id, expectedRevision: expected) { current in
            guard case .object(var merged) = current.json else { return current }
            if changes["cron"] != nil { merged["interval_seconds"] = nil }
            if changes["interval_seconds"] != nil { merged["cron"] = nil }
            for member in changes { merged[member.key] = member.value == .null ? nil : member.value }
            let (spec, issues) = ScheduleSpec.parse(.object(merged))
            guard let spec else { throw Problem.validation(ValidationFailure(title: "Invalid schedule change", issues: issues)) }
            return spec
        }
        return JSONResponse.make(Self.representation(record, now: engine.now()), headers: [.eTag: Self.eTag(record.revision)])
    }

    @Sendable func delete(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await engine.deleteSchedule(workflowID: try context.parameters.require("workflow_id"), id: try context.parameters.require("schedule_id"))
        return Response(status: .noContent)
    }

    @Sendable func fires(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        let id = try context.parameters.require("schedule_id")
        // The schedule first (404), then the query (400).
        let schedule = try await engine.schedule(workflowID: workflowID, id: id)
        let (limit, before) = try parsing.page(request)
        let page = try await engine.scheduleFires(of: schedule, limit: limit, before: before)
        return JSONResponse.make(.page("fires", page.items.map(Self.representation), next: page.nextCursor))
    }
}
