import AsyncHTTPClient
import Foundation
import Instrumentation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SluiceCore
import SluiceSteps
import SluiceStore
import StandardWebhooks
import Synchronization

/// Delivers events to webhooks, at least once and in order per execution and receiver.
///
/// Two steps, both driven by commits (and a one-second fallback poll):
/// - fan-out reads the events committed since its cursor and stores one delivery per receiver
///   (the execution's `webhook_url`, each matching subscription), moving the cursor in the same
///   transaction, so every event is fanned out exactly once, restarts included;
/// - dispatch takes due deliveries that are first in their lane (execution × receiver) and
///   attempts them concurrently, at most `maxInFlight` in all and `maxInFlightPerHost` per host,
///   each bounded by `attemptTimeout`. Each attempt and what follows it (success, next attempt,
///   failure, a 410 that disables the subscription) is committed before the lane moves on.
///
/// The sender runs beside the engine and never blocks it: a slow receiver holds only its own
/// slots, and the engine's commits only wake the sender.
public final class WebhookSender: Service, Sendable {
    struct State {
        /// The last event seen by fan-out, and the last one recorded in the store.
        var cursor: Int64 = 0
        var persistedCursor: Int64 = 0
        var lastPersist: Int64 = 0
        var inFlight: [String: Task<Void, Never>] = [:]
        /// Deliveries whose attempt finished since `dispatchDue` began reading due deliveries:
        /// the read may predate the attempt's commit and list them as due again.
        var finishedSinceRead: Set<String> = []
        var perHost: [String: Int] = [:]
    }

    public let store: any Store
    let committer: GroupCommitter
    let client: HTTPClient
    let policy: DestinationPolicy
    public let configuration: WebhookConfiguration
    let logger: Logger
    let clock: @Sendable () -> Int64
    let state = Mutex(State())

    /// On a cluster, whether this node sends webhooks now (it is the maintenance leader): two
    /// senders on one database would make the same attempts twice.
    let gate: (@Sendable () -> Bool)?

    public init(store: any Store, committer: GroupCommitter, client: HTTPClient, configuration: WebhookConfiguration = .init(), logger: Logger = Logger(label: "sluice.webhooks"), clock: @escaping @Sendable () -> Int64 = MemoryStore.wallClock, gate: (@Sendable () -> Bool)? = nil) {
        self.gate = gate
        self.store = store
        self.committer = committer
        self.client = client
        self.configuration = configuration
        self.policy = WebhookSender.policy(configuration)
        self.logger = logger
        self.clock = clock
    }

    /// The destination policy for webhook URLs under `configuration`.
    public static func policy(_ configuration: WebhookConfiguration) -> DestinationPolicy {
        DestinationPolicy(allowPrivate: configuration.allowPrivateNetworks, flag: WebhookConfiguration.allowFlag, environment: WebhookConfiguration.allowEnvironment)
    }

