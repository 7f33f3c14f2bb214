import AsyncHTTPClient
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SluiceCore
import SluiceSteps
import Synchronization

/// `sluice bench --argo`: Argo hello-world Workflows (one container, `echo hello`) through the
/// Argo API, on the servers' container runtime (`--container-runtime`, as `sluice serve` takes
/// it).
///
/// 1. The runtime's own run: the same container run directly (`podman run --rm … IMAGE echo
///    hello` with the servers' command line and flags, or `echo hello` for `process`),
///    `--latency-samples` times one after another; its median.
/// 2. Workflows: `--executions` submitted with `POST /api/v1/workflows/default`, `--concurrency`
///    at a time, each counted done when the watch (`GET /api/v1/workflow-events/default`)
///    reports it `Succeeded`: workflows/s and latency from the submit to that report. With
///    `--concurrency 1`, the median latency less the runtime's own median is the overhead per
///    task that Sluice adds (submit, store, schedule, start, collect the output, report).
extension Bench {
    /// Waiters on workflows by name, released by the watch.
    final class ArgoWatch: Sendable {
        struct State {
            var waiting: [String: CheckedContinuation<String, Never>] = [:]
            var ended: [String: String] = [:]
        }
        let state = Mutex(State())
        /// The next workflow a submitter takes.
        let next = Atomic<Int>(0)

        func ended(_ name: String, phase: String) {
            let waiter = state.withLock { s -> CheckedContinuation<String, Never>? in
                if let w = s.waiting.removeValue(forKey: name) { return w }
                s.ended[name] = phase
                return nil
            }
            waiter?.resume(returning: phase)
        }

        func wait(for name: String) async -> String {
            await withCheckedContinuation { continuation in
                let phase = state.withLock { s -> String? in
                    if let p = s.ended.removeValue(forKey: name) { return p }
                    s.waiting[name] = continuation
                    return nil
                }
                if let phase { continuation.resume(returning: phase) }
            }
        }
    }

    func measureArgo(bases: [String]) async throws {
        let image = argoImage
        let samples = min(latencySamples, 200)
        let own = try runtimeOwnRun(image: image, samples: samples)
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency + 4)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        let watch = ArgoWatch()
        let watcher = Task {
            var request = HTTPClientRequest(url: "\(bases[0])/api/v1/workflow-events/default")
            if let bearer { request.headers.add(name: "authorization", value: "Bearer \(bearer)") }
            let response = try await client.execute(request, timeout: .hours(24))
            var pending = Data()
            for try await chunk in response.body {
                pending.append(contentsOf: chunk.readableBytesView)
                while let newline = pending.firstIndex(of: 10) {
                    let line = pending[pending.startIndex..<newline]
                    pending.removeSubrange(pending.startIndex...newline)
                    guard let event = try? JSONParser.parse(Array(line)), let object = event["result"]?["object"],
                          let name = object["metadata"]?["name"]?.stringValue, let phase = object["status"]?["phase"]?.stringValue,
                          ["Succeeded", "Failed", "Error"].contains(phase) else { continue }
                    watch.ended(name, phase: phase)
                }
            }
        }
        do {
            let body = #"{"workflow":{"metadata":{"generateName":"hello-"},"spec":{"entrypoint":"main","templates":[{"name":"main","container":{"image":"\#(image)","command":["echo"],"args":["hello"]}}]}}}"#
            func run(_ count: Int) async throws -> [Double] {
                watch.next.store(0, ordering: .relaxed)
                return try await withThrowingTaskGroup(of: [Double].self) { group in
                    for c in 0..<min(concurrency, count) {
                        group.addTask {
                            var latencies: [Double] = []
                            while watch.next.add(1, ordering: .relaxed).oldValue < count {
                                let started = ContinuousClock.now
                                let (status, created) = try await send(client, "POST", "\(bases[c % bases.count])/api/v1/workflows/default", body: body)
                                guard status == 200, let name = created["metadata"]?["name"]?.stringValue else {
                                    throw ValidationError("submitting the workflow failed: \(status) \(created.jsonString.prefix(500))")
                                }
                                let phase = await watch.wait(for: name)
                                guard phase == "Succeeded" else { throw ValidationError("workflow \(name) ended \(phase), not Succeeded") }
                                latencies.append(Self.seconds(ContinuousClock.now - started))
                            }
                            return latencies
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            if warmup > 0 { _ = try await run(warmup) }
            let began = ContinuousClock.now
            let latencies = try await run(executions).sorted()
            let seconds = Self.seconds(ContinuousClock.now - began)
            func pct(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            print("runtime:        \(own.runtime) (image \(image))")
            print(String(format: "runtime's own run: p50 %.2f ms (%d runs one after another: %@)", own.p50 * 1000, samples, own.commandLine))
            print("workflows:      \(executions) hello-world (concurrency \(concurrency), warm-up \(warmup))")
            print(String(format: "workflows/s:    %.1f", Double(executions) / seconds))
            print(String(format: "latency p50:    %.2f ms (submit to Succeeded in the watch)", pct(0.5) * 1000))
            print(String(format: "latency p99:    %.2f ms", pct(0.99) * 1000))
            if concurrency == 1 {
                print(String(format: "overhead/task:  %.2f ms (latency p50 less the runtime's own run p50)", (pct(0.5) - own.p50) * 1000))
            }
        } catch {
            watcher.cancel()
            try? await client.shutdown()
            throw error
        }
        watcher.cancel()
        _ = await watcher.result
        try await client.shutdown()
    }

    /// The image the hello-world runs (`--image`; for the process runtime it is only recorded).
    var argoImage: String { image ?? "busybox" }

    /// The container run straight through the runtime the servers use, `samples` times one
    /// after another: its median time, the runtime's name and the command line.
    func runtimeOwnRun(image: String, samples: Int) throws -> (p50: Double, runtime: String, commandLine: String) {
        let options = try containerFlags.options(environment: ProcessInfo.processInfo.environment)
        guard let runtime = options.runtime else { throw ValidationError("--argo runs containers: \(options.unavailableReason)") }
        var arguments: [String]
        if let cli = runtime as? CLIContainerRuntime {
            var spec = ContainerSpec(name: "sluice-bench-own", image: image)
            spec.command = ["echo"]
            spec.args = ["hello"]
            arguments = cli.command
            var times: [Double] = []
            for i in 0..<samples {
                spec.name = "sluice-bench-own-\(i)-\(UUID().uuidString.prefix(8).lowercased())"
                arguments = cli.command + cli.runArguments(spec)
                times.append(try Self.timeRun(arguments))
            }
            return (times.sorted()[times.count / 2], cli.name, arguments.joined(separator: " "))
        }
        arguments = ["echo", "hello"]
        let times = try (0..<samples).map { _ in try Self.timeRun(arguments) }.sorted()
        return (times[times.count / 2], runtime.name, "echo hello on this host")
    }

    /// Runs `arguments` (a program and its arguments, looked up in PATH) to its end, its output
    /// discarded; its seconds. With `posix_spawnp` and `waitpid`: Foundation's `waitUntilExit`
    /// polls every 50 ms, which would be most of what is measured.
    static func timeRun(_ arguments: [String]) throws -> Double {
        let program = arguments.first == "/usr/bin/env" ? Array(arguments.dropFirst()) : arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = program.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let started = ContinuousClock.now
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, program[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw ValidationError("cannot run \(program[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let elapsed = seconds(ContinuousClock.now - started)
        // Exited normally with status 0 (WIFEXITED and WEXITSTATUS, which Swift does not import).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { throw ValidationError("\(program.joined(separator: " ")) failed (wait status \(status))") }
        return elapsed
    }
}
