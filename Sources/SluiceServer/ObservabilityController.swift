import Hummingbird
import Prometheus
import SluiceCore
import SluiceEngine
import SluiceStore
import Synchronization

/// What an operator's tools read: `GET /metrics` (Prometheus' text exposition of the server's
/// registry) and `GET /readyz` (whether this node should take traffic). `GET /healthz` (alive)
/// stays with the router.
struct ObservabilityController {
    let engine: Engine
    let registry: PrometheusCollectorRegistry?

    /// How long the store may take to answer the readiness read.
    static let storeProbeLimit: Duration = .seconds(2)

    func register(on routes: RecordingRouter) {
        routes.get("/metrics") { _, _ in try metrics() }
        routes.get("/readyz") { _, _ in await readiness() }
    }

    func metrics() throws -> Response {
        guard let registry else {
            throw Problem.notFound("metrics are not collected by this server (it was started without a metrics registry)")
        }
        // Values read now rather than counted as they change.
        let m = engine.metrics
        m.gauge(SluiceMetrics.Name.executionsRunning, Double(engine.activeExecutionCount))
        m.gauge(SluiceMetrics.Name.commitQueue, Double(engine.committer.queuedMutations))
        if engine.isClustered { m.gauge(SluiceMetrics.Name.leader, engine.leadsMaintenance ? 1 : 0) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 * 1024)
        registry.emit(into: &bytes)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Ready when the store answers a read within `storeProbeLimit` (it is reachable and its
    /// migrations were applied when it opened) and the engine has resumed the executions left
    /// unfinished (a `?wait` would otherwise miss them). `503` with the failing check otherwise.
    func readiness() async -> Response {
        var checks: [(String, JSONValue)] = []
        var ready = true
        let probe = await Self.probe(engine.store, limit: Self.storeProbeLimit)
        if let probe {
            ready = false
            checks.append(("store", Self.check(false, probe)))
        } else {
            checks.append(("store", Self.check(true)))
        }
        let recovered = engine.hasRecovered
        if !recovered { ready = false }
        checks.append(("recovery", Self.check(recovered, recovered ? nil : "unfinished executions are still being resumed")))
        if engine.isClustered {
            checks.append(("cluster", .object(JSONObject([("ok", .bool(true)), ("node", .string(engine.nodeID)), ("leader", .bool(engine.leadsMaintenance))]))))
        }
        engine.metrics.gauge(SluiceMetrics.Name.ready, ready ? 1 : 0)
        var body = JSONObject()
        body.append("status", .string(ready ? "ready" : "not_ready"))
        body.append("checks", .object(JSONObject(checks)))
        return JSONResponse.make(.object(body), status: ready ? .ok : .serviceUnavailable)
    }
}

extension ObservabilityController {
    /// `nil` when `store` answers a read within `limit`, else why not. Returns at `limit` even
    /// when the read hangs without honouring cancellation (a database that stopped answering):
    /// the read is left to finish on its own rather than awaited, as a task group would.
    static func probe(_ store: any Store, limit: Duration) async -> String? {
        final class Once: Sendable {
            let continuation = Mutex<CheckedContinuation<String?, Never>?>(nil)
            func resume(_ value: String?) { continuation.withLock { $0.take() }?.resume(returning: value) }
        }
        let once = Once()
        var tasks: [Task<Void, Never>] = []
        let answer = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            once.continuation.withLock { $0 = continuation }
            tasks.append(Task {
                do {
                    _ = try await store.lastEventSeq()
                    once.resume(nil)
                } catch {
                    once.resume("the store did not answer: \(error)")
                }
            })
            tasks.append(Task {
                try? await Task.sleep(for: limit)
                once.resume("the store did not answer within \(limit)")
            })
        }
        for task in tasks { task.cancel() }
        return answer
    }

    static func check(_ ok: Bool, _ message: String? = nil) -> JSONValue {
        var object = JSONObject([("ok", .bool(ok))])
        if let message { object.append("message", .string(message)) }
        return .object(object)
    }
}

/// Counts every answered request by route template (never the path asked, so ids do not become
/// labels), method and status, and how long the answer's head took. Outermost, so it sees the
/// status problems were turned into.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: SluiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.httpRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code, duration: ContinuousClock.now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.httpRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status, duration: ContinuousClock.now - started)
            throw error
        }
    }
}

extension SluiceMetrics {
    /// Metrics written to `registry` (what `GET /metrics` shows), with buckets fitted to what
    /// Sluice measures: requests and commits in milliseconds, tasks and executions up to hours,
    /// commit batches up to the committer's largest.
    public static func prometheus(registry: PrometheusCollectorRegistry) -> SluiceMetrics {
        var factory = PrometheusMetricsFactory(registry: registry)
        let fast: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
        let slow: [Duration] = [.milliseconds(1), .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60), .seconds(300), .seconds(1800), .seconds(3600), .seconds(6 * 3600), .seconds(24 * 3600)]
        factory.durationHistogramBuckets = [
            Name.httpDuration: fast, Name.commitDuration: fast,
            Name.taskDuration: slow, Name.executionDuration: slow, Name.queueWait: slow,
        ]
        factory.valueHistogramBuckets = [Name.commitBatchSize: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]]
        return SluiceMetrics(factory: factory)
    }
}
