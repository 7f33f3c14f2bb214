import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceSteps
import SluiceStore
import SluiceTestSupport
import Testing

/// `Container.Run` on real podman containers, through the engine. Runs only with
/// SLUICE_TEST_PODMAN=1, as `.ci/podman` sets it up: the runtime's command line in
/// SLUICE_TEST_PODMAN_COMMAND, a local busybox image in SLUICE_TEST_PODMAN_IMAGE.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SLUICE_TEST_PODMAN"] == "1", "SLUICE_TEST_PODMAN=1 runs these (.ci/podman)"), .testStores)
struct PodmanContainerTests {
    static let environment = ProcessInfo.processInfo.environment
    static let command = (environment["SLUICE_TEST_PODMAN_COMMAND"] ?? "podman --runtime runc --cgroup-manager cgroupfs").split(separator: " ").map(String.init)
    static let image = JSONValue.string(environment["SLUICE_TEST_PODMAN_IMAGE"] ?? "localhost/sluice-test-busybox:latest")
    static let runtime = CLIContainerRuntime(flavor: .podman, command: command)
    static let registry = StepRegistry.standard(options: StandardStepOptions(httpClient: testHTTPClient, containers: ContainerOptions(runtime: runtime)))

    func withEngine<T: Sendable>(_ body: @Sendable (Engine) async throws -> T) async throws -> T {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: Self.registry, logger: logger)
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

