import AsyncHTTPClient
import Foundation
import SluiceCore
import Synchronization
import Testing

/// The disk fills up under load (issue 21): SQLite on a small tmpfs, filled while executions
/// run and arrive. New work is refused with a `503` that says the storage is full, nothing
/// acknowledged is lost or half-written, and the server recovers by itself when space returns —
/// the executions caught mid-way (a `Delay` whose end could not be written) finish, and a restart
/// finds everything as answered. Needs root for `mount -t tmpfs` (CI runs as root).
@Suite(.serialized) struct DiskFullTests {
    static let canMount = getuid() == 0
    /// Where every test must run (`CI` set, or `SLUICE_TEST_REQUIRE_ALL=1`: `.ci/run` sets it),
    /// a test that cannot mount fails instead of being skipped.
    static let required: Bool = {
        let environment = ProcessInfo.processInfo.environment
        return !(environment["CI"] ?? "").isEmpty || environment["SLUICE_TEST_REQUIRE_ALL"] == "1"
    }()

    func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func freeBytes(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfFileSystem(forPath: path)
        return (attributes[.systemFreeSize] as? NSNumber)?.intValue ?? 0
    }

    @Test(.enabled(if: DiskFullTests.canMount || DiskFullTests.required, "mounting a tmpfs needs root (with CI or SLUICE_TEST_REQUIRE_ALL=1 set, this fails instead)"))
    func aFullDiskRefusesNewWorkClearlyLosesNothingAndRecoversWhenSpaceReturns() async throws {
        try #require(Self.canMount, "mounting a tmpfs needs root, and CI or SLUICE_TEST_REQUIRE_ALL=1 requires this test to run")
        let dir = try temporaryDirectory()
        let disk = dir.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        #expect(try run("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", disk.path]) == 0, "mount a tmpfs")
        defer {
            // The servers' logs outlive the test's directory, for a failure's reader.
            for name in ["server.log", "server2.log"] {
                try? FileManager.default.removeItem(atPath: "/tmp/sluice-disk-full-\(name)")
                try? FileManager.default.copyItem(at: dir.appendingPathComponent(name), to: URL(fileURLWithPath: "/tmp/sluice-disk-full-\(name)"))
            }
            _ = try? run("umount", ["-l", disk.path])
            try? FileManager.default.removeItem(at: dir)
        }
        let database = "sqlite:" + disk.appendingPathComponent("s.db").path
        let server = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("server.log"))
        let base = server.baseURL
        let (_, seedWorkflow) = try await send(.shared, "POST", "\(base)/workflows", body: #"{"name":"seed","steps":[{"type":"StaticTextInput","input":"Hello, world!"},{"type":"TextOperation.Reverse"},{"type":"Echo"}]}"#)
        let (_, slowWorkflow) = try await send(.shared, "POST", "\(base)/workflows", body: #"{"name":"slow","steps":[{"type":"Delay","input":{"seconds":1}},{"type":"Echo"}]}"#)
        let seedID: String = try #require(seedWorkflow["workflow_id"]?.stringValue)
        let slowID = try #require(slowWorkflow["workflow_id"]?.stringValue)

        // Executions in flight when the disk fills: each waits in its Delay, whose end is
        // written a second later — onto a full disk.
        var slow: [(id: String, text: String)] = []
        for k in 0..<20 {
            let (status, started) = try await send(.shared, "POST", "\(base)/workflows/\(slowID)/execute", body: #"{"input":{"text":"slow-\#(k)"}}"#)
            #expect(status == 202)
            if let id = started["execution_id"]?.stringValue { slow.append((id, "slow-\(k)")) }
        }

        // Fill the disk, leaving a little room.
        let filler = disk.appendingPathComponent("filler")
        let room = 96 * 1024
        let fill = max(try freeBytes(disk.path) - room, 0)
        #expect(FileManager.default.createFile(atPath: filler.path, contents: Data(count: fill)))

        // New work keeps arriving, eight at a time: each is accepted (202) or refused (503, the
        // storage full); nothing else.
        let accepted = Tally<String>()
        let refused = Tally<JSONValue>()
        let other = Tally<String>()
        for _ in 0..<40 {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do {
                            let (status, body) = try await send(.shared, "POST", "\(base)/workflows/\(seedID)/execute", body: "{}")
                            switch status {
                            case 202: accepted.append(body["execution_id"]?.stringValue ?? "?")
                            case 503: refused.append(body)
                            default: other.append("\(status) \(body.jsonString)")
                            }
                        } catch {
                            other.append("\(error)")
                        }
                    }
                }
            }
        }
        let refusals = refused.items
        #expect(other.items.isEmpty, "\(other.items.prefix(3))")
        #expect(refusals.count > 0, "the disk never filled: \(accepted.items.count) accepted")
        for problem in refusals.prefix(20) {
            #expect(problem["type"] == "urn:sluice:problem:unavailable", "\(problem.jsonString)")
            #expect(problem["detail"]?.stringValue?.contains("storage is full") == true, "\(problem.jsonString)")
            #expect(problem["detail"]?.stringValue?.contains("SQLite") == false, "the database's own words stay in the log")
        }
        #expect(server.process.isRunning, "the server survives a full disk")

        // The Delays end while the disk is still full: their writes fail too.
        try await Task.sleep(for: .seconds(2))
        try FileManager.default.removeItem(at: filler)

        // Space is back: new work is accepted again without a restart.
        var recovered = false
        for _ in 0..<300 where !recovered {
            let (status, body) = try await send(.shared, "POST", "\(base)/workflows/\(seedID)/execute", body: "{}")
            if status == 202, let id = body["execution_id"]?.stringValue {
                accepted.append(id)
                recovered = true
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(recovered, "no execution accepted within 30 s of the space returning")

        // Every acknowledged execution finishes, with its output.
        let seeds = accepted.items
        func expectCompleted(_ base: String, _ workflowID: String, _ id: String, _ text: String) async throws {
            let (_, detail) = try await send(.shared, "GET", "\(base)/workflows/\(workflowID)/executions/\(id)?wait=30")
            #expect(detail["status"] == "COMPLETED" && detail["output"]?["text"]?.stringValue == text, "\(id): \(detail["status"] ?? .null) \(detail["error"] ?? .null)")
        }
        for s in slow { try await expectCompleted(base, slowID, s.id, s.text) }
        for id in seeds { try await expectCompleted(base, seedID, id, "!dlrow ,olleH") }

        // After a restart, exactly what was acknowledged is there: a refused start left nothing.
        #expect(await server.stop() == 0)
        let again = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("server2.log"))
        for s in slow { try await expectCompleted(again.baseURL, slowID, s.id, s.text) }
        for id in seeds { try await expectCompleted(again.baseURL, seedID, id, "!dlrow ,olleH") }
        let (_, list) = try await send(.shared, "GET", "\(again.baseURL)/workflows/\(seedID)/executions?limit=100")
        #expect(list["executions"]?.arrayValue?.count == seeds.count, "executions stored: \(list["executions"]?.arrayValue?.count ?? -1), acknowledged: \(seeds.count)")
        #expect(await again.stop() == 0)
    }
}

/// Items appended from concurrent tasks.
final class Tally<Item: Sendable>: Sendable {
    private let storage = Mutex<[Item]>([])
    func append(_ item: Item) { storage.withLock { $0.append(item) } }
    var items: [Item] { storage.withLock { $0 } }
}
