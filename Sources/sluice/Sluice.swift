import ArgumentParser
import Foundation
import SluiceCLI

/// The `sluice` command: the server, and the client commands that talk to one.
@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Define workflows, run them durably and watch them.",
        discussion: """
            Start a server on the embedded SQLite store:
              sluice serve
            Then, from another terminal:
              sluice workflow create -f shout.yaml
              sluice run wf-abcd1234 --input text=hello --watch
              sluice execution list wf-abcd1234
            More nodes on one PostgreSQL database:
              sluice serve --database postgres://user:pass@db/sluice   (any number)
              sluice worker --database postgres://user:pass@db/sluice  (execution only)
            Measure the engine:
              sluice bench --executions 20000 --concurrency 64

            Client commands talk to --server URL (env SLUICE_SERVER, default http://127.0.0.1:8080).
            Exit codes: 0 success; 1 the execution failed (or the server did); 2 usage or
            validation errors (a refused request: 400, 404, 409, …); 3 server unreachable.
            """,
        subcommands: [Serve.self, Worker.self, Migrate.self, Backup.self, Restore.self, Bench.self] + ClientCommands.all
    )

    /// Parses and runs the command; a usage error exits with 2 (not ArgumentParser's 64), so
    /// the exit codes are the four the CLI documents.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}
