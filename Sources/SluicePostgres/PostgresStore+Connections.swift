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
                if race.claim(LeaseRace.expired) {
                    throw PostgresUnavailable(description: "no connection to PostgreSQL within \(deadline) (the server is down or unreachable, or every connection stayed busy)")
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
