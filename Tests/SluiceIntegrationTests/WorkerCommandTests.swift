import Foundation
import Testing

/// `sluice worker`'s refusals, from the real binary: what was wrong and what is expected, exit 2.
@Suite struct WorkerCommandTests {
    func worker(_ arguments: [String]) async throws -> (code: Int32, err: String) {
        try await ServerProcess.runToExit(["worker"] + arguments, environment: ["SLUICE_DATABASE": nil])
    }

    /// A worker needs a database other nodes share: none, or SQLite, is refused with the reason.
    @Test func aWorkerNeedsAPostgreSQLDatabase() async throws {
        let none = try await worker([])
        #expect(none.code == 2)
        #expect(none.err.contains("sluice worker needs a shared database: --database postgres://"))
        let sqlite = try await worker(["--database", "sqlite:/tmp/sluice-worker-test.db"])
        #expect(sqlite.code == 2)
        #expect(sqlite.err.contains("found sqlite:/tmp/sluice-worker-test.db"))
    }

    /// A worker may lead maintenance and then send webhooks, so it takes the same webhook flags
    /// as `serve`, checked the same way.
    @Test func aWorkerTakesAndChecksTheWebhookFlags() async throws {
        let timeout = try await worker(["--database", "postgres://x@127.0.0.1:1/db", "--webhook-timeout", "0"])
        #expect(timeout.code == 2)
        #expect(timeout.err.contains("--webhook-timeout must be from more than 0 to 300 seconds, found 0.0"))
        let schedule = try await worker(["--database", "postgres://x@127.0.0.1:1/db", "--webhook-retry-schedule", "5x"])
        #expect(schedule.code == 2)
        #expect(schedule.err.contains("--webhook-retry-schedule: expected waits such as 5s,5m,30m,2h"))
        let lease = try await worker(["--database", "postgres://x@127.0.0.1:1/db", "--lease", "0.5"])
        #expect(lease.code == 2)
        #expect(lease.err.contains("--lease must be from 1 to 3600 seconds, found 0.5"))
    }
}
