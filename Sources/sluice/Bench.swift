import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SluiceCore
import SluicePostgres
import SluiceStore

/// `sluice bench`: runs the seed workflow N times through the HTTP API and prints throughput,
/// latency percentiles and the servers' peak RSS. Figures, not a pass/fail test.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark a server with the seed workflow (StaticTextInput → Reverse → Echo).",
        discussion: """
            By default it starts `sluice serve` as a child process on a fresh SQLite database in a
            temporary directory, so the server's peak RSS can be read. Each execution is one
            POST /workflows/{id}/execute and one GET …?wait=30; latency runs from the POST to the
            COMPLETED answer. The load runs on one thread over plain keep-alive HTTP/1.1
            connections, one per concurrent execution, so that the benchmark leaves the CPU to the
            servers.

            With --database postgres://…, each run gets a schema of its own
            (search_path=sluice_bench_<random hex>, replacing one given in the URL), created
            before the servers start and dropped when the run ends, also when it fails: runs on
            one database do not see each other's data.

            --nodes N (PostgreSQL only) starts N servers on that schema and sends the executions
            to them in turn; an execution's POST and its GET ?wait go to the same server, while
            any node may run it. It prints each node's pid and URL, the same summary figures,
            and each node's peak RSS and how many of the measured executions it ran.

            The servers' standard error (at --log-level warning) goes to files in the temporary
            directory. When the run fails, or a server logged anything, the directory is kept
            (without the SQLite database) and its path printed on standard error.

            Examples:
              swift run -c release sluice bench --executions 20000 --concurrency 64
              sluice bench --database postgres://postgres@127.0.0.1:5432/postgres --nodes 2
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

    @Option(help: "Database of the servers the benchmark starts (default: a fresh sqlite file in a temp dir; postgres://… runs in a fresh schema).")
    var database: String?

    @Option(help: "Number of servers to start on the database (more than 1 needs --database postgres://…).")
    var nodes: Int = 1

    @Flag(help: "Start the servers with --auth required (the first admin's token chosen by the benchmark) and send that token with every request: the cost of checking access.")
    var auth = false

    @Option(help: "The token to send to --server (default: SLUICE_TOKEN).")
    var token: String?

    @Flag(help: "Measure Worker.Task instead: the time from an execute to a long-polling worker receiving its task, then tasks/s through claim and complete with --workers workers claiming --batch at a time while --concurrency producers start --executions executions.")
    var workerTasks = false

    @Flag(help: "Measure the annotation API instead: --executions items uploaded in batches of 1,000 (items/s), then --workers workers taking them at once with POST /annotation/task/next and answering them (take latency p50/p99, takes/s, none taken twice).")
    var annotation = false

    @Flag(help: "Measure Argo hello-world Workflows (one container, echo hello) instead: the runtime's own run of that container (--latency-samples runs, median), then --executions workflows submitted through the Argo API, --concurrency at a time, each done when the watch reports it Succeeded (workflows/s, latency, and at --concurrency 1 the overhead per task over the runtime's own run). The servers run containers with --container-runtime and --container-runtime-command, as sluice serve does.")
    var argo = false

    @Option(help: "With --argo: the image the hello-world runs (default busybox; the process runtime only records it).")
    var image: String?

    @OptionGroup(title: "Containers (with --argo)")
    var containerFlags: ContainerFlags

    @Option(help: "Start the servers with --retention-keep-last N --retention-interval 1: retention deletes finished executions while the run goes on (the figures then include the purge's cost; the deleted count is printed).")
    var retentionKeepLast: Int?

    @Option(help: "With --worker-tasks: workers claiming at once; with --annotation: workers taking items at once.")
    var workers: Int = 4

    @Option(help: "With --annotation: take and answer at most this many items (default: every item), so that claims can be timed with a large backlog waiting on a slower store; the items left wait in the pool.")
    var takes: Int?

    @Option(help: "With --worker-tasks: the most tasks one claim takes (1 to 100).")
    var batch: Int = 32

    @Option(help: "With --worker-tasks: tasks timed one at a time for the latency.")
    var latencySamples: Int = 500

    /// The token every request carries: the started servers' first admin's with --auth, else
    /// --token or SLUICE_TOKEN for --server.
    var bearer: String? {
        if auth { return Self.benchToken }
        return token ?? (server != nil ? ProcessInfo.processInfo.environment["SLUICE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } : nil)
    }

    /// The first admin's token of servers started with --auth (a benchmark's throwaway database).
    static let benchToken = "slc_" + (0..<48).map { _ in String("0123456789abcdef".randomElement()!) }.joined()

    func validate() throws {
        if executions < 1 { throw ValidationError("--executions must be at least 1") }
        if concurrency < 1 || concurrency > 4096 { throw ValidationError("--concurrency must be from 1 to 4096") }
        if warmup < 0 { throw ValidationError("--warmup must be 0 or more") }
        if !(1...16).contains(nodes) { throw ValidationError("--nodes must be from 1 to 16, found \(nodes)") }
        if [annotation, workerTasks, argo].filter({ $0 }).count > 1 { throw ValidationError("--annotation, --worker-tasks and --argo are three benchmarks; choose one") }
        if let takes, takes < 1 || !annotation { throw ValidationError(!annotation ? "--takes goes with --annotation" : "--takes is at least 1, found \(takes)") }
        if !(1...64).contains(workers) { throw ValidationError("--workers must be from 1 to 64, found \(workers)") }
        if !(1...100).contains(batch) { throw ValidationError("--batch must be from 1 to 100, found \(batch)") }
        if !(1...100_000).contains(latencySamples) { throw ValidationError("--latency-samples must be from 1 to 100000, found \(latencySamples)") }
        if auth, server != nil {
            throw ValidationError("--auth starts servers with access checks on and cannot apply to --server URL; use --token (or SLUICE_TOKEN) for a running server")
        }
        if nodes > 1 {
            if server != nil {
                throw ValidationError("--nodes \(nodes) starts servers of its own and cannot measure --server URL; leave out one of them")
            }
            if !Self.isPostgres(database) {
                let found = database.map { "--database \(Self.describe($0))" } ?? "no --database (a fresh SQLite file)"
                throw ValidationError("--nodes \(nodes) needs a database several servers can share, found \(found); expected --database postgres://user:password@host:port/database")
            }
        }
    }

    /// The container flags given to the benchmark, passed on to the servers it starts.
    var containerArguments: [String] {
        var a: [String] = []
        if let runtime = containerFlags.containerRuntime { a += ["--container-runtime", runtime.rawValue] }
        if let command = containerFlags.containerRuntimeCommand { a += ["--container-runtime-command", command] }
        if containerFlags.containerNetwork { a.append("--container-network") }
        return a
    }

    static func isPostgres(_ url: String?) -> Bool {
        guard let url else { return false }
        return url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// A database URL as it may be printed: without a PostgreSQL password.
    static func describe(_ url: String) -> String {
        (try? DatabaseURL(url).description) ?? url
    }

    func run() async throws {
        // The benchmark's own PostgreSQL connections log warnings, on standard error.
        Logs.bootstrap(format: .text, level: .warning)
        if let server {
            let base = server.hasSuffix("/") ? String(server.dropLast()) : server
            if argo { try await measureArgo(bases: [base]) } else if annotation { try await measureAnnotation(bases: [base]) } else if workerTasks { try await measureWorkerTasks(bases: [base]) } else { try await measure(bases: [base], servers: [], store: nil) }
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var servers: [BenchServer] = []
        var store: PostgresStore?
        var failure: (any Error)?
        do {
            let db = try prepareDatabase(in: dir)
            if let postgres = db.postgres {
                // Creates the schema and its tables before the servers start (and says at once
                // when the database cannot be reached).
                store = try await PostgresStore.connect(postgres, logger: Logger(label: "sluice.bench"))
            }
            for node in 1...nodes {
                let retention = retentionKeepLast.map { ["--retention-keep-last", String($0), "--retention-interval", "1"] } ?? []
                servers.append(try BenchServer.start(database: db.url, node: node, nodeID: db.postgres != nil ? "bench-node-\(node)" : nil, adminToken: auth ? Self.benchToken : nil, logDirectory: dir, extra: retention + containerArguments))
            }
            if nodes == 1 {
                print("server: pid \(servers[0].process.processIdentifier), \(db.description)\(auth ? ", --auth required (every request carries a token)" : "")")
            } else {
                print("database: \(db.description)")
                for s in servers { print("node \(s.node): pid \(s.process.processIdentifier), \(s.url)") }
            }
            if argo {
                try await measureArgo(bases: servers.map(\.url))
            } else if annotation {
                try await measureAnnotation(bases: servers.map(\.url))
            } else if workerTasks {
                try await measureWorkerTasks(bases: servers.map(\.url))
            } else {
                try await measure(bases: servers.map(\.url), servers: servers, store: store)
            }
        } catch {
            failure = error
        }
        let stopped = servers.map { $0.stop() }
        if let store {
            do { try await store.dropSchema() } catch { FileHandle.standardError.write(Data("sluice bench: could not drop the benchmark's schema: \(error)\n".utf8)) }
            try? await store.close()
        }
        keepLogsOrClean(dir, servers: servers, stopped: stopped, failed: failure != nil)
        if let failure { throw failure }
    }

    /// Where the started servers keep their data: the URL they are given, the one printed, and for
    /// PostgreSQL the configuration of the run's own schema.
    struct BenchDatabase {
        var url: String
        var description: String
        var postgres: PostgresConfiguration?
    }

    func prepareDatabase(in dir: URL) throws -> BenchDatabase {
        guard let database else {
            let url = "sqlite:\(dir.path)/bench.db"
            return BenchDatabase(url: url, description: url)
        }
        guard Self.isPostgres(database) else {
            let parsed = try DatabaseURL(database)
            return BenchDatabase(url: database, description: parsed.description)
        }
        guard var components = URLComponents(string: database) else {
            throw ValidationError("--database \(Self.describe(database)) is not a URL; expected postgres://user:password@host:port/database")
        }
        let hex = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        var items = (components.queryItems ?? []).filter { $0.name != "search_path" && $0.name != "schema" }
        items.append(URLQueryItem(name: "search_path", value: "sluice_bench_\(hex)"))
        components.queryItems = items
        guard let url = components.string, case .postgres(let configuration) = try DatabaseURL(url) else {
            throw ValidationError("--database \(Self.describe(database)) could not be given a schema of its own")
        }
        return BenchDatabase(url: url, description: configuration.description, postgres: configuration)
    }

    /// Keeps the servers' logs (and prints where) when the run failed, a server logged something
    /// or did not stop cleanly; removes the temporary directory otherwise.
    func keepLogsOrClean(_ dir: URL, servers: [BenchServer], stopped: [String?], failed: Bool) {
        let fm = FileManager.default
        let logged = servers.filter { ((try? fm.attributesOfItem(atPath: $0.log.path)[.size] as? Int) ?? 0) > 0 }
        var lines: [String] = []
        for (server, how) in zip(servers, stopped) {
            if let how { lines.append("sluice bench: server \(server.node) (pid \(server.process.processIdentifier)) \(how)") }
        }
        if !logged.isEmpty { lines.append("sluice bench: servers logged warnings or errors: \(logged.map { $0.log.lastPathComponent }.joined(separator: ", "))") }
        if failed { lines.append("sluice bench: the run failed") }
        guard !servers.isEmpty, !lines.isEmpty else {
            try? fm.removeItem(at: dir)
            return
        }
        for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where !name.hasSuffix(".log") {
            try? fm.removeItem(at: dir.appendingPathComponent(name))
        }
        lines.append("sluice bench: the servers' logs are kept in \(dir.path)")
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// Creates the workflow, runs the warm-up and the measured executions (spread in turn over
    /// `bases`) and prints the figures.
    func measure(bases: [String], servers: [BenchServer], store: PostgresStore?) async throws {
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            let workflowID = try await createWorkflow(client, bases[0])
            if warmup > 0 { _ = try await runExecutions(client, bases, workflowID, count: warmup) }
            let before = servers.count > 1 ? try await store?.executionCountsByOwner() : nil
            let started = ContinuousClock.now
            let latencies = try await runExecutions(client, bases, workflowID, count: executions)
            let elapsed = ContinuousClock.now - started
            let after = servers.count > 1 ? try await store?.executionCountsByOwner() : nil
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
            if let keep = retentionKeepLast {
                print("retention:      keep-last \(keep) every 1 s; deleted \(try await retentionDeleted(client, bases)) executions during the run")
            }
            if servers.count == 1 {
                print("server peak RSS: \(peakRSS(pid: servers[0].process.processIdentifier))")
            } else {
                for s in servers {
                    var line = "node \(s.node) peak RSS: \(peakRSS(pid: s.process.processIdentifier))"
                    if let before, let after, let id = s.nodeID { line += ", ran \((after[id] ?? 0) - (before[id] ?? 0)) executions" }
                    print(line)
                }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// `sluice_retention_deleted_executions_total`, summed over the servers' `/metrics`.
    func retentionDeleted(_ client: HTTPClient, _ bases: [String]) async throws -> Int {
        var total = 0.0
        for base in bases {
            var request = HTTPClientRequest(url: "\(base)/metrics")
            if let bearer { request.headers.add(name: "authorization", value: "Bearer \(bearer)") }
            let response = try await client.execute(request, timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 24))
            for line in text.split(separator: "\n") where line.hasPrefix(SluiceMetrics.Name.retentionDeleted) {
                total += Double(line.split(separator: " ").last ?? "") ?? 0
            }
        }
        return Int(total)
    }

    func createWorkflow(_ client: HTTPClient, _ base: String) async throws -> String {
        let body = #"{"name":"Dummy Workflow","steps":[{"type":"StaticTextInput","input":"Hello, world!"},{"type":"TextOperation.Reverse"},{"type":"Echo"}]}"#
        let (status, json) = try await send(client, "POST", "\(base)/workflows", body: body)
        guard status == 201, let id = json["workflow_id"]?.stringValue else { throw ValidationError("creating the workflow failed: \(status) \(json.jsonString)") }
        return id
    }

    /// Runs `count` executions, `concurrency` at once (`BenchLoad`); connection `i` goes to
    /// `bases[i % bases.count]`.
    func runExecutions(_ client: HTTPClient, _ bases: [String], _ workflowID: String, count: Int) async throws -> [Double] {
        do {
            return try await BenchLoad.run(bases: bases, workflowID: workflowID, count: count, concurrency: concurrency, token: bearer)
        } catch let failure as BenchLoad.Failure {
            throw ValidationError(failure.description)
        }
    }

    func send(_ client: HTTPClient, _ method: String, _ url: String, body: String?) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = .RAW(value: method)
        if let bearer { request.headers.add(name: "authorization", value: "Bearer \(bearer)") }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(60))
            bytes = try await response.body.collect(upTo: 1 << 22)
        } catch {
            throw ValidationError("\(method) \(url) failed: \(error)")
        }
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

/// A `sluice serve` child of the benchmark, listening on a port of its own, its standard error
/// going to `log`.
struct BenchServer {
    let node: Int
    let nodeID: String?
    let process: Process
    let url: String
    let log: URL

    /// Starts `sluice serve` on port 0 and waits (30 s at most) for its "sluice listening on" line.
    static func start(database: String, node: Int, nodeID: String?, adminToken: String?, logDirectory: URL, extra: [String] = []) throws -> BenchServer {
        let log = logDirectory.appendingPathComponent("node-\(node).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["serve", "--port", "0", "--database", database, "--log-level", "warning"] + (nodeID.map { ["--node-id", $0] } ?? [])
            + (adminToken != nil ? ["--auth", "required"] : []) + extra
        if let adminToken {
            var environment = ProcessInfo.processInfo.environment
            environment["SLUICE_ADMIN_TOKEN"] = adminToken
            process.environment = environment
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = try FileHandle(forWritingTo: log)
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
                return BenchServer(node: node, nodeID: nodeID, process: process, url: String(line.dropFirst("sluice listening on ".count)), log: log)
            }
        }
        process.terminate()
        process.waitUntilExit()
        let errors = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw ValidationError("benchmark server \(node) did not start (exit status \(process.terminationStatus)); output: \(String(decoding: buffer, as: UTF8.self))\(errors)")
    }

    /// Stops the server (SIGTERM, then SIGKILL after 15 s); returns what went wrong, if anything:
    /// it had already exited, or did not stop in time, or exited with a failure.
    func stop() -> String? {
        guard process.isRunning else {
            let how = process.terminationReason == .uncaughtSignal ? "was killed by signal" : "exited with status"
            return "had ended before the run did: it \(how) \(process.terminationStatus)"
        }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return "did not stop within 15 s of SIGTERM and was killed"
        }
        process.waitUntilExit()
        let status = process.terminationStatus
        return status == 0 || (process.terminationReason == .uncaughtSignal && status == SIGTERM) ? nil : "exited with status \(status) when stopped"
    }
}

/// Hands out execution slots to the benchmark's workers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// The next slot, or nil once `limit` have been handed out.
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
