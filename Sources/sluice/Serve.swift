import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import OTel
import Prometheus
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceSteps
import SluiceStore
import SluiceWebhooks
import Synchronization

/// `sluice serve`: the HTTP API and the engine in one process.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the API server and the engine.",
        discussion: """
            Flags take precedence over the environment (SLUICE_HOST, SLUICE_PORT, SLUICE_DATABASE,
            SLUICE_ALLOW_PRIVATE_NETWORKS=1, SLUICE_ALLOW_PRIVATE_WEBHOOKS=1,
            SLUICE_ENABLE_PROCESS_STEPS=1, SLUICE_CONTAINER_RUNTIME, SLUICE_CONTAINER_RUNTIME_COMMAND,
            SLUICE_CONTAINER_NETWORK=1).

            Example:
              sluice serve --port 8080 --database sqlite:./sluice.db
            """
    )

    @Option(help: "Address to listen on (env SLUICE_HOST). [default: 127.0.0.1]")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env SLUICE_PORT). [default: 8080]")
    var port: Int?

    @Option(help: "sqlite:PATH, postgres://user:password@host:port/database or memory: (env SLUICE_DATABASE). [default: sqlite:./sluice.db]")
    var database: String?

    @Option(help: "Largest request body accepted, in bytes.")
    var maxBodySize: Int = Limits.defaultMaxBodyBytes

    @Option(help: "The longest a request may wait: ?wait on an execution, a claim's wait for a task (seconds, 0 to \(Limits.maxWaitSeconds)).")
    var maxWaitSeconds: Double = Double(Limits.maxWaitSeconds)

    @Flag(help: "Let HTTP.Request reach loopback, private, link-local and other inside addresses (env SLUICE_ALLOW_PRIVATE_NETWORKS=1).")
    var allowPrivateNetworks = false


    @OptionGroup(title: "Webhooks")
    var webhookOptions: WebhookOptions

    @Flag(help: "Offer the Process step, which runs programs on this host (env SLUICE_ENABLE_PROCESS_STEPS=1).")
    var enableProcessSteps = false

    @Flag(help: "Collect no metrics: GET /metrics answers 404 (env SLUICE_NO_METRICS=1).")
    var noMetrics = false

    @OptionGroup(title: "Containers (Container.Run)")
    var containerFlags: ContainerFlags

    @OptionGroup(title: "Cluster (PostgreSQL)")
    var cluster: ClusterOptions

    @OptionGroup(title: "Limits")
    var limitOptions: LimitOptions

    @OptionGroup(title: "Retention")
    var retentionOptions: RetentionOptions

    @OptionGroup(title: "Connections")
    var connectionOptions: ConnectionOptions

    @OptionGroup(title: "Access")
    var authOptions: AuthOptions

    @OptionGroup(title: "Tracing")
    var tracingOptions: TracingOptions

    @Option(help: "Log format: text or json.")
    var logFormat: LogFormat = .text

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        if let port = try resolvedPort(), !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535, found \(port)") }
        if maxBodySize < Limits.minMaxBodyBytes { throw ValidationError("--max-body-size must be at least \(Limits.minMaxBodyBytes) bytes, found \(maxBodySize)") }
        if !(0...Double(Limits.maxWaitSeconds)).contains(maxWaitSeconds) { throw ValidationError("--max-wait-seconds must be from 0 to \(Limits.maxWaitSeconds), found \(maxWaitSeconds)") }
    }

    func resolvedPort() throws -> Int? {
        if let port { return port }
        guard let raw = ProcessInfo.processInfo.environment["SLUICE_PORT"] else { return nil }
        guard let p = Int(raw) else { throw ValidationError("SLUICE_PORT must be a port number, found \"\(raw)\"") }
        return p
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let database = try DatabaseURL(self.database ?? env["SLUICE_DATABASE"] ?? DatabaseURL.default.description)
        let containers = try containerFlags.options(environment: env, defaultArtifactDirectory: database.artifactDirectory)
        let webhooks = webhookOptions.configuration(environment: env)
        let host = self.host ?? env["SLUICE_HOST"] ?? "127.0.0.1"
        var settings = ServerConfiguration(
            host: host,
            port: try resolvedPort() ?? 8080,
            maxBodySize: maxBodySize,
            maxWaitSeconds: maxWaitSeconds,
            webhooks: webhooks,
            metricsRegistry: noMetrics || Serve.isSet(env["SLUICE_NO_METRICS"]) ? nil : PrometheusCollectorRegistry()
        )
        connectionOptions.apply(to: &settings)
        let (server, secure) = try authOptions.server(http1: settings.http1)
        let scheme = secure ? "https" : "http"
        settings.auth = try authOptions.configuration(host: host, environment: env, secure: secure)
        let adminToken = try authOptions.adminToken(environment: env)
        let tracing = try tracingOptions.endpoint(environment: env) != nil
        Logs.bootstrap(format: logFormat, level: logLevel, metadataProvider: tracing ? OTel.makeLoggingMetadataProvider() : nil)
        var logger = Logger(label: "sluice")
        logger.logLevel = logLevel
        let traces = try tracingOptions.backend(environment: env, logger: logger)
        settings.tracing = traces != nil
        let configuration = settings
        let node = try await Node.start(
            database: cluster.database(database), cluster: cluster.engineCluster(kind: "serve"), limits: limitOptions.limits,
            retention: try retentionOptions.policy(environment: env), retentionInterval: retentionOptions.interval, webhooks: webhooks,
            allowPrivateNetworks: allowPrivateNetworks || Serve.isSet(env["SLUICE_ALLOW_PRIVATE_NETWORKS"]),
            enableProcess: enableProcessSteps || Serve.isSet(env["SLUICE_ENABLE_PROCESS_STEPS"]), containers: containers,
            metrics: configuration.metricsRegistry.map { SluiceMetrics.prometheus(registry: $0) } ?? .none, tracer: traces?.tracer, logger: logger
        )
        let (engine, sender) = (node.engine, node.sender)
        let startupLogger = logger
        let shown = Mutex<String?>(nil)
        let app = buildApplication(engine: engine, configuration: configuration, logger: logger, webhooks: sender, server: server, services: traces.map { [$0.service] } ?? [], beforeServing: { access in
            shown.withLock { $0 = nil }
            if let token = try await access.bootstrap(adminToken: adminToken) { shown.withLock { $0 = token } }
        }) { port in
            startupLogger.info("sluice listening", metadata: ["http.address": "\(scheme)://\(configuration.host):\(port)", "database": "\(database.description)", "node.id": "\(engine.nodeID)"])
            switch configuration.auth.mode {
            case .off: startupLogger.notice("auth is off: every request is answered without a token, which is safe only because the server listens on \(configuration.host) (--auth required turns it on)")
            case .required: startupLogger.notice("auth is required: every request but /healthz, /docs, /openapi.yaml and the web UI's files needs a token")
            }
            // The first admin's token, on the terminal only (never in the log): shown once.
            if let token = shown.withLock({ $0 }) {
                FileHandle.standardOutput.write(Data("""
                    sluice: this database had no account, so it has one now: "admin", with the admin role in every namespace.
                    Its token is shown this once (keep it in a password manager):

                        \(token)

                    Sign in with: sluice login \(scheme)://\(configuration.host):\(port) --token \(token)

                    """.utf8))
            }
            // A stable line for scripts and tests that start the server on port 0.
            FileHandle.standardOutput.write(Data("sluice listening on \(scheme)://\(configuration.host):\(port)\n".utf8))
        }
        do {
            try await app.runService()
        } catch {
            await node.shutdown()
            throw error
        }
        await node.shutdown()
    }

    /// Whether an environment switch is on: `1`, `true` or `yes`.
    static func isSet(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["1", "true", "yes"].contains(value.lowercased())
    }
}
