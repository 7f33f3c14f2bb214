import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import SluiceEngine
import SluiceWebhooks

/// Builds the Sluice HTTP application: the router with every endpoint, and the engine as a
/// service under the same `ServiceGroup` (the server stops first on shutdown, then the engine).
/// `server` is HTTP/1.1 with `configuration.http1` when not given, or HTTPS with
/// `.tls(.http1(configuration: configuration.http1), tlsConfiguration:)` (`sluice serve --tls-cert`).
public func buildApplication(engine: Engine, configuration: ServerConfiguration, logger: Logger, webhooks: WebhookSender? = nil, access: AccessControl? = nil, server: HTTPServerBuilder? = nil, services: [any Service] = [], beforeServing: @escaping @Sendable (AccessControl) async throws -> Void = { _ in }, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    let access = access ?? AccessControl(configuration: configuration.auth, store: engine.store, clock: engine.clock, logger: logger)
    var app = Application(
        router: buildRouter(engine: engine, configuration: configuration, access: access),
        server: server ?? .http1(configuration: configuration.http1),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sluice"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
    // Services that must outlive everything else (the trace exporter, which flushes the last
    // spans) first, so that they stop last.
    for service in services { app.addServices(service) }
    // The store first, so that it stops last: after the engine has committed everything.
    // The audit writer after the store, so that it stores what is left before the store stops.
    app.addServices(engine.store, access, engine)
    // After the engine, so that it stops first.
    app.addServices(AnnotationItemStarter(engine: engine, logger: logger))
    app.addServices(ScheduleRunner(engine: engine, logger: logger), RetentionRunner(engine: engine, logger: logger))
    if let webhooks { app.addServices(webhooks) }
    // Resume unfinished executions before accepting requests, so that a `?wait` right after a
    // restart sees them running.
    app.beforeServerStarts {
        try await beforeServing(access)
        try await engine.recover()
        // Items stored without their execution (a crash came between) start now.
        try await AnnotationItemController.startPending(engine: engine)
    }
    return app
}

/// The router with every endpoint; see docs/api.md for the API reference and openapi.yaml for the
/// contract.
public func buildRouter(engine: Engine, configuration: ServerConfiguration, access: AccessControl? = nil) -> Router<SluiceRequestContext> {
    buildRouter(engine: engine, configuration: configuration, access: access, held: HeldRequests.Kinds(configuration))
}

/// The router, with `held` counting what clients hold open (tests watch the counts).
func buildRouter(engine: Engine, configuration: ServerConfiguration, access: AccessControl?, held: HeldRequests.Kinds) -> Router<SluiceRequestContext> {
    let access = access ?? AccessControl(configuration: configuration.auth, store: engine.store, clock: engine.clock, logger: Logger(label: "sluice.access"))
    let router = Router(context: SluiceRequestContext.self)
    // Every route is registered through `routes`, so that ProblemMiddleware can tell a known path
    // asked with another method (405) from an unknown path (404).
    let table = RouteTable()
    // Outermost: every request counted with the status it was finally answered.
    router.middlewares.add(MetricsMiddleware(metrics: engine.metrics))
    // A span per request, a child of the caller's `traceparent`: an execution started by the
    // request joins the caller's trace (Engine+Tracing.swift).
    if configuration.tracing { router.middlewares.add(TracingMiddleware()) }
    // Next, so that problems answered to HEAD lose their body too.
    router.middlewares.add(HeadMiddleware())
    router.middlewares.add(ProblemMiddleware(routes: table))
    router.middlewares.add(LogRequestsMiddleware(.debug))
    var routes = RecordingRouter(router: router, table: table, access: access, engine: engine)
    // What clients hold open is bounded in all and per client (docs/limits.md): claims here,
    // event streams in EventController (only a request that asks for a stream holds one).
    routes.held["POST /queues/{queue}/claim"] = held.longPolls
    routes.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
    ObservabilityController(engine: engine, registry: configuration.metricsRegistry).register(on: routes)
    routes.get("/step-types") { _, _ in
        JSONResponse.make(["step_types": .array(engine.checker.registry.all.map(\.catalogEntry))])
    }
    ContractController().register(on: routes)
    UIController().register(on: routes)
    WorkflowController(engine: engine, configuration: configuration).register(on: routes)
    WorkflowVersionController(engine: engine, configuration: configuration).register(on: routes)
    ExecutionController(engine: engine, configuration: configuration).register(on: routes)
    ExecutionControlController(engine: engine, configuration: configuration).register(on: routes)
    EventController(engine: engine, configuration: configuration, access: access, streams: held.streams).register(on: routes)
    WebhookController(engine: engine, configuration: configuration).register(on: routes)
    ScheduleController(engine: engine, configuration: configuration).register(on: routes)
    QueueController(engine: engine, configuration: configuration).register(on: routes)
    HumanTaskController(engine: engine, configuration: configuration).register(on: routes)
    AnnotationController(engine: engine, configuration: configuration).register(on: routes)
    AnnotationItemController(engine: engine, configuration: configuration).register(on: routes)
    AnnotationWorkController(engine: engine, configuration: configuration).register(on: routes)
    AnnotationProgressController(engine: engine).register(on: routes)
    let accounts = AccountController(engine: engine, configuration: configuration, access: access)
    accounts.register(on: routes)
    GroupController(engine: engine, accounts: accounts).register(on: routes)
    ArgoController(engine: engine, configuration: configuration, streams: held.streams).register(on: routes)
    return router
}
