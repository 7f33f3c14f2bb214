import Testing
@testable import SluiceCore

@Suite struct ScheduleSpecTests {
    func parse(_ json: String) throws -> (ScheduleSpec?, [ValidationIssue]) {
        ScheduleSpec.parse(try JSONParser.parse(json))
    }

    @Test func aCronScheduleTakesTheDefaults() throws {
        let (spec, issues) = try parse(#"{"cron": "0 9 * * MON-FRI"}"#)
        #expect(issues.isEmpty)
        let s = try #require(spec)
        #expect(s.timing == .cron(try CronExpression(parsing: "0 9 * * MON-FRI")))
        #expect(s.timeZone == .utc)
        #expect(s.overlap == .skip)
        #expect(s.catchupSeconds == 0)
        #expect(s.paused == false)
        #expect(s.input == .object(JSONObject()))
    }

    @Test func everyMemberIsReadAndShownBack() throws {
        let json = #"{"interval_seconds":60,"time_zone":"America/New_York","overlap":"queue_one","catchup_seconds":600,"paused":true,"input":{"a":1}}"#
        let (spec, issues) = try parse(json)
        #expect(issues.isEmpty)
        let s = try #require(spec)
        #expect(s.timing == .interval(seconds: 60))
        #expect(s.timeZone.identifier == "America/New_York")
        #expect(s.overlap == .queueOne)
        #expect(s.json.jsonString == json)
        #expect(ScheduleSpec.parse(s.json).0 == s)
    }

    @Test func everyProblemIsReportedAtItsPath() throws {
        let (spec, issues) = try parse(#"{"cron": "0 24 * * *", "time_zone": "Mars/Olympus", "overlap": "sometimes", "catchup_seconds": -1, "paused": 1, "input": [], "extra": 1}"#)
        #expect(spec == nil)
        #expect(issues.map(\.path) == ["extra", "cron", "time_zone", "overlap", "catchup_seconds", "paused", "input"])
        #expect(issues.map(\.code) == ["unknown_field", "invalid_value", "invalid_value", "invalid_value", "invalid_value", "type_mismatch", "type_mismatch"])
        #expect(issues[1].message == "field 2 (hour): 24 is out of range 0–23")
        #expect(issues[2].message == "unknown time zone \"Mars/Olympus\"; expected an IANA name such as \"Europe/Berlin\" or \"UTC\"")
    }

    @Test func pathsAreUnderTheGivenBase() throws {
        let (_, issues) = ScheduleSpec.parse(try JSONParser.parse(#"{"cron": "* * *", "time_zone": 5}"#), path: "schedule")
        #expect(issues.map(\.path) == ["schedule.cron", "schedule.time_zone"])
    }

    @Test func cronAndIntervalAreExclusiveAndOneIsRequired() throws {
        let (_, none) = try parse(#"{"time_zone": "UTC"}"#)
        #expect(none.map(\.code) == ["required"])
        #expect(none.first?.path == "cron")
        let (_, both) = try parse(#"{"cron": "* * * * *", "interval_seconds": 5}"#)
        #expect(both.map(\.code) == ["conflicting_fields"])
        let (_, nulls) = try parse(#"{"cron": null, "interval_seconds": 5, "input": null}"#)
        #expect(nulls.isEmpty, "null counts as left out")
    }

    @Test(arguments: [(#"{"interval_seconds": 0}"#, "invalid_value"), (#"{"interval_seconds": 31622401}"#, "invalid_value"),
                      (#"{"interval_seconds": 1.5}"#, "type_mismatch"), (#"{"interval_seconds": "60"}"#, "type_mismatch"),
                      (#"{"cron": "@daily", "catchup_seconds": 604801}"#, "invalid_value"), (#"{"cron": 5}"#, "type_mismatch"),
                      (#"{"cron": "@daily", "overlap": 1}"#, "type_mismatch")])
    func outOfRangeAndWrongTypesAreRefused(json: String, code: String) throws {
        let (spec, issues) = try parse(json)
        #expect(spec == nil)
        #expect(issues.map(\.code) == [code])
    }

    @Test func theBoundsThemselvesAreAccepted() throws {
        #expect(try parse(#"{"interval_seconds": 1}"#).1.isEmpty)
        #expect(try parse(#"{"interval_seconds": 31622400, "catchup_seconds": 604800}"#).1.isEmpty)
    }

    @Test func aBodyThatIsNotAnObjectIsRefused() throws {
        let (spec, issues) = try parse(#"["0 9 * * *"]"#)
        #expect(spec == nil)
        #expect(issues.map(\.code) == ["type_mismatch"])
    }

    @Test func anIntervalIsAnchoredAtCreationNotAtTheClock() {
        let spec = ScheduleSpec(timing: .interval(seconds: 90))
        let created = instant("2026-01-01T00:00:10Z")
        #expect(spec.nextDue(after: instant("2025-12-31T00:00:00Z"), createdAt: created) == instant("2026-01-01T00:01:40Z"), "not at creation itself")
        #expect(spec.nextDue(after: created, createdAt: created) == instant("2026-01-01T00:01:40Z"))
        #expect(spec.nextDue(after: instant("2026-01-01T00:03:10Z"), createdAt: created) == instant("2026-01-01T00:04:40Z"), "strictly after a due time")
        #expect(spec.nextDue(after: instant("2026-01-01T00:03:09.999Z"), createdAt: created) == instant("2026-01-01T00:03:10Z"))
        let schedule = Schedule(spec: spec, createdAt: created)
        #expect(schedule.nextFireTimes(count: 3, after: instant("2026-01-01T01:00:00Z")) == [
            instant("2026-01-01T01:00:10Z"), instant("2026-01-01T01:01:40Z"), instant("2026-01-01T01:03:10Z"),
        ])
    }

    @Test func anIntervalIgnoresTheTimeZone() throws {
        var spec = ScheduleSpec(timing: .interval(seconds: 3600))
        spec.timeZone = try #require(ScheduleTimeZone(identifier: "Europe/Berlin"))
        let created = instant("2026-03-29T00:30:00Z")
        #expect(spec.nextDue(after: created, createdAt: created) == instant("2026-03-29T01:30:00Z"), "an hour of real time across the spring gap")
    }
}
