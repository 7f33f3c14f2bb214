import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceClient
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceStore
import SluiceTestSupport
import Testing

/// Runs `body` with a client for the real server, on a free port, over a new test store
/// (`TestStore.make()`: MemoryStore, or PostgreSQL with `SLUICE_TEST_STORE=postgres`); the
/// engine's time from `clock` (the system's unless a test moves it by hand).
func withLiveServer(clock: any EngineClock = WallClock(), _ body: @escaping @Sendable (SluiceClient) async throws -> Void) async throws {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let engine = Engine(store: try await TestStore.make(), registry: .builtin, logger: logger, clock: clock)
    let app = buildApplication(engine: engine, configuration: ServerConfiguration(port: 0), logger: logger)
    try await app.test(.live) { client in
        let port = try #require(client.port)
        try await body(SluiceClient(baseURL: URL(string: "http://127.0.0.1:\(port)")!))
    }
}

/// The seed's workflow.
let seedWorkflow: JSONValue = [
    "name": "Dummy Workflow",
    "steps": [
        ["type": "StaticTextInput", "input": "Hello, world!"],
        ["type": "TextOperation.Reverse"],
        ["type": "Echo"],
    ],
]

/// A workflow whose first step waits 30 s, to have a running execution.
let delayedWorkflow: JSONValue = [
    "name": "Delayed",
    "steps": [["type": "Delay", "input": ["seconds": 30]], ["type": "Echo"]],
]

/// The problem an operation failed with; fails the test if it did not fail with one.
func problem(_ operation: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProblemDetails {
    do {
        try await operation()
    } catch SluiceClientError.problem(let problem) {
        return problem
    }
    Issue.record("expected a problem answer, but the request succeeded", sourceLocation: sourceLocation)
    throw CancellationError()
}
