import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceCore

/// `sluice bench`: runs the seed workflow N times through the HTTP API and prints throughput,
/// latency percentiles and the server's peak RSS. Figures, not a pass/fail test.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark a server with the seed workflow (StaticTextInput → Reverse → Echo).",
        discussion: """
            By default it starts `sluice serve` as a child process on a fresh SQLite database in a
            temporary directory, so the server's peak RSS can be read. Each execution is one
            POST /workflows/{id}/execute and one GET …?wait=30; latency runs from the POST to the
            COMPLETED answer.

            Example:
              swift run -c release sluice bench --executions 20000 --concurrency 64
            """
    )

    @Option(help: "Number of executions to run.")
    var executions: Int = 10000

    @Option(help: "Number of executions in flight at once.")
    var concurrency: Int = 64

    @Option(help: "Executions run first and not measured.")
    var warmup: Int = 500

    @Option(help: "Benchmark an already running server at this URL instead of starting one.")
    var server: String?

    @Option(help: "Database of the server the benchmark starts (default: a fresh sqlite file in a temp dir).")
    var database: String?

    func validate() throws {
        if executions < 1 { throw ValidationError("--executions must be at least 1") }
        if concurrency < 1 || concurrency > 4096 { throw ValidationError("--concurrency must be from 1 to 4096") }
        if warmup < 0 { throw ValidationError("--warmup must be 0 or more") }
    }

    func run() async throws {
        var child: Process?
        var tempDir: URL?
        let baseURL: String
        if let server {
            baseURL = server.hasSuffix("/") ? String(server.dropLast()) : server
        } else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            tempDir = dir
            let db = database ?? "sqlite:\(dir.path)/bench.db"
            let (process, url) = try startServer(database: db)
            child = process
            baseURL = url
            print("server: pid \(process.processIdentifier), \(db)")
        }
        defer {
            if let child, child.isRunning { child.terminate(); child.waitUntilExit() }
            if let tempDir { try? FileManager.default.removeItem(at: tempDir) }
        }

        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            let workflowID = try await createWorkflow(client, baseURL)
            if warmup > 0 { _ = try await runExecutions(client, baseURL, workflowID, count: warmup) }
            let started = ContinuousClock.now
            let latencies = try await runExecutions(client, baseURL, workflowID, count: executions)
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let sorted = latencies.sorted()
            func pct(_ p: Double) -> String {
                let v = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
                return String(format: "%.2f ms", v * 1000)
            }
            print("executions:     \(executions) (concurrency \(concurrency), warm-up \(warmup))")
            print(String(format: "executions/s:   %.0f", Double(executions) / seconds))
            print(String(format: "tasks/s:        %.0f", Double(executions * 3) / seconds))
            print("latency p50:    \(pct(0.50))")
            print("latency p95:    \(pct(0.95))")
            print("latency p99:    \(pct(0.99))")
            if let child { print("server peak RSS: \(peakRSS(pid: child.processIdentifier))") }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func startServer(database: String) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["serve", "--port", "0", "--database", database, "--log-level", "warning"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let handle = pipe.fileHandleForReading
        var buffer = Data()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("sluice listening on ") }) {
                return (process, String(line.dropFirst("sluice listening on ".count)))
            }
        }
        process.terminate()
        throw ValidationError("the benchmark server did not start; output: \(String(decoding: buffer, as: UTF8.self))")
    }

    func createWorkflow(_ client: HTTPClient, _ base: String) async throws -> String {
        let body = #"{"name":"Dummy Workflow","steps":[{"type":"StaticTextInput","input":"Hello, world!"},{"type":"TextOperation.Reverse"},{"type":"Echo"}]}"#
        let (status, json) = try await send(client, "POST", "\(base)/workflows", body: body)
        guard status == 201, let id = json["workflow_id"]?.stringValue else { throw ValidationError("creating the workflow failed: \(status) \(json.jsonString)") }
        return id
    }

    func runExecutions(_ client: HTTPClient, _ base: String, _ workflowID: String, count: Int) async throws -> [Double] {
        let next = Counter()
        return try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<min(concurrency, count) {
                group.addTask {
                    var latencies: [Double] = []
                    while next.take(below: count) {
                        let start = ContinuousClock.now
                        let (s1, created) = try await send(client, "POST", "\(base)/workflows/\(workflowID)/execute", body: "{}")
                        guard s1 == 202, let id = created["execution_id"]?.stringValue else { throw ValidationError("execute failed: \(s1) \(created.jsonString)") }
                        let (s2, done) = try await send(client, "GET", "\(base)/workflows/\(workflowID)/executions/\(id)?wait=30", body: nil)
                        guard s2 == 200, done["status"]?.stringValue == "COMPLETED" else { throw ValidationError("execution \(id) did not complete: \(s2) \(done.jsonString)") }
                        let d = ContinuousClock.now - start
                        latencies.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
    }

    func send(_ client: HTTPClient, _ method: String, _ url: String, body: String?) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = .RAW(value: method)
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        let json = (try? JSONParser.parse(Array(bytes.readableBytesView))) ?? .null
        return (Int(response.status.code), json)
    }

    func peakRSS(pid: Int32) -> String {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return "unknown" }
        return line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces)
    }
}

/// Hands out execution slots to the benchmark's workers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take(below limit: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return false }
        value += 1
        return true
    }
}
