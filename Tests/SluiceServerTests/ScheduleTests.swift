import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceStore
@testable import SluiceServer
import SluiceTestSupport
import Testing

/// `/workflows/{id}/schedules` with access off, the engine on a `ManualClock` (the clock starts
/// at 2026-01-01T00:00:00Z, a Thursday).
/// (The time limit counts the wait for a PostgreSQL connection slot in CI's PostgreSQL pass.)
@Suite(.testStores, .timeLimit(.minutes(3))) struct ScheduleTests {
    func makeApp(clock: ManualClock = ManualClock()) async throws -> (some ApplicationProtocol, Engine) {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: .builtin, logger: logger, clock: clock)
        return (buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger), engine)
    }

    static let workflow = #"{"name": "nightly", "steps": [{"type": "TextOperation.Uppercase"}]}"#

    @Test func aScheduleIsCreatedReadChangedAndDeletedWithItsNextFireTimes() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow)
            let created = try await client.send(.post, "/workflows/\(wf)/schedules", body: #"{"cron": "0 9 * * MON-FRI", "time_zone": "Europe/Berlin", "input": {"text": "hi"}}"#)
            #expect(created.status == .created, "\(created.text)")
            let body = try created.json()
            let id = try #require(body["schedule_id"]?.stringValue)
            #expect(created.headers[.location] == "/workflows/\(wf)/schedules/\(id)")
            #expect(created.headers[.eTag] == "\"1\"")
            #expect(body["cron"] == "0 9 * * MON-FRI")
            #expect(body["interval_seconds"] == nil)
            #expect(body["overlap"] == "skip" && body["catchup_seconds"] == 0 && body["paused"] == false)
            // 09:00 in Berlin in January is 08:00 UTC; 2026-01-01 is a Thursday.
            #expect(body["next_fire_times"] == [
                "2026-01-01T08:00:00.000Z", "2026-01-02T08:00:00.000Z", "2026-01-05T08:00:00.000Z", "2026-01-06T08:00:00.000Z", "2026-01-07T08:00:00.000Z",
            ])
            #expect(body["last_fire_time"] == .null && body["last_error"] == .null)

            let listed = try await client.send(.get, "/workflows/\(wf)/schedules")
            #expect(try listed.json()["schedules"]?.arrayValue?.map { $0["schedule_id"] } == [.string(id)])

            let paused = try await client.send(.patch, "/workflows/\(wf)/schedules/\(id)", body: #"{"paused": true}"#, headers: [.ifMatch: "\"1\""])
            #expect(paused.status == .ok, "\(paused.text)")
            #expect(try paused.json()["paused"] == true)
            #expect(try paused.json()["next_fire_times"] == [], "a paused schedule has no fire time ahead")
            #expect(try paused.json()["cron"] == "0 9 * * MON-FRI", "members the change does not name keep their values")
            #expect(paused.headers[.eTag] == "\"2\"")
            let stale = try await client.send(.patch, "/workflows/\(wf)/schedules/\(id)", body: #"{"paused": false}"#, headers: [.ifMatch: "\"1\""])
            #expect(stale.status == .preconditionFailed, "\(stale.text)")

            let interval = try await client.send(.patch, "/workflows/\(wf)/schedules/\(id)", body: #"{"interval_seconds": 3600, "paused": false, "time_zone": null}"#)
            let changed = try interval.json()
            #expect(changed["interval_seconds"] == 3600 && changed["cron"] == nil, "interval_seconds replaces cron")
            #expect(changed["time_zone"] == "UTC", "null sets a member back to its default")
            #expect(changed["next_fire_times"]?.arrayValue?.first == "2026-01-01T01:00:00.000Z")

            let got = try await client.send(.get, "/workflows/\(wf)/schedules/\(id)")
            #expect(try got.json() == changed)
            #expect(try await client.send(.delete, "/workflows/\(wf)/schedules/\(id)").status == .noContent)
            #expect(try await client.send(.get, "/workflows/\(wf)/schedules/\(id)").status == .notFound)
            #expect(try await client.send(.delete, "/workflows/\(wf)/schedules/\(id)").status == .notFound)
        }
    }

    @Test func everyWrongMemberIsNamedAndNothingIsStored() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow)
            func refused(_ body: String, path: String, code: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let reply = try await client.send(.post, "/workflows/\(wf)/schedules", body: body)
                _ = try expectValidation(reply, path: path, code: code, sourceLocation: sourceLocation)
            }
            try await refused(#"{"cron": "0 25 * * *"}"#, path: "cron", code: "invalid_value")
            try await refused(#"{}"#, path: "cron", code: "required")
            try await refused(#"{"cron": "@daily", "interval_seconds": 60}"#, path: "interval_seconds", code: "conflicting_fields")
            try await refused(#"{"interval_seconds": 0}"#, path: "interval_seconds", code: "invalid_value")
            try await refused(#"{"interval_seconds": 60, "time_zone": "Mars/Olympus"}"#, path: "time_zone", code: "invalid_value")
            try await refused(#"{"interval_seconds": 60, "overlap": "sometimes"}"#, path: "overlap", code: "invalid_value")
            try await refused(#"{"interval_seconds": 60, "catchup_seconds": 604801}"#, path: "catchup_seconds", code: "invalid_value")
            try await refused(#"{"interval_seconds": 60, "every": 1}"#, path: "every", code: "unknown_field")
            // The input is the workflow's: TextOperation.Uppercase takes {"text": string}.
            try await refused(#"{"interval_seconds": 60, "input": {"text": 5}}"#, path: "input.text", code: "type_mismatch")
            #expect(try await client.send(.get, "/workflows/\(wf)/schedules").json()["schedules"] == [])
            #expect(try await client.send(.post, "/workflows/wf-none/schedules", body: #"{"interval_seconds": 60}"#).status == .notFound)

            let id = try #require(try await client.send(.post, "/workflows/\(wf)/schedules", body: #"{"interval_seconds": 60, "input": {"text": "a"}}"#).json()["schedule_id"]?.stringValue)
            let change = try await client.send(.patch, "/workflows/\(wf)/schedules/\(id)", body: #"{"overlap": "never", "every": 2}"#)
            _ = try expectValidation(change, path: "every", code: "unknown_field")
            let bad = try await client.send(.patch, "/workflows/\(wf)/schedules/\(id)", body: #"{"overlap": "never"}"#)
            _ = try expectValidation(bad, path: "overlap", code: "invalid_value")
            let tag = try await client.send(.patch, "/workflows/\(wf)/schedules/\(id)", body: #"{"paused": true}"#, headers: [.ifMatch: "3"])
            _ = try expectValidation(tag, path: "If-Match")
            let after = try await client.send(.get, "/workflows/\(wf)/schedules/\(id)").json()
            #expect(after["overlap"] == "skip" && after["paused"] == false && after["revision"] == 1, "a refused change changes nothing")
        }
    }

    @Test func aWorkflowHasAtMostTheLimitOfSchedules() async throws {
        let (app, engine) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow)
            // All but the last stored at once; the last through the API.
            let now = engine.now()
            let spec = ScheduleSpec(timing: .interval(seconds: 3600), input: ["text": "a"])
            let earlier = (1..<Limits.schedulesPerWorkflow).map { i in
                Mutation.insertSchedule(ScheduleRecord(id: "sch-\(i)", workflowID: wf, schedule: Schedule(spec: spec, createdAt: now), updatedAt: now, nextFireAt: now + 3_600_000))
            }
            #expect(Set(try await engine.store.apply(earlier)) == [.applied])
            let last = try await client.send(.post, "/workflows/\(wf)/schedules", body: #"{"interval_seconds": 3600, "input": {"text": "a"}}"#)
            #expect(last.status == .created, "\(last.text)")
            let refused = try await client.send(.post, "/workflows/\(wf)/schedules", body: #"{"interval_seconds": 3600, "input": {"text": "a"}}"#)
            #expect(refused.status == .conflict, "\(refused.text)")
            #expect(refused.text.contains("\(Limits.schedulesPerWorkflow)"))
        }
    }

    /// Fired by the server's own runner on the engine's clock; the fires name their executions;
    /// deleting the workflow deletes its schedules.
    @Test func theServerFiresASchedulesTimesAndListsWhatEachDid() async throws {
        let clock = ManualClock()
        let (app, engine) = try await makeApp(clock: clock)
        try await app.test(.live) { client in
            let wf = try await client.createWorkflow(Self.workflow)
            let id = try #require(try await client.send(.post, "/workflows/\(wf)/schedules", body: #"{"interval_seconds": 60, "input": {"text": "tick"}}"#).json()["schedule_id"]?.stringValue)
            var fires: [JSONValue] = []
            for round in 1...2 {
                clock.advance(by: 60_000)
                for _ in 0..<2000 where fires.count < round {
                    fires = try await client.send(.get, "/workflows/\(wf)/schedules/\(id)/fires").json()["fires"]?.arrayValue ?? []
                    if fires.count < round { try await Task.sleep(for: .milliseconds(5)) }
                }
            }
            #expect(fires.map { $0["outcome"] } == ["fired", "fired"])
            #expect(fires.map { $0["fire_time"] } == ["2026-01-01T00:02:00.000Z", "2026-01-01T00:01:00.000Z"], "the newest first")
            let execution = try #require(fires.first?["execution_id"]?.stringValue)
            let done = try await client.finishedExecution(wf, execution)
            #expect(done["output"] == ["text": "TICK"])
            let page = try await client.send(.get, "/workflows/\(wf)/schedules/\(id)/fires?limit=1").json()
            #expect(page["fires"]?.arrayValue?.count == 1)
            let next = try #require(page["next_cursor"]?.stringValue)
            #expect(try await client.send(.get, "/workflows/\(wf)/schedules/\(id)/fires?limit=1&cursor=\(next)").json()["fires"]?.arrayValue?.first?["fire_time"] == "2026-01-01T00:01:00.000Z")
            #expect(try await client.send(.get, "/workflows/\(wf)/schedules/\(id)").json()["last_fire_time"] == "2026-01-01T00:02:00.000Z")

            #expect(try await client.send(.delete, "/workflows/\(wf)").status == .noContent)
            #expect(try await engine.store.schedule(id: id) == nil)
        }
    }
}
