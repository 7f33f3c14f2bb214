import Testing
@testable import SluiceCore

/// Each limit of the core at its edge (issue 21): the largest value `Limits` allows is accepted,
/// one more is refused at the documented path with the documented code. The values come from
/// `Limits`, so a changed limit moves its test with it; `docs/limits.md` lists the same names,
/// and SluiceServerTests' `LimitDocumentTests` holds the page to the table.
@Suite struct LimitEdgeTests {
    let checker = TypeChecker()

    /// The problems of a definition (none when it is accepted).
    func problems(_ json: String) throws -> [ValidationIssue] {
        switch checker.check(json: try JSONParser.parse(json)) {
        case .success: return []
        case .failure(let f): return f.issues
        }
    }

    /// Expects `accepted` to check and `refused` to be refused with exactly one problem, at
    /// `path` with `code`.
    func expectEdge(accepted: String, refused: String, path: String, code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try problems(accepted).map { "\($0.path) \($0.code): \($0.message)" } == [], sourceLocation: sourceLocation)
        let found = try problems(refused)
        #expect(found.map(\.path) == [path], "\(found)", sourceLocation: sourceLocation)
        #expect(found.map(\.code) == [code], sourceLocation: sourceLocation)
    }

    /// A one-step workflow with `member` beside `name` and `steps` (or in the step, with `step`).
    func workflow(top: String = "", step: String = "") -> String {
        #"{"name": "edge", \#(top)"steps": [{"type": "StaticTextInput", "input": "x"\#(step)}, {"type": "Echo"}]}"#
    }

    @Test func jsonNestsAtMostTheLimitDeep() throws {
        let nested = { (n: Int) in String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        _ = try JSONParser.parse(nested(Limits.jsonDepth))
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(nested(Limits.jsonDepth + 1)) }
        do {
            _ = try JSONParser.parse(nested(Limits.jsonDepth + 1))
        } catch {
            #expect(error.description.contains("nesting deeper than \(Limits.jsonDepth) levels"), "\(error.description)")
        }
    }

    @Test func aDAGHasAtMostTheLimitOfTasks() throws {
        let tasks = { (n: Int) in (0..<n).map { #"{"id": "t\#($0)", "type": "StaticTextInput", "input": "x"}"# }.joined(separator: ",") }
        try expectEdge(accepted: #"{"name": "edge", "tasks": [\#(tasks(Limits.maxTasks))]}"#,
                       refused: #"{"name": "edge", "tasks": [\#(tasks(Limits.maxTasks + 1))]}"#, path: "tasks", code: "too_many")
    }

    @Test func aChainHasAtMostTheLimitOfSteps() throws {
        let steps = { (n: Int) in ([#"{"type": "StaticTextInput", "input": "x"}"#] + Array(repeating: #"{"type": "TextOperation.Reverse"}"#, count: n - 1)).joined(separator: ",") }
        try expectEdge(accepted: #"{"name": "edge", "steps": [\#(steps(Limits.maxTasks))]}"#,
                       refused: #"{"name": "edge", "steps": [\#(steps(Limits.maxTasks + 1))]}"#, path: "steps", code: "too_many")
    }

    @Test func aWorkflowNameHasAtMostTheLimitOfCharacters() throws {
        let name = { (n: Int) in String(repeating: "é", count: n) }
        try expectEdge(accepted: #"{"name": "\#(name(Limits.workflowNameCharacters))", "steps": [{"type": "StaticTextInput", "input": "x"}]}"#,
                       refused: #"{"name": "\#(name(Limits.workflowNameCharacters + 1))", "steps": [{"type": "StaticTextInput", "input": "x"}]}"#, path: "name", code: "too_long")
    }

    @Test func aTaskIDHasAtMostTheLimitOfCharacters() throws {
        let dag = { (n: Int) in #"{"name": "edge", "tasks": [{"id": "\#(String(repeating: "a", count: n))", "type": "StaticTextInput", "input": "x"}]}"# }
        try expectEdge(accepted: dag(Limits.taskIDCharacters), refused: dag(Limits.taskIDCharacters + 1), path: "tasks[0].id", code: "invalid_id")
    }

    @Test func aTimeoutIsAtMostThirtyDays() throws {
        try expectEdge(accepted: workflow(top: #""timeout_seconds": \#(Limits.maxTimeoutSeconds), "#),
                       refused: workflow(top: #""timeout_seconds": \#(Limits.maxTimeoutSeconds + 1), "#), path: "timeout_seconds", code: "invalid_value")
        try expectEdge(accepted: workflow(step: #", "timeout_seconds": \#(Limits.maxTimeoutSeconds)"#),
                       refused: workflow(step: #", "timeout_seconds": \#(Limits.maxTimeoutSeconds + 1)"#), path: "steps[0].timeout_seconds", code: "invalid_value")
    }

    @Test func aRetryPolicyHasAtMostTheLimitOfAttempts() throws {
        let retry = { (n: Int) in #", "retry": {"max_attempts": \#(n)}"# }
        try expectEdge(accepted: workflow(step: retry(Limits.maxRetryAttempts)), refused: workflow(step: retry(Limits.maxRetryAttempts + 1)),
                       path: "steps[0].retry.max_attempts", code: "invalid_value")
    }

    @Test func aBackoffWaitsAtMostADayAndGrowsAtMostTenfold() throws {
        let backoff = { (member: String, value: String) in #", "retry": {"max_attempts": 2, "backoff": {"\#(member)": \#(value)}}"# }
        for member in ["initial_seconds", "max_seconds"] {
            try expectEdge(accepted: workflow(step: backoff(member, "\(Limits.maxBackoffSeconds)")), refused: workflow(step: backoff(member, "\(Limits.maxBackoffSeconds + 1)")),
                           path: "steps[0].retry.backoff.\(member)", code: "invalid_value")
        }
        let past = Double(Limits.maxBackoffMultiplier).nextUp
        try expectEdge(accepted: workflow(step: backoff("multiplier", "\(Limits.maxBackoffMultiplier)")), refused: workflow(step: backoff("multiplier", JSONValue.number(past).jsonString)),
                       path: "steps[0].retry.backoff.multiplier", code: "invalid_value")
    }

    @Test func aMapRunsAtMostTheLimitOfItemsAtOnce() throws {
        let map = { (n: Int) in
            #"{"name": "edge", "steps": [{"type": "StaticTextInput", "input": "a b"}, {"type": "TextOperation.Split"}, {"type": "TextOperation.Length", "map": {"over": "tasks.step-2.list", "concurrency": \#(n)}}]}"#
        }
        let accepted = try problems(map(Limits.maxMapConcurrency))
        #expect(accepted.isEmpty, "\(accepted)")
        let refused = try problems(map(Limits.maxMapConcurrency + 1))
        #expect(refused.contains { $0.path == "steps[2].map.concurrency" && $0.code == "invalid_value" }, "\(refused)")
    }

    @Test func aDelayIsAtMostThirtyDays() throws {
        let delay = { (n: Int) in #"{"name": "edge", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Delay", "input": {"seconds": \#(n)}}]}"# }
        #expect(try problems(delay(Limits.maxDelaySeconds)).isEmpty)
        let refused = try problems(delay(Limits.maxDelaySeconds + 1))
        #expect(refused.map(\.path) == ["steps[1].input.seconds"], "\(refused)")
        #expect(refused.map(\.code) == ["above_maximum"], "\(refused)")
    }

    @Test func aWorkerTaskLeaseAndQueueNameStayWithinTheirLimits() throws {
        let task = { (queue: String, lease: String) in
            #"{"name": "edge", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Worker.Task", "input": {"queue": "\#(queue)", "lease_seconds": \#(lease)}}]}"#
        }
        let longest = String(repeating: "q", count: Limits.queueNameBytes)
        #expect(try problems(task(longest, "\(Limits.maxLeaseSeconds)")).isEmpty)
        #expect(try problems(task("q", "\(Limits.minLeaseSeconds)")).isEmpty)
        #expect(try problems(task("q", JSONValue.number(Double(Limits.maxLeaseSeconds).nextUp).jsonString)).map(\.path) == ["steps[1].input.lease_seconds"])
        #expect(try problems(task("q", JSONValue.number(Double(Limits.minLeaseSeconds).nextDown).jsonString)).map(\.path) == ["steps[1].input.lease_seconds"])
        #expect(try problems(task(longest + "q", "60")).contains { $0.path == "steps[1].input.queue" })
        #expect(WorkerTask.queueNameProblem(longest) == nil)
        #expect(WorkerTask.queueNameProblem(longest + "q") != nil)
    }

    @Test func aConditionNestsAtMostTheLimitDeep() throws {
        let nested = { (n: Int) in String(repeating: "(", count: n) + "true" + String(repeating: ")", count: n) }
        #expect(throws: Never.self) { try Condition.parse(nested(Limits.conditionDepth)).get() }
        #expect(throws: ExpressionError.self) { try Condition.parse(nested(Limits.conditionDepth + 1)).get() }
    }

    @Test func aWebhookURLHasAtMostTheLimitOfCharacters() {
        let url = { (n: Int) in "https://example.com/" + String(repeating: "a", count: n - "https://example.com/".count) }
        #expect(WebhookURL.problem(url(Limits.webhookURLCharacters)) == nil)
        #expect(WebhookURL.problem(url(Limits.webhookURLCharacters + 1)) == "expected a URL of at most \(Limits.webhookURLCharacters) characters, found \(Limits.webhookURLCharacters + 1)")
    }

    @Test func namespaceAndAccountNamesHaveAtMostTheirLimits() {
        #expect(Namespace.problem(String(repeating: "n", count: Limits.namespaceCharacters)) == nil)
        #expect(Namespace.problem(String(repeating: "n", count: Limits.namespaceCharacters + 1)) != nil)
        #expect(AccountName.problem(String(repeating: "a", count: Limits.accountNameCharacters)) == nil)
        #expect(AccountName.problem(String(repeating: "a", count: Limits.accountNameCharacters + 1)) != nil)
    }

    @Test func aFailureListsAtMostTheLimitOfProblems() {
        let issues = { (n: Int) in (0..<n).map { ValidationIssue(path: "p\($0)", code: "c", message: "m") } }
        let all = ValidationFailure(title: "t", issues: issues(Limits.problemsListed)).limited()
        #expect(all.issues.count == Limits.problemsListed && all.issues.allSatisfy { $0.code == "c" }, "as many as the limit are all listed")
        let cut = ValidationFailure(title: "t", issues: issues(Limits.problemsListed + 1)).limited()
        #expect(cut.issues.count == Limits.problemsListed + 1)
        #expect(cut.issues.last?.code == ValidationFailure.omittedCode)
        #expect(cut.issues.last?.message == "1 more problem was found; only the first \(Limits.problemsListed) are listed")
    }

    // MARK: Schedules and retention

    /// The problems of a schedule.
    func scheduleProblems(_ json: String) throws -> [ValidationIssue] {
        ScheduleSpec.parse(try JSONParser.parse(json)).1
    }

    @Test func aCronExpressionHasAtMostTheLimitOfCharacters() throws {
        // "0,0,…,0 * * * *": a minute list padded to the length.
        let cron = { (n: Int) in ((n - 9) % 2 == 1 ? "00" : "0") + String(repeating: ",0", count: (n - 9) / 2) + " * * * *" }
        #expect(cron(Limits.cronExpressionCharacters).count == Limits.cronExpressionCharacters)
        #expect(throws: Never.self) { try CronExpression(parsing: cron(Limits.cronExpressionCharacters)) }
        let longer = cron(Limits.cronExpressionCharacters) + " "
        #expect(try scheduleProblems(#"{"cron": "\#(cron(Limits.cronExpressionCharacters))"}"#).isEmpty)
        let refused = try scheduleProblems(#"{"cron": "\#(longer)"}"#)
        #expect(refused.map(\.path) == ["cron"])
        #expect(refused.first?.message.contains("a cron expression has at most \(Limits.cronExpressionCharacters) characters; this one has \(Limits.cronExpressionCharacters + 1)") == true, "\(refused)")
    }

    @Test func aTimeZoneNameHasAtMostTheLimitOfCharacters() throws {
        // No IANA name is as long as the limit: one of its length is looked up (and unknown),
        // one longer is refused for its length.
        let name = { (n: Int) in "Europe/" + String(repeating: "x", count: n - 7) }
        let atLimit = try scheduleProblems(#"{"cron": "@daily", "time_zone": "\#(name(Limits.timeZoneCharacters))"}"#)
        #expect(atLimit.count == 1 && atLimit.first?.message.hasPrefix("unknown time zone ") == true, "\(atLimit)")
        let longer = try scheduleProblems(#"{"cron": "@daily", "time_zone": "\#(name(Limits.timeZoneCharacters + 1))"}"#)
        #expect(longer.map(\.path) == ["time_zone"])
        #expect(longer.map(\.message) == ["a time zone name has at most \(Limits.timeZoneCharacters) characters; this one has \(Limits.timeZoneCharacters + 1)"])
        #expect(try scheduleProblems(#"{"cron": "@daily", "time_zone": "America/Argentina/ComodRivadavia"}"#).isEmpty)
    }

    @Test func aCatchUpWindowIsAtMostTheLimit() throws {
        #expect(try scheduleProblems(#"{"cron": "@daily", "catchup_seconds": \#(Limits.scheduleCatchupSeconds)}"#).isEmpty)
        let refused = try scheduleProblems(#"{"cron": "@daily", "catchup_seconds": \#(Limits.scheduleCatchupSeconds + 1)}"#)
        #expect(refused.map(\.path) == ["catchup_seconds"])
        #expect(refused.map(\.message) == ["expected a catch-up window of 0 to \(Limits.scheduleCatchupSeconds) seconds, found \(Limits.scheduleCatchupSeconds + 1)"])
    }

    @Test func aRetentionPolicyKeepsAtMostTheLimitOfDaysAndExecutions() {
        let parse = { (json: String) in RetentionPolicy.parse(try! JSONParser.parse(json), path: "retention") }
        #expect(parse(#"{"days": \#(Limits.retentionDays)}"#).0?.days == Double(Limits.retentionDays))
        let days = parse(#"{"days": \#(Limits.retentionDays).5}"#).1
        #expect(days.map(\.path) == ["retention.days"])
        #expect(days.first?.message.hasPrefix("expected a number of days greater than 0 and at most \(Limits.retentionDays),") == true)
        #expect(parse(#"{"keep_last": \#(Limits.retentionKeepLast)}"#).0?.keepLast == Limits.retentionKeepLast)
        let keep = parse(#"{"keep_last": \#(Limits.retentionKeepLast + 1)}"#).1
        #expect(keep.map(\.path) == ["retention.keep_last"])
        #expect(keep.first?.message.hasPrefix("expected an integer from 1 to \(Limits.retentionKeepLast),") == true)
    }
}
