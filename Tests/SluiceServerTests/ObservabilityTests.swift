import Dispatch
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Prometheus
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

/// `GET /metrics` (Prometheus text from the server's registry) and `GET /readyz`.
@Suite(.testStores) struct ObservabilityTests {
    /// The value of the sample `name{labels}` in a Prometheus text exposition, labels in the order
    /// written.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    static func app(store: any Store, recover: Bool = true) async throws -> (some ApplicationProtocol, Engine) {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let registry = PrometheusCollectorRegistry()
        let engine = Engine(store: store, registry: .builtin, logger: logger, metrics: .prometheus(registry: registry))
        if recover { try await engine.recover() }
        let router = buildRouter(engine: engine, configuration: ServerConfiguration(metricsRegistry: registry))
        return (Application(router: router, logger: logger), engine)
    }

    @Test func metricsCountExecutionsTasksCommitsAndRequestsByRouteNeverById() async throws {
        let (app, _) = try await Self.app(store: try await TestStore.make())
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            for _ in 0..<3 {
                let started = try await client.send(.post, "/workflows/\(wf)/execute", body: seedInput)
                #expect(started.status == .accepted)
                let ex = try #require(try started.json()["execution_id"]?.stringValue)
                #expect(try await client.send(.get, "/executions/\(ex)?wait=5").json()["status"] == "COMPLETED")
            }
            #expect(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"input": 5}"#).status == .badRequest)
            let reply = try await client.send(.get, "/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = reply.text
            #expect(Self.sample(text, #"sluice_executions_started_total{workflow="\#(wf)"}"#) == 3)
            #expect(Self.sample(text, #"sluice_executions_finished_total{workflow="\#(wf)",status="COMPLETED"}"#) == 3)
            #expect(Self.sample(text, #"sluice_execution_duration_seconds_count{workflow="\#(wf)",status="COMPLETED"}"#) == 3)
            for type in ["StaticTextInput", "TextOperation.Reverse", "Echo"] {
                #expect(Self.sample(text, #"sluice_task_duration_seconds_count{step_type="\#(type)",status="COMPLETED"}"#) == 3, "\(type)")
            }
            // Requests by the route's template, with the status they were answered.
            #expect(Self.sample(text, #"sluice_http_requests_total{route="/workflows/{workflow_id}/execute",method="POST",status="202"}"#) == 3)
            #expect(Self.sample(text, #"sluice_http_requests_total{route="/executions/{execution_id}",method="GET",status="200"}"#) == 3)
            #expect(Self.sample(text, #"sluice_http_requests_total{route="/workflows/{workflow_id}/execute",method="POST",status="400"}"#) == 1)
            #expect(Self.sample(text, #"sluice_http_requests_total{route="/workflows",method="POST",status="201"}"#) == 1)
            #expect(!text.contains("ex-"), "no execution id in any label")
            #expect((Self.sample(text, "sluice_store_commit_batch_size_count") ?? 0) >= 1)
            #expect((Self.sample(text, "sluice_store_commit_duration_seconds_count") ?? 0) >= 1)
            #expect(Self.sample(text, "sluice_executions_running") == 0)
        }
    }

    @Test func aClaimRecordsHowLongTheTaskWaitedInItsQueue() async throws {
        let clock = ManualClock(now: 1_800_000_000_000)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let registry = PrometheusCollectorRegistry()
        let engine = Engine(store: try await TestStore.make(), registry: .builtin, logger: logger, clock: clock, metrics: .prometheus(registry: registry))
        // With the engine running as a service: on PostgreSQL an execution waits in the store
        // until the engine's claim loop takes it.
        let app = buildApplication(engine: engine, configuration: ServerConfiguration(metricsRegistry: registry), logger: logger)
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(QueueTests.workflow())
            #expect(try await client.send(.post, "/workflows/\(wf)/execute", body: "{}").status == .accepted)
            // The task is queued once its execution's first transition is committed.
            var queued = false
            for _ in 0..<500 where !queued {
                queued = try await client.send(.get, "/queues").json()["queues"]?.arrayValue?.first?["waiting"] == 1
                if !queued { try await Task.sleep(for: .milliseconds(10)) }
            }
            try #require(queued)
            clock.advance(by: 7_000)
            let claim = try await client.send(.post, "/queues/resize/claim", body: #"{"worker":"w1"}"#)
            #expect(try claim.json()["tasks"]?.arrayValue?.count == 1, "\(claim.text)")
            let text = try await client.send(.get, "/metrics").text
            #expect(Self.sample(text, #"sluice_queue_wait_seconds_count{queue="resize"}"#) == 1)
            #expect(Self.sample(text, #"sluice_queue_wait_seconds_sum{queue="resize"}"#) == 7)
            #expect(Self.sample(text, #"sluice_queue_wait_seconds_bucket{queue="resize",le="1.0"}"#) == 0)
            #expect(Self.sample(text, #"sluice_queue_wait_seconds_bucket{queue="resize",le="10.0"}"#) == 1)
        }
    }

    @Test func webhookAttemptsAreCountedByOutcome() async throws {
        let receiver = Receiver { _, before in before < 2 ? (.serviceUnavailable, [:]) : (.ok, [:]) }
        let registry = PrometheusCollectorRegistry()
        try await receiver.run { base in
            try await makeWebhookApp(metrics: registry).test(.router) { client in
                let wf = try await client.createWorkflow(seedWorkflow)
                let sub = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(base)/hook", "event_types": ["execution.completed"]}"#)
                #expect(sub.status == .created, "\(sub.text)")
                let ex = try await client.startExecution(wf)
                _ = try await client.finishedExecution(wf, ex)
                _ = try await receiver.wait { $0.count >= 3 }
                // Counted before the attempt is recorded: once the delivery says SUCCEEDED, all three are.
                var status: JSONValue?
                for _ in 0..<500 where status != "SUCCEEDED" {
                    status = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/deliveries").json()["deliveries"]?.arrayValue?.first?["status"]
                    if status != "SUCCEEDED" { try await Task.sleep(for: .milliseconds(10)) }
                }
                let text = try await client.send(.get, "/metrics").text
                #expect(Self.sample(text, #"sluice_webhook_delivery_attempts_total{outcome="retrying"}"#) == 2)
                #expect(Self.sample(text, #"sluice_webhook_delivery_attempts_total{outcome="delivered"}"#) == 1)
            }
        }
    }

    @Test func labelsUsersChooseKeepABoundedNumberOfValues() {
        let registry = PrometheusCollectorRegistry()
        let metrics = SluiceMetrics.prometheus(registry: registry)
        for i in 0..<(SluiceMetrics.maxValuesPerLabel + 20) { metrics.executionStarted(workflowID: "wf-\(i)") }
        metrics.executionStarted(workflowID: "wf-0")
        let text = registry.emitToString()
        #expect(Self.sample(text, #"sluice_executions_started_total{workflow="wf-0"}"#) == 2, "a value seen before keeps its series")
        #expect(Self.sample(text, #"sluice_executions_started_total{workflow="wf-\#(SluiceMetrics.maxValuesPerLabel - 1)"}"#) == 1)
        #expect(Self.sample(text, #"sluice_executions_started_total{workflow="wf-\#(SluiceMetrics.maxValuesPerLabel)"}"#) == nil)
        #expect(Self.sample(text, #"sluice_executions_started_total{workflow="other"}"#) == 20)
    }

    @Test func aServerWithoutARegistryAnswers404ForMetrics() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/metrics")
            #expect(reply.status == .notFound)
            #expect(reply.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func readyOnlyOnceUnfinishedExecutionsAreResumed() async throws {
        let (app, engine) = try await Self.app(store: try await TestStore.make(), recover: false)
        try await app.test(.router) { client in
            let before = try await client.send(.get, "/readyz")
            #expect(before.status == .serviceUnavailable)
            #expect(try before.json()["status"] == "not_ready")
            #expect(try before.json()["checks"]?["recovery"]?["ok"] == false)
            #expect(try before.json()["checks"]?["store"]?["ok"] == true)
            try await engine.recover()
            let after = try await client.send(.get, "/readyz")
            #expect(after.status == .ok)
            #expect(try after.json()["status"] == "ready")
        }
    }

    /// A store whose reads fail, or hang without heeding cancellation, as a database that
    /// stopped answering does.
    final class UnreachableStore: StoreDecorator {
        let base: any Store = MemoryStore()
        let hang: Bool
        let hangEnded = Atomic(false)
        init(hang: Bool) { self.hang = hang }
        func lastEventSeq() async throws -> Int64 {
            if hang {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 30) { c.resume() }
                }
                hangEnded.store(true, ordering: .relaxed)
            }
            throw StoreError(message: "connection refused")
        }
    }

    @Test(arguments: [false, true])
    func notReadyWhenTheStoreFailsOrDoesNotAnswer(hang: Bool) async throws {
        let store = UnreachableStore(hang: hang)
        let (app, _) = try await Self.app(store: store)
        try await app.test(.router) { client in
            let reply = try await client.send(.get, "/readyz")
            #expect(reply.status == .serviceUnavailable)
            // Answered at the limit, not when the hung read finally returns.
            let ended = store.hangEnded.load(ordering: .relaxed)
            #expect(!ended)
            let store = try reply.json()["checks"]?["store"]
            #expect(store?["ok"] == false)
            #expect(store?["message"]?.stringValue?.contains(hang ? "within" : "did not answer") == true, "\(reply.text)")
            // Alive all the same: liveness does not depend on the store.
            #expect(try await client.send(.get, "/healthz").status == .ok)
        }
    }
}
