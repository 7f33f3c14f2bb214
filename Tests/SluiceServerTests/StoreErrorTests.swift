import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceStore
import Synchronization
import Testing

/// A database error's words (table names, constraints, hosts) never reach an answer: the server
/// logs the error with an id and answers the id.
@Suite struct StoreErrorTests {
    /// A store whose writes fail with a message that must not leak.
    final class BrokenStore: StoreDecorator {
        let base: any Store = MemoryStore()
        let failing = Mutex(false)
        func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
            if failing.withLock({ $0 }) { throw StoreError(message: "disk I/O error on table secret_internal_table at db.example.internal") }
            return try await base.apply(mutations)
        }
    }

    @Test func aStoreFailureAnswers503WithAnErrorIdAndNotTheDatabasesWords() async throws {
        let store = BrokenStore()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let engine = Engine(store: store, registry: .builtin, logger: logger)
        let app = buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger)
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            store.failing.withLock { $0 = true }
            for (method, path, body) in [
                (HTTPRequest.Method.post, "/workflows/\(wf)/execute", "{}"),
                (.post, "/workflows", seedWorkflow),
                (.post, "/workflows/\(wf)/webhooks", #"{"url": "https://example.com/hook"}"#),
            ] {
                let reply = try await client.send(method, path, body: body)
                try expectProblem(reply, status: .serviceUnavailable)
                #expect(!reply.text.contains("secret_internal_table") && !reply.text.contains("example.internal"), "\(path): \(reply.text)")
                let detail = try reply.json()["detail"]?.stringValue ?? ""
                #expect(detail.contains("(error err-"), "\(path): the answer names the logged error's id: \(detail)")
            }
        }
    }
}
