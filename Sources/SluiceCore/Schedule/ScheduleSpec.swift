/// What `POST /workflows/{id}/schedules` asks for: when to run the workflow (a cron expression
/// in a time zone, or a fixed interval), with what input, and what to do when a run is still
/// going or fire times were missed.
///
/// ```json
/// {"cron": "0 9 * * MON-FRI", "time_zone": "Europe/Berlin", "input": {"text": "hi"},
///  "overlap": "skip", "catchup_seconds": 3600, "paused": false}
/// {"interval_seconds": 900}
/// ```
public struct ScheduleSpec: Sendable, Hashable {
    /// When it fires.
    public enum Timing: Sendable, Hashable {
        /// At the times a cron expression names, read in `timeZone`.
        case cron(CronExpression)
        /// Every `seconds`, anchored at the schedule's creation: at created + k·seconds, k ≥ 1.
        case interval(seconds: Int64)
    }

    /// What a fire time does while an execution this schedule started is still running.
    public enum Overlap: String, Sendable, Hashable, CaseIterable {
        /// It is skipped.
        case skip
        /// It waits, and starts when the running ones have finished; one waits at most, a later
        /// fire time while one waits is skipped.
        case queueOne = "queue_one"
        /// It starts anyway.
        case allow
    }

    public var timing: Timing
    /// Where a cron expression's wall-clock fields are read (an interval ignores it).
    public var timeZone: ScheduleTimeZone
    public var overlap: Overlap
    /// How long after a fire time it may still start when Sluice was down (or late) at that
    /// time; 0 catches nothing up. See `ScheduleStateMachine`.
    public var catchupSeconds: Int64
    public var paused: Bool
    /// The input of each execution it starts.
    public var input: JSONValue

    /// The longest interval: 366 days.
    public static let maxIntervalSeconds: Int64 = 366 * 86_400
    /// The longest catch-up window: 7 days.
    public static let maxCatchupSeconds = Int64(Limits.scheduleCatchupSeconds)

    public init(timing: Timing, timeZone: ScheduleTimeZone = .utc, overlap: Overlap = .skip, catchupSeconds: Int64 = 0, paused: Bool = false, input: JSONValue = .object(JSONObject())) {
        self.timing = timing
        self.timeZone = timeZone
        self.overlap = overlap
        self.catchupSeconds = catchupSeconds
        self.paused = paused
        self.input = input
    }

    /// The first fire time strictly after `instant` of a schedule created at `createdAt`
    /// (milliseconds since the epoch), or `nil` when there is none (an impossible cron
    /// expression).
    public func nextDue(after instant: Int64, createdAt: Int64) -> Int64? {
        switch timing {
        case .cron(let expression):
            return expression.next(after: instant, in: timeZone)
        case .interval(let seconds):
            let step = seconds * 1000
            guard instant >= createdAt else { return createdAt + step }
            let k = (instant - createdAt) / step + 1
            let (offset, overflow) = k.multipliedReportingOverflow(by: step)
            let (due, overflow2) = createdAt.addingReportingOverflow(offset)
            return overflow || overflow2 ? nil : due
        }
    }

    /// The members a schedule's JSON may have.
    public static let members = ["cron", "interval_seconds", "time_zone", "overlap", "catchup_seconds", "paused", "input"]

