import AsyncHTTPClient
import Foundation
import SluiceCore
import Synchronization
import Testing

/// The annotation front door under kill -9: labelers and reviewers work through items while
/// batches are still being uploaded, the server dies mid-way, and after the restart no
/// acknowledged item, annotation or verdict is missing, none is asked for twice, and every item
/// ends completed once the work goes on.
@Suite(.serialized) struct AnnotationCrashTests {
    /// What the clients saw acknowledged: items uploaded, answers given (human task id → the
    /// answer), and the tasks held (taken, not answered) when the server died.
    final class Ledger: Sendable {
        struct State {
            var items: Set<Int> = []
            var answers: [String: JSONValue] = [:]
            var held: [String: String] = [:]  // task id → account
            var stop = false
        }
        let state = Mutex(State())
    }

    static let pipeline = #"{"pools": [{"type": 0}, {"name": "Label", "type": 1}, {"name": "Review", "type": 2}, {"type": 5}]}"#

    /// A reviewer rejects an item's first annotation when its item id is even: every such item
    /// goes round twice.
    static func verdict(_ task: JSONValue) -> String {
        let item = Int(task["input"]?["item"]?["item_id"]?.numberValue ?? 0)
        let first = task["input"]?["annotation"]?["label"] == "cat"
        return item % 2 == 0 && first ? #"{"approved": false, "comment": "look again"}"# : #"{"approved": true}"#
    }

