import ArgumentParser
import Foundation
import Logging
import SluicePostgres
import SluiceSQLite
import SluiceStore

/// Where a server keeps its data: `sqlite:PATH` (the default, `sqlite:./sluice.db`), `memory:`,
/// or `postgres://user:password@host:port/database` (also `postgresql://`).
enum DatabaseURL: Equatable {
    case sqlite(path: String)
    case memory
    case postgres(PostgresConfiguration)

    static let `default` = DatabaseURL.sqlite(path: "./sluice.db")

    static let expected = "expected sqlite:PATH (e.g. sqlite:./sluice.db), postgres://user:password@host:port/database or memory:"

    init(_ text: String) throws {
        if text == "memory:" || text == "memory" {
            self = .memory
        } else if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw ValidationError("database URL \"\(text)\" has no path; expected sqlite:PATH, e.g. sqlite:./sluice.db") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            do {
                self = .postgres(try PostgresConfiguration(url: text))
            } catch let error as StoreError {
                throw ValidationError(error.message)
            }
        } else {
            throw ValidationError("unsupported database URL \"\(text)\"; \(Self.expected)")
        }
    }

    /// The local artifact store's default directory: `artifacts` beside a SQLite database (the
    /// server's data directory); a directory of this process under `$TMPDIR` with `memory:`
    /// (which keeps nothing either); else `./sluice-artifacts`.
    var artifactDirectory: String {
        if case .memory = self { return "\(NSTemporaryDirectory())sluice-artifacts-\(ProcessInfo.processInfo.processIdentifier)" }
        guard case .sqlite(let path) = self else { return "./sluice-artifacts" }
        guard let slash = path.lastIndex(of: "/") else { return "./artifacts" }
        return path[..<slash].isEmpty ? "/artifacts" : "\(path[..<slash])/artifacts"
    }

    /// Opens the store, applying pending migrations.
    /// Opens the store. A PostgreSQL store's pool runs in its service (`run()`), which the
    /// caller runs in its `ServiceGroup`.
    func open(logger: Logger) async throws -> any Store {
        switch self {
        case .memory: return MemoryStore()
        case .sqlite(let path): return try SQLiteStore(path: path)
        case .postgres(let configuration): return try await PostgresStore.connect(configuration, logger: logger, runsPool: false)
        }
    }

    /// The URL for logs (a PostgreSQL password is left out).
    var description: String {
        switch self {
        case .memory: return "memory:"
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let configuration): return configuration.description
        }
    }
}
