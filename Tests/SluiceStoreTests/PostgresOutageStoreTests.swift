import Foundation
import Logging
import PostgresNIO
import SluiceCore
@testable import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

/// PostgreSQL stops under a store's feet and comes back (issue 21): every request ends — at once
/// with "unavailable" while the server is away, never waiting for it — and the store works again
/// by itself once it is back. Before the lease deadline and the closed-connection check, three
/// of eight writers never returned (a `ROLLBACK` written to the closed connection was dropped by
/// postgres-nio) and the rest waited out the whole outage.
@Suite(.serialized) struct PostgresOutageStoreTests {
    final class Record: Sendable {
        let stop = Atomic<Bool>(false)
        let resumedAt = Atomic<Int64>(-1)
        let began = ContinuousClock.now
        let log = Mutex<(errors: [String], slowest: Duration, acknowledged: [String], recovered: Set<Int>)>(([], .zero, [], []))
        var elapsed: Int64 { (ContinuousClock.now - began).components.seconds * 1000 + (ContinuousClock.now - began).components.attoseconds / 1_000_000_000_000_000 }
    }

    @Test(.enabled(if: PostgresCluster.available, "needs PostgreSQL 15's binaries (.ci/run installs them)"), .timeLimit(.minutes(1)))
    func requestsDuringAnOutageFailFastAsUnavailableAndTheStoreRecoversByItself() async throws {
        let cluster = try await PostgresCluster.start()
        defer { cluster.stopNow() }
        var configuration = try PostgresTestDatabase.configuration(url: cluster.url)
        configuration.maximumConnections = 4
        // The pool logs every failed connection attempt at info: quiet here.
        var logger = Logger(label: "sluice.postgres")
        logger.logLevel = .error
        let store = try await PostgresStore.connect(configuration, logger: logger)
        let record = Record()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Eight writers, twice the pool: some hold connections when the server stops, the
            // others wait for one.
            for k in 0..<8 {
                group.addTask {
                    var i = 0
                    while !record.stop.load(ordering: .relaxed) {
                        i += 1
                        let id = "wf-\(k)-\(i)"
                        let started = ContinuousClock.now
                        do {
                            _ = try await store.apply([.insertWorkflow(workflow(id))])
                            let resumed = record.resumedAt.load(ordering: .relaxed)
                            record.log.withLock {
                                $0.acknowledged.append(id)
                                if resumed >= 0 { $0.recovered.insert(k) }
                                $0.slowest = max($0.slowest, ContinuousClock.now - started)
                            }
                        } catch {
                            record.log.withLock {
                                if !StoreError.isUnavailable(error) { $0.errors.append(String(reflecting: error)) }
                                $0.slowest = max($0.slowest, ContinuousClock.now - started)
                            }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                    }
                }
            }
            try await Task.sleep(for: .seconds(1))
            try await cluster.pause()
            // Well past the lease deadline: a request that waits for the server fails this.
            try await Task.sleep(for: .seconds(10))
            try await cluster.resume()
            record.resumedAt.store(record.elapsed, ordering: .relaxed)
            // Back: every writer succeeds again within 15 s.
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline, record.log.withLock({ $0.recovered.count }) < 8 {
                try await Task.sleep(for: .milliseconds(100))
            }
            record.stop.store(true, ordering: .relaxed)
            try await group.waitForAll()
        }
        let log = record.log.withLock { $0 }
        #expect(log.errors.isEmpty, "errors other than unavailable: \(log.errors.prefix(3))")
        #expect(log.recovered.count == 8, "writers that succeeded after the server was back: \(log.recovered.sorted())")
        // A request waits at most the lease deadline (5 s) plus its own round trips (generous here:
        // other tests may share the machine); without the deadline they waited out the whole
        // outage (10 s) or forever.
        #expect(log.slowest < .seconds(8), "slowest request: \(log.slowest)")
        // Everything acknowledged is there.
        for id in log.acknowledged { #expect(try await store.workflow(id: id) != nil, "\(id) was acknowledged but is missing") }
        try await store.close()
    }

    /// postgres-nio drops a query written to a closed connection without failing it;
    /// `checkedQuery` refuses the closed connection instead (unavailable, at once).
    @Test(.postgresSchemas, .enabled(if: PostgresTestDatabase.url != nil, PostgresTestDatabase.skipReason))
    func aQueryOnAClosedConnectionFailsAsUnavailableInsteadOfWaitingForever() async throws {
        let configuration = try PostgresTestDatabase.configuration()
        let logger = Logger(label: "test")
        let connection = try await PostgresConnection.connect(configuration: try configuration.connectionConfiguration(), id: 1, logger: logger)
        try await connection.close()
        let outcome: String = try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                do {
                    try await connection.checkedQuery("SELECT 1", logger: logger)
                    return "answered"
                } catch {
                    return StoreError.isUnavailable(error) ? "unavailable" : "failed: \(error)"
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                return "still waiting after 5 s"
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        #expect(outcome == "unavailable")
    }
}