    public func run() async throws {
        let cursor = try await store.fanOutCursor()
        state.withLock {
            $0.cursor = cursor
            $0.persistedCursor = cursor
            $0.lastPersist = clock()
        }
        let signal = committer.committed
        await cancelWhenGracefulShutdown {
            var seen = signal.generation
            var sending = true
            while !Task.isCancelled {
                seen = signal.generation
                if let gate = self.gate, !gate() {
                    // Another node sends; look again when leadership may have changed.
                    sending = false
                    await signal.wait(after: seen, timeout: .seconds(1))
                    continue
                }
                if !sending, let stored = try? await self.store.fanOutCursor() {
                    // Taking over: continue from the cursor the last sender recorded.
                    self.state.withLock {
                        $0.cursor = stored
                        $0.persistedCursor = stored
                    }
                    sending = true
                }
                await self.pass()
                // Wait for the next commit (new events, a finished attempt) or the next due
                // delivery, at most a second; at least 20 ms, so a busy engine does not turn
                // every commit into a pass.
                try? await Task.sleep(for: .milliseconds(20))
                let wait = await self.untilNextDue()
                await signal.wait(after: seen, timeout: wait)
            }
        }
        // Attempts in flight are interrupted: they were not recorded, so they are made again
        // after a restart (at least once).
        let running = state.withLock { state in
            defer { state.inFlight = [:] }
            return Array(state.inFlight.values)
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
        try? await persistCursor()
    }

    /// One round: fan out new events, then start due deliveries.
    func pass() async {
        // A shutdown cancels the pass: that is not a failure worth an error line.
        do {
            try await fanOut()
        } catch where !(error is CancellationError) && !Task.isCancelled {
            logger.error("webhook fan-out failed; retrying", metadata: ["error": "\(error)"])
        } catch {}
        do {
            try await dispatchDue()
        } catch where !(error is CancellationError) && !Task.isCancelled {
            logger.error("could not read due webhook deliveries; retrying", metadata: ["error": "\(error)"])
        } catch {}
    }

    func untilNextDue() async -> Duration {
        guard let next = try? await store.nextDeliveryAt() else { return .seconds(1) }
        let ms = next - clock()
        // Due now but not started: in flight, or waiting for a slot; a commit wakes us.
        if ms <= 0 { return .seconds(1) }
        return .milliseconds(min(ms, 1000))
    }

    func fanOut() async throws {
        var subscriptions: [SubscriptionRecord]?
        while true {
            let after = state.withLock { $0.cursor }
            let events = try await store.fanOutEvents(after: after, limit: 1000)
            guard let last = events.last?.event.seq else { return }
            if subscriptions == nil { subscriptions = try await store.activeSubscriptions() }
            let now = clock()
            let deliveries = FanOut.deliveries(for: events, subscriptions: subscriptions!, now: now)
            let (persisted, lastPersist) = state.withLock { ($0.persistedCursor, $0.lastPersist) }
            if deliveries.isEmpty && now - lastPersist < 5000 {
                // Nothing to deliver: the cursor moves in memory and is recorded now and then (a
                // restart scans these events again and again finds nothing to deliver).
                state.withLock { $0.cursor = last }
            } else {
                let outcome = try await committer.commit([.fanOut(after: persisted, through: last, deliveries: deliveries)])[0]
                if outcome == .applied {
                    state.withLock {
                        $0.cursor = last
                        $0.persistedCursor = last
                        $0.lastPersist = now
                    }
                } else {
                    // Someone else moved the cursor (another sender on the same database).
                    let stored = try await store.fanOutCursor()
                    state.withLock {
                        $0.cursor = stored
                        $0.persistedCursor = stored
                    }
                    logger.warning("the webhook fan-out cursor moved under this sender; continuing from the stored one", metadata: ["cursor": "\(stored)"])
                }
            }
            if events.count < 1000 { return }
        }
    }

    func persistCursor() async throws {
        let (cursor, persisted) = state.withLock { ($0.cursor, $0.persistedCursor) }
        guard cursor != persisted else { return }
        if try await committer.commit([.fanOut(after: persisted, through: cursor, deliveries: [])])[0] == .applied {
            state.withLock { $0.persistedCursor = cursor }
        }
    }

    func dispatchDue() async throws {
        let c = configuration
        let free = c.maxInFlight - state.withLock { $0.inFlight.count }
        guard free > 0 else { return }
        state.withLock { $0.finishedSinceRead = [] }
        let due = try await store.dueDeliveries(now: clock(), limit: c.maxInFlight * 2)
        for item in due {
            let id = item.delivery.id
            let host = URL(string: item.delivery.url)?.host?.lowercased() ?? item.delivery.url
            let started: Bool = state.withLock { state in
                guard state.inFlight[id] == nil, !state.finishedSinceRead.contains(id), state.inFlight.count < c.maxInFlight, state.perHost[host, default: 0] < c.maxInFlightPerHost else { return false }
                state.perHost[host, default: 0] += 1
                state.inFlight[id] = Task {
                    await self.attempt(item)
                    self.state.withLock { state in
                        state.inFlight[id] = nil
                        state.finishedSinceRead.insert(id)
                        state.perHost[host, default: 1] -= 1
                        if state.perHost[host] == 0 { state.perHost[host] = nil }
                    }
                }
                return true
            }
            _ = started
        }
    }

    /// The body of a delivery: `{"type", "timestamp", "data"}`.
    static func payload(_ event: EventRecord) -> [UInt8] { event.envelope(id: nil) }

    /// Makes one attempt of `due` and commits its outcome.
    func attempt(_ due: DueDelivery) async {
        let d = due.delivery
        let number = d.attempts.count + 1
        let eventID = EventID.make(instance: store.instanceID, seq: due.event.seq)
        let body = Self.payload(due.event)
        let startedAt = clock()
        let timestamp = startedAt / 1000
        let secrets = due.secrets.compactMap { try? WebhookSecret($0) }
        let started = ContinuousClock.now
        var statusCode: Int?
        var failure: String?
        var retryAfter: Int64?
        do {
            guard !secrets.isEmpty else { throw SendError("no signing secret for this receiver") }
            let destination: Destination
            do {
                destination = try await policy.check(url: d.url)
            } catch {
                throw SendError(error.message)
            }
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "user-agent", value: "sluice-webhooks")
            headers.add(name: "webhook-id", value: eventID)
            headers.add(name: "webhook-timestamp", value: String(timestamp))
            headers.add(name: "webhook-signature", value: WebhookSignature.header(id: eventID, timestamp: timestamp, body: body, secrets: secrets))
            // Sent under the execution's trace context (when the server traces): AsyncHTTPClient
            // makes the request's span a child of it and sends its `traceparent`.
            var trace = ServiceContext.topLevel
            if let stored = due.traceContext {
                InstrumentationSystem.instrument.extract(TraceContextLines.decode(stored), into: &trace, using: StoredTraceContext())
            }
            let response = try await ServiceContext.$current.withValue(trace) {
                try await send(destination: destination, headers: headers, body: body)
            }
            let code = Int(response.status.code)
            statusCode = code
            retryAfter = response.headers.first(name: "retry-after").flatMap { RetryAfter.seconds($0, now: timestamp) }
            _ = try? await response.body.collect(upTo: 64 << 10)
            if (300...399).contains(code) {
                let location = response.headers.first(name: "location").map { " to \($0)" } ?? ""
                failure = "the receiver redirected\(location) (\(code)); redirects are not followed: give the final URL"
            } else if !(200...299).contains(code) && code != 410 {
                failure = "the receiver answered \(code) \(response.status.reasonPhrase); expected a 2xx status"
            }
        } catch let error as SendError {
            failure = error.message
        } catch {
            failure = Self.describe(error)
        }
        // A shutdown interrupted the attempt: it is not recorded and is made again after a restart.
        if Task.isCancelled { return }
        let now = clock()
        let duration = ContinuousClock.now - started
        var record = JSONObject()
        record.append("attempt", .number(Double(number)))
        record.append("at", Optional(startedAt).timestamp)
        record.append("duration_ms", .number(Double(duration.milliseconds)))
        record.append("status_code", statusCode.map { .number(Double($0)) } ?? .null)
        if let failure { record.append("error", .string(failure)) }
        let decision = AttemptDecision.after(attempt: number, statusCode: statusCode, retryAfter: retryAfter, now: now, configuration: configuration, draw: Double.random(in: 0..<1))
        var mutations: [Mutation]
        switch decision {
        case .succeeded:
            mutations = [.recordDeliveryAttempt(id: d.id, attempt: .object(record), status: .succeeded, nextAttemptAt: nil, at: now)]
        case .retry(let at):
            mutations = [.recordDeliveryAttempt(id: d.id, attempt: .object(record), status: .pending, nextAttemptAt: at, at: now)]
        case .failed:
            mutations = [.recordDeliveryAttempt(id: d.id, attempt: .object(record), status: .failed, nextAttemptAt: nil, at: now)]
        case .gone:
            record.append("error", .string("the receiver answered 410 Gone: no more deliveries go to it"))
            mutations = [.recordDeliveryAttempt(id: d.id, attempt: .object(record), status: .cancelled, nextAttemptAt: nil, at: now)]
            if let sid = d.subscriptionID {
                mutations.append(.disableSubscription(id: sid, at: now, reason: "\(d.url) answered 410 Gone"))
            } else {
                mutations.append(.cancelExecutionDeliveries(executionID: d.executionID, at: now))
            }
        }
        var metadata: Logger.Metadata = ["delivery.id": "\(d.id)", "execution.id": "\(d.executionID)", "event.type": "\(due.event.type)", "attempt": "\(number)"]
        if let statusCode { metadata["http.status"] = "\(statusCode)" }
        if let failure { metadata["error"] = "\(failure)" }
        switch decision {
        case .succeeded: committer.metrics.webhookAttempt(outcome: "delivered")
        case .retry: committer.metrics.webhookAttempt(outcome: "retrying")
        case .failed: committer.metrics.webhookAttempt(outcome: "failed")
        case .gone: committer.metrics.webhookAttempt(outcome: "gone")
        }
        switch decision {
        case .succeeded: logger.debug("webhook delivered", metadata: metadata)
        case .retry(let at): logger.info("webhook attempt failed; retrying", metadata: metadata.merging(["retry.in_ms": "\(at - now)"]) { $1 })
        case .failed: logger.warning("webhook delivery failed for good", metadata: metadata)
        case .gone: logger.notice("webhook receiver is gone (410); deliveries to it stop", metadata: metadata)
        }
        do {
            _ = try await committer.commit(mutations)
        } catch {
            // Not recorded: the delivery stays due and is attempted again.
            logger.error("could not record a webhook attempt", metadata: ["delivery.id": "\(d.id)", "error": "\(error)"])
        }
    }

