import AsyncHTTPClient
import Foundation
import SluiceCore
import SluicePostgres
import SluiceStore
import Synchronization
import Testing

/// Three real processes on one PostgreSQL schema, one of them killed with SIGKILL midway. It
/// keeps both cores busy for a minute, which would slow the timed tests running beside it, so it
/// runs only when asked: `SLUICE_TEST_CLUSTER_PROCESSES=1` (and `SLUICE_TEST_POSTGRES_URL`);
/// `.ci/run` runs it on its own after the rest of the suite.
@Suite(.serialized) struct ClusterProcessTests {
    static let url = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let enabled = ProcessInfo.processInfo.environment["SLUICE_TEST_CLUSTER_PROCESSES"] == "1"

    /// Two `sluice serve` nodes and a `sluice worker`; 2,000 executions are started across the
    /// two API nodes (each POST with an idempotency key, sent again to the surviving node when
    /// its node died under it), and one API node is killed after 700. Every execution
    /// completes with the right output, there are exactly 2,000 of them, and each task completed
    /// exactly once (one `task.completed` event per task, one `execution.completed` per
    /// execution): the dead node's executions were rescued and finished elsewhere, none lost,
    /// none duplicated.
    @Test func threeNodesLoseNothingWhenOneIsKilled() async throws {
        guard Self.enabled else { try Test.cancel("SLUICE_TEST_CLUSTER_PROCESSES=1 is not set: the three-process cluster test runs on its own (.ci/run runs it after the suite)") }
        guard let url = Self.url else { try Test.cancel("SLUICE_TEST_POSTGRES_URL is not set: the cluster is not tested (.ci/run starts a server)") }
        let schema = "sluice_it_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let database = url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)"
        let dir = try temporaryDirectory()
        let client = HTTPClient.shared
        // A short lease, so the dead node's executions are rescued within seconds.
        let cluster = ["--lease", "2", "--poll-interval", "1", "--pool-size", "4"]
        let a = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("a.log"), arguments: cluster)
        let b = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("b.log"), arguments: cluster)
        let w = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("worker.log"), worker: true, arguments: cluster)
        defer {
            for node in [a, w] where node.process.isRunning { _ = node.terminate() }
            if b.process.isRunning { b.kill() }
        }
        let store = try await PostgresStore.connect(try PostgresConfiguration(url: database))

        let (status, created) = try await send(client, "POST", "\(a.baseURL)/workflows", body: """
            {"name": "cluster", "steps": [{"type": "TextOperation.Reverse"}, {"type": "Delay", "input": {"seconds": 0.1}}, {"type": "Echo"}]}
            """)
        #expect(status == 201)
        let workflowID = try #require(created["workflow_id"]?.stringValue)

        let total = 2000
        let killAt = 700
        let started = Started(total)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    while let i = started.next() {
                        var node = (i % 2 == 0 || !started.bAlive) ? a.baseURL : b.baseURL
                        for attempt in 1...5 {
                            let reply = try? await send(client, "POST", "\(node)/workflows/\(workflowID)/execute", body: #"{"input": {"text": "t-\#(i)"}}"#, headers: [("Idempotency-Key", "k-\(i)")], timeout: 10)
                            if let (code, body) = reply, code == 202 || code == 200, let id = body["execution_id"]?.stringValue {
                                started.record(i, id)
                                break
                            }
                            // Its node died under it: the same key on the surviving node.
                            node = a.baseURL
                            if attempt == 5 { throw TestFailure("execution \(i) could not be started: \(String(describing: reply))") }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                    }
                }
            }
            while started.count < killAt { try await Task.sleep(for: .milliseconds(5)) }
            started.bKilled()
            b.kill()
            try await group.waitForAll()
        }
        let ids = started.ids
        #expect(ids.count == total)
        #expect(Set(ids.values).count == total, "one execution per idempotency key")

        for (i, id) in ids.sorted(by: { $0.key < $1.key }) {
            var execution: JSONValue = .null
            for _ in 0..<4 {
                (_, execution) = try await send(client, "GET", "\(a.baseURL)/executions/\(id)?wait=30", timeout: 40)
                if execution["status"] == "COMPLETED" || execution["status"] == "FAILED" { break }
            }
            #expect(execution["status"] == "COMPLETED", "execution \(id): \(execution.preview)")
            #expect(execution["output"] == ["text": .string(String("t-\(i)".reversed()))])
        }

        // Exactly the executions started, and each task completed once.
        var stored: [String] = []
        var cursor: Int64?
        repeat {
            let page = try await store.executions(workflowID: workflowID, status: nil, limit: 500, before: cursor)
            stored += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(stored.count == total)
        #expect(Set(stored) == Set(ids.values))
        try await expectEachTaskCompletedOnce(store, workflowID: workflowID, executions: total, tasksEach: 3)
        #expect((a.log + w.log).contains("rescued the executions of nodes whose lease ran out"), "the killed node held executions that were rescued")

        #expect(await a.stop() == 0)
        #expect(await w.stop() == 0)
        try await store.dropSchema()
        try await store.close()
    }

    /// A node paused past its lease (issue 21): `SIGSTOP` on a worker holding executions, until
    /// the API node has rescued them; then `SIGCONT`. The paused node's late transitions change
    /// nothing (fencing): every execution completes once with the right output, each task
    /// completed once, and the woken worker goes on and stops cleanly.
    @Test
    func aNodePausedPastItsLeaseIsRescuedAndItsLateWritesChangeNothing() async throws {
        guard Self.enabled else { try Test.cancel("SLUICE_TEST_CLUSTER_PROCESSES=1 is not set: the cluster process tests run on their own (.ci/run runs them after the suite)") }
        guard let url = Self.url else { try Test.cancel("SLUICE_TEST_POSTGRES_URL is not set: the cluster is not tested (.ci/run starts a server)") }
        let schema = "sluice_it_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let database = url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)"
        let dir = try temporaryDirectory()
        let client = HTTPClient.shared
        let cluster = ["--lease", "2", "--poll-interval", "1", "--pool-size", "4"]
        let a = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("a.log"), arguments: cluster)
        let w = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("worker.log"), worker: true, arguments: cluster)
        defer {
            if w.process.isRunning { kill(w.process.processIdentifier, SIGCONT); _ = w.terminate() }
            if a.process.isRunning { _ = a.terminate() }
        }
        let store = try await PostgresStore.connect(try PostgresConfiguration(url: database))
        let definition = #"{"name": "paused", "steps": [{"type": "TextOperation.Reverse"}, {"type": "Delay", "input": {"seconds": 3}}, {"type": "Echo"}]}"#
        let (status, created) = try await send(client, "POST", "\(a.baseURL)/workflows", body: definition)
        #expect(status == 201)
        let workflowID = try #require(created["workflow_id"]?.stringValue)
        let total = 300
        let started = Started(total)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    while let i = started.next() {
                        let (code, body) = try await send(client, "POST", "\(a.baseURL)/workflows/\(workflowID)/execute", body: #"{"input": {"text": "p-\#(i)"}}"#, timeout: 10)
                        guard code == 202 || code == 200, let id = body["execution_id"]?.stringValue else { throw TestFailure("execution \(i): \(code) \(body)") }
                        started.record(i, id)
                    }
                }
            }
            try await group.waitForAll()
        }
        // Paused while its Delays wait; woken once the other node has rescued its executions.
        kill(w.process.processIdentifier, SIGSTOP)
        let rescued = "rescued the executions of nodes whose lease ran out"
        for _ in 0..<1200 where !a.log.contains(rescued) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(a.log.contains(rescued), "the API node did not rescue the paused node's executions")
        kill(w.process.processIdentifier, SIGCONT)

        for (i, id) in started.ids.sorted(by: { $0.key < $1.key }) {
            var execution: JSONValue = .null
            for _ in 0..<4 {
                (_, execution) = try await send(client, "GET", "\(a.baseURL)/executions/\(id)?wait=30", timeout: 40)
                if execution["status"] == "COMPLETED" || execution["status"] == "FAILED" { break }
            }
            #expect(execution["status"] == "COMPLETED", "execution \(id): \(execution.preview)")
            #expect(execution["output"] == ["text": .string(String("p-\(i)".reversed()))])
        }
        try await expectEachTaskCompletedOnce(store, workflowID: workflowID, executions: total, tasksEach: 3)
        #expect(await w.stop() == 0, "the woken worker goes on and stops cleanly: \(w.log.suffix(1500))")
        #expect(await a.stop() == 0)
        try await store.dropSchema()
        try await store.close()
    }

    /// Hands out indexes to start and records the execution each one got.
    final class Started: Sendable {
        let state = Mutex<(next: Int, ids: [Int: String])>((0, [:]))
        let total: Int
        init(_ total: Int) { self.total = total }

        func next() -> Int? {
            state.withLock { s in
                guard s.next < total else { return nil }
                defer { s.next += 1 }
                return s.next
            }
        }

        func record(_ i: Int, _ id: String) { state.withLock { $0.ids[i] = id } }
        let alive = Mutex(true)
        var bAlive: Bool { alive.withLock { $0 } }
        func bKilled() { alive.withLock { $0 = false } }
        var count: Int { state.withLock { $0.ids.count } }
        var ids: [Int: String] { state.withLock { $0.ids } }
    }

    /// Each task of the workflow's `executions` executions completed exactly once (one
    /// `task.completed` event per task) and each execution finished once, from the events stored.
    func expectEachTaskCompletedOnce(_ store: PostgresStore, workflowID: String, executions total: Int, tasksEach: Int) async throws {
        var completions: [String: Int] = [:]
        var finishes: [String: Int] = [:]
        var after: Int64 = 0
        while true {
            let events = try await store.events(workflowID: workflowID, after: after, limit: 5000)
            guard let last = events.last else { break }
            after = last.seq
            for e in events {
                if e.type == "task.completed", let task = try JSONParser.parse(e.data)["task_id"]?.stringValue { completions[task, default: 0] += 1 }
                if e.type == "execution.completed" { finishes[e.executionID, default: 0] += 1 }
            }
        }
        #expect(completions.count == total * tasksEach)
        #expect(completions.values.allSatisfy { $0 == 1 }, "a task completed more than once: \(completions.filter { $0.value > 1 }.prefix(5))")
        #expect(finishes.count == total && finishes.values.allSatisfy { $0 == 1 })
    }
}
