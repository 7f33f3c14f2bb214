import Foundation
import Testing

/// A corrupt or foreign database file at start (issue 21): the server exits non-zero with an
/// error naming the file, and the file is left exactly as it was (no WAL, no Sluice tables).
@Suite struct DatabaseFileTests {
    /// Runs `sluice serve` on `path` and returns its exit code and standard error.
    func serve(_ path: String) async throws -> (code: Int32, err: String) {
        try await ServerProcess.runToExit(["serve", "--port", "0", "--database", "sqlite:" + path])
    }

    /// A SQLite database of another program: one table, one row, written by the sqlite3 format
    /// itself (a copy of what any program would leave).
    func foreignDatabase(at url: URL) throws {
        let script = "import sqlite3; c = sqlite3.connect('\(url.path)'); c.execute('create table notes (body text)'); c.execute(\"insert into notes values ('keep me')\"); c.commit()"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func aFileThatIsNotADatabaseIsRefusedUntouched() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("notes.db")
        let bytes = Data("these are notes, not a database\n".utf8)
        try bytes.write(to: file)
        let (code, err) = try await serve(file.path)
        #expect(code == 1)
        #expect(err.contains("\(file.path) is not a SQLite database Sluice can open") && err.contains("it was not changed"), "\(err)")
        #expect(try Data(contentsOf: file) == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["notes.db"], "no -wal or -shm beside it")
    }

    @Test func anotherProgramsDatabaseIsRefusedUntouched() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("app.db")
        try foreignDatabase(at: file)
        let before = try Data(contentsOf: file)
        let (code, err) = try await serve(file.path)
        #expect(code == 1)
        #expect(err.contains("\(file.path) is another program's SQLite database (its tables: notes)"), "\(err)")
        #expect(try Data(contentsOf: file) == before, "not turned to WAL, no Sluice table added")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["app.db"])
    }
}