    struct SendError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// Sends the POST: plain http to each checked address in turn (the name is not resolved
    /// again, so it cannot be rebound to an inside address between check and connection); https
    /// to the host name, whose certificate must match it.
    func send(destination: Destination, headers: HTTPHeaders, body: [UInt8]) async throws -> HTTPClientResponse {
        let deadline = NIODeadline.now() + .milliseconds(configuration.attemptTimeout.milliseconds)
        let addresses: [IPAddress?] = destination.scheme == "http" ? destination.addresses : [nil]
        var lastError: (any Error)?
        for address in addresses {
            var target = destination.url.absoluteString
            var all = headers
            if let address, var components = URLComponents(url: destination.url, resolvingAgainstBaseURL: false) {
                components.percentEncodedHost = address.urlHost
                components.fragment = nil
                if let pinned = components.string {
                    target = pinned
                    all.replaceOrAdd(name: "host", value: destination.hostHeader)
                }
            }
            var request = HTTPClientRequest(url: target)
            request.method = .POST
            request.headers = all
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                return try await client.execute(request, deadline: deadline)
            } catch {
                lastError = error
                if !Self.isConnectFailure(error) { throw error }
            }
        }
        throw lastError ?? SendError("no address to connect to")
    }

    static func isConnectFailure(_ error: any Error) -> Bool {
        if let e = error as? IOError { return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL].contains(e.errnoCode) }
        if let e = error as? HTTPClientError { return e == .connectTimeout }
        return false
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .deadlineExceeded || e == .readTimeout { return "no answer within the attempt timeout" }
            if e == .connectTimeout { return "could not connect within the attempt timeout" }
            return "\(e)"
        }
        if let e = error as? IOError { return "cannot connect: " + String(cString: strerror(e.errnoCode)).lowercased() }
        return "\(error)"
    }

    // MARK: Control

    /// Sends a delivery's event again to the same receiver, as a new delivery queued now.
    /// Returns the new delivery; throws `WebhookControlError` when it cannot be sent.
    public static func resend(deliveryID: String, executionID: String, store: any Store, committer: GroupCommitter, now: Int64) async throws -> DeliveryRecord {
        guard let d = try await store.delivery(id: deliveryID), d.executionID == executionID else {
            throw WebhookControlError.notFound("no delivery \(deliveryID) in execution \(executionID)")
        }
        if let sid = d.subscriptionID {
            guard let s = try await store.subscription(id: sid) else {
                throw WebhookControlError.conflict("subscription \(sid) of delivery \(deliveryID) was deleted; nothing receives it any more")
            }
            if s.disabledAt != nil {
                throw WebhookControlError.conflict("subscription \(sid) is disabled (\(s.disabledReason ?? "disabled")); create a new subscription to receive events again")
            }
        }
        var copy = DeliveryRecord(id: Identifier.make("dlv"), executionID: d.executionID, eventSeq: d.eventSeq, subscriptionID: d.subscriptionID, url: d.url, nextAttemptAt: now, createdAt: now)
        for _ in 0..<4 {
            if try await committer.commit([.insertDelivery(copy)])[0] == .applied {
                copy.eventType = d.eventType
                return copy
            }
            copy.id = Identifier.make("dlv")
        }
        throw WebhookControlError.unavailable("could not allocate a unique delivery id")
    }
}

/// Why a webhook control request cannot be done.
public enum WebhookControlError: Error, Sendable {
    case notFound(String)
    case conflict(String)
    case unavailable(String)
}

/// Reads stored propagation headers (`TraceContextLines`).
struct StoredTraceContext: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
