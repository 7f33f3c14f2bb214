import ArgumentParser
import Foundation
import SluiceSQLite

/// `sluice backup`: a consistent copy of the SQLite database while the server runs.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite database to a new file, while the server keeps running.",
        discussion: """
            The copy is SQLite's online backup: the database as it was when the copy began, every
            execution acknowledged before then included, while the server goes on writing. It is
            checked (SQLite's integrity check) and only then given its name, so a cut-short
            backup never looks complete. The file must not exist.

            PostgreSQL is backed up with its own tools (docs/backups.md):
              pg_dump --format=custom --file=sluice.dump 'postgres://…/sluice'

            Example:
              sluice backup --database sqlite:./sluice.db --to backups/sluice-2026-12-03.db
            """
    )

    @Option(help: "The database to copy: sqlite:PATH (env SLUICE_DATABASE). [default: sqlite:./sluice.db]")
    var database: String?

    @Option(help: "The new file to write the copy to.")
    var to: String

    func run() async throws {
        let database = try DatabaseURL(self.database ?? ProcessInfo.processInfo.environment["SLUICE_DATABASE"] ?? DatabaseURL.default.description)
        let path = try Backup.sqlitePath(database, command: "backup")
        do {
            let summary = try SQLiteBackup.backup(from: path, to: to)
            print("sluice backup: \(path) → \(to): \(summary.workflows) workflows, \(summary.executions) executions, \(summary.migrations.count) migrations, \(summary.bytes) bytes")
        } catch let failure as SQLiteBackup.Failure {
            FileHandle.standardError.write(Data("sluice backup: \(failure)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The SQLite path of `database`, or a usage error that says what to do for the others.
    static func sqlitePath(_ database: DatabaseURL, command: String) throws -> String {
        switch database {
        case .sqlite(let path): return path
        case .memory: throw ValidationError("memory: keeps nothing to \(command); give --database sqlite:PATH")
        case .postgres:
            throw ValidationError(command == "backup"
                ? "PostgreSQL is backed up with pg_dump (docs/backups.md): pg_dump --format=custom --file=sluice.dump 'postgres://…'"
                : "PostgreSQL is restored with pg_restore (docs/backups.md): pg_restore --clean --if-exists --dbname='postgres://…' sluice.dump")
        }
    }
}

/// `sluice restore`: a backup made the server's database again.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a backup the SQLite database again (stop the server first).",
        discussion: """
            The backup is checked, copied to the database's path and migrated to this version's
            schema. The restored database gets a new instance id: event ids handed out before
            the restore (Last-Event-ID, ?after=) are refused with a clear error instead of being
            read as ids of this database, whose events after the backup are gone. An existing
            database is replaced only with --replace, and never while a server uses it: stop
            the server first.

            Example:
              sluice restore --from backups/sluice-2026-12-03.db --database sqlite:./sluice.db --replace
            """
    )

    @Option(help: "The backup file (made by sluice backup).")
    var from: String

    @Option(help: "The database to restore into: sqlite:PATH (env SLUICE_DATABASE). [default: sqlite:./sluice.db]")
    var database: String?

    @Flag(help: "Overwrite the database if it exists.")
    var replace = false

    func run() async throws {
        let database = try DatabaseURL(self.database ?? ProcessInfo.processInfo.environment["SLUICE_DATABASE"] ?? DatabaseURL.default.description)
        let path = try Backup.sqlitePath(database, command: "restore")
        do {
            let summary = try SQLiteBackup.restore(from: from, to: path, replace: replace)
            print("sluice restore: \(from) → \(path): \(summary.workflows) workflows, \(summary.executions) executions, \(summary.migrations.count) migrations")
        } catch let failure as SQLiteBackup.Failure {
            FileHandle.standardError.write(Data("sluice restore: \(failure)\n".utf8))
            throw ExitCode(1)
        }
    }
}
