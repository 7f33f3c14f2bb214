import Hummingbird
import Logging
import SluiceEngine
import SluiceWebhooks

/// Builds the Sluice HTTP application: the router with every endpoint, and the engine as a
/// service under the same `ServiceGroup` (the server stops first on shutdown, then the engine).
public func buildApplication(engine: Engine, configuration: ServerConfiguration, logger: Logger, webhooks: WebhookSender? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    var app = Application(
        router: buildRouter(engine: engine, configuration: configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sluice"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
    app.addServices(engine)
    if let webhooks { app.addServices(webhooks) }
    // Resume unfinished executions before accepting requests, so that a `?wait` right after a
    // restart sees them running.
    app.beforeServerStarts { try await engine.recover() }
    return app
}

/// The router with every endpoint; see README.md for the API reference.
public func buildRouter(engine: Engine, configuration: ServerConfiguration) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.middlewares.add(ProblemMiddleware())
    router.middlewares.add(LogRequestsMiddleware(.debug))
    router.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
    router.get("/step-types") { _, _ in
        JSONResponse.make(["step_types": .array(engine.checker.registry.all.map(\.catalogEntry))])
    }
    WorkflowController(engine: engine, configuration: configuration).register(on: router)
    WorkflowVersionController(engine: engine, configuration: configuration).register(on: router)
    ExecutionController(engine: engine, configuration: configuration).register(on: router)
    ExecutionControlController(engine: engine, configuration: configuration).register(on: router)
    EventController(engine: engine, configuration: configuration).register(on: router)
    WebhookController(engine: engine, configuration: configuration).register(on: router)
    return router
}
