import SluiceCore
import Testing

@testable import SluiceSteps

/// The limits of the steps with I/O at their edges (issue 21): the largest value `Limits`
/// allows is accepted when the workflow is created, one more is refused at its path; the
/// standard-error lines a `Process` logs stop at theirs. (Redirects: HTTPRequestStepTests'
/// `redirectsAreFollowedUpToFive`.)
@Suite struct StepLimitEdgeTests {
    func paths(_ type: String, _ input: String) throws -> [String] {
        let registry = StepRegistry.standard(options: .init(httpClient: testHTTPClient, enableProcess: true, containers: ContainerOptions(runtime: ProcessContainerRuntime())))
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

    @Test func aContainerRunsTimeoutOutputAndGraceStayWithinTheirLimits() throws {
        let base = #""image": "busybox", "command": ["true"]"#
        try expectEdge("Container.Run", base: base, "timeout_seconds", largest: Limits.containerMaxTimeoutSeconds)
        try expectEdge("Container.Run", base: base, "max_output_bytes", largest: Limits.containerMaxOutputBytes)
        try expectEdge("Container.Run", base: base, "kill_grace_seconds", largest: Limits.containerMaxKillGraceSeconds)
    }

    @Test func aContainerLogsAtMostTheLimitOfLinesOfEachStreamEachCutAtItsLimit() {
        let lines = LogLines()
        let capture = OutputCapture(limit: 1 << 26, logStandardOutput: true, log: lines.log, maxLoggedLines: Limits.containerLoggedLines, maxLineBytes: Limits.containerLineBytes)
        let long = Array((String(repeating: "e", count: Limits.containerLineBytes) + "\n" + String(repeating: "f", count: Limits.containerLineBytes + 1) + "\n").utf8)
        let more = Array(String(repeating: "more\n", count: Limits.containerLoggedLines).utf8)
        for bytes in [long, more] {
            #expect(bytes.withUnsafeBytes { capture.standardOutput($0) })
            bytes.withUnsafeBytes { capture.standardError($0) }
        }
        capture.finish()
        let logged = lines.all
        for stream in ["stdout", "stderr"] {
            let mine = logged.filter { $0.hasPrefix(stream + ": ") }
            #expect(mine.count == Limits.containerLoggedLines, "\(stream): the limit of lines")
            #expect(mine.first == "\(stream): " + String(repeating: "e", count: Limits.containerLineBytes), "a line of the limit is whole")
            #expect(mine.dropFirst().first == "\(stream): " + String(repeating: "f", count: Limits.containerLineBytes) + "…", "one byte more is cut")
        }
        #expect(logged.suffix(2) == ["… 2 more standard output lines not logged", "… 2 more standard error lines not logged"])
        #expect(capture.stdout.count == long.count + more.count, "what is not logged is still the output")
    }

    @Test func aProcessLogsAtMostTheLimitOfStandardErrorLinesEachCutAtItsLimit() {
        let lines = LogLines()
        var stderr = OutputLines(log: lines.log)
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
