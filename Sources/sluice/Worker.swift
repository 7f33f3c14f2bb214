import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import OTel
import Tracing
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluicePostgres
import SluiceSteps
import SluiceStore
import SluiceWebhooks

/// How a node takes part in a cluster: flags shared by `sluice serve` and `sluice worker`.
struct ClusterOptions: ParsableArguments {
    @Option(help: "This node's id in the cluster (PostgreSQL only). [default: a new random node-… id]")
    var nodeId: String?

    @Option(help: "Seconds a node holds its executions without a heartbeat (heartbeats come every third of it); a dead node's executions run elsewhere after about this long.")
    var lease: Double = 30

    @Option(help: "The most executions claimed at once.")
    var claimBatch: Int = 100

    @Option(help: "The most executions this node drives at once.")
    var maxExecutions: Int = SluiceCore.Limits.defaultMaxActiveExecutions

    @Option(help: "Seconds between looks for work when no notification came (new work is announced with LISTEN/NOTIFY).")
    var pollInterval: Double = 5

    @Option(help: "PostgreSQL connections in this node's pool (overrides the URL's pool_size). [default: 10]")
    var poolSize: Int?

    func validate() throws {
        if !(lease >= 1 && lease <= 3600) { throw ValidationError("--lease must be from 1 to 3600 seconds, found \(lease)") }
        if !(1...10_000).contains(claimBatch) { throw ValidationError("--claim-batch must be from 1 to 10000, found \(claimBatch)") }
        if maxExecutions < 1 { throw ValidationError("--max-executions must be at least 1, found \(maxExecutions)") }
        if !(pollInterval >= 0.05 && pollInterval <= 3600) { throw ValidationError("--poll-interval must be from 0.05 to 3600 seconds, found \(pollInterval)") }
        if let poolSize, !(1...1000).contains(poolSize) { throw ValidationError("--pool-size must be from 1 to 1000, found \(poolSize)") }
        if let nodeId, nodeId.isEmpty || nodeId.contains("|") || nodeId.contains(",") || nodeId.count > 100 {
            throw ValidationError("--node-id must be 1 to 100 characters without '|' or ',', found \"\(nodeId)\"")
        }
    }

    func engineCluster(kind: String) -> Engine.Cluster {
        Engine.Cluster(
            nodeID: nodeId, kind: kind, lease: .milliseconds(Int64(lease * 1000)), claimBatch: claimBatch,
            maxActiveExecutions: maxExecutions, pollInterval: .milliseconds(Int64(pollInterval * 1000))
        )
    }

    /// `database` with the pool size applied.
    func database(_ database: DatabaseURL) -> DatabaseURL {
        guard let poolSize, case .postgres(var configuration) = database else { return database }
        configuration.maximumConnections = poolSize
        return .postgres(configuration)
    }
}

/// How webhooks are sent: flags shared by `sluice serve` and `sluice worker` (any node may be the
/// maintenance leader that sends them).
struct WebhookOptions: ParsableArguments {
    @Flag(help: "Let webhooks go to loopback, private, link-local and other inside addresses (env SLUICE_ALLOW_PRIVATE_WEBHOOKS=1).")
    var allowPrivateWebhooks = false

    @Option(help: "Waits between webhook attempts, e.g. 5s,5m,30m,2h,5h,10h,10h (the default; units ms, s, m, h, d). A delivery fails after the last.")
    var webhookRetrySchedule: String?

    @Option(help: "The longest one webhook attempt may take, in seconds.")
    var webhookTimeout: Double = 10

    func validate() throws {
        if let raw = webhookRetrySchedule, case .failure(let e) = WebhookConfiguration.parseSchedule(raw) { throw ValidationError("--webhook-retry-schedule: \(e.message)") }
        if !(webhookTimeout > 0 && webhookTimeout <= 300) { throw ValidationError("--webhook-timeout must be from more than 0 to 300 seconds, found \(webhookTimeout)") }
    }

