import Foundation
import PostgresNIO
import SluiceStore

/// Where a `PostgresStore` connects: parsed from `postgres://user:password@host:port/database`.
public struct PostgresConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String?
    /// `disable`, `prefer` (the default: TLS when the server offers it) or `require`, from `?sslmode=`.
    public var tls: TLSMode
    /// The schema the store's tables live in (`?search_path=`; `public` when not given). Tests
    /// give each store its own schema.
    public var schema: String?
    /// How many connections the pool may open (`?pool_size=`, default 10).
    public var maximumConnections: Int

    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String? = nil, tls: TLSMode = .prefer, schema: String? = nil, maximumConnections: Int = 10) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.schema = schema
        self.maximumConnections = maximumConnections
    }

    /// Parses `postgres://` or `postgresql://` URLs; the message of the thrown error says what is wrong.
    public init(url text: String) throws {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"), let url = URLComponents(string: text) else {
            throw StoreError(message: "\"\(Self.redacted(text))\" is not a PostgreSQL URL; expected postgres://user:password@host:port/database")
        }
        guard let host = url.host, !host.isEmpty else {
            throw StoreError(message: "PostgreSQL URL \"\(Self.redacted(text))\" has no host; expected postgres://user:password@host:port/database")
        }
        var database = url.path
        if database.hasPrefix("/") { database.removeFirst() }
        self.init(
            host: host, port: url.port ?? 5432, username: url.user?.removingPercentEncoding ?? "postgres",
            password: url.password?.removingPercentEncoding, database: database.isEmpty ? nil : database.removingPercentEncoding
        )
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value {
                case "disable", "allow": tls = .disable
                case "prefer", nil: tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw StoreError(message: "unsupported sslmode \(item.value ?? "") in the PostgreSQL URL; expected disable, prefer or require")
                }
            case "search_path", "schema":
                schema = item.value
            case "pool_size":
                guard let n = item.value.flatMap(Int.init), n > 0 else { throw StoreError(message: "pool_size in the PostgreSQL URL must be a positive number") }
                maximumConnections = n
            default:
                throw StoreError(message: "unsupported parameter \(item.name) in the PostgreSQL URL; supported: sslmode, search_path, pool_size")
            }
        }
    }

    /// The URL with its password replaced by `***`, for logs.
    public var description: String {
        var s = "postgres://" + username
        if password != nil { s += ":***" }
        s += "@\(host):\(port)"
        if let database { s += "/" + database }
        if let schema { s += "?search_path=" + schema }
        return s
    }

    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? text
    }

    var clientConfiguration: PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS
        switch tls {
        case .disable: mode = .disable
        case .prefer: mode = .prefer(.makeClientConfiguration())
        case .require: mode = .require(.makeClientConfiguration())
        }
        var c = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: mode)
        c.options.maximumConnections = maximumConnections
        c.options.additionalStartupParameters = startupParameters
        return c
    }

    /// Set on every connection: the schema, and how long a session may sit idle inside a
    /// transaction before PostgreSQL ends it. Sluice sends a transaction's statements back to
    /// back, so only a node that stopped mid-transaction (paused, frozen VM) reaches the limit:
    /// its session ends and its row locks go with it, so that the other nodes can rescue its
    /// executions instead of waiting on those locks until it wakes.
    var startupParameters: [(String, String)] {
        var parameters = [("idle_in_transaction_session_timeout", String(Self.idleInTransactionTimeoutMilliseconds))]
        if let schema { parameters.append(("search_path", schema)) }
        return parameters
    }

    /// `idle_in_transaction_session_timeout` of Sluice's sessions.
    static let idleInTransactionTimeoutMilliseconds = 5_000

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable: mode = .disable
        case .prefer: mode = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: mode = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var c = PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: mode)
        c.options.additionalStartupParameters = startupParameters
        return c
    }
}
