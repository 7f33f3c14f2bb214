import SluiceWebhooks

/// Settings of the HTTP API.
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
    /// Webhook settings: which destinations are allowed, how long a rotated secret keeps signing.
    public var webhooks: WebhookConfiguration
    /// Who may call the server (`--auth`); off by default, as a server on loopback is.
    public var auth: AuthConfiguration

    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodySize: Int = 1 << 20, maxWaitSeconds: Double = 60, defaultPageSize: Int = 50, maxPageSize: Int = 500, webhooks: WebhookConfiguration = .init(), auth: AuthConfiguration = .init()) {
        self.auth = auth
        self.webhooks = webhooks
        self.host = host
        self.port = port
        self.maxBodySize = maxBodySize
        self.maxWaitSeconds = maxWaitSeconds
        self.defaultPageSize = defaultPageSize
        self.maxPageSize = maxPageSize
    }
}
