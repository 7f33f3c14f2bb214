import Foundation
import GRDB
import SluiceStore

/// Backups of the SQLite database with SQLite's online backup API: a consistent copy of the
/// database as of the moment the copy starts, taken while a server keeps writing (in WAL mode a
/// reader blocks no writer). Every execution acknowledged before the backup began is in it.
public enum SQLiteBackup {
    /// What a backup or a restore holds.
    public struct Summary: Sendable, Equatable {
        public var workflows: Int
        public var executions: Int
        public var migrations: [String]
        public var bytes: Int64
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Copies the database at `source` into the new file `destination`. The copy is written
    /// next to it under a temporary name, checked (`PRAGMA integrity_check`), then renamed: a
    /// backup cut short leaves no file that looks complete. `destination` must not exist.
    public static func backup(from source: String, to destination: String) throws -> Summary {
        let fm = FileManager.default
        guard fm.fileExists(atPath: source) else { throw Failure("there is no database at \(source)") }
        guard !fm.fileExists(atPath: destination) else {
            throw Failure("\(destination) exists already; a backup never overwrites a file: name a new one, or delete that one first")
        }
        let reader: DatabasePool
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            reader = try DatabasePool(path: source, configuration: configuration)
        } catch {
            throw Failure("cannot open the database at \(source): \(error)")
        }
        try requireSluiceDatabase(reader, at: source)
        let partial = temporaryName(next: destination)
        do {
            let writer = try DatabaseQueue(path: partial)
            // One step: the whole copy reads one snapshot.
            try reader.backup(to: writer)
            // One self-contained file: no WAL beside it (the copy took the source's WAL mode).
            try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            let summary = try summarize(writer, path: partial)
            try writer.close()
            try reader.close()
            try fm.moveItem(atPath: partial, toPath: destination)
            return Summary(workflows: summary.workflows, executions: summary.executions, migrations: summary.migrations, bytes: fileSize(destination))
        } catch {
            removeDatabaseFiles(partial)
            if let failure = error as? Failure { throw failure }
            throw Failure("the backup of \(source) failed: \(error)")
        }
    }

    /// Makes `target` a copy of the backup `backup`, with a new instance id (event ids of the
    /// database before the restore are refused rather than read as ids of this one, whose events
    /// after the backup are gone). `target` must not exist unless `replace`; replacing also
    /// removes its WAL and shared-memory files, so no old write is replayed into the copy. The
    /// server using `target` must be stopped first.
    public static func restore(from backup: String, to target: String, replace: Bool) throws -> Summary {
        let fm = FileManager.default
        guard fm.fileExists(atPath: backup) else { throw Failure("there is no backup at \(backup)") }
        if fm.fileExists(atPath: target), !replace {
            throw Failure("\(target) exists already; stop the server that uses it and pass --replace to overwrite it with the backup")
        }
        let source: DatabaseQueue
        do {
            var configuration = Configuration()
            configuration.readonly = true
            source = try DatabaseQueue(path: backup, configuration: configuration)
        } catch {
            throw Failure("cannot open the backup at \(backup): \(error)")
        }
        try requireSluiceDatabase(source, at: backup)
        let partial = temporaryName(next: target)
        do {
            let writer = try DatabaseQueue(path: partial)
            try source.backup(to: writer)
            _ = try summarize(writer, path: backup)
            try writer.write { db in
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'instance'", arguments: [EventID.newInstance()])
            }
            try writer.close()
            try source.close()
            // The old WAL must not be replayed into the restored file.
            for suffix in ["-wal", "-shm"] where fm.fileExists(atPath: target + suffix) { try fm.removeItem(atPath: target + suffix) }
            if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
            try fm.moveItem(atPath: partial, toPath: target)
            let store = try SQLiteStore(path: target)
            let migrations = try store.appliedMigrations()
            let counts = try store.pool.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM workflows") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM executions") ?? 0)
            }
            try store.pool.close()
            return Summary(workflows: counts.0, executions: counts.1, migrations: migrations, bytes: fileSize(target))
        } catch {
            removeDatabaseFiles(partial)
            if let failure = error as? Failure { throw failure }
            throw Failure("the restore of \(backup) into \(target) failed: \(error)")
        }
    }

    static func requireSluiceDatabase(_ db: some DatabaseReader, at path: String) throws {
        let isSluice: Bool
        do {
            isSluice = try db.read { db in try db.tableExists("meta") && db.tableExists("executions") && db.tableExists("grdb_migrations") }
        } catch {
            throw Failure("\(path) is not a readable SQLite database: \(error)")
        }
        guard isSluice else { throw Failure("\(path) is an SQLite database but not a Sluice one (it has no executions, meta or grdb_migrations table)") }
    }

    static func summarize(_ db: DatabaseQueue, path: String) throws -> (workflows: Int, executions: Int, migrations: [String]) {
        try db.read { db in
            let check = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            guard check == ["ok"] else { throw Failure("the copy of \(path) failed SQLite's integrity check: \(check.prefix(5).joined(separator: "; "))") }
            return (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM workflows") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM executions") ?? 0,
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            )
        }
    }

    static func temporaryName(next path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(UInt32.random(in: 0...UInt32.max))").path
    }

    static func removeDatabaseFiles(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
