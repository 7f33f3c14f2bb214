import Foundation
import SluicePostgres
import SluiceStore
import Testing

/// The PostgreSQL server the tests use: `SLUICE_TEST_POSTGRES_URL`
/// (`postgres://postgres@127.0.0.1:PORT/postgres`, as `.ci/postgres start` prints). Each store
/// gets a schema of its own, so tests running in parallel do not see each other; the
/// `.testStores` trait (alias `.postgresSchemas`) drops the schemas a test made once it ends.
public enum PostgresTestDatabase {
    public static let url = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    public static let skipReason: Comment = "SLUICE_TEST_POSTGRES_URL is not set: the PostgreSQL driver is not tested (start a server with eval \"$(.ci/postgres start)\"; .ci/run does)"

    /// The configuration of a new store in a new schema; cancels the test case (with the reason)
    /// when there is no server to test against.
    public static func configuration() throws -> PostgresConfiguration {
        guard let url else { try Test.cancel(skipReason) }
        return try configuration(url: url)
    }

    /// The configuration of a new store in a new schema (`sluice_test_` and 16 hex digits) of
    /// the server at `url`.
    public static func configuration(url: String) throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(url: url)
        configuration.schema = "sluice_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        configuration.maximumConnections = 4
        return configuration
    }

    /// A store in a new schema, registered with the test's `TestStores` (when it has one) so
    /// that the schema is dropped when the test ends.
    public static func makeStore() async throws -> PostgresStore {
        let store = try await PostgresStore.connect(try configuration())
        TestStores.current?.add(store)
        return store
    }
}
