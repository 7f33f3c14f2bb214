import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCLI
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceStore
import SluiceTestSupport
import Testing

/// What a command line printed and its exit code.
struct CLIResult {
    var code: Int32
    var out: String
    var err: String
}

/// Parses and runs a command line in-process, as the `sluice` executable would (usage errors
/// exit 2), writing into a captured console.
func runCLI(_ arguments: [String], terminal: Bool = false, color: Bool = false) async -> CLIResult {
    let console = Console.capturing(terminal: terminal, color: color)
    var code: Int32 = 0
    await Console.$current.withValue(console) {
        do {
            var command = try ClientRoot.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            code = exit.rawValue
        } catch {
            let exitCode = ClientRoot.exitCode(for: error)
            console.printError(ClientRoot.fullMessage(for: error))
            code = exitCode == .validationFailure ? ExitStatus.usage : exitCode.rawValue
        }
    }
    let captured = console.captured
    return CLIResult(code: code, out: captured.out, err: captured.err)
}

/// Runs `body` with the URL of a real server on a free port, over a new test store
/// (`TestStore.make()`: MemoryStore, or PostgreSQL with `SLUICE_TEST_STORE=postgres`).
func withServer(clock: any EngineClock = WallClock(), _ body: @escaping @Sendable (String) async throws -> Void) async throws {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let engine = Engine(store: try await TestStore.make(), registry: .builtin, logger: logger, clock: clock)
    let app = buildApplication(engine: engine, configuration: ServerConfiguration(port: 0), logger: logger)
    try await app.test(.live) { client in
        let port = try #require(client.port)
        try await body("http://127.0.0.1:\(port)")
    }
}

/// A file in a fresh temporary directory.
func temporaryFile(_ name: String, _ contents: String) throws -> String {
    let dir = Scratch.root.appendingPathComponent("sluice-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try contents.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

let shoutYAML = """
    name: shout
    description: Upper-cases a text
    input_schema:
      type: object
      properties:
        text: {type: string, description: what to shout}
        times: {type: integer}
      required: [text]
    steps:
      - type: TextOperation.Uppercase
      - type: Echo
    """
