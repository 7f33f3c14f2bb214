import ArgumentParser
import Foundation
import Logging
import SluicePostgres
import SluiceSQLite
import SluiceStore

/// `sluice migrate`: applies the database's pending migrations and exits. `sluice serve` does the
/// same on start; this is for deployments that migrate before rolling out new nodes.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and exit.",
        discussion: """
            Migrations are numbered and recorded in the database; each runs once. On PostgreSQL
            they run in one transaction under an advisory lock, so nodes starting at once (or
            this command running while they start) are safe.

            Migrations only go forward: a database migrated by a newer Sluice is not for an
            older one. --dry-run lists what would be applied (with the SQL on PostgreSQL) and
            changes nothing.

            Example:
              sluice migrate --database postgres://sluice:secret@db.internal:5432/sluice
              sluice migrate --database sqlite:./sluice.db --dry-run
            """
    )

    @Option(help: "sqlite:PATH or postgres://user:password@host:port/database (env SLUICE_DATABASE). [default: sqlite:./sluice.db]")
    var database: String?

    @Flag(help: "Print the migrations that would be applied, and apply none.")
    var dryRun = false

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let database = try DatabaseURL(self.database ?? env["SLUICE_DATABASE"] ?? DatabaseURL.default.description)
        var logger = Logger(label: "sluice")
        logger.logLevel = .warning
        if dryRun { return try await Self.dryRun(database, logger: logger) }
        let applied: [String]
        switch database {
        case .memory:
            throw ValidationError("memory: has nothing to migrate; give --database sqlite:PATH or postgres://…")
        case .sqlite(let path):
            let store: SQLiteStore
            do { store = try SQLiteStore(path: path) } catch { throw Migrate.failure(database, error) }
            applied = try store.appliedMigrations()
            try await store.close()
        case .postgres(let configuration):
            let store: PostgresStore
            do { store = try await PostgresStore.connect(configuration, logger: logger) } catch { throw Migrate.failure(database, error) }
            applied = try await store.appliedMigrations()
            try await store.close()
        }
        print("\(database.description): schema up to date (\(applied.count) migrations: \(applied.joined(separator: ", ")))")
    }

    static func dryRun(_ database: DatabaseURL, logger: Logger) async throws {
        let pending: [(name: String, sql: [String])]
        switch database {
        case .memory:
            throw ValidationError("memory: has nothing to migrate; give --database sqlite:PATH or postgres://…")
        case .sqlite(let path):
            do { pending = try SQLiteStore.pendingMigrations(path: path).map { ($0, []) } } catch { throw Migrate.failure(database, error) }
        case .postgres(let configuration):
            do { pending = try await PostgresStore.pendingMigrations(configuration, logger: logger) } catch { throw Migrate.failure(database, error) }
        }
        if pending.isEmpty {
            print("\(database.description): schema up to date; nothing would be applied")
            return
        }
        print("\(database.description): \(pending.count) migrations would be applied (nothing was changed):")
        for migration in pending {
            print("  \(migration.name)")
            for statement in migration.sql {
                print(statement.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n"))
            }
        }
    }

    static func failure(_ database: DatabaseURL, _ error: any Error) -> any Error {
        FileHandle.standardError.write(Data("sluice migrate: \(error)\n".utf8))
        return ExitCode(1)
    }
}
