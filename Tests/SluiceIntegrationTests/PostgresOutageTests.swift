import AsyncHTTPClient
import Foundation
import SluiceCore
import Testing

/// PostgreSQL goes away under load and comes back (issue 21): a `sluice serve` on a cluster of
/// the test's own (`.ci/postgres start`), stopped for a few seconds while clients start
/// executions with idempotency keys and retry what fails. Meanwhile starts are refused with
/// `503` (never a `500`, never a hang), the server reconnects by itself, and every acknowledged
/// execution finishes exactly once: one execution per key, each task completed once.
@Suite(.serialized) struct PostgresOutageTests {
    static let initdb = (ProcessInfo.processInfo.environment["POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin") + "/initdb"
    static let hasPostgres = FileManager.default.isExecutableFile(atPath: initdb)
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `.ci/postgres ARGS` and returns what it printed. With `system`, not `Process`: the
    /// script starts a PostgreSQL server that outlives it, and Foundation's `Process` then never
    /// saw the script end (it stayed a zombie, `waitUntilExit` waiting forever).
    @discardableResult
    func postgres(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-pg-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let script = Self.repository.appendingPathComponent(".ci/postgres").path
        let command = (["bash", script] + arguments).map { "'\($0)'" }.joined(separator: " ") + " > '\(output.path)' < /dev/null"
        let status = system(command)
        guard status == 0 else { throw TestFailure(".ci/postgres \(arguments.joined(separator: " ")) exited with status \(status)") }
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }

    @Test(
        .enabled(if: PostgresOutageTests.hasPostgres, "needs PostgreSQL 15's binaries (.ci/run installs them)"),
        .disabled("known bugs (issue 21, found by this test): while PostgreSQL is down a start is not refused but hangs (postgres-nio's PostgresClient queues a connection request without a deadline; the client gave up after 20 s), and after PostgreSQL is back a few acknowledged executions stay PENDING, driven by nobody; enable once fixed")
    )
    func startsDuringAnOutageAre503AndEveryAcknowledgedExecutionFinishesOnceAfterwards() async throws {
        let exports = try await ServerProcess.offPool { try postgres(["start"]) }
        func exported(_ name: String) -> String? {
            exports.split(separator: "\n").first { $0.hasPrefix("export \(name)=") }.map { String($0.dropFirst("export \(name)=".count)) }
        }
        let url = try #require(exported("SLUICE_TEST_POSTGRES_URL"))
        let cluster = try #require(exported("SLUICE_TEST_POSTGRES_DIR"))
        defer { _ = try? postgres(["stop", cluster]) }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await ServerProcess.start(database: url, logURL: dir.appendingPathComponent("server.log"))
        defer { server.kill() }
        let base = server.baseURL
        let (_, created) = try await send(.shared, "POST", "\(base)/workflows", body: #"{"name":"outage","steps":[{"type":"Delay","input":{"seconds":0.2}},{"type":"TextOperation.Uppercase"},{"type":"Echo"}]}"#)
        let workflowID: String = try #require(created["workflow_id"]?.stringValue)

        // Eight clients, each starting executions one after another with a key of its own per
        // execution, retrying a refused or failed start with the same key until it is answered.
        let acknowledged = Tally<(key: String, id: String)>()
        let refusals = Tally<Int>()
        let unexpected = Tally<String>()
        let phase = Tally<Int>() // one entry per phase change: 1 = down, 2 = back
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<8 {
                group.addTask {
                    var k = 0
                    while phase.items.count < 3 {
                        let key = "c\(client)-\(k)"
                        var answered = false
                        while !answered, phase.items.count < 3 {
                            let began = Date()
                            do {
                                let (status, body) = try await send(.shared, "POST", "\(base)/workflows/\(workflowID)/execute", body: #"{"input":{"text":"\#(key)"}}"#, headers: [("Idempotency-Key", key)], timeout: 20)
                                if Date().timeIntervalSince(began) > 15 { unexpected.append("a start took \(Int(Date().timeIntervalSince(began))) s") }
                                switch status {
                                case 200, 201, 202:
                                    if let id = body["execution_id"]?.stringValue { acknowledged.append((key, id)) }
                                    answered = true
                                case 503:
                                    refusals.append(1)
                                    try await Task.sleep(for: .milliseconds(100))
                                default:
                                    unexpected.append("\(status) \(body.jsonString.prefix(300))")
                                    answered = true
                                }
                            } catch {
                                unexpected.append("\(error)")
                                try await Task.sleep(for: .milliseconds(100))
                            }
                        }
                        k += 1
                    }
                }
            }
            group.addTask {
                // Running normally, then PostgreSQL stops for four seconds, then it is back
                // until every client has been answered again for a while.
                while acknowledged.items.count < 80 { try await Task.sleep(for: .milliseconds(50)) }
                try await ServerProcess.offPool { try postgres(["pause", cluster]) }
                phase.append(1)
                try await Task.sleep(for: .seconds(4))
                try await ServerProcess.offPool { try postgres(["resume", cluster]) }
                let before = acknowledged.items.count
                // Back: starts are acknowledged again within 30 s.
                let deadline = Date().addingTimeInterval(30)
                while acknowledged.items.count < before + 40, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
                phase.append(2)
                phase.append(3)
            }
            try await group.waitForAll()
        }
        let answers = acknowledged.items
        #expect(unexpected.items.isEmpty, "\(unexpected.items.prefix(5))")
        #expect(refusals.items.count > 0, "no start was refused while PostgreSQL was away")
        #expect(answers.count >= 120, "starts acknowledged: \(answers.count) (80 before the outage, 40 after it are awaited)")

        // One execution per key, whatever the retries; each finishes with its output.
        let byKey = Dictionary(grouping: answers, by: \.key)
        for (key, group) in byKey {
            #expect(Set(group.map(\.id)).count == 1, "key \(key) got \(Set(group.map(\.id)).count) executions")
        }
        for (key, group) in byKey {
            let id = group[0].id
            let (_, detail) = try await send(.shared, "GET", "\(base)/workflows/\(workflowID)/executions/\(id)?wait=60", timeout: 90)
            #expect(detail["status"] == "COMPLETED" && detail["output"]?["text"]?.stringValue == key.uppercased(), "\(id): \(detail["status"] ?? .null) \(detail["error"] ?? .null)")
            let (_, events) = try await send(.shared, "GET", "\(base)/workflows/\(workflowID)/executions/\(id)/events?limit=100")
            let completions = events["events"]?.arrayValue?.filter { $0["type"] == "task.completed" }.count
            #expect(completions == 3, "\(id): each task completed once (\(completions ?? -1) task.completed events)")
        }
        // Nothing more than was acknowledged: a refused start made no execution.
        var stored = 0
        var cursor: String? = nil
        repeat {
            let (_, page) = try await send(.shared, "GET", "\(base)/workflows/\(workflowID)/executions?limit=100" + (cursor.map { "&cursor=\($0)" } ?? ""))
            stored += page["executions"]?.arrayValue?.count ?? 0
            cursor = page["next_cursor"]?.stringValue
        } while cursor != nil
        #expect(stored == byKey.count, "stored \(stored), acknowledged keys \(byKey.count)")
        #expect(await server.stop() == 0, "\(server.log.suffix(2000))")
    }
}