    func configuration(environment env: [String: String]) -> WebhookConfiguration {
        var webhooks = WebhookConfiguration(
            attemptTimeout: .milliseconds(Int64(webhookTimeout * 1000)),
            allowPrivateNetworks: allowPrivateWebhooks || Serve.isSet(env[WebhookConfiguration.allowEnvironment])
        )
        if let raw = webhookRetrySchedule, case .success(let schedule) = WebhookConfiguration.parseSchedule(raw) { webhooks.retrySchedule = schedule }
        return webhooks
    }
}

/// `sluice worker`: the engine without the HTTP API, for more execution capacity on a shared
/// PostgreSQL database.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run executions from a shared PostgreSQL database, without the HTTP API.",
        discussion: """
            Any number of workers and `sluice serve` processes can share one database: each
            claims executions in batches, and a dead node's executions are run by the others
            once its lease runs out. Flags take precedence over the environment
            (SLUICE_DATABASE, SLUICE_ALLOW_PRIVATE_NETWORKS=1, SLUICE_ENABLE_PROCESS_STEPS=1).

            Example:
              sluice worker --database postgres://sluice:secret@db.internal:5432/sluice
            """
    )

    @Option(help: "postgres://user:password@host:port/database (env SLUICE_DATABASE).")
    var database: String?

    @OptionGroup(title: "Cluster")
    var cluster: ClusterOptions

    @OptionGroup(title: "Limits")
    var limitOptions: LimitOptions

    @OptionGroup(title: "Retention (run by whichever node leads maintenance: give every node the same)")
    var retentionOptions: RetentionOptions

    @Flag(help: "Let HTTP.Request reach loopback, private, link-local and other inside addresses (env SLUICE_ALLOW_PRIVATE_NETWORKS=1).")
    var allowPrivateNetworks = false

    @OptionGroup(title: "Webhooks (sent by whichever node leads maintenance: give every node the same)")
    var webhookOptions: WebhookOptions

    @Flag(help: "Offer the Process step, which runs programs on this host (env SLUICE_ENABLE_PROCESS_STEPS=1).")
    var enableProcessSteps = false

    @OptionGroup(title: "Containers (Container.Run; give every node the same)")
    var containerFlags: ContainerFlags

    @OptionGroup(title: "Tracing")
    var tracingOptions: TracingOptions

    @Option(help: "Log format: text or json.")
    var logFormat: LogFormat = .text

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let raw = database ?? env["SLUICE_DATABASE"] else {
            throw ValidationError("sluice worker needs a shared database: --database postgres://user:password@host:port/database (or SLUICE_DATABASE)")
        }
        let database = cluster.database(try DatabaseURL(raw))
        guard case .postgres = database else {
            throw ValidationError("sluice worker needs a database several processes can share: postgres://user:password@host:port/database, found \(database.description)")
        }
        let containers = try containerFlags.options(environment: env)
        let tracing = try tracingOptions.endpoint(environment: env) != nil
        Logs.bootstrap(format: logFormat, level: logLevel, metadataProvider: tracing ? OTel.makeLoggingMetadataProvider() : nil)
        var logger = Logger(label: "sluice")
        logger.logLevel = logLevel
        let traces = try tracingOptions.backend(environment: env, logger: logger)
        let webhooks = webhookOptions.configuration(environment: env)
        let node = try await Node.start(
            database: database, cluster: cluster.engineCluster(kind: "worker"), limits: limitOptions.limits,
            retention: try retentionOptions.policy(environment: env), retentionInterval: retentionOptions.interval, webhooks: webhooks,
            allowPrivateNetworks: allowPrivateNetworks || Serve.isSet(env["SLUICE_ALLOW_PRIVATE_NETWORKS"]),
            enableProcess: enableProcessSteps || Serve.isSet(env["SLUICE_ENABLE_PROCESS_STEPS"]), containers: containers, tracer: traces?.tracer, logger: logger
        )
        // The trace exporter first, so that it stops last and flushes the last spans; then the
        // store, so that it stops after the engine: its pool runs in its service., so that it stops last: its pool runs in its service.
        let group = ServiceGroup(
            configuration: .init(services: (traces.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0.service)] } ?? []) + [
                .init(service: node.store), .init(service: node.engine), .init(service: node.sender),
                // The maintenance leader may be a worker: it fires schedules and runs retention too.
                .init(service: ScheduleRunner(engine: node.engine, logger: logger)), .init(service: RetentionRunner(engine: node.engine, logger: logger)),
            ], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        let nodeID = node.engine.nodeID
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // Joined (the engine's run does the same, once) before it says it is running.
                try await node.engine.recover()
                logger.info("sluice worker running", metadata: ["node.id": "\(nodeID)", "database": "\(database.description)"])
                FileHandle.standardOutput.write(Data("sluice worker \(nodeID) running\n".utf8))
                try await tasks.waitForAll()
            }
        } catch {
            await node.shutdown()
            throw error
        }
        await node.shutdown()
    }
}

