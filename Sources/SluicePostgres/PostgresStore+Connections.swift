import Logging
import PostgresNIO
import SluiceStore
import Synchronization

/// PostgreSQL could not be reached: no pooled connection within the lease deadline (the server
/// is down, or every connection stays busy), or the connection closed under a request.
public struct PostgresUnavailable: StoreUnavailableError, CustomStringConvertible {
    public var description: String
    public var storeIsUnavailable: Bool { true }
}

/// The errors of a lost connection or a server shutting down are "unavailable" (`503`), not a
/// store failure: `08…` connection exceptions, `57P01`–`57P03` (admin or crash shutdown, cannot
/// connect now), and a connection closed or reset under the request.
extension PSQLError: StoreUnavailableError {
    public var storeIsUnavailable: Bool {
        switch code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return true
        case .server:
            guard let state = serverInfo?[.sqlState] else { return false }
            return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
        default:
            return false
        }
    }
}

/// Whether the last request found the database unreachable (and no lease succeeded since): requests then wait
/// `unreachableDeadline`, not `leaseDeadline`, so an outage is answered with fast `503`s.
struct PostgresHealth {
    var unreachable = false
    /// The last reachability probe: when it ended and whether a new connection opened.
    var probe: (at: ContinuousClock.Instant, reachable: Bool)?
    /// The probe under way, if any (one at a time).
    var probing: Task<Void, Never>?
}

/// Who won the race between a lease and its deadline.
final class LeaseRace: Sendable {
    static let waiting: UInt8 = 0, leased: UInt8 = 1, expired: UInt8 = 2
    let state = Atomic<UInt8>(LeaseRace.waiting)
    func claim(_ outcome: UInt8) -> Bool {
        state.compareExchange(expected: Self.waiting, desired: outcome, ordering: .acquiringAndReleasing).exchanged
    }
}

/// Every request goes through these two: a pooled connection leased with a deadline, and a
/// transaction on it that never writes to a closed connection.
extension PostgresStore {
    /// How long a request waits for a pooled connection before it is answered "unavailable".
    static let leaseDeadline: Duration = .seconds(5)
    /// The same while the previous lease ran out and none succeeded since (an outage).
    static let unreachableDeadline: Duration = .milliseconds(500)

    enum Raced<T: Sendable>: Sendable {
        case done(T)
        case leasedInTime
    }

    /// Runs `body` on a pooled connection, leased within the deadline; otherwise throws
    /// `PostgresUnavailable`. postgres-nio queues a lease without a deadline while PostgreSQL is
    /// away (the request would wait for minutes), and honours cancellation of the wait: the
    /// deadline cancels it. Once leased, `body` runs to its end, however long it takes: a body
    /// is never abandoned half-way, so a write answered "unavailable" was never started.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let deadline = health.withLock { $0.unreachable } ? Self.unreachableDeadline : Self.leaseDeadline
        let race = LeaseRace()
        let client = self.client
        let result: T = try await withThrowingTaskGroup(of: Raced<T>.self) { group in
            group.addTask {
                .done(try await client.withConnection { connection in
                    guard race.claim(LeaseRace.leased) else { throw CancellationError() }
                    return try await body(connection)
                })
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                // Past the deadline the request is answered "unavailable" only if PostgreSQL
                // does not take a new connection either: a pool that is merely busy (every
                // connection in use under load) keeps the request waiting, as before.
                while race.state.load(ordering: .acquiring) == LeaseRace.waiting {
                    switch self.reachability() {
                    case false?:
                        if race.claim(LeaseRace.expired) {
                            throw PostgresUnavailable(description: "no connection to PostgreSQL within \(deadline), and it refuses new connections (the server is down or unreachable)")
                        }
                    case true?:
                        try await Task.sleep(for: .seconds(1))
                    case nil:
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                return .leasedInTime
            }
            while let next = try await group.next() {
                if case .done(let value) = next {
                    group.cancelAll()
                    return value
                }
            }
            throw CancellationError()
        }
        if health.withLock({ $0.unreachable }) { health.withLock { $0.unreachable = false } }
        return result
    }

    /// Whether PostgreSQL takes a new connection, from a probe at most a second old; `nil` while
    /// the first probe (started here, in the background) is under way. The probe connects with
    /// a 2 s timeout and closes at once; `close()` waits for one under way.
    func reachability() -> Bool? {
        health.withLock { h -> Bool? in
            if let p = h.probe, ContinuousClock.now - p.at < .seconds(1) { return p.reachable }
            if h.probing == nil {
                // Made under the lock: the probe's own update of `health` waits for it.
                h.probing = Task {
                    var reachable = false
                    if var configuration = try? self.configuration.connectionConfiguration() {
                        configuration.options.connectTimeout = .seconds(2)
                        if let connection = try? await PostgresConnection.connect(configuration: configuration, id: 3, logger: self.logger) {
                            reachable = true
                            try? await connection.close()
                        }
                    }
                    self.health.withLock {
                        $0.probe = (ContinuousClock.now, reachable)
                        $0.probing = nil
                    }
                }
            }
            return nil
        }
    }

    /// Waits for a reachability probe under way (the store is closing).
    func awaitProbe() async {
        let probing = health.withLock { $0.probing }
        await probing?.value
    }

    /// Marks the database unreachable after a request found it so (a lease deadline ran out, the
    /// connection closed under it): until a lease succeeds again, requests wait
    /// `unreachableDeadline` for a connection.
    func noteUnavailable(_ error: any Error) {
        if StoreError.isUnavailable(error) { health.withLock { $0.unreachable = true } }
    }

    /// `body` in one transaction on a pooled connection (`withConnection`). Unlike postgres-nio's
    /// `withTransaction`, the error `body` threw comes out as it was (a deadlock victim's
    /// `PSQLError` stays one), and nothing is sent on a connection that closed: postgres-nio
    /// drops a query written to a closed connection without failing it, so a `ROLLBACK` after
    /// the server went away would wait forever (seen in the outage test).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        do {
            transactionsBegun.add(1, ordering: .relaxed)
            return try await withConnection { connection in
                try await connection.checkedQuery("BEGIN", logger: logger)
                do {
                    let value = try await body(connection)
                    try await connection.checkedQuery("COMMIT", logger: logger)
                    return value
                } catch {
                    if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
                    throw error
                }
            }
        } catch {
            noteUnavailable(error)
            throw error
        }
    }

    /// One statement on a pooled connection, its rows collected.
    func collect(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let logger = self.logger
        do {
            return try await withConnection { connection in
                try await connection.checkedQuery(query, logger: logger).collect()
            }
        } catch {
            noteUnavailable(error)
            throw error
        }
    }
}

extension PostgresConnection {
    /// `query`, refusing a connection that has closed: postgres-nio drops a query written to a
    /// closed connection without failing it (it would never finish).
    @discardableResult
    func checkedQuery(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else { throw PostgresUnavailable(description: "the connection to PostgreSQL closed (the server went away or restarted)") }
        return try await self.query(query, logger: logger)
    }
}
