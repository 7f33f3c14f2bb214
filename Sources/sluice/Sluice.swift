import ArgumentParser

/// The `sluice` command: the server, the worker of tomorrow, and tools around them.
@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Define workflows, run them durably and watch them.",
        discussion: """
            Start a server on the embedded SQLite store:
              sluice serve
            Measure it:
              sluice bench --executions 20000 --concurrency 64
            """,
        subcommands: [Serve.self, Bench.self]
    )
}