/// What a node runs: the store, the engine, the webhook sender and their HTTP clients.
struct Node {
    var store: any SluiceStore.Store
    var engine: Engine
    var sender: WebhookSender
    var httpClient: HTTPClient
    var webhookClient: HTTPClient

    static func start(database: DatabaseURL, cluster: Engine.Cluster, limits: Engine.Limits = .init(), retention: RetentionPolicy? = nil, retentionInterval: Duration = .seconds(60), webhooks: WebhookConfiguration, allowPrivateNetworks: Bool, enableProcess: Bool, containers: ContainerOptions = .none, metrics: SluiceMetrics = .none, tracer: (any Tracer)? = nil, logger: Logger) async throws -> Node {
        let store: any SluiceStore.Store
        do {
            store = try await database.open(logger: logger)
        } catch {
            logger.critical("cannot open the database", metadata: ["database": "\(database.description)", "error": "\(error)"])
            throw ExitCode(1)
        }
        if allowPrivateNetworks { logger.notice("HTTP.Request may reach private networks (--allow-private-networks)") }
        if enableProcess { logger.notice("Process steps are enabled: workflows can run programs on this host (--enable-process-steps)") }
        if let runtime = containers.runtime {
            let line = (runtime as? CLIContainerRuntime)?.command.joined(separator: " ") ?? "commands run on this host, images not used"
            logger.notice("Container.Run runs on the \(runtime.name) runtime (\(line)); containers get \(containers.networkByDefault ? "the runtime's network" : "no network") unless their step says otherwise")
        } else {
            logger.notice("Container.Run is not offered: \(containers.unavailableReason)")
        }
        if webhooks.allowPrivateNetworks { logger.notice("webhooks may go to private networks (--allow-private-webhooks)") }
        // One client for every HTTP.Request task, shut down once the engine has stopped.
        let httpClient = HTTPRequestStep.makeHTTPClient()
        let registry = StepRegistry.standard(options: .init(httpClient: httpClient, allowPrivateNetworks: allowPrivateNetworks, enableProcess: enableProcess, containers: containers))
        var configuration = Engine.Configuration(cluster: cluster, limits: limits, retention: retention, retentionInterval: retentionInterval, tracer: tracer)
        configuration.artifactDirectory = containers.artifacts?.root
        let engine = Engine(store: store, registry: registry, configuration: configuration, logger: logger, metrics: metrics)
        // Webhooks get their own client: a slow receiver does not queue behind HTTP.Request tasks.
        let webhookClient = HTTPRequestStep.makeHTTPClient()
        let sender = WebhookSender(
            store: store, committer: engine.committer, client: webhookClient, configuration: webhooks, logger: logger,
            gate: { [engine] in engine.leadsMaintenance }
        )
        return Node(store: store, engine: engine, sender: sender, httpClient: httpClient, webhookClient: webhookClient)
    }

    func shutdown() async {
        try? await httpClient.shutdown()
        try? await webhookClient.shutdown()
        try? await store.close()
    }
}