    func start(_ engine: Engine, _ input: JSONValue, timeoutSeconds: Double? = nil) async throws -> String {
        var step: [(String, JSONValue)] = [("type", "Container.Run"), ("input", input)]
        if let timeoutSeconds { step.append(("timeout_seconds", .number(timeoutSeconds))) }
        let wf = try await engine.createWorkflow(["name": "podman", "steps": [.object(JSONObject(step))]])
        return try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "in"])).executionID
    }

    func finished(_ engine: Engine, _ id: String) async throws -> (ExecutionDetail, [String]) {
        var detail = try #require(try await engine.store.execution(id: id))
        for _ in 0..<60 where !detail.execution.status.isTerminal {
            await engine.waitUntilFinished(executionID: id, timeout: .seconds(1))
            detail = try #require(try await engine.store.execution(id: id))
        }
        return (detail, try await engine.store.logs(executionID: id, index: 0, after: 0, limit: 100).map(\.line))
    }

    /// The names of the containers podman has (running or not) that start with `prefix`.
    func containers(_ prefix: String) async throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = Self.command + ["ps", "--all", "--format", "{{.Names}}"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }

    @Test func aContainerRunsWithItsEnvironmentLimitsAndNoNetwork() async throws {
        try await withEngine { engine in
            let id = try await start(engine, [
                "image": Self.image, "command": ["sh", "-c"],
                "args": [#"echo "hi $WHO"; pwd; ls /sys/class/net; cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo warn >&2"#],
                "env": ["WHO": "podman"], "working_dir": "/tmp", "resources": ["limits": ["cpu": "500m", "memory": "64Mi"]],
            ])
            let (detail, lines) = try await finished(engine, id)
            #expect(detail.execution.status == .completed, "\(String(describing: detail.tasks.first?.error)) \(lines)")
            #expect(detail.execution.output == ["json": ["stdout": "hi podman\n/tmp\nlo\n67108864\n", "exit_code": 0, "result": "hi podman\n/tmp\nlo\n67108864"]])
            #expect(lines.first?.contains("run --rm --name sluice-\(id)-step-1-1 --replace --network none --cpus 0.5 --memory 67108864") == true, "\(lines)")
            #expect(lines.contains("stdout: hi podman") && lines.contains("stderr: warn"), "\(lines)")
            #expect(try await containers("sluice-\(id)").isEmpty, "--rm removed the container")
        }
    }

    /// `output_files` in a real container: a host file mounted at the path, read after the
    /// container exits (a directory the image does not have is made for it); a file the
    /// container did not write takes its default; nothing is left on the host.
    @Test func outputFilesAreReadFromTheContainer() async throws {
        try await withEngine { engine in
            let id = try await start(engine, [
                "image": Self.image, "command": ["sh", "-c", "echo hello > /tmp/hello.txt; echo -n deep > /out/deep/result"],
                "output_files": ["hello": "/tmp/hello.txt", "deep": "/out/deep/result", "none": "/tmp/none"], "output_defaults": ["none": "default"],
            ])
            let (detail, lines) = try await finished(engine, id)
            #expect(detail.execution.status == .completed, "\(String(describing: detail.tasks.first?.error)) \(lines)")
            #expect(detail.execution.output?["json"]?["files"] == ["hello": "hello", "deep": "deep", "none": "default"])
            let mounts = lines.first ?? ""
            #expect(mounts.contains("--volume ") && mounts.contains(":/tmp/hello.txt"), "\(lines)")
            let dirs = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("sluice-outputs-") }
            #expect(dirs.isEmpty, "the attempt's output directory was removed: \(dirs)")
        }
    }

    /// ★ Artifacts in real containers: a file and a directory written in one container are
    /// copied out after it exits (it runs without --rm, then is removed), saved in the store, and
    /// mounted into the next container at other paths; an optional one not written is left out;
    /// no container and no host copy is left.
    @Test func artifactsAreCopiedOutAndMountedIntoTheNextContainer() async throws {
        let dir = Scratch.root.appendingPathComponent("podman-artifacts-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = ArtifactStore(root: dir)
        let execution = "ex-podman-\(UInt32.random(in: 0...UInt32.max))"
        func run(_ stepID: String, _ parameters: JSONValue) async -> Result<JSONValue, StepFailure> {
            let context = StepContext(input: [:], parameters: parameters, executionID: execution, stepID: stepID, attempt: 1)
            do throws(StepFailure) {
                return .success(try await ContainerRunStep.run(context, runtime: Self.runtime, networkByDefault: false, artifacts: store))
            } catch {
                return .failure(error)
            }
        }
        let saved = await run("gen", [
            "image": Self.image, "command": ["sh", "-c", "echo hello > /tmp/report.txt; mkdir -p /out/tree/sub; echo a > /out/tree/a; echo b > /out/tree/sub/b"],
            "output_artifacts": ["report": ["path": "/tmp/report.txt"], "tree": ["path": "/out/tree"], "none": ["path": "/tmp/none", "optional": true]],
        ])
        let artifacts = saved.value?["json"]?["artifacts"]
        #expect(artifacts?["report"]?["type"] == "file")
        #expect(artifacts?["tree"]?["type"] == "directory")
        #expect(artifacts?["none"] == nil)
        #expect(try String(contentsOfFile: "\(dir)/\(execution)/gen/1/tree/sub/b", encoding: .utf8) == "b\n")
        let used = await run("use", [
            "image": Self.image, "command": ["sh", "-c", "cat /in/report.txt /data/tree/a /data/tree/sub/b /in/note; test -e /in/none || echo no-none"],
            "input_artifacts": ["report": ["path": "/in/report.txt", "from": "gen/1/report"], "tree": ["path": "/data/tree", "from": "gen/1/tree"],
                                "none": ["path": "/in/none", "from": "", "optional": true], "note": ["path": "/in/note", "raw": "noted\n"]],
        ])
        #expect(used.value?["json"]?["result"] == "hello\na\nb\nnoted\nno-none")
        let missing = await run("bad", ["image": Self.image, "command": ["true"], "output_artifacts": ["report": ["path": "/tmp/never"]]])
        guard case .failure(let failure) = missing else { Issue.record("expected a failure"); return }
        #expect(failure.message == "container \(Self.image.stringValue ?? "") did not write its output artifact /tmp/never (output_artifacts.report); write it, or mark it optional")
        #expect(try await containers("sluice-\(execution)").isEmpty, "each container was removed after the copy")
        let copies = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("sluice-artifacts-") }
        #expect(copies.isEmpty, "the attempts' host copies were removed: \(copies)")
    }

    @Test func argsWithoutACommandAScriptAndAFailingExitCode() async throws {
        try await withEngine { engine in
            // No command: the image has no entrypoint, so args replace its CMD and run.
            let (entry, _) = try await finished(engine, try await start(engine, ["image": Self.image, "args": ["sh", "-c", "echo args ran"]]))
            #expect(entry.execution.output?["json"]?["stdout"] == "args ran\n", "\(String(describing: entry.tasks.first?.error))")
            let (script, _) = try await finished(engine, try await start(engine, ["image": Self.image, "command": ["sh"], "source": "n=41\necho $((n + 1))\n"]))
            #expect(script.execution.output?["json"]?["stdout"] == "42\n", "\(String(describing: script.tasks.first?.error))")
            let (failed, lines) = try await finished(engine, try await start(engine, ["image": Self.image, "command": ["sh", "-c", "echo broken >&2; exit 7"]]))
            #expect(failed.execution.status == .failed)
            let message = failed.tasks[0].error?["message"]?.stringValue ?? ""
            #expect(message.contains("exited with code 7") && message.hasSuffix("broken"), "\(message)")
            #expect(lines.contains { $0.hasPrefix("exit code 7 after ") })
        }
    }

    @Test func aMissingImageIsTheRuntimesFailure() async throws {
        try await withEngine { engine in
            let (detail, _) = try await finished(engine, try await start(engine, ["image": "localhost/sluice-no-such-image:1", "command": ["true"], "pull": "never"]))
            let message = detail.tasks[0].error?["message"]?.stringValue ?? ""
            #expect(message.contains("podman could not run localhost/sluice-no-such-image:1 (it exited with code 125)"), "\(message)")
            #expect(message.contains("image not known"), "\(message)")
        }
    }

    /// Too much standard output stops the container (it ignores SIGTERM as PID 1) and removes it.
    @Test func moreOutputThanTheLimitStopsAndRemovesTheContainer() async throws {
        try await withEngine { engine in
            let id = try await start(engine, ["image": Self.image, "command": ["sh", "-c", "yes | head -c 100000; sleep 60"], "max_output_bytes": 1000, "kill_grace_seconds": 1])
            let (detail, _) = try await finished(engine, id)
            #expect(detail.tasks[0].error?["message"]?.stringValue?.contains("wrote more than max_output_bytes (1000 bytes)") == true, "\(String(describing: detail.tasks.first?.error))")
            #expect(try await containers("sluice-\(id)").isEmpty)
        }
    }

    /// A container whose shell ignores SIGTERM (as PID 1 does by default) is killed after the
    /// grace and removed, by a cancel or by its timeout.
    @Test func aCancelAndATimeoutKillAndRemoveTheContainer() async throws {
        try await withEngine { engine in
            let sleeper: JSONValue = ["image": Self.image, "command": ["sh", "-c", "echo started; sleep 60"], "kill_grace_seconds": 1]
            let id = try await start(engine, sleeper)
            for _ in 0..<300 {
                let lines = try await engine.store.logs(executionID: id, index: 0, after: 0, limit: 10).map(\.line)
                if lines.contains("stdout: started") { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await containers("sluice-\(id)").count == 1, "the container runs")
            let cancelledAt = ContinuousClock.now
            #expect(try await engine.cancelExecution(id).execution.status == .cancelled)
            var left = try await containers("sluice-\(id)")
            for _ in 0..<100 where !left.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                left = try await containers("sluice-\(id)")
            }
            #expect(left.isEmpty, "the container is gone")
            #expect(ContinuousClock.now - cancelledAt < .seconds(20), "killed after the grace, not after its 60 s")

            let timed = try await start(engine, sleeper, timeoutSeconds: 2)
            let (detail, _) = try await finished(engine, timed)
            #expect(detail.execution.status == .failed)
            #expect(detail.tasks[0].error?["message"]?.stringValue?.contains("timed out") == true)
            #expect(try await containers("sluice-\(timed)").isEmpty)
        }
    }
}
