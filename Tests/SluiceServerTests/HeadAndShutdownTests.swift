import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceStore
import SluiceTestSupport
import Testing

/// `HEAD` on `GET` routes, and the never-ending event stream on graceful shutdown.
@Suite(.testStores) struct HeadAndShutdownTests {
    @Test func headAnswersLikeGetWithoutTheBody() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            for path in ["/healthz", "/workflows", "/workflows/\(wf)", "/openapi.yaml", "/step-types"] {
                let get = try await client.send(.get, path)
                let head = try await client.send(.head, path)
                #expect(head.status == .ok, "\(path): \(head.status)")
                #expect(head.text.isEmpty, "\(path)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "\(path)")
                #expect(head.headers[.contentLength] == String(get.text.utf8.count), "\(path)")
            }
            #expect(try await client.send(.head, "/workflows/\(wf)").headers[.eTag] == "\"1\"")
            let missing = try await client.send(.head, "/workflows/wf-zzzzzzzz")
            #expect(missing.status == .notFound && missing.text.isEmpty)
            let postOnly = try await client.send(.head, "/workflows/\(wf)/execute")
            #expect(postOnly.status == .methodNotAllowed && postOnly.text.isEmpty)
            #expect(postOnly.headers[.allow] == "POST")
        }
    }

    @Test func headOnAnEventStreamDoesNotStartIt() async throws {
        try await makeApp().test(.router) { client in
            let head = try await client.send(.head, "/events", headers: [.accept: "text/event-stream"])
            #expect(head.status == .ok)
            #expect(head.headers[.contentType] == "text/event-stream")
            #expect(head.text.isEmpty)
        }
    }

    /// The server waits for open responses before it stops; `GET /events` never ends on its own,
    /// and a connected client would otherwise hold the shutdown (at best until the next
    /// keep-alive write finds the client gone). On MemoryStore whatever `SLUICE_TEST_STORE` says:
    /// the time limit counts from the start of the test, and with PostgreSQL that includes the
    /// wait for a connection slot (`TestStore`), which alone came near the minute in a full run;
    /// what is tested is the server's shutdown, not the store.
    @Test(.timeLimit(.minutes(1))) func aGracefulShutdownEndsTheNeverEndingEventStreamAtOnce() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: MemoryStore(), registry: .builtin, logger: logger)
        let (ports, portsContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(engine: engine, configuration: ServerConfiguration(host: "127.0.0.1", port: 0), logger: logger, onServerRunning: { portsContinuation.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/events")
            request.headers.add(name: "accept", value: "text/event-stream")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            var body = response.body.makeAsyncIterator()
            let first = try await body.next()
            #expect(first.map { String(buffer: $0) }?.hasPrefix("retry:") == true)
            let start = ContinuousClock.now
            await group.triggerGracefulShutdown()
            while try await body.next() != nil {}
            // The stream's end is what is measured (a keep-alive comes every 15 s); the rest of
            // the services stop after the server, each in turn, which on a loaded test run can
            // take seconds of its own.
            #expect(ContinuousClock.now - start < .seconds(12), "the stream ended without waiting for a keep-alive")
            try await tasks.waitForAll()
        }
    }
}
