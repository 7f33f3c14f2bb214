import AsyncHTTPClient
import Foundation
import SluiceCore
import Synchronization
import Testing

/// `sluice backup` while the server is under load, `sluice restore`, and a server on the restored
/// database: nothing acknowledged before the backup began is missing.
@Suite(.serialized, .timeLimit(.minutes(3))) struct BackupProcessTests {
    static func sluice(_ arguments: [String]) async throws -> (code: Int32, out: String, err: String) {
        try await ServerProcess.offPool { try ServerProcess.run(arguments) }
    }

    /// Execution ids answered 202, in order.
    final class Acknowledged: Sendable {
        let ids = Mutex<[String]>([])
        let stop = Atomic(false)
        func add(_ id: String) { ids.withLock { $0.append(id) } }
        var snapshot: [String] { ids.withLock { $0 } }
    }

    @Test func aBackupTakenUnderLoadHoldsEveryExecutionAcknowledgedBeforeItBegan() async throws {
        let dir = try temporaryDirectory()
        let client = HTTPClient.shared
        let server = try await ServerProcess.start(database: "sqlite:\(dir.path)/sluice.db", logURL: dir.appendingPathComponent("server.log"))
        let (status, created) = try await send(client, "POST", "\(server.baseURL)/workflows", body: #"{"name":"b","steps":[{"type":"StaticTextInput","input":"kept"},{"type":"Delay","input":{"seconds":0.05}},{"type":"TextOperation.Reverse"}]}"#)
        try #require(status == 201)
        let workflowID = try #require(created["workflow_id"]?.stringValue)

        let acknowledged = Acknowledged()
        let backupFile = dir.appendingPathComponent("backup.db").path
        var before: [String] = []
        var backup: (code: Int32, out: String, err: String)?
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    while !acknowledged.stop.load(ordering: .relaxed) {
                        let (code, body) = try await send(client, "POST", "\(server.baseURL)/workflows/\(workflowID)/execute", body: "{}")
                        if code == 202, let id = body["execution_id"]?.stringValue { acknowledged.add(id) }
                    }
                }
            }
            while acknowledged.snapshot.count < 300 { try await Task.sleep(for: .milliseconds(5)) }
            // Everything acknowledged up to here must be in the backup; the load goes on.
            before = acknowledged.snapshot
            backup = try await Self.sluice(["backup", "--database", "sqlite:\(dir.path)/sluice.db", "--to", backupFile])
            let after = acknowledged.snapshot.count
            while acknowledged.snapshot.count < after + 100 { try await Task.sleep(for: .milliseconds(5)) }
            acknowledged.stop.store(true, ordering: .relaxed)
            try await group.waitForAll()
        }
        let made = try #require(backup)
        #expect(made.code == 0, "\(made.err)")
        #expect(made.out.contains("executions"), "\(made.out)")
        let (_, firstEvents) = try await send(client, "GET", "\(server.baseURL)/events?limit=1")
        _ = await server.stop()

        let restored = "\(dir.path)/restored.db"
        let restore = try await Self.sluice(["restore", "--from", backupFile, "--database", "sqlite:\(restored)"])
        #expect(restore.code == 0, "\(restore.err)")
        // Restoring onto a database that exists needs --replace.
        let again = try await Self.sluice(["restore", "--from", backupFile, "--database", "sqlite:\(restored)"])
        #expect(again.code == 1)
        #expect(again.err.contains("--replace"), "\(again.err)")

        let second = try await ServerProcess.start(database: "sqlite:\(restored)", logURL: dir.appendingPathComponent("restored.log"))
        for id in before {
            let (code, execution) = try await send(client, "GET", "\(second.baseURL)/executions/\(id)?wait=30")
            #expect(code == 200, "execution \(id) acknowledged before the backup is missing from it")
            #expect(execution["status"] == "COMPLETED", "execution \(id): \(execution)")
        }
        // Event ids of the database before the restore are refused, not read as this one's.
        let oldID = try #require(firstEvents["events"]?.arrayValue?.first?["id"]?.stringValue)
        let (refused, problem) = try await send(client, "GET", "\(second.baseURL)/events?after=\(oldID)")
        #expect(refused == 400, "\(problem)")
        _ = await second.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    @Test func aBackupNeverOverwritesAndRefusesWhatIsNotASluiceDatabaseAndADryRunMigratesNothing() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = try await Self.sluice(["backup", "--database", "sqlite:\(dir.path)/none.db", "--to", "\(dir.path)/b.db"])
        #expect(missing.code == 1)
        #expect(missing.err.contains("there is no database at"), "\(missing.err)")
        let text = dir.appendingPathComponent("notes.txt")
        try Data("not a database".utf8).write(to: text)
        let notDatabase = try await Self.sluice(["restore", "--from", text.path, "--database", "sqlite:\(dir.path)/r.db"])
        #expect(notDatabase.code == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/r.db"), "nothing half-written")
        // migrate --dry-run lists what would run and changes nothing.
        let dry = try await Self.sluice(["migrate", "--database", "sqlite:\(dir.path)/src.db", "--dry-run"])
        #expect(dry.code == 0, "\(dry.err)")
        #expect(dry.out.contains("would be applied") && dry.out.contains("001_workflows_executions_tasks"), "\(dry.out)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/src.db"), "a dry run creates no database")
        #expect(try await Self.sluice(["migrate", "--database", "sqlite:\(dir.path)/src.db"]).code == 0)
        #expect(try await Self.sluice(["migrate", "--database", "sqlite:\(dir.path)/src.db", "--dry-run"]).out.contains("nothing would be applied"))
        let exists = try await Self.sluice(["backup", "--database", "sqlite:\(dir.path)/src.db", "--to", text.path])
        #expect(exists.code == 1)
        #expect(exists.err.contains("never overwrites"), "\(exists.err)")
        #expect(try String(contentsOf: text, encoding: .utf8) == "not a database")
        let postgres = try await Self.sluice(["backup", "--database", "postgres://u@localhost/db", "--to", "\(dir.path)/b.db"])
        #expect(postgres.code == 2)
        #expect(postgres.err.contains("pg_dump"), "\(postgres.err)")
    }
}
