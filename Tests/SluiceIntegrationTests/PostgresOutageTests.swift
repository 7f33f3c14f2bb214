import AsyncHTTPClient
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// PostgreSQL goes away under load and comes back (issue 21): a `sluice serve` on a cluster of
/// the test's own (`.ci/postgres start`), stopped for a few seconds while clients start
/// executions with idempotency keys and retry what fails. Meanwhile starts are refused with
/// `503` (never a `500`, never a hang), the server reconnects by itself, and every acknowledged
/// execution finishes exactly once: one execution per key, each task completed once.
@Suite(.serialized) struct PostgresOutageTests {
    @Test(
        .enabled(if: PostgresCluster.available, "needs PostgreSQL 15's binaries (.ci/run installs them)")
    )
    func startsDuringAnOutageAre503AndEveryAcknowledgedExecutionFinishesOnceAfterwards() async throws {
        let cluster = try await PostgresCluster.start()
        defer { cluster.stopNow() }
        let url = cluster.url
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
                try await cluster.pause()
                phase.append(1)
                try await Task.sleep(for: .seconds(4))
                // On a loaded machine every client may still be in a start begun before the
                // outage (answered once the database is back): the outage lasts until a start
                // made during it was refused, or 20 s at most (then the expectation below fails).
                let longest = Date().addingTimeInterval(16)
                while refusals.items.isEmpty, Date() < longest { try await Task.sleep(for: .milliseconds(50)) }
                try await cluster.resume()
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
            let asked = Date()
            let (_, detail) = try await send(.shared, "GET", "\(base)/workflows/\(workflowID)/executions/\(id)?wait=60", timeout: 90)
            let waited = Date().timeIntervalSince(asked)
            let completed = detail["status"] == "COMPLETED" && detail["output"]?["text"]?.stringValue == key.uppercased()
            // What the server said of it, and its errors, to tell why it did not finish.
            let said = completed ? "" : server.log.split(separator: "\n").filter { $0.contains(id) || $0.contains("error") || $0.contains("warning") }.suffix(40).joined(separator: "\n")
            #expect(completed, "\(id): \(detail["status"] ?? .null) \(detail["error"] ?? .null) after waiting \(Int(waited * 1000)) ms; the server's log:\n\(said)")
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
        let status = await server.stop()
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: still running after 15 s"); the log ends: \(server.log.suffix(3000))")
    }
}
