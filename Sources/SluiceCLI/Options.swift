import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceClient
import SluiceCore
import SluiceYAML

/// `--server` and `--no-color`, on every client command.
public struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The Sluice server (env SLUICE_SERVER). [default: \(ServerOptions.defaultServer)]", valueName: "URL"))
    var server: String?

    @Flag(name: .long, help: "Never colour the output (colour is used only on a terminal, and never when NO_COLOR is set).")
    var noColor = false

    @Option(name: .long, help: ArgumentHelp("The token to send (env SLUICE_TOKEN; else the one `sluice login` saved for this server).", valueName: "slc_…"))
    var token: String?

    public init() {}

    static let defaultServer = "http://127.0.0.1:8080"

    /// `--server`, else `SLUICE_SERVER`, else the server `sluice login` saved, else the local default.
    var serverURL: String {
        let chosen = server ?? ProcessInfo.processInfo.environment["SLUICE_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? LoginConfig.load()?.server ?? Self.defaultServer
        return Self.normalized(chosen)
    }

    /// `localhost:8080` and `127.0.0.1:8080` mean http; no trailing slash.
    static func normalized(_ server: String) -> String {
        var url = server.contains("://") ? server : "http://" + server
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// `--token`, else `SLUICE_TOKEN`, else the token `sluice login` saved — only for the server
    /// it was saved for, so that a token never goes to another server.
    var resolvedToken: String? {
        if let token { return token }
        if let env = ProcessInfo.processInfo.environment["SLUICE_TOKEN"], !env.isEmpty { return env }
        guard let saved = LoginConfig.load(), Self.normalized(saved.server) == serverURL else { return nil }
        return saved.token
    }

    public func validate() throws {
        guard let url = URL(string: serverURL), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host?.isEmpty == false else {
            throw ValidationError("--server/SLUICE_SERVER must be an http or https URL such as http://127.0.0.1:8080, found \"\(serverURL)\"")
        }
    }

    /// Runs `body` with a client of the chosen server and the console, then closes the client.
    /// Any error is printed for people and becomes the exit code (``ExitStatus``).
    func run(_ body: (SluiceClient, Console) async throws -> Int32, locate: (([String]) -> [String?])? = nil) async throws {
        let console = noColor ? Console.current.withoutColor() : Console.current
        // Fail fast when nothing listens: no retrying of refused connections until a deadline.
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let client = SluiceClient(baseURL: URL(string: serverURL)!, httpClient: http, token: resolvedToken)
        let code: Int32
        do {
            code = try await Console.$current.withValue(console) { try await body(client, console) }
        } catch {
            code = FailureReport(server: serverURL, locate: locate).report(error, console: console)
        }
        try? await http.shutdown()
        if code != 0 { throw ExitCode(code) }
    }
}

/// `-o table|json|yaml`.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, json, yaml
}

/// `-o`, on the commands that print a resource.
public struct OutputOptions: ParsableArguments {
    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: table (for people), json or yaml (the server's representation, for scripts).")
    var format: OutputFormat = .table

    public init() {}

    /// Prints a JSON value as `-o json` or `-o yaml`; `false` for `-o table` (the caller prints).
    func printStructured(_ value: JSONValue, console: Console) -> Bool {
        switch format {
        case .table: return false
        case .json: console.print(Formatting.prettyJSON(value))
        case .yaml: console.write(YAMLConversion.yaml(from: value))
        }
        return true
    }
}