    /// One worker's loop on `base`: take the next item of `pool`, answer it, until told to stop
    /// or the server is gone. Labels "cat" the first time, "dog" after a rejection.
    static func work(_ client: HTTPClient, _ base: String, workflowID: Int, pool: Int, account: String, ledger: Ledger, until stop: @escaping @Sendable () -> Bool) async {
        while !stop() {
            guard let (code, body) = try? await send(client, "POST", "\(base)/annotation/task/next", body: #"{"workflowId": \#(workflowID), "pool": \#(pool), "account": "\#(account)"}"#, timeout: 3),
                  code == 200 else { return }
            guard let task = body["data"]?["task"], task != .null, let id = task["human_task_id"]?.stringValue else {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            ledger.state.withLock { $0.held[id] = account }
            let answer = pool == 1 ? (task["input"]?["comment"] == nil ? #"{"label": "cat"}"# : #"{"label": "dog"}"#) : verdict(task)
            guard let (done, _) = try? await send(client, "POST", "\(base)/human-tasks/\(id)/complete", body: #"{"account": "\#(account)", "answer": \#(answer)}"#, timeout: 3) else { return }
            if done == 200 {
                let value = try? JSONParser.parse(Array(answer.utf8))
                ledger.state.withLock { state in
                    state.answers[id] = value
                    state.held[id] = nil
                }
            }
        }
    }

    static let postgresURL = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    @Test(.timeLimit(.minutes(3))) func itemsAnnotationsAndVerdictsSurviveSIGKILL() async throws {
        let dir = try temporaryDirectory()
        try await Self.survive(database: "sqlite:\(dir.path)/sluice.db", in: dir)
    }

    /// The same on PostgreSQL (a schema of its own), the servers on a 2 s lease: the second
    /// server takes over the executions the killed one held once its lease runs out.
    @Test(.timeLimit(.minutes(3)), .enabled(if: postgresURL != nil, "SLUICE_TEST_POSTGRES_URL is not set"))
    func itemsAnnotationsAndVerdictsSurviveSIGKILLOnPostgreSQL() async throws {
        let url = try #require(Self.postgresURL)
        let schema = "sluice_it_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try await Self.survive(database: url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)", in: try temporaryDirectory(), arguments: ["--lease", "2"])
    }

    static func survive(database: String, in dir: URL, arguments: [String] = []) async throws {
        let client = HTTPClient.shared
        let first = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("first.log"), arguments: arguments)
        let accounts = ["l0", "l1", "l2", "r0", "r1"]
        for name in accounts {
            let (code, body) = try await send(client, "POST", "\(first.baseURL)/accounts", body: #"{"name": "\#(name)"}"#)
            try #require(code == 201, "\(body)")
        }
        let (_, project) = try await send(client, "POST", "\(first.baseURL)/annotation/project/create", body: #"{"name": "crash", "labelConfig": {"kind": "choice", "labels": ["cat", "dog"]}}"#)
        let projectID = try #require(project["data"]?["projectId"]?.numberValue.map(Int.init), "\(project)")
        let (_, workflow) = try await send(client, "POST", "\(first.baseURL)/annotation/workflow/create", body: #"{"projectId": \#(projectID), "workflow": \#(Self.pipeline)}"#)
        let workflowID = try #require(workflow["data"]?["workflowId"]?.numberValue.map(Int.init), "\(workflow)")

        // Batches of 10 uploaded while three labelers and two reviewers work; the server dies
        // once 40 answers were acknowledged.
        let ledger = Ledger()
        let stop: @Sendable () -> Bool = { ledger.state.withLock { $0.stop } }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for batch in 0..<12 where !stop() {
                    let items = (0..<10).map { #"{"externalId": "b\#(batch)-\#($0)", "data": "item \#(batch)-\#($0)"}"# }.joined(separator: ",")
                    guard let (code, body) = try? await send(client, "POST", "\(first.baseURL)/annotation/item/upload", body: #"{"workflowId": \#(workflowID), "items": [\#(items)]}"#, timeout: 5),
                          code == 200 else { return }
                    let ids = body["data"]?["itemIds"]?.arrayValue?.compactMap(\.numberValue).map(Int.init) ?? []
                    ledger.state.withLock { $0.items.formUnion(ids) }
                }
            }
            for (i, account) in accounts.enumerated() {
                group.addTask { await work(client, first.baseURL, workflowID: workflowID, pool: i < 3 ? 1 : 2, account: account, ledger: ledger, until: stop) }
            }
            while ledger.state.withLock({ $0.answers.count }) < 40 { try? await Task.sleep(for: .milliseconds(1)) }
            first.kill()
            ledger.state.withLock { $0.stop = true }
        }
        let (uploaded, acknowledged, held) = ledger.state.withLock { ($0.items, $0.answers, $0.held) }
        #expect(acknowledged.count >= 40 && !uploaded.isEmpty)

        let second = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("second.log"), arguments: arguments)
        // Tasks taken before the crash are still held by who took them: answered now (one
        // whose answer was stored just before the kill is answered already: 409).
        for (id, account) in held {
            let (code, task) = try await send(client, "GET", "\(second.baseURL)/human-tasks/\(id)")
            try #require(code == 200, "a task taken before the crash is gone: \(task)")
            guard task["status"] != "COMPLETED" else { continue }
            #expect(task["holder"]?.stringValue == account, "a task taken before the crash is held by \(account) after it: \(task.preview)")
            let answer = account.hasPrefix("l") ? (task["input"]?["comment"] == nil ? #"{"label": "cat"}"# : #"{"label": "dog"}"#) : Self.verdict(task)
            let (done, body) = try await send(client, "POST", "\(second.baseURL)/human-tasks/\(id)/complete", body: #"{"account": "\#(account)", "answer": \#(answer)}"#)
            #expect(done == 200, "\(body.preview)")
        }
        // The rest of the work, until every stored item is completed.
        let restarted = Ledger()
        let (_, listed) = try await send(client, "GET", "\(second.baseURL)/annotation/workflow/progress?workflowId=\(workflowID)")
        let total = try #require(listed["data"]?["items"]?["total"]?.numberValue.map(Int.init))
        #expect(total >= uploaded.count, "an acknowledged upload lost items: \(total) stored, \(uploaded.count) acknowledged")
        await withTaskGroup(of: Void.self) { group in
            for (i, account) in accounts.enumerated() {
                group.addTask { await work(client, second.baseURL, workflowID: workflowID, pool: i < 3 ? 1 : 2, account: account, ledger: restarted, until: { restarted.state.withLock { $0.stop } }) }
            }
            let deadline = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < deadline {
                if let (_, progress) = try? await send(client, "GET", "\(second.baseURL)/annotation/workflow/progress?workflowId=\(workflowID)"),
                   progress["data"]?["items"]?["completed"]?.numberValue.map(Int.init) == total { break }
                try? await Task.sleep(for: .milliseconds(100))
            }
            restarted.state.withLock { $0.stop = true }
        }

        // Every item is completed; every answer acknowledged before the crash is in its item's
        // history once, as given; no task of any item was answered twice.
        var seen: [String: JSONValue] = [:]
        var exported: Set<Int> = []
        let (code, page) = try await send(client, "GET", "\(second.baseURL)/annotation/item/export?workflowId=\(workflowID)")
        try #require(code == 200)
        for item in page["data"]?["list"]?.arrayValue ?? [] {
            let id = Int(item["itemId"]?.numberValue ?? 0)
            exported.insert(id)
            for entry in item["history"]?.arrayValue ?? [] {
                guard let task = entry["taskId"]?.stringValue else { continue }
                #expect(seen[task] == nil, "task \(task) appears twice in the histories")
                seen[task] = entry["answer"]
            }
            let rounds = item["history"]?.arrayValue?.filter { $0["pool"] == "Label" }.count ?? 0
            #expect(rounds == (id % 2 == 0 ? 2 : 1), "item \(id) was labeled \(rounds) times: \(item.preview)")
        }
        #expect(exported.count == total, "every stored item is completed and exported: \(exported.count) of \(total)")
        #expect(uploaded.isSubset(of: exported), "acknowledged items missing: \(uploaded.subtracting(exported).sorted())")
        for (id, answer) in acknowledged {
            #expect(seen[id] == answer, "the answer acknowledged for task \(id) before the crash is lost or changed: \(String(describing: seen[id]))")
        }
        #expect(await second.stop() == 0)
    }
}
