import ArgumentParser
import Foundation
import SluiceClient
import SluiceCore

/// Where `sluice login` keeps the server and token: `$XDG_CONFIG_HOME/sluice/config.json`
/// (`~/.config/sluice/config.json`), readable by its owner only (mode 0600).
struct LoginConfig: Equatable {
    var server: String
    var token: String

    /// Tests point it elsewhere for the task that runs a command (an environment variable would
    /// reach every test running at the same time).
    @TaskLocal static var pathOverride: String?

    static var path: String {
        if let pathOverride { return pathOverride }
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["SLUICE_CONFIG"], !explicit.isEmpty { return explicit }
        let base = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
        return base + "/sluice/config.json"
    }

    static func load() -> LoginConfig? {
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSONParser.parse(String(decoding: data, as: UTF8.self)),
              let server = json["server"]?.stringValue, let token = json["token"]?.stringValue else { return nil }
        return LoginConfig(server: server, token: token)
    }

    /// Writes the file with mode 0600 from the start (never readable by others, not even for a moment).
    func save() throws {
        let url = URL(fileURLWithPath: Self.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let text = Formatting.prettyJSON(["server": .string(server), "token": .string(token)]) + "\n"
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw ValidationError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
    }

    static func remove() throws {
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    }
}

public struct LoginCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check a token against a server and save both for the next commands.",
        discussion: """
            The server and token go to ~/.config/sluice/config.json (mode 0600; $XDG_CONFIG_HOME or
            SLUICE_CONFIG move it). Later commands send the token only to that server. --token,
            SLUICE_TOKEN and SLUICE_SERVER still win.

            Examples:
              sluice login http://sluice.internal:8080 --token slc_…
              echo "$TOKEN" | sluice login http://sluice.internal:8080 --token -
            """
    )
    @Argument(help: "The server, e.g. http://sluice.internal:8080.")
    var server: String
    @Option(help: "The token (slc_…); - reads it from standard input.")
    var token: String
    @Flag(name: .long, help: "Never colour the output.")
    var noColor = false

    public init() {}

    public func run() async throws {
        var value = token
        if value == "-" { value = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces) }
        var options = try ServerOptions.parse(["--server", server, "--token", value] + (noColor ? ["--no-color"] : []))
        options.token = value
        let url = ServerOptions.normalized(server)
        try await options.run { client, console in
            let me = try await client.me()
            try LoginConfig(server: url, token: value).save()
            if me["auth"] == "off" {
                console.print("\(url) does not check tokens (auth is off); saved it as your server anyway")
            } else {
                let roles = me["grants"]?.arrayValue?.map { "\($0["role"]?.stringValue ?? "") in \($0["namespace"]?.stringValue ?? "")" }.joined(separator: ", ") ?? ""
                console.print("signed in to \(url) as \(me["account"]?["name"]?.stringValue ?? "?")\(roles.isEmpty ? " (no roles yet)" : ": \(roles)")")
            }
            console.print("saved in \(LoginConfig.path)")
            return ExitStatus.success
        }
    }
}

public struct LogoutCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "logout", abstract: "Forget the server and token `sluice login` saved (the token stays valid: revoke it with `sluice token revoke`).")
    public init() {}
    public func run() async throws {
        try LoginConfig.remove()
        print("removed \(LoginConfig.path)")
    }
}

public struct WhoamiCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the account the token signs in as, and its roles.")
    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    public init() {}
    public func run() async throws {
        try await server.run { client, console in
            let me = try await client.me()
            if output.printStructured(me, console: console) { return ExitStatus.success }
            guard me["auth"] != "off" else {
                console.print("\(server.serverURL) does not check tokens (auth is off): every request may do everything")
                return ExitStatus.success
            }
            console.print("\(me["account"]?["name"]?.stringValue ?? "?") on \(server.serverURL)")
            console.print(Formatting.table(["NAMESPACE", "ROLE"], (me["grants"]?.arrayValue ?? []).map { [$0["namespace"]?.stringValue ?? "", $0["role"]?.stringValue ?? ""] }))
            return ExitStatus.success
        }
    }
}

public struct AccountCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Accounts of people and machines (an admin everywhere manages them).",
        subcommands: [List.self, Create.self, Show.self, Delete.self]
    )
    public init() {}

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List accounts, newest first.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let page = try await client.accounts(limit: 500)
                if output.printStructured(page, console: console) { return ExitStatus.success }
                console.print(Formatting.table(["NAME", "KIND", "DISPLAY NAME", "CREATED"], (page["accounts"]?.arrayValue ?? []).map {
                    [$0["name"]?.stringValue ?? "", $0["kind"]?.stringValue ?? "", $0["display_name"]?.stringValue ?? "", $0["created_at"]?.stringValue ?? ""]
                }))
                return ExitStatus.success
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an account.", discussion: "Example:\n  sluice account create ann --display-name 'Ann Lee'\n  sluice account create ci-bot --kind machine")
        @Argument(help: "Its name: letters, digits, . _ @ and -.") var name: String
        @Option(help: "person or machine.") var kind: String = "person"
        @Option(help: "A name to show.") var displayName: String?
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let account = try await client.createAccount(name: name, kind: kind, displayName: displayName)
                if output.printStructured(account, console: console) { return ExitStatus.success }
                console.print("created account \(name); give it a role with `sluice grant add \(name) NAMESPACE ROLE` and a token with `sluice token create --account \(name) NAME`")
                return ExitStatus.success
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "An account with its roles and tokens.")
        @Argument var name: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let account = try await client.account(name)
                if output.printStructured(account, console: console) { return ExitStatus.success }
                console.print("\(name) (\(account["kind"]?.stringValue ?? ""))")
                console.print(Formatting.table(["GRANT", "NAMESPACE", "ROLE", "QUEUES"], (account["grants"]?.arrayValue ?? []).map {
                    [$0["grant_id"]?.stringValue ?? "", $0["namespace"]?.stringValue ?? "", $0["role"]?.stringValue ?? "", GrantCommand.queues($0)]
                }))
                console.print(Formatting.table(["TOKEN", "NAME", "STATUS", "LAST USED", "EXPIRES"], (account["tokens"]?.arrayValue ?? []).map(TokenCommand.row)))
                return ExitStatus.success
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete an account with its tokens and roles.")
        @Argument var name: String
        @OptionGroup var server: ServerOptions
        func run() async throws {
            try await server.run { client, console in
                try await client.deleteAccount(name)
                console.print("deleted account \(name)")
                return ExitStatus.success
            }
        }
    }
}

