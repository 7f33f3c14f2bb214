#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore
import SluiceSteps
import Testing
import SluiceTestSupport

@Suite struct ProcessStepTests {
    func run(_ parameters: JSONValue, input: JSONValue = .object(JSONObject()), log: LogLines = LogLines()) async throws(StepFailure) -> JSONValue {
        let context = StepContext(input: input, parameters: parameters, executionID: "e", stepID: "step-1", log: log.log)
        return try await ProcessStep.run(context, environment: ProcessStep.inheritedEnvironment())
    }

    @Test func standardOutputIsTheOutputText() async throws {
        let log = LogLines()
        let out = try await run(["command": "echo", "args": ["hello", "world"]], log: log)
        #expect(out == ["text": "hello world\n"])
        #expect(log.all.first == "$ echo hello world")
        #expect(log.all.contains { $0.hasPrefix("exit code 0 after ") })
    }

    @Test func absolutePathsRunToo() async throws {
        #expect(try await run(["command": "/bin/echo", "args": ["x"]]) == ["text": "x\n"])
    }

    @Test func standardInputIsTheInputTextOrItsJSON() async throws {
        #expect(try await run(["command": "cat"], input: ["text": "from input"]) == ["text": "from input"])
        #expect(try await run(["command": "cat"], input: ["number": 3]) == ["text": #"{"number":3}"#])
        #expect(try await run(["command": "cat", "stdin": "none"], input: ["text": "ignored"]) == ["text": ""])
    }

    @Test func environmentAndWorkingDirectoryAreApplied() async throws {
        let out = try await run([
            "command": "sh", "args": ["-c", #"echo "$GREETING"; echo "${HOME-unset}"; pwd"#],
            "env": ["GREETING": "hi"], "cwd": "/tmp",
        ])
        #expect(out == ["text": "hi\nunset\n/tmp\n"])
    }

    @Test func nonZeroExitFailsWithTheStandardErrorTail() async throws {
        let log = LogLines()
        let f = await failure { () async throws(StepFailure) in
            try await run(["command": "sh", "args": ["-c", "echo first >&2; echo second problem >&2; exit 3"]], log: log)
        }
        #expect(f?.message.contains("exited with code 3") == true)
        #expect(f?.message.contains("second problem") == true)
        #expect(f?.retryable == false)
        #expect(log.all.contains("stderr: first"))
        #expect(log.all.contains { $0.hasPrefix("exit code 3 after ") })
        let retryable = await failure { () async throws(StepFailure) in
            try await run(["command": "sh", "args": ["-c", "exit 75"], "retryable_exit_codes": [75]])
        }
        #expect(retryable?.retryable == true)
        #expect(try await run(["command": "sh", "args": ["-c", "exit 1"], "success_exit_codes": [0, 1]]) == ["text": ""])
    }

    @Test func outputBeyondTheLimitFails() async throws {
        let f = await failure { () async throws(StepFailure) in
            try await run(["command": "sh", "args": ["-c", "yes | head -c 100000; sleep 5"], "max_output_bytes": 1000, "kill_grace_seconds": 1])
        }
        #expect(f?.message.contains("more than max_output_bytes (1000 bytes)") == true)
        #expect(try await run(["command": "printf", "args": ["12345"], "max_output_bytes": 5]) == ["text": "12345"])
    }

    @Test func unknownCommandSaysWhereItLooked() async throws {
        let f = await failure { () async throws(StepFailure) in try await run(["command": "no-such-command-sluice"]) }
        #expect(f?.message.contains("was not found in PATH") == true)
    }

    @Test func timeoutStopsTheProcess() async throws {
        let started = ContinuousClock.now
        let f = await failure { () async throws(StepFailure) in try await run(["command": "sleep", "args": ["300"], "timeout_seconds": 0.5]) }
        #expect(f?.message.contains("timed out after 0.5 s") == true)
        // Far below the 300 s the command would take: a loaded CI machine once needed 21 s to
        // start and stop it, so the bound only tells "stopped" from "waited for".
        #expect(ContinuousClock.now - started < .seconds(150), "the process was stopped, not waited for")
    }

    /// Starts `script` under `sh -c` in a Swift task, waits until it wrote its pid, cancels the
    /// task, and returns how long the task took to finish after the cancel, and the shell's pid.
    func cancel(script: String, grace: Double) async throws -> (Duration, pid_t) {
        let dir = Scratch.root.appendingPathComponent("sluice-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pidFile = dir.appendingPathComponent("pid").path
        let parameters: JSONValue = ["command": "sh", "args": ["-c", .string(script.replacingOccurrences(of: "PIDFILE", with: pidFile))], "kill_grace_seconds": .number(grace)]
        let task = Task { () async throws(StepFailure) -> JSONValue in try await run(parameters) }
        var pid: pid_t?
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let p = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                pid = p
                break
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        let shell = try #require(pid, "the command did not start")
        try await Task.sleep(for: .milliseconds(100))  // let the shell reach its trap and sleep
        let cancelled = ContinuousClock.now
        task.cancel()
        let result = await task.result
        let took = ContinuousClock.now - cancelled
        if case .success(let value) = result { Issue.record("expected a cancelled step to fail, it produced \(value.preview)") }
        return (took, shell)
    }

    @Test func cancellingKillsAProcessThatIgnoresSIGTERMAfterTheGracePeriod() async throws {
        let (took, pid) = try await cancel(script: #"trap "" TERM; echo $$ > PIDFILE; sleep 30"#, grace: 1)
        #expect(took >= .milliseconds(900))
        #expect(took < .seconds(10), "killed after the 1 s grace, not after the 30 s sleep")
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "the process is still running")
    }

    @Test func cancellingStopsAProcessThatExitsOnSIGTERMAtOnce() async throws {
        let (took, pid) = try await cancel(script: "echo $$ > PIDFILE; sleep 30", grace: 10)
        #expect(took < .seconds(8), "stopped by SIGTERM, not killed after the 10 s grace")
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "the process is still running")
    }
}
