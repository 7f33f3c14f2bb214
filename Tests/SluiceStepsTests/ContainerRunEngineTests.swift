#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceSteps
import SluiceStore
import SluiceTestSupport
import Testing

/// `Container.Run` on the `process` runtime, through the engine: its output, a failing exit
/// code, its log lines as they come, and a timeout or a cancel that leaves nothing running.
@Suite(.testStores) struct ContainerRunEngineTests {
    static let registry = StepRegistry.standard(options: StandardStepOptions(httpClient: testHTTPClient, containers: ContainerOptions(runtime: ProcessContainerRuntime())))

    func withEngine<T: Sendable>(registry: StepRegistry = Self.registry, _ body: @Sendable (Engine) async throws -> T) async throws -> T {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: registry, logger: logger)
        let group = ServiceGroup(services: [engine], logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            defer { tasks.cancelAll() }
            let result = try await body(engine)
            await group.triggerGracefulShutdown()
            for try await _ in tasks {}
            return result
        }
    }

    /// Runs a one-step workflow of `step` with input `{"text": "in"}` to its end.
    func execute(_ engine: Engine, _ step: JSONValue) async throws -> (ExecutionDetail, [String]) {
        let wf = try await engine.createWorkflow(["name": "c", "steps": [step]])
        let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "in"]))
        var detail = try #require(try await engine.store.execution(id: started.executionID))
        for _ in 0..<30 where !detail.execution.status.isTerminal {
            await engine.waitUntilFinished(executionID: started.executionID, timeout: .seconds(1))
            detail = try #require(try await engine.store.execution(id: started.executionID))
        }
        let lines = try await engine.store.logs(executionID: started.executionID, index: 0, after: 0, limit: 100).map(\.line)
        return (detail, lines)
    }

    @Test func theOutputIsStandardOutputAndTheExitCodeAndBothStreamsAreLogged() async throws {
        try await withEngine { engine in
            let (detail, lines) = try await execute(engine, ["type": "Container.Run", "input": [
                "image": "busybox", "command": ["sh", "-c"], "args": [#"echo "hello $WHO"; echo careful >&2; pwd"#],
                "env": ["WHO": "world"], "working_dir": "/tmp", "resources": ["limits": ["cpu": "500m", "memory": "64Mi"]],
            ]])
            #expect(detail.execution.status == .completed, "\(String(describing: detail.tasks.first?.error))")
            #expect(detail.execution.output == ["json": ["stdout": "hello world\n/tmp\n", "exit_code": 0, "result": "hello world\n/tmp"]])
            #expect(lines.first == "process runtime: image busybox recorded, not used; not applied: resource limits, network none")
            #expect(lines.contains(#"$ sh -c 'echo "hello $WHO"; echo careful >&2; pwd'"#), "\(lines)")
            #expect(lines.contains("stdout: hello world"))
            #expect(lines.contains("stderr: careful"))
            #expect(lines.last?.hasPrefix("exit code 0 after ") == true, "\(lines)")
        }
    }

    /// `--max-processes 1`: two containers of parallel tasks run one after the other (their
    /// marks in a shared file never interleave), and the one that waited says so in its log.
    @Test func containersPastTheProcessLimitWaitForASlotAndLogTheWait() async throws {
        let registry = StepRegistry.standard(options: StandardStepOptions(httpClient: testHTTPClient, containers: ContainerOptions(runtime: ProcessContainerRuntime(), slots: ProcessSlots(limit: 1))))
        let marks = Scratch.root.appendingPathComponent("slots-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: marks) }
        try await withEngine(registry: registry) { engine in
            func task(_ id: String) -> JSONValue {
                ["id": .string(id), "type": "Container.Run", "input": ["image": "busybox", "command": ["sh", "-c", .string("echo start >> \(marks); sleep 0.2; echo end >> \(marks)")]]]
            }
            let wf = try await engine.createWorkflow(["name": "two", "tasks": [task("a"), task("b")]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: [:]))
            var detail = try #require(try await engine.store.execution(id: started.executionID))
            for _ in 0..<30 where !detail.execution.status.isTerminal {
                await engine.waitUntilFinished(executionID: started.executionID, timeout: .seconds(1))
                detail = try #require(try await engine.store.execution(id: started.executionID))
            }
            #expect(detail.execution.status == .completed)
            #expect(try String(contentsOfFile: marks, encoding: .utf8) == "start\nend\nstart\nend\n")
            var waited: [String] = []
            for index in 0..<2 {
                let lines = try await engine.store.logs(executionID: started.executionID, index: index, after: 0, limit: 100).map(\.line)
                waited += lines.filter { $0.hasPrefix("waited ") }
            }
            #expect(waited.count == 1, "\(waited)")
            #expect(waited.first?.hasSuffix("for one of the 1 process slots (--max-processes)") == true, "\(waited)")
        }
    }

    /// `output_files`: a file the container wrote is in the output's `files` (one trailing line
    /// end removed); one it did not write takes its `output_defaults` text, or fails the step
    /// saying which. (On the process runtime the paths are the host's own.)
    @Test func outputFilesAreReadAfterTheContainerExits() async throws {
        let dir = Scratch.root.appendingPathComponent("outputs-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A file left from before the run is not something this run wrote.
        try "stale\n".write(toFile: "\(dir)/stale.txt", atomically: false, encoding: .utf8)
        try await withEngine { engine in
            let (written, _) = try await execute(engine, ["type": "Container.Run", "input": [
                "image": "busybox", "command": ["sh", "-c", .string("echo hello > \(dir)/greeting.txt; printf 'a\\nb' > \(dir)/two.txt")],
                "output_files": ["greeting": .string("\(dir)/greeting.txt"), "two": .string("\(dir)/two.txt"), "stale": .string("\(dir)/stale.txt")],
                "output_defaults": ["stale": "fallback"],
            ]])
            #expect(written.execution.status == .completed, "\(String(describing: written.tasks.first?.error))")
            #expect(written.execution.output?["json"]?["files"] == ["greeting": "hello", "two": "a\nb", "stale": "fallback"])
            let (missing, _) = try await execute(engine, ["type": "Container.Run", "input": [
                "image": "busybox", "command": ["true"], "output_files": ["result": .string("\(dir)/never.txt")],
            ]])
            #expect(missing.execution.status == .failed)
            let message = missing.tasks[0].error?["message"]?.stringValue ?? ""
            #expect(message == "container busybox did not write its output file \(dir)/never.txt (output_files.result); write it, or give output_defaults.result", "\(message)")
            // At most container_output_file_bytes in a file.
            let size = Limits.containerOutputFileBytes
            let (full, _) = try await execute(engine, ["type": "Container.Run", "input": [
                "image": "busybox", "command": ["sh", "-c", .string("head -c \(size) /dev/zero | tr '\\0' x > \(dir)/full; head -c \(size + 1) /dev/zero > \(dir)/over")],
                "output_files": ["full": .string("\(dir)/full")],
            ]])
            #expect(full.execution.output?["json"]?["files"]?["full"]?.stringValue?.utf8.count == size)
            let (over, _) = try await execute(engine, ["type": "Container.Run", "input": [
                "image": "busybox", "command": ["sh", "-c", .string("head -c \(size + 1) /dev/zero > \(dir)/over")],
                "output_files": ["over": .string("\(dir)/over")],
            ]])
            #expect(over.tasks[0].error?["message"]?.stringValue == "container busybox's output file \(dir)/over (output_files.over) could not be read or holds more than \(size) bytes")
        }
    }

    @Test func aScriptsSourceGoesToTheInterpreterAndStdinCanCarryTheInput() async throws {
        try await withEngine { engine in
            let (script, _) = try await execute(engine, ["type": "Container.Run", "input": ["image": "busybox", "command": ["sh"], "source": "x=20\necho $((x + 1))\n"]])
            #expect(script.execution.output?["json"]?["stdout"] == "21\n")
            let (piped, _) = try await execute(engine, ["type": "Container.Run", "input": ["image": "busybox", "command": ["cat"], "stdin": "input"]])
            #expect(piped.execution.output?["json"]?["stdout"] == "in")
        }
    }

    @Test func aNonZeroExitFailsWithItsCodeAndLastErrorLinesAndIsRetried() async throws {
        try await withEngine { engine in
            let (detail, lines) = try await execute(engine, [
                "type": "Container.Run", "input": ["image": "busybox", "command": ["sh", "-c", "echo first >&2; echo it broke >&2; exit 3"]],
                "retry": ["max_attempts": 2, "backoff": ["initial_seconds": 0.01, "max_seconds": 0.02]],
            ])
            #expect(detail.execution.status == .failed)
            let message = detail.tasks[0].error?["message"]?.stringValue ?? ""
            #expect(message.contains("container busybox exited with code 3; expected 0 (success_exit_codes)"), "\(message)")
            #expect(message.hasSuffix("last standard error lines:\nfirst\nit broke"), "\(message)")
            #expect(detail.tasks[0].attempts.count == 2, "a non-zero exit is retryable by default")
            #expect(lines.contains("exit code 3 after ") == false && lines.contains { $0.hasPrefix("exit code 3 after ") })
            let (allowed, _) = try await execute(engine, ["type": "Container.Run", "input": ["image": "b", "command": ["sh", "-c", "exit 1"], "success_exit_codes": [0, 1]]])
            #expect(allowed.execution.output == ["json": ["stdout": "", "exit_code": 1, "result": ""]])
            let (final, _) = try await execute(engine, [
                "type": "Container.Run", "input": ["image": "b", "command": ["sh", "-c", "exit 2"], "retryable_exit_codes": [75]],
                "retry": ["max_attempts": 3, "backoff": ["initial_seconds": 0.01, "max_seconds": 0.02]],
            ])
            #expect(final.tasks[0].attempts.count == 1, "only the codes named are retried")
        }
    }

    @Test func moreOutputThanTheLimitStopsTheContainer() async throws {
        try await withEngine { engine in
            let (detail, _) = try await execute(engine, ["type": "Container.Run", "input": [
                "image": "b", "command": ["sh", "-c", "yes | head -c 100000; sleep 30"], "max_output_bytes": 1000, "kill_grace_seconds": 1,
            ]])
            #expect(detail.execution.status == .failed)
            #expect(detail.tasks[0].error?["message"]?.stringValue?.contains("wrote more than max_output_bytes (1000 bytes)") == true)
        }
    }

    /// Starts a container whose shell writes its pid to a file and leaves a child in its process
    /// group, then returns the execution id and both pids once they are running.
    func startSleeper(_ engine: Engine, _ step: JSONValue) async throws -> (String, [pid_t]) {
        let wf = try await engine.createWorkflow(["name": "c", "steps": [step]])
        let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"]))
        let marker = try #require(step["input"]?["env"]?["MARKER"]?.stringValue)
        var pids: [pid_t] = []
        for _ in 0..<500 where pids.count < 2 {
            pids = ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
            if pids.count < 2 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(pids.count == 2, "the container's shell and its child started")
        return (started.executionID, pids)
    }

    /// A step whose shell leaves `sleep 30` in its process group and writes both pids to a file.
    func sleeper(timeoutSeconds: Double? = nil) -> JSONValue {
        let marker = Scratch.root.appendingPathComponent("sluice-container-\(UUID().uuidString)").path
        var input: JSONValue = [
            "image": "b", "command": ["sh", "-c", #"sleep 30 & echo $! > "$MARKER.tmp"; echo $$ >> "$MARKER.tmp"; mv "$MARKER.tmp" "$MARKER"; wait"#],
            "env": ["MARKER": .string(marker)], "kill_grace_seconds": 1,
        ]
        if let timeoutSeconds, case .object(var o) = input {
            o["timeout_seconds"] = .number(timeoutSeconds)
            input = .object(o)
        }
        return ["type": "Container.Run", "input": input]
    }

    func expectGone(_ pids: [pid_t]) async throws {
        var alive = pids
        for _ in 0..<300 where !alive.isEmpty {
            alive = alive.filter { kill($0, 0) == 0 }
            if !alive.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(alive.isEmpty, "processes \(alive) are still running")
    }

    @Test func cancellingTheExecutionKillsTheContainerAndLeavesNothingRunning() async throws {
        try await withEngine { engine in
            let (id, pids) = try await startSleeper(engine, sleeper())
            let cancelled = try await engine.cancelExecution(id)
            #expect(cancelled.execution.status == .cancelled)
            try await expectGone(pids)
        }
    }

    @Test func aTimeoutKillsTheContainerAndFailsTheTask() async throws {
        try await withEngine { engine in
            let (id, pids) = try await startSleeper(engine, sleeper(timeoutSeconds: 1))
            try await expectGone(pids)
            await engine.waitUntilFinished(executionID: id, timeout: .seconds(10))
            let detail = try #require(try await engine.store.execution(id: id))
            #expect(detail.execution.status == .failed)
            #expect(detail.tasks[0].error?["message"]?.stringValue?.contains("timed out after 1 s (timeout_seconds)") == true)
        }
    }
}
