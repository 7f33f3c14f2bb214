import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceStore
import SluiceTestSupport
import Testing

@testable import SluiceCLI

/// `sluice login`, `whoami`, `account`, `token` and `grant` against a server with auth on.
@Suite(.testStores, .serialized, .timeLimit(.minutes(1))) struct AccessCommandTests {
    /// A live server with auth required and its first admin's token.
    func withAuthServer(_ body: @escaping @Sendable (String, String) async throws -> Void) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: .builtin, logger: logger)
        let configuration = ServerConfiguration(port: 0, auth: AuthConfiguration(mode: .required))
        let access = AccessControl(configuration: configuration.auth, store: engine.store, clock: engine.clock, logger: logger)
        let app = buildApplication(engine: engine, configuration: configuration, logger: logger, access: access)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let admin = try #require(try await access.bootstrap(adminToken: nil))
            try await body("http://127.0.0.1:\(port)", admin)
        }
    }

    @Test func loginSavesTheServerAndTokenReadableByItsOwnerOnlyAndLaterCommandsUseThem() async throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-login-\(UUID().uuidString)/sluice/config.json").path
        try await withAuthServer { server, admin in
            try await LoginConfig.$pathOverride.withValue(config) {
                let login = await runCLI(["login", server, "--token", admin])
                #expect(login.code == 0, "\(login.err)")
                #expect(login.out.contains("signed in to \(server) as admin"))
                let mode = try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int
                #expect(mode == 0o600)
                #expect(LoginConfig.load() == LoginConfig(server: server, token: admin))
                // No --server, no --token: both come from the file.
                let whoami = await runCLI(["whoami"])
                #expect(whoami.code == 0 && whoami.out.contains("admin on \(server)"), "\(whoami.out) \(whoami.err)")
                // Another server never gets the saved token.
                let elsewhere = await runCLI(["whoami", "--server", "http://127.0.0.1:1"])
                #expect(elsewhere.code != 0)

                #expect(await runCLI(["account", "create", "ann"]).code == 0)
                let grant = await runCLI(["grant", "add", "ann", "team-a", "editor"])
                #expect(grant.code == 0 && grant.out.contains("ann is editor in team-a"), "\(grant.out) \(grant.err)")
                let token = await runCLI(["token", "create", "laptop", "--account", "ann"])
                #expect(token.code == 0, "\(token.err)")
                let value = token.out.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(value.hasPrefix("slc_") && token.err.contains("only time"))
                let asAnn = await runCLI(["whoami", "--token", value])
                #expect(asAnn.out.contains("ann on") && asAnn.out.contains("team-a") && asAnn.out.contains("editor"), "\(asAnn.out)")
                let denied = await runCLI(["account", "list", "--token", value])
                #expect(denied.code != 0 && denied.err.contains("403"), "\(denied.err)")
                let list = await runCLI(["token", "list", "--token", value])
                #expect(list.code == 0 && list.out.contains("laptop") && !list.out.contains(value))
                let id = try #require(list.out.split(separator: "\n").dropFirst().first?.split(separator: " ").first.map(String.init))
                let own = await runCLI(["token", "revoke", id, "--token", value])
                #expect(own.code != 0 && own.err.contains("signed in with"), "not the token the command signs in with: \(own.err)")
                #expect(await runCLI(["token", "revoke", id, "--account", "ann"]).code == 0, "the admin (saved login) revokes it")
                let after = await runCLI(["whoami", "--token", value])
                #expect(after.code != 0 && after.err.contains("revoked"), "\(after.err)")
                #expect(await runCLI(["logout"]).code == 0)
                #expect(LoginConfig.load() == nil)
            }
        }
    }

    @Test func aCommandWithoutATokenSaysHowToSignIn() async throws {
        try await withAuthServer { server, _ in
            try await LoginConfig.$pathOverride.withValue("/nonexistent/sluice/config.json") {
                let result = await runCLI(["workflow", "list", "--server", server])
                #expect(result.code != 0)
                #expect(result.err.contains("401") || result.err.contains("needs a token"), "\(result.err)")
                #expect(result.err.contains("sluice login"), "\(result.err)")
            }
        }
    }
}
