import SluiceCore
import Testing

@testable import SluiceSteps

/// The limits of the steps with I/O at their edges (issue 21): the largest value `Limits`
/// allows is accepted when the workflow is created, one more is refused at its path; the
/// standard-error lines a `Process` logs stop at theirs. (Redirects: HTTPRequestStepTests'
/// `redirectsAreFollowedUpToFive`.)
@Suite struct StepLimitEdgeTests {
    func paths(_ type: String, _ input: String) throws -> [String] {
        let registry = StepRegistry.standard(options: .init(httpClient: testHTTPClient, enableProcess: true))
        let json = #"{"name": "w", "steps": [{"type": "\#(type)", "input": {\#(input)}}]}"#
        switch TypeChecker(registry: registry).check(json: try JSONParser.parse(json)) {
        case .success: return []
        case .failure(let f): return f.issues.map(\.path)
        }
    }

    /// `member` at `largest` is accepted and just past it refused at `steps[0].input.<member>`.
    func expectEdge(_ type: String, base: String, _ member: String, largest: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try paths(type, base + #", "\#(member)": \#(largest)"#) == [], sourceLocation: sourceLocation)
        let past = JSONValue.number(Double(largest).nextUp).jsonString
        #expect(try paths(type, base + #", "\#(member)": \#(past)"#) == ["steps[0].input.\(member)"], "\(past)", sourceLocation: sourceLocation)
        #expect(try paths(type, base + #", "\#(member)": \#(largest + 1)"#) == ["steps[0].input.\(member)"], sourceLocation: sourceLocation)
    }

    @Test func anHTTPRequestsTimeoutAndResponseSizeStayWithinTheirLimits() throws {
        let base = #""url": "https://example.com/x""#
        try expectEdge("HTTP.Request", base: base, "timeout_seconds", largest: Limits.httpMaxTimeoutSeconds)
        try expectEdge("HTTP.Request", base: base, "max_response_bytes", largest: Limits.httpMaxResponseBytes)
    }

    @Test func aProcesssTimeoutOutputAndGraceStayWithinTheirLimits() throws {
        let base = #""command": "echo""#
        try expectEdge("Process", base: base, "timeout_seconds", largest: Limits.processMaxTimeoutSeconds)
        try expectEdge("Process", base: base, "max_output_bytes", largest: Limits.processMaxOutputBytes)
        try expectEdge("Process", base: base, "kill_grace_seconds", largest: Limits.processMaxKillGraceSeconds)
    }

    @Test func aProcessLogsAtMostTheLimitOfStandardErrorLinesEachCutAtItsLimit() {
        let lines = LogLines()
        var stderr = StderrLines(log: lines.log)
        let text = Array((String(repeating: "e", count: Limits.processLineBytes) + "\n").utf8)
            + Array((String(repeating: "f", count: Limits.processLineBytes + 1) + "\n").utf8)
            + Array(String(repeating: "more\n", count: Limits.processLoggedLines).utf8)
        text.withUnsafeBytes { stderr.append($0) }
        stderr.finish()
        let logged = lines.all
        #expect(logged.count == Limits.processLoggedLines + 1, "the limit of lines, and one saying how many more")
        #expect(logged[0] == "stderr: " + String(repeating: "e", count: Limits.processLineBytes), "a line of the limit is whole")
        #expect(logged[1] == "stderr: " + String(repeating: "f", count: Limits.processLineBytes) + "…", "one byte more is cut")
        #expect(logged.last == "… 2 more standard error lines not logged")
    }
}
