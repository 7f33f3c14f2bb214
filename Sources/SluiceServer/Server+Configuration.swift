import HummingbirdCore
import NIOCore
import Prometheus
import SluiceCore
import SluiceWebhooks

/// Settings of the HTTP API. The defaults of its limits are `SluiceCore.Limits`'s (listed in
/// `docs/limits.md`).
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The largest request body accepted, in bytes; larger ones get 413.
    public var maxBodySize: Int
    /// The longest `?wait=SECONDS` a request may ask for.
    public var maxWaitSeconds: Double
    /// Page size of lists when `limit` is not given, and the largest `limit` allowed.
    public var defaultPageSize: Int
    public var maxPageSize: Int
    /// How long a connection may stay idle (between requests, or a request's head or body not
    /// advancing) before it is closed; a request being answered (a wait, a stream) is never
    /// idle.
    public var idleTimeout: Duration
    /// The most event streams open at once, in all and per client (`503` and `429` past them).
    public var maxStreams: Int
    public var maxStreamsPerClient: Int
    /// The most claims (long polls for a worker's task) under way at once, in all and per client.
    public var maxLongPolls: Int
    public var maxLongPollsPerClient: Int
    /// Webhook settings: which destinations are allowed, how long a rotated secret keeps signing.
    public var webhooks: WebhookConfiguration
    /// Who may call the server (`--auth`); off by default, as a server on loopback is.
    public var auth: AuthConfiguration
    /// The registry `GET /metrics` shows (the one the engine's `SluiceMetrics` writes to through
    /// a `PrometheusMetricsFactory`); without one `/metrics` answers 404.
    public var metricsRegistry: PrometheusCollectorRegistry?
    /// Whether requests get spans (Hummingbird's `TracingMiddleware` on the process-wide tracer,
    /// honouring an incoming `traceparent`): on when `sluice serve` exports traces.
    public var tracing = false

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodySize: Int = Limits.defaultMaxBodyBytes, maxWaitSeconds: Double = Double(Limits.maxWaitSeconds),
        defaultPageSize: Int = Limits.defaultPageSize, maxPageSize: Int = Limits.maxPageSize, idleTimeout: Duration = .seconds(Limits.defaultIdleTimeoutSeconds),
        maxStreams: Int = Limits.defaultMaxStreams, maxStreamsPerClient: Int = Limits.defaultMaxStreamsPerClient,
        maxLongPolls: Int = Limits.defaultMaxLongPolls, maxLongPollsPerClient: Int = Limits.defaultMaxLongPollsPerClient,
        webhooks: WebhookConfiguration = .init(), auth: AuthConfiguration = .init(), metricsRegistry: PrometheusCollectorRegistry? = nil
    ) {
        self.metricsRegistry = metricsRegistry
        self.auth = auth
        self.webhooks = webhooks
        self.host = host
        self.port = port
        self.maxBodySize = maxBodySize
        self.maxWaitSeconds = maxWaitSeconds
        self.defaultPageSize = defaultPageSize
        self.maxPageSize = maxPageSize
        self.idleTimeout = idleTimeout
        self.maxStreams = maxStreams
        self.maxStreamsPerClient = maxStreamsPerClient
        self.maxLongPolls = maxLongPolls
        self.maxLongPollsPerClient = maxLongPollsPerClient
    }

    /// The HTTP/1.1 channel with these limits: the idle timeout and the size of a request's
    /// head (`Limits.headerBytes`, `Limits.headerCount`; past them the parser answers `400` and
    /// closes the connection). `sluice serve` wraps it in TLS with `--tls-cert`.
    public var http1: HTTP1Channel.Configuration {
        let nanoseconds = idleTimeout.components.seconds * 1_000_000_000 + idleTimeout.components.attoseconds / 1_000_000_000
        return HTTP1Channel.Configuration(
            idleTimeout: .nanoseconds(nanoseconds),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: Limits.headerBytes, maxHeaderListSize: Limits.headerBytes, maxHeaderFieldCount: Limits.headerCount)
        )
    }
}
