import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceSteps
import SluiceStore
import SluiceWebhooks
import StandardWebhooks
import Synchronization
import SluiceTestSupport
import Testing

/// One client for every webhook test, configured as the server configures its own.
let webhookTestClient = HTTPRequestStep.makeHTTPClient()

/// Retries within milliseconds, so that tests see several attempts quickly.
let fastSchedule: [Duration] = [.milliseconds(50), .milliseconds(50), .milliseconds(50), .milliseconds(50)]

/// The app with a webhook sender, allowed to reach the local receivers, over `store` (by default
/// a new test store: `TestStore.make()`).
func makeWebhookApp(store: (any Store)? = nil, schedule: [Duration] = fastSchedule, allowPrivate: Bool = true, registry: StepRegistry = testRegistry, metrics: PrometheusCollectorRegistry? = nil) async throws -> some ApplicationProtocol {
    let store = if let store { store } else { try await TestStore.make() }
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let engine = Engine(store: store, registry: registry, logger: logger, metrics: metrics.map { SluiceMetrics.prometheus(registry: $0) } ?? .none)
    // A receiver here answers in microseconds; 10 s per attempt only matters on a machine so
    // loaded that an answer took over a second (1 s made the sender retry and the receiver see
    // an event twice, once in a loaded run).
    let webhooks = WebhookConfiguration(retrySchedule: schedule, attemptTimeout: .seconds(10), jitter: 0, allowPrivateNetworks: allowPrivate)
    let sender = WebhookSender(store: store, committer: engine.committer, client: webhookTestClient, configuration: webhooks, logger: logger)
    return buildApplication(engine: engine, configuration: ServerConfiguration(webhooks: webhooks, metricsRegistry: metrics), logger: logger, webhooks: sender)
}

/// A delivery as a receiver saw it.
struct Received: Sendable {
    var path: String
    var headers: [String: String]
    var body: [UInt8]
    var id: String { headers["webhook-id"] ?? "" }
    var type: String { (try? JSONParser.parse(body))?["type"]?.stringValue ?? "" }
    var data: JSONValue { (try? JSONParser.parse(body))?["data"] ?? .null }
}

/// A local webhook receiver that records every request and answers as `respond` says (given the
/// request and how many requests with its webhook-id came before it).
final class Receiver: Sendable {
    typealias Respond = @Sendable (Received, Int) async -> (HTTPResponse.Status, HTTPFields)
    let received = Mutex<[Received]>([])
    let respond: Respond

    init(respond: @escaping Respond = { _, _ in (.noContent, [:]) }) { self.respond = respond }

    var all: [Received] { received.withLock { $0 } }

    /// Waits until `condition` holds for what was received (at most `seconds`).
    func wait(seconds: Double = 10, until condition: ([Received]) -> Bool) async throws -> [Received] {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            let all = self.all
            if condition(all) { return all }
            try await Task.sleep(for: .milliseconds(20))
        }
        return all
    }

    /// Runs `body` with the receiver listening on 127.0.0.1 (`port` 0 picks a free one).
    func run<T: Sendable>(port: Int = 0, _ body: @Sendable (_ base: String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/{path}") { request, context in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let item = Received(path: context.parameters.get("path") ?? "", headers: headers, body: Array(bytes.readableBytesView))
            let before = self.received.withLock { list in
                defer { list.append(item) }
                return list.filter { $0.id == item.id && $0.path == item.path }.count
            }
            let (status, extra) = await self.respond(item, before)
            return Response(status: status, headers: extra)
        }
        // Run as a service (not through HummingbirdTesting, which always picks its own port),
        // so that a restarted receiver can come back on the same port.
        let (ports, portsContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in portsContinuation.yield(channel.localAddress?.port ?? port) }
        )
        var logger = Logger(label: "receiver")
        logger.logLevel = .warning
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            var iterator = ports.makeAsyncIterator()
            guard let bound = await iterator.next() else { throw CancellationError() }
            do {
                let result = try await body("http://127.0.0.1:\(bound)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }
}

/// Verifies `r`'s signature with `secret` the way a receiver would.
func verifySignature(_ r: Received, secret: String) throws {
    try WebhookSignature.verify(
        id: r.id, timestamp: r.headers["webhook-timestamp"] ?? "", signatureHeader: r.headers["webhook-signature"] ?? "",
        body: r.body, secret: try WebhookSecret(secret)
    )
}