    /// Reads a schedule from a request body (members under `path`): `nil` and every problem,
    /// each at its path, when it breaks a rule.
    public static func parse(_ value: JSONValue, path: String = "") -> (ScheduleSpec?, [ValidationIssue]) {
        guard let object = value.objectValue else {
            return (nil, [.init(path: path, code: "type_mismatch", message: "expected a schedule, an object such as {\"cron\": \"0 9 * * *\"}, found \(value.described)")])
        }
        var issues: [ValidationIssue] = []
        for key in object.keys where !members.contains(key) {
            issues.append(.init(path: IssuePath.member(path, key), code: "unknown_field", message: "unknown field; expected \(members.joined(separator: ", "))"))
        }
        func member(_ key: String) -> JSONValue? {
            guard let v = object[key], v != .null else { return nil }
            return v
        }
        func at(_ key: String) -> String { IssuePath.member(path, key) }
        func integer(_ key: String, _ what: String) -> Int64? {
            guard let v = member(key) else { return nil }
            guard v.kindName == "integer", let n = v.numberValue else {
                issues.append(.init(path: at(key), code: "type_mismatch", message: "expected \(what), found \(v.described)"))
                return nil
            }
            return Int64(n)
        }

        var timing: Timing?
        let cronValue = member("cron")
        let intervalValue = member("interval_seconds")
        if cronValue != nil, intervalValue != nil {
            issues.append(.init(path: at("interval_seconds"), code: "conflicting_fields", message: "give either cron or interval_seconds, not both"))
        } else if cronValue == nil, intervalValue == nil {
            issues.append(.init(path: at("cron"), code: "required", message: "expected cron (a cron expression such as \"0 9 * * *\") or interval_seconds (an integer)"))
        }
        if let cronValue {
            if let text = cronValue.stringValue {
                do throws(CronExpression.ParseError) {
                    timing = .cron(try CronExpression(parsing: text))
                } catch {
                    issues.append(.init(path: at("cron"), code: "invalid_value", message: error.description))
                }
            } else {
                issues.append(.init(path: at("cron"), code: "type_mismatch", message: "expected a cron expression (string) such as \"0 9 * * *\", found \(cronValue.described)"))
            }
        }
        if let seconds = integer("interval_seconds", "a number of seconds (integer)") {
            if (1...maxIntervalSeconds).contains(seconds) {
                if cronValue == nil { timing = .interval(seconds: seconds) }
            } else {
                issues.append(.init(path: at("interval_seconds"), code: "invalid_value", message: "expected an interval of 1 to \(maxIntervalSeconds) seconds, found \(seconds)"))
            }
        }
        var timeZone = ScheduleTimeZone.utc
        if let v = member("time_zone") {
            if let name = v.stringValue {
                if let zone = ScheduleTimeZone(identifier: name) {
                    timeZone = zone
                } else if name.utf8.count > ScheduleTimeZone.maxIdentifierLength {
                    issues.append(.init(path: at("time_zone"), code: "invalid_value", message: "a time zone name has at most \(ScheduleTimeZone.maxIdentifierLength) characters; this one has \(name.utf8.count)"))
                } else {
                    issues.append(.init(path: at("time_zone"), code: "invalid_value", message: "unknown time zone \(JSONValue.string(name).preview); expected an IANA name such as \"Europe/Berlin\" or \"UTC\""))
                }
            } else {
                issues.append(.init(path: at("time_zone"), code: "type_mismatch", message: "expected an IANA time zone name (string) such as \"Europe/Berlin\", found \(v.described)"))
            }
        }
        var overlap = Overlap.skip
        if let v = member("overlap") {
            let choices = Overlap.allCases.map(\.rawValue).joined(separator: ", ")
            if let name = v.stringValue, let o = Overlap(rawValue: name) {
                overlap = o
            } else {
                issues.append(.init(path: at("overlap"), code: v.stringValue == nil ? "type_mismatch" : "invalid_value", message: "expected one of \(choices), found \(v.described)"))
            }
        }
        var catchup: Int64 = 0
        if let seconds = integer("catchup_seconds", "a number of seconds (integer)") {
            if (0...maxCatchupSeconds).contains(seconds) {
                catchup = seconds
            } else {
                issues.append(.init(path: at("catchup_seconds"), code: "invalid_value", message: "expected a catch-up window of 0 to \(maxCatchupSeconds) seconds, found \(seconds)"))
            }
        }
        var paused = false
        if let v = member("paused") {
            if case .bool(let b) = v { paused = b } else {
                issues.append(.init(path: at("paused"), code: "type_mismatch", message: "expected true or false, found \(v.described)"))
            }
        }
        var input = JSONValue.object(JSONObject())
        if let v = member("input") {
            if case .object = v { input = v } else {
                issues.append(.init(path: at("input"), code: "type_mismatch", message: "expected an object such as {\"text\": \"Hello\"}, found \(v.described)"))
            }
        }
        guard issues.isEmpty, let timing else { return (nil, issues) }
        return (ScheduleSpec(timing: timing, timeZone: timeZone, overlap: overlap, catchupSeconds: catchup, paused: paused, input: input), [])
    }

    /// As the API shows it.
    public var json: JSONValue {
        var o = JSONObject()
        switch timing {
        case .cron(let expression): o.append("cron", .string(expression.source))
        case .interval(let seconds): o.append("interval_seconds", .number(Double(seconds)))
        }
        o.append("time_zone", .string(timeZone.identifier))
        o.append("overlap", .string(overlap.rawValue))
        o.append("catchup_seconds", .number(Double(catchupSeconds)))
        o.append("paused", .bool(paused))
        o.append("input", input)
        return .object(o)
    }
}
