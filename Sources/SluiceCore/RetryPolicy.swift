/// How often a task runs before its failure is final, and how long it waits between attempts:
/// `initial_seconds × multiplier^(attempt−1)`, at most `max_seconds`, each wait varied by ±20%
/// (jitter) so that many tasks failing together do not retry in lockstep. Only failures a step
/// marks retryable (timeouts, connection errors, 5xx…) are retried.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var initialSeconds: Double
    public var multiplier: Double
    public var maxSeconds: Double

    public init(maxAttempts: Int = 1, initialSeconds: Double = 1, multiplier: Double = 2, maxSeconds: Double = 300) {
        self.maxAttempts = maxAttempts
        self.initialSeconds = initialSeconds
        self.multiplier = multiplier
        self.maxSeconds = maxSeconds
    }

    /// One attempt, no retries: the default.
    public static let none = RetryPolicy()

    /// Seconds to wait after failed attempt `attempt` (from 1), with `jitter` drawn from [0, 1).
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Double {
        var base = initialSeconds
        for _ in 1..<max(attempt, 1) where base < maxSeconds { base *= multiplier }
        base = min(base, maxSeconds)
        return base * (0.8 + 0.4 * min(max(jitter, 0), 1))
    }

    /// Reads `{"max_attempts": n, "backoff": {"initial_seconds", "multiplier", "max_seconds"}}`.
    public static func parse(_ value: JSONValue, path: String, issues: inout [ValidationIssue]) -> RetryPolicy? {
        guard case .object(let o) = value else {
            issues.append(.init(path: path, code: "type_mismatch", message: "expected an object such as {\"max_attempts\": 3, \"backoff\": {\"initial_seconds\": 1, \"multiplier\": 2, \"max_seconds\": 60}}, found \(value.kindName)"))
            return nil
        }
        let before = issues.count
        DefinitionParser.rejectUnknown(o, allowed: ["max_attempts", "backoff"], path: path, issues: &issues)
        var policy = RetryPolicy()
        if let raw = o["max_attempts"] {
            let p = IssuePath.member(path, "max_attempts")
            if case .number(let n) = raw, n == n.rounded(), (1...Double(Limits.maxRetryAttempts)).contains(n) {
                policy.maxAttempts = Int(n)
            } else {
                issues.append(.init(path: p, code: "invalid_value", message: "expected a whole number from 1 to \(Limits.maxRetryAttempts) (attempts in all, the first included), found \(raw.preview)"))
            }
        } else {
            issues.append(.init(path: IssuePath.member(path, "max_attempts"), code: "required", message: "required field is missing; expected the number of attempts in all, from 1 to \(Limits.maxRetryAttempts)"))
        }
        switch o["backoff"] {
        case nil, .null?: break
        case .object(let b)?:
            let bp = IssuePath.member(path, "backoff")
            DefinitionParser.rejectUnknown(b, allowed: ["initial_seconds", "multiplier", "max_seconds"], path: bp, issues: &issues)
            func number(_ key: String, _ range: ClosedRange<Double>, _ what: String) -> Double? {
                guard let raw = b[key] else { return nil }
                if case .number(let n) = raw, range.contains(n) { return n }
                issues.append(.init(path: IssuePath.member(bp, key), code: "invalid_value", message: "expected \(what), found \(raw.preview)"))
                return nil
            }
            policy.initialSeconds = number("initial_seconds", 0.001...Double(Limits.maxBackoffSeconds), "a number of seconds from 0.001 to \(Limits.maxBackoffSeconds)") ?? policy.initialSeconds
            policy.multiplier = number("multiplier", 1...Double(Limits.maxBackoffMultiplier), "a number from 1 to \(Limits.maxBackoffMultiplier)") ?? policy.multiplier
            policy.maxSeconds = number("max_seconds", 0.001...Double(Limits.maxBackoffSeconds), "a number of seconds from 0.001 to \(Limits.maxBackoffSeconds)") ?? max(policy.maxSeconds, policy.initialSeconds)
            if policy.maxSeconds < policy.initialSeconds {
                issues.append(.init(path: IssuePath.member(bp, "max_seconds"), code: "invalid_value", message: "expected at least initial_seconds (\(policy.initialSeconds.compact)), found \(policy.maxSeconds.compact)"))
            }
        case .some(let v):
            issues.append(.init(path: IssuePath.member(path, "backoff"), code: "type_mismatch", message: "expected an object with initial_seconds, multiplier and max_seconds, found \(v.kindName)"))
        }
        return issues.count == before ? policy : nil
    }
}

extension Double {
    /// `3` rather than `3.0`, for messages.
    var compact: String { self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self) }
}
