import Foundation
import SluicePostgres
import SluiceStore
import Testing

/// The PostgreSQL server the tests use: `SLUICE_TEST_POSTGRES_URL`
/// (`postgres://postgres@127.0.0.1:PORT/postgres`, as `.ci/postgres start` prints). Each store
/// gets a schema of its own, so tests running in parallel do not see each other; the
/// `.postgresSchemas` trait drops the schemas a test made once it ends.
enum PostgresTestDatabase {
    static let url = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static let skipReason: Comment = "SLUICE_TEST_POSTGRES_URL is not set: the PostgreSQL driver is not tested (start a server with eval \"$(.ci/postgres start)\"; .ci/run does)"

    /// The configuration of a new store in a new schema; cancels the test case (with the reason)
    /// when there is no server to test against.
    static func configuration() throws -> PostgresConfiguration {
        guard let url else { try Test.cancel(skipReason) }
        var configuration = try PostgresConfiguration(url: url)
        configuration.schema = "sluice_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        configuration.maximumConnections = 4
        return configuration
    }

    static func makeStore() async throws -> PostgresStore {
        let store = try await PostgresStore.connect(try configuration())
        Schemas.current?.add(store)
        return store
    }

    /// The stores a test made, to drop their schemas when it ends.
    final class Schemas: @unchecked Sendable {
        @TaskLocal static var current: Schemas?
        private let lock = NSLock()
        private var stores: [PostgresStore] = []

        func add(_ store: PostgresStore) {
            lock.withLock { stores.append(store) }
        }

        func dropAll() async {
            for store in lock.withLock({ stores }) {
                try? await store.dropSchema()
                try? await store.close()
            }
        }
    }
}

/// Drops the PostgreSQL schemas each test of the suite made (and closes their stores), whether
/// the test passed or not.
struct PostgresSchemasTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil, PostgresTestDatabase.url != nil else { return try await function() }
        let schemas = PostgresTestDatabase.Schemas()
        do {
            try await PostgresTestDatabase.Schemas.$current.withValue(schemas) { try await function() }
        } catch {
            await schemas.dropAll()
            throw error
        }
        await schemas.dropAll()
    }
}

extension Trait where Self == PostgresSchemasTrait {
    static var postgresSchemas: Self { PostgresSchemasTrait() }
}