public struct TokenCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Your tokens (or, for an admin everywhere, any account's).",
        subcommands: [List.self, Create.self, Revoke.self]
    )
    public init() {}

    static func row(_ t: JSONValue) -> [String] {
        [t["token_id"]?.stringValue ?? "", t["name"]?.stringValue ?? "", t["status"]?.stringValue ?? "", t["last_used_at"]?.stringValue ?? "never", t["expires_at"]?.stringValue ?? "never"]
    }

    /// `--account`, else the caller's own account.
    static func account(_ given: String?, _ client: SluiceClient) async throws -> String {
        if let given { return given }
        guard let name = try await client.me()["account"]?["name"]?.stringValue else {
            throw ValidationError("the server does not check tokens (auth is off), so there is no account of yours; name one with --account")
        }
        return name
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their values).")
        @Option(help: "Whose tokens (default: your own).") var account: String?
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let tokens = try await client.tokens(account: try await TokenCommand.account(account, client))
                if output.printStructured(tokens, console: console) { return ExitStatus.success }
                console.print(Formatting.table(["TOKEN", "NAME", "STATUS", "LAST USED", "EXPIRES"], (tokens["tokens"]?.arrayValue ?? []).map(TokenCommand.row)))
                return ExitStatus.success
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token; its value is printed this once.", discussion: "Example:\n  sluice token create laptop --expires-in-days 90")
        @Argument(help: "Where it is used (laptop, ci).") var name: String
        @Option(help: "Whose token (default: your own).") var account: String?
        @Option(help: "Days until it stops working (default: never).") var expiresInDays: Double?
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let created = try await client.createToken(account: try await TokenCommand.account(account, client), name: name, expiresInSeconds: expiresInDays.map { $0 * 86400 })
                if output.printStructured(created, console: console) { return ExitStatus.success }
                console.print(created["token"]?.stringValue ?? "")
                console.printError("this is the only time the token is shown; keep it somewhere safe (id \(created["token_id"]?.stringValue ?? ""))")
                return ExitStatus.success
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id (tok-…); it stops working at once.")
        @Argument var tokenID: String
        @Option(help: "Whose token (default: your own).") var account: String?
        @OptionGroup var server: ServerOptions
        func run() async throws {
            try await server.run { client, console in
                try await client.revokeToken(account: try await TokenCommand.account(account, client), tokenID: tokenID)
                console.print("revoked \(tokenID)")
                return ExitStatus.success
            }
        }
    }
}

public struct GrantCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "grant", abstract: "Roles of accounts in namespaces (admin, editor, runner, viewer, worker).",
        subcommands: [List.self, Add.self, Remove.self]
    )
    public init() {}

    /// A grant's queues as a table shows them: `all`, or the names.
    static func queues(_ grant: JSONValue) -> String {
        grant["queues"]?.arrayValue.map { $0.compactMap(\.stringValue).joined(separator: ",") } ?? "all"
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Grants in the namespaces you administer.")
        @Option var account: String?
        @Option var namespace: String?
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let grants = try await client.grants(account: account, namespace: namespace)
                if output.printStructured(grants, console: console) { return ExitStatus.success }
                console.print(Formatting.table(["GRANT", "ACCOUNT", "NAMESPACE", "ROLE", "QUEUES"], (grants["grants"]?.arrayValue ?? []).map {
                    [$0["grant_id"]?.stringValue ?? "", $0["account"]?.stringValue ?? "", $0["namespace"]?.stringValue ?? "", $0["role"]?.stringValue ?? "", GrantCommand.queues($0)]
                }))
                return ExitStatus.success
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Grant a role.", discussion: "Examples:\n  sluice grant add ann team-a editor\n  sluice grant add ops '*' admin\n  sluice grant add resizer media worker --queue resize --queue ocr\n  sluice grant add ann team-a worker --queue @human     # human tasks only")
        @Argument var account: String
        @Argument(help: "A namespace, or * for every namespace.") var namespace: String
        @Argument(help: "admin, editor, runner, viewer or worker.") var role: String
        @Option(name: .customLong("queue"), help: "For a worker: a queue it may claim from (repeat for more; @human for human tasks). Default: every queue.")
        var queues: [String] = []
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let grant = try await client.grant(account: account, namespace: namespace, role: role, queues: queues.isEmpty ? nil : queues)
                if output.printStructured(grant, console: console) { return ExitStatus.success }
                let scope = queues.isEmpty ? "" : ", queues \(queues.joined(separator: ", "))"
                console.print("\(account) is \(role) in \(namespace == "*" ? "every namespace" : namespace)\(scope) (\(grant["grant_id"]?.stringValue ?? ""))")
                return ExitStatus.success
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Take a role away, by the grant's id (gr-…).")
        @Argument var grantID: String
        @OptionGroup var server: ServerOptions
        func run() async throws {
            try await server.run { client, console in
                try await client.deleteGrant(grantID)
                console.print("removed \(grantID)")
                return ExitStatus.success
            }
        }
    }
}
