import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// A server with auth required over a test store, and a way to make accounts with tokens.
struct AccessFixture {
    let engine: Engine
    let access: AccessControl
    let clock: ManualClock
    let app: any ApplicationProtocol

    /// Over `store`, or the test store (`TestStore.make()`; a test holds one PostgreSQL slot per
    /// store it makes, so a test that needs several passes memory stores for the others).
    init(failuresPerMinute: Int = 20, clock: ManualClock = ManualClock(now: 1_800_000_000_000), store: (any Store)? = nil) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        self.clock = clock
        let chosen: any Store
        if let store { chosen = store } else { chosen = try await TestStore.make() }
        engine = Engine(store: chosen, registry: .builtin, logger: logger, clock: clock)
        let configuration = ServerConfiguration(auth: AuthConfiguration(mode: .required, failuresPerMinute: failuresPerMinute))
        access = AccessControl(configuration: configuration.auth, store: engine.store, clock: clock, logger: logger)
        app = buildApplication(engine: engine, configuration: configuration, logger: logger, access: access)
    }

    /// Creates account `name` with `grants` (namespace, role) and a token; answers the token.
    @discardableResult
    func account(_ name: String, _ grants: [(String, Role)] = [], kind: AccountKind = .person, expiresAt: Int64? = nil) async throws -> String {
        let id = Identifier.make("acct")
        let token = TokenValue.make()
        var mutations: [Mutation] = [
            .insertAccount(AccountRecord(id: id, name: name, kind: kind, createdAt: clock.now())),
            .insertToken(TokenRecord(id: Identifier.make("tok"), accountID: id, name: "test", hash: TokenValue.hash(token), createdAt: clock.now(), expiresAt: expiresAt)),
        ]
        for (namespace, role) in grants {
            mutations.append(.insertGrant(GrantRecord(id: Identifier.make("gr"), accountID: id, namespace: namespace, role: role, createdAt: clock.now())))
        }
        let outcomes = try await engine.store.apply(mutations)
        try #require(outcomes.allSatisfy { $0 == .applied }, "\(outcomes)")
        return token
    }
}

func bearer(_ token: String) -> HTTPFields {
    [.authorization: "Bearer \(token)"]
}

/// A request signed in with `token`, with a JSON `body` when one is given.
func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ token: String, body: String? = nil) async throws -> Reply {
    var headers = bearer(token)
    if body != nil { headers[.contentType] = "application/json" }
    return try await client.send(method, path, body: body, headers: headers)
}
