import AsyncHTTPClient
import ArgumentParser
import Foundation
import SluiceCore
import Synchronization

/// `sluice bench --annotation`: items through the annotation API.
///
/// 1. Upload: `--executions` items in batches of 1,000, `--concurrency` batches at a time (at
///    most 8); items/s from the first upload to the last answer (each item stored and its
///    execution started before its batch is answered).
/// 2. Take: once every item waits in the labeling pool, `--workers` workers call
///    `POST /annotation/task/next` at once, each answering what it took, until none is left;
///    the latency of every take (p50, p99), takes/s, and how many items were taken twice
///    (must be 0).
extension Bench {
    final class Uploads: Sendable {
        let state = Mutex((next: 0, last: 0))
    }

    final class Taken: Sendable {
        let state = Mutex((ids: Set<String>(), twice: 0, latencies: [Double](), started: 0))
    }

    func measureAnnotation(bases: [String]) async throws {
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: workers + 16)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            let base = bases[0]
            let (ps, project) = try await send(client, "POST", "\(base)/annotation/project/create", body: #"{"name": "bench", "labelConfig": {"kind": "choice", "labels": ["cat", "dog"]}}"#)
            guard ps == 200, let projectID = project["data"]?["projectId"]?.numberValue else { throw ValidationError("creating the project failed: \(ps) \(project.jsonString)") }
            let (ws, workflow) = try await send(client, "POST", "\(base)/annotation/workflow/create", body: #"{"projectId": \#(Int(projectID)), "workflow": {"pools": [{"type": 0}, {"name": "Label", "type": 1}, {"type": 5}]}}"#)
            guard ws == 200, let workflowID = workflow["data"]?["workflowId"]?.numberValue.map(Int.init) else { throw ValidationError("creating the workflow failed: \(ws) \(workflow.jsonString)") }

            // 1. Upload.
            let total = executions
            let batches = stride(from: 0, to: total, by: 1000).map { ($0, min(1000, total - $0)) }
            let uploads = Uploads()
            let begin = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for u in 0..<min(8, concurrency, batches.count) {
                    group.addTask {
                        let target = bases[u % bases.count]
                        while let (start, count) = uploads.state.withLock({ s -> (Int, Int)? in
                            guard s.next < batches.count else { return nil }
                            s.next += 1
                            return batches[s.next - 1]
                        }) {
                            let items = (start..<(start + count)).map { #"{"externalId": "i\#($0)", "data": "https://example.com/\#($0).jpg"}"# }.joined(separator: ",")
                            let (status, answer) = try await send(client, "POST", "\(target)/annotation/item/upload", body: #"{"workflowId": \#(workflowID), "items": [\#(items)]}"#)
                            guard status == 200, let ids = answer["data"]?["itemIds"]?.arrayValue else { throw ValidationError("upload failed: \(status) \(answer.jsonString.prefix(500))") }
                            let highest = ids.compactMap(\.numberValue).map(Int.init).max() ?? 0
                            uploads.state.withLock { $0.last = max($0.last, highest) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let uploadSeconds = Self.seconds(ContinuousClock.now - begin)

            // Until the last item waits in the labeling pool (its execution has queued it).
            let last = uploads.state.withLock { $0.last }
            let waitBegin = ContinuousClock.now
            while true {
                let (status, item) = try await send(client, "GET", "\(base)/annotation/item/get?itemId=\(last)", body: nil)
                if status == 200, item["data"]?["pool"]?["index"] == 1 { break }
                if ContinuousClock.now - waitBegin > .seconds(600) { throw ValidationError("item \(last) never reached the labeling pool: \(item.jsonString.prefix(500))") }
                try await Task.sleep(for: .milliseconds(50))
            }
            let queuedSeconds = Self.seconds(ContinuousClock.now - begin)
            let progressWaiting = try await progressMilliseconds(client, bases[0], workflowID: workflowID)
            // Every item's execution recorded with it (none left `pending` for the starter).
            var unrecorded = progressWaiting.pending
            let recordBegin = ContinuousClock.now
            while unrecorded > 0, ContinuousClock.now - recordBegin < .seconds(60) {
                try await Task.sleep(for: .milliseconds(200))
                unrecorded = try await progressMilliseconds(client, bases[0], workflowID: workflowID).pending
            }
            if unrecorded > 0 { throw ValidationError("\(unrecorded) items still have no execution recorded 60 s after their upload") }

            // 2. Take.
            let taken = Taken()
            let takeBegin = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<workers {
                    group.addTask {
                        let target = bases[w % bases.count]
                        while true {
                            // With --takes: a slot claimed before the take, so that no more are made.
                            if let limit = takes {
                                let more = taken.state.withLock { s -> Bool in
                                    guard s.started < limit else { return false }
                                    s.started += 1
                                    return true
                                }
                                if !more { return }
                            }
                            let start = ContinuousClock.now
                            let (status, answer) = try await send(client, "POST", "\(target)/annotation/task/next", body: #"{"workflowId": \#(workflowID), "pool": 1, "account": "bench-\#(w)"}"#)
                            let elapsed = Self.seconds(ContinuousClock.now - start)
                            guard status == 200 else { throw ValidationError("take failed: \(status) \(answer.jsonString)") }
                            guard let id = answer["data"]?["task"]?["human_task_id"]?.stringValue else { return }
                            taken.state.withLock { s in
                                if !s.ids.insert(id).inserted { s.twice += 1 }
                                s.latencies.append(elapsed)
                            }
                            let (done, reply) = try await send(client, "POST", "\(target)/human-tasks/\(id)/complete", body: #"{"account": "bench-\#(w)", "answer": {"label": "cat"}}"#)
                            guard done == 200 else { throw ValidationError("answer failed: \(done) \(reply.jsonString)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let takeSeconds = Self.seconds(ContinuousClock.now - takeBegin)
            let (ids, twice, latencies) = taken.state.withLock { ($0.ids, $0.twice, $0.latencies.sorted()) }
            func pct(_ p: Double) -> String {
                latencies.isEmpty ? "n/a" : String(format: "%.2f ms", latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000)
            }
            print("annotation items: \(total) uploaded in batches of 1000, \(min(8, concurrency, batches.count)) at a time")
            print(String(format: "upload items/s:   %.0f (stored and started), all waiting in the pool after %.1f s", Double(total) / uploadSeconds, queuedSeconds))
            let expected = min(takes ?? total, total)
            print("take (\(workers) workers, POST /annotation/task/next then the answer): \(ids.count) items taken\(expected < total ? " of \(total) waiting" : ""), \(twice) taken twice")
            print(String(format: "takes/s:          %.0f (taken and answered)", Double(ids.count) / takeSeconds))
            print("  p50:            \(pct(0.50))")
            print("  p99:            \(pct(0.99))")
            // Counting the items once all are done (their executions finish after the answers).
            let doneBegin = ContinuousClock.now
            var progressDone = try await progressMilliseconds(client, bases[0], workflowID: workflowID)
            while progressDone.completed != expected, ContinuousClock.now - doneBegin < .seconds(300) {
                try await Task.sleep(for: .milliseconds(200))
                progressDone = try await progressMilliseconds(client, bases[0], workflowID: workflowID)
            }
            print(String(format: "progress:         %.0f ms with every item waiting, %.0f ms with every item done (GET /annotation/workflow/progress, best of 3)", progressWaiting.ms, progressDone.ms))
            if progressDone.completed != expected { throw ValidationError("progress counts \(progressDone.completed) of \(expected) items completed") }
            if ids.count != expected || twice > 0 { throw ValidationError("expected \(expected) items taken exactly once each: \(ids.count) taken, \(twice) twice") }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// The best of three `GET /annotation/workflow/progress` times, and the completed and pending
    /// (no execution recorded) items it counted.
    func progressMilliseconds(_ client: HTTPClient, _ base: String, workflowID: Int) async throws -> (ms: Double, completed: Int, pending: Int) {
        var best = Double.infinity
        var completed = 0
        var pending = 0
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let (status, answer) = try await send(client, "GET", "\(base)/annotation/workflow/progress?workflowId=\(workflowID)", body: nil)
            guard status == 200 else { throw ValidationError("progress failed: \(status) \(answer.jsonString.prefix(300))") }
            best = min(best, Self.seconds(ContinuousClock.now - start) * 1000)
            completed = Int(answer["data"]?["items"]?["completed"]?.numberValue ?? -1)
            pending = Int(answer["data"]?["items"]?["pending"]?.numberValue ?? -1)
        }
        return (best, completed, pending)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
