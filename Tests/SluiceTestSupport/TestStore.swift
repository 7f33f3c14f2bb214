import Foundation
import SluicePostgres
import SluiceStore
import Testing

/// "Some store" for the tests that do not test a store: the engine, server, client, CLI and
/// steps suites. `MemoryStore()` by default; with `SLUICE_TEST_STORE=postgres` (and
/// `SLUICE_TEST_POSTGRES_URL`, as `.ci/run` sets both) a `PostgresStore` in a fresh schema of
/// its own, so the same suites hold the PostgreSQL driver to what they expect of MemoryStore.
///
/// The suites that make stores this way carry the `.testStores` trait, which drops each
/// test's schemas and closes its stores when the test ends.
public enum TestStore {
    public enum Kind: String, Sendable {
        case memory, postgres
    }

    /// What `SLUICE_TEST_STORE` asks for (`memory` when unset or empty); nil for a value that
    /// is neither, which `make()` reports.
    public static let kind: Kind? = {
        let value = ProcessInfo.processInfo.environment["SLUICE_TEST_STORE"] ?? ""
        return value.isEmpty ? .memory : Kind(rawValue: value)
    }()

    /// Whether `make()` returns PostgreSQL stores.
    public static var isPostgres: Bool { kind == .postgres }

    /// For test names and comments: "MemoryStore" or "PostgreSQL".
    public static var description: String {
        switch kind {
        case .memory: "MemoryStore"
        case .postgres: "PostgreSQL"
        case nil: "SLUICE_TEST_STORE=\(ProcessInfo.processInfo.environment["SLUICE_TEST_STORE"] ?? "")"
        }
    }

    public struct ConfigurationError: Error, CustomStringConvertible {
        public var description: String
    }

    /// A new, empty store of the kind `SLUICE_TEST_STORE` asks for. Never falls back to
    /// MemoryStore when PostgreSQL was asked for: a missing URL, a server that cannot be
    /// reached or a suite without the `.testStores` trait fail the test.
    public static func make() async throws -> any Store {
        switch kind {
        case .memory:
            return MemoryStore()
        case .postgres:
            guard let url = PostgresTestDatabase.url else {
                throw ConfigurationError(description: "SLUICE_TEST_STORE=postgres but SLUICE_TEST_POSTGRES_URL is not set (start a server with eval \"$(.ci/postgres start)\")")
            }
            guard let stores = TestStores.current else {
                throw ConfigurationError(description: "TestStore.make() with SLUICE_TEST_STORE=postgres outside the .testStores trait: add it to the suite (@Suite(.testStores)) so that the test's schema is dropped and its store closed")
            }
            await PostgresSlots.shared.acquire(for: TestStores.name)
            do {
                let store = try await PostgresStore.connect(try PostgresTestDatabase.configuration(url: url))
                stores.add(store, holdsSlot: true)
                return store
            } catch {
                await PostgresSlots.shared.release(for: TestStores.name)
                throw error
            }
        case nil:
            throw ConfigurationError(description: "SLUICE_TEST_STORE=\(ProcessInfo.processInfo.environment["SLUICE_TEST_STORE"] ?? "") is not a test store: expected memory or postgres")
        }
    }
}

/// How many stores `TestStore.make()` keeps open at once. Swift Testing starts every test of a
/// run at once; a few hundred stores of up to 5 connections each would be more than the
/// server's `max_connections` (500 in `.ci/postgres`), and a test that cannot connect fails.
/// So a test waits for one of these slots before it connects (at most 80 stores, 400
/// connections); the `.testStores` trait gives the slot back when it has closed the store.
///
/// A test's time limit counts the time it waits here: a queue of slot-waiters as long as the
/// pass made the last ones time out (the pass once took 67 s, and tests with a 60 s limit
/// queued behind it failed). So `.ci/run` runs the PostgreSQL pass with
/// `--experimental-maximum-parallelization-width` below this limit, and nothing queues; if a
/// test still waits 20 s, this says who holds the slots.
actor PostgresSlots {
    static let shared = PostgresSlots(limit: 80)
    let limit: Int
    var used = 0
    var waiting: [CheckedContinuation<Void, Never>] = []
    /// Which tests hold slots, to say so when a test waits long for one.
    var holders: [String: Int] = [:]
    var reported = false

    init(limit: Int) { self.limit = limit }

    func acquire(for test: String) async {
        if used < limit {
            used += 1
        } else {
            let watchdog = Task { [weak self] in
                try await Task.sleep(for: .seconds(20))
                await self?.report(waiter: test)
            }
            await withCheckedContinuation { waiting.append($0) }
            watchdog.cancel()
        }
        holders[test, default: 0] += 1
    }

    func release(for test: String) {
        if let n = holders[test] { holders[test] = n > 1 ? n - 1 : nil }
        if waiting.isEmpty {
            used -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    func report(waiter: String) {
        guard !reported else { return }
        reported = true
        let list = holders.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: "\n  ")
        print("PostgresSlots: \(waiter) waited 20 s for a store slot (\(waiting.count) waiting); the \(used) slots are held by:\n  \(list)")
    }
}

/// The PostgreSQL stores a test made, to drop their schemas and close them when it ends.
public final class TestStores: @unchecked Sendable {
    @TaskLocal public static var current: TestStores?
    static var name: String { Test.current.map { "\($0.id)" } ?? "?" }
    private let lock = NSLock()
    private var stores: [(store: PostgresStore, holdsSlot: Bool)] = []

    public init() {}

    public func add(_ store: PostgresStore) {
        add(store, holdsSlot: false)
    }

    func add(_ store: PostgresStore, holdsSlot: Bool) {
        lock.withLock { stores.append((store, holdsSlot)) }
    }

    public func dropAll() async {
        for (store, holdsSlot) in lock.withLock({ stores }) {
            try? await store.dropSchema()
            try? await store.close()
            if holdsSlot { await PostgresSlots.shared.release(for: Self.name) }
        }
    }
}

/// Drops the PostgreSQL schemas each test of the suite made (and closes their stores), whether
/// the test passed or not. A no-op without a PostgreSQL server to test against.
public struct TestStoresTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil, PostgresTestDatabase.url != nil else { return try await function() }
        let stores = TestStores()
        do {
            try await TestStores.$current.withValue(stores) { try await function() }
        } catch {
            await stores.dropAll()
            throw error
        }
        await stores.dropAll()
    }
}

extension Trait where Self == TestStoresTrait {
    /// The stores a test makes with `TestStore.make()` or `PostgresTestDatabase.makeStore()`
    /// are closed, and their schemas dropped, when it ends.
    public static var testStores: Self { TestStoresTrait() }
    /// The store suites' name for `.testStores`.
    public static var postgresSchemas: Self { TestStoresTrait() }
}

/// Polls `condition` every 10 ms for up to 10 s: for what another task or process does in its
/// own time (a request registering its wait, a node claiming an execution).
public func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return false
}
