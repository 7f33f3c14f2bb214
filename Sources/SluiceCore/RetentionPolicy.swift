/// How long the finished executions of a workflow are kept (with their tasks, logs, events and
/// deliveries): `days` after they finished, and/or only the newest `keepLast` of them. An
/// execution goes once either says so. Given per workflow (`"retention"` in its definition) or
/// for the whole server (`sluice serve --retention-days`, `--retention-keep-last`); a workflow's
/// own policy replaces the server's.
///
/// ```json
/// {"name": "nightly", "steps": [...], "retention": {"days": 7}}
/// {"name": "busy", "steps": [...], "retention": {"days": 30, "keep_last": 10000}}
/// ```
public struct RetentionPolicy: Sendable, Hashable {
    /// Days after it finished (fractions allowed) that a finished execution is kept.
    public var days: Double?
    /// How many of the newest finished executions are kept.
    public var keepLast: Int?

    /// The longest retention one can ask for: 10 years.
    public static let maxDays = Double(Limits.retentionDays)
    /// The most executions `keep_last` may keep.
    public static let maxKeepLast = Limits.retentionKeepLast

    public init(days: Double? = nil, keepLast: Int? = nil) {
        self.days = days
        self.keepLast = keepLast
    }

    /// Finished before this instant (milliseconds since the epoch) at `now`: gone.
    public func completedBefore(now: Int64) -> Int64? {
        days.map { now - Int64(($0 * 86_400_000).rounded()) }
    }

    static let members = ["days", "keep_last"]

    /// Reads `value` (at `path`): `nil` and the problems when it breaks a rule.
    public static func parse(_ value: JSONValue, path: String) -> (RetentionPolicy?, [ValidationIssue]) {
        guard case .object(let object) = value else {
            return (nil, [.init(path: path, code: "type_mismatch", message: "expected an object such as {\"days\": 30} or {\"keep_last\": 1000}, found \(value.kindName)")])
        }
        var issues: [ValidationIssue] = []
        for key in object.keys where !members.contains(key) {
            issues.append(.init(path: IssuePath.member(path, key), code: "unknown_field", message: "unknown field; expected days, keep_last"))
        }
        var policy = RetentionPolicy()
        switch object["days"] {
        case nil, .null?: break
        case .number(let n)? where n > 0 && n <= maxDays: policy.days = n
        case .some(let v):
            issues.append(.init(path: IssuePath.member(path, "days"), code: "invalid_value", message: "expected a number of days greater than 0 and at most \(Int(maxDays)), found \(v.preview)"))
        }
        switch object["keep_last"] {
        case nil, .null?: break
        case .number(let n)? where n.isInteger && n >= 1 && n <= Double(maxKeepLast): policy.keepLast = Int(n)
        case .some(let v):
            issues.append(.init(path: IssuePath.member(path, "keep_last"), code: "invalid_value", message: "expected an integer from 1 to \(maxKeepLast), found \(v.preview)"))
        }
        if issues.isEmpty, policy.days == nil, policy.keepLast == nil {
            issues.append(.init(path: IssuePath.member(path, "days"), code: "required", message: "give days (how long finished executions are kept) or keep_last (how many), or both"))
        }
        return issues.isEmpty ? (policy, []) : (nil, issues)
    }

}

extension Double {
    fileprivate var isInteger: Bool { isFinite && rounded() == self }
}
