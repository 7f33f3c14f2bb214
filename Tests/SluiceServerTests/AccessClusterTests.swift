import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// Two nodes of a cluster on one PostgreSQL database: a token revoked through one stops working
/// on the other within a second. Runs when SLUICE_TEST_POSTGRES_URL names a server (.ci/run).
@Suite(.testStores, .timeLimit(.minutes(1)), .enabled(if: PostgresTestDatabase.url != nil, "needs SLUICE_TEST_POSTGRES_URL"))
struct AccessClusterTests {
    @Test func aTokenRevokedOnOneNodeStopsWorkingOnTheOtherWithinASecond() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let configuration = try PostgresTestDatabase.configuration()
        let storeA = try await PostgresStore.connect(configuration)
        TestStores.current?.add(storeA)
        let storeB = try await PostgresStore.connect(configuration)
        let server = ServerConfiguration(auth: AuthConfiguration(mode: .required))
        let engineA = Engine(store: storeA, registry: .builtin, logger: logger)
        let engineB = Engine(store: storeB, registry: .builtin, logger: logger)
        let accessA = AccessControl(configuration: server.auth, store: storeA, clock: engineA.clock, logger: logger)
        let accessB = AccessControl(configuration: server.auth, store: storeB, clock: engineB.clock, logger: logger)
        let admin = try #require(try await accessA.bootstrap(adminToken: nil))
        let appA = buildApplication(engine: engineA, configuration: server, logger: logger, access: accessA)
        let appB = buildApplication(engine: engineB, configuration: server, logger: logger, access: accessB)
        try await appA.test(.router) { a in
            try await appB.test(.router) { b in
                let created = try await a.send(.post, "/accounts/admin/tokens", body: #"{"name": "ci"}"#, headers: bearer(admin))
                let token = try #require(try created.json()["token"]?.stringValue)
                let id = try #require(try created.json()["token_id"]?.stringValue)
                #expect(try await b.send(.get, "/me", headers: bearer(token)).status == .ok, "node B knows it (and caches it)")
                #expect(try await a.send(.delete, "/accounts/admin/tokens/\(id)", headers: bearer(admin)).status == .noContent)
                #expect(try await a.send(.get, "/me", headers: bearer(token)).status == .unauthorized, "at once on the node that revoked it")
                let revoked = ContinuousClock.now
                var refused: Duration?
                while ContinuousClock.now - revoked < .seconds(3) {
                    if try await b.send(.get, "/me", headers: bearer(token)).status == .unauthorized {
                        refused = ContinuousClock.now - revoked
                        break
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                let after = try #require(refused, "node B still let the revoked token in after 3 s")
                #expect(after < .seconds(1), "node B refused it \(after) after the revocation")
            }
        }
        try await storeB.close()
    }
}
