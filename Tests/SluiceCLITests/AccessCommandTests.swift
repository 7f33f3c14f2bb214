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
        let config = Scratch.root.appendingPathComponent("sluice-login-\(UUID().uuidString)/sluice/config.json").path
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

    @Test func groupsAndAWorkerGrantsQueuesFromTheCommandLine() async throws {
        try await withAuthServer { server, admin in
            let auth = ["--server", server, "--token", admin]
            #expect(await runCLI(["account", "create", "ann"] + auth).code == 0)
            #expect(await runCLI(["account", "create", "resizer", "--kind", "machine"] + auth).code == 0)
            let created = await runCLI(["group", "create", "reviewers", "--description", "People who approve drafts"] + auth)
            #expect(created.code == 0 && created.out.contains("group:reviewers"), "\(created.out) \(created.err)")
            let added = await runCLI(["group", "add", "reviewers", "ann"] + auth)
            #expect(added.code == 0 && added.out.contains("ann is a member of reviewers"), "\(added.out) \(added.err)")
            let unknown = await runCLI(["group", "add", "reviewers", "nobody"] + auth)
            #expect(unknown.code == 2 && unknown.err.contains("no account named"), "\(unknown.err)")
            let shown = await runCLI(["group", "show", "reviewers"] + auth)
            #expect(shown.code == 0 && shown.out.contains("People who approve drafts") && shown.out.contains("ann"), "\(shown.out)")
            let json = await runCLI(["group", "show", "reviewers", "-o", "json"] + auth)
            #expect(json.out.contains("\"members\""), "\(json.out)")
            #expect(await runCLI(["group", "list"] + auth).out.contains("reviewers"))

            let grant = await runCLI(["grant", "add", "resizer", "media", "worker", "--queue", "resize", "--queue", "@human"] + auth)
            #expect(grant.code == 0 && grant.out.contains("resizer is worker in media, queues resize, @human"), "\(grant.out) \(grant.err)")
            let badQueue = await runCLI(["grant", "add", "ann", "media", "editor", "--queue", "resize"] + auth)
            #expect(badQueue.code == 2 && badQueue.err.contains("queues"), "\(badQueue.err)")
            let grants = await runCLI(["grant", "list", "--account", "resizer"] + auth)
            #expect(grants.out.contains("QUEUES") && grants.out.contains("resize,@human"), "\(grants.out)")

            #expect(await runCLI(["group", "remove", "reviewers", "ann"] + auth).code == 0)
            #expect(!(await runCLI(["group", "show", "reviewers"] + auth).out.contains("ann")))
            #expect(await runCLI(["group", "delete", "reviewers"] + auth).code == 0)
            let gone = await runCLI(["group", "show", "reviewers"] + auth)
            #expect(gone.code == 2 && gone.err.contains("no group named"), "\(gone.err)")
        }
    }
}
