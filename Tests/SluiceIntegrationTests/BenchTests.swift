import Foundation
import Synchronization
import Testing

/// `sluice bench` on tiny runs: it starts its servers, prints its figures and refuses what it
/// cannot do. The figures themselves are not checked.
@Suite(.serialized) struct BenchTests {
    static let postgresURL = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Runs `sluice bench` on a dispatch thread (it waits for the child, which would hold one of
    /// Swift Concurrency's two threads here).
    func bench(_ arguments: [String]) async throws -> (code: Int32, out: String, err: String) {
        try await ServerProcess.offPool { try Self.runBench(arguments) }
    }

    static func runBench(_ arguments: [String]) throws -> (code: Int32, out: String, err: String) {
        try ServerProcess.run(["bench"] + arguments)
    }

    @Test func severalNodesNeedPostgreSQL() async throws {
        let result = try await bench(["--nodes", "2"])
        #expect(result.code == 2)
        #expect(result.err.contains("--nodes 2 needs a database several servers can share, found no --database (a fresh SQLite file); expected --database postgres://"))
        let sqlite = try await bench(["--nodes", "2", "--database", "sqlite:/tmp/x.db"])
        #expect(sqlite.code == 2)
        #expect(sqlite.err.contains("found --database sqlite:/tmp/x.db"))
    }

    @Test func oneNodeOnSQLite() async throws {
        let result = try await bench(["--executions", "20", "--warmup", "0", "--concurrency", "4"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.hasPrefix("server: pid "))
        #expect(result.out.contains("executions/s:"))
        #expect(result.out.contains("server peak RSS:"))
    }

    /// With --retention-keep-last the servers purge while the run goes on, and the run says how
    /// many executions they deleted (how many depends on the run's length: not checked).
    @Test func withRetentionTheServerPurgesDuringTheRunAndSaysHowMuch() async throws {
        let result = try await bench(["--retention-keep-last", "5", "--executions", "20", "--warmup", "0", "--concurrency", "4"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("retention:      keep-last 5 every 1 s; deleted "), "\(result.out)")
    }

    /// With --auth the server checks every request (a request without the token would be a
    /// 401 and the benchmark would stop), so the run measures access checks too.
    @Test func withAuthEveryRequestCarriesTheFirstAdminsToken() async throws {
        let result = try await bench(["--auth", "--executions", "20", "--warmup", "0", "--concurrency", "4"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("--auth required (every request carries a token)"))
        #expect(result.out.contains("executions/s:"))
        #expect(!result.out.contains("slc_") && !result.err.contains("slc_"), "the benchmark printed its token")
        let running = try await bench(["--auth", "--server", "http://127.0.0.1:9"])
        #expect(running.code == 2)
        #expect(running.err.contains("--auth starts servers with access checks on and cannot apply to --server URL; use --token (or SLUICE_TOKEN)"))
    }

    /// Worker tasks: every task started is claimed and completed (the run ends only then), and
    /// the figures are printed.
    @Test func workerTasksAreClaimedAndCompletedThroughTheAPI() async throws {
        let result = try await bench(["--worker-tasks", "--executions", "60", "--concurrency", "4", "--workers", "2", "--batch", "8", "--latency-samples", "5"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("worker tasks:   60 (2 workers claiming up to 8 at a time, 4 producers)"), "\(result.out)")
        #expect(result.out.contains("tasks/s:"))
        #expect(result.out.contains("execute → claimed, one long-polling worker (5 tasks, one at a time):"), "\(result.out)")
        let refused = try await bench(["--worker-tasks", "--batch", "101"])
        #expect(refused.code == 2)
        #expect(refused.err.contains("--batch must be from 1 to 100, found 101"))
    }

    /// Annotation items: every item uploaded is taken exactly once (the run fails otherwise),
    /// and the figures are printed.
    @Test func annotationItemsAreUploadedAndEachTakenOnce() async throws {
        let result = try await bench(["--annotation", "--executions", "1500", "--workers", "6"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("annotation items: 1500 uploaded in batches of 1000, 2 at a time"), "\(result.out)")
        #expect(result.out.contains("upload items/s:"))
        #expect(result.out.contains("take (6 workers, POST /annotation/task/next then the answer): 1500 items taken, 0 taken twice"), "\(result.out)")
        let refused = try await bench(["--annotation", "--worker-tasks"])
        #expect(refused.code == 2)
        #expect(refused.err.contains("--annotation, --worker-tasks and --argo are three benchmarks; choose one"))
    }

    /// `--takes N` times N claims with the whole backlog waiting (a slower store would take too
    /// long to work through it): exactly N taken once each, the others left waiting.
    @Test func annotationTakesCanBeLimitedWithTheBacklogWaiting() async throws {
        let result = try await bench(["--annotation", "--executions", "400", "--workers", "4", "--takes", "60"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("take (4 workers, POST /annotation/task/next then the answer): 60 items taken of 400 waiting, 0 taken twice"), "\(result.out)")
        let refused = try await bench(["--takes", "5"])
        #expect(refused.code == 2)
        #expect(refused.err.contains("--takes goes with --annotation"), "\(refused.err)")
    }

    /// Argo hello-world Workflows on the process runtime: each submitted through the Argo API is
    /// reported Succeeded by the watch (the run fails otherwise), and the figures are printed,
    /// with the runtime's own run and the overhead per task.
    @Test func argoHelloWorldsRunOnTheProcessRuntimeAndTheOverheadIsPrinted() async throws {
        let result = try await bench(["--argo", "--container-runtime", "process", "--executions", "12", "--warmup", "2", "--concurrency", "1", "--latency-samples", "5"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("runtime:        process (image busybox)"), "\(result.out)")
        #expect(result.out.contains("runtime's own run: p50"), "\(result.out)")
        #expect(result.out.contains("workflows:      12 hello-world (concurrency 1, warm-up 2)"), "\(result.out)")
        #expect(result.out.contains("overhead/task:"), "\(result.out)")
        let refused = try await bench(["--argo", "--annotation"])
        #expect(refused.code == 2)
        #expect(refused.err.contains("three benchmarks; choose one"))
    }

    @Test(.enabled(if: postgresURL != nil, "SLUICE_TEST_POSTGRES_URL is not set"))
    func twoNodesOnPostgreSQLInASchemaOfTheirOwn() async throws {
        let result = try await bench(["--database", Self.postgresURL!, "--nodes", "2", "--executions", "40", "--warmup", "0", "--concurrency", "4"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("?search_path=sluice_bench_"))
        #expect(result.out.contains("node 1: pid "))
        #expect(result.out.contains("node 2: pid "))
        #expect(result.out.contains("node 2 peak RSS: "))
        #expect(result.out.contains("executions/s:"))
    }
}
