import AsyncHTTPClient
import ArgumentParser
import Foundation
import SluiceCore
import Synchronization

/// `sluice bench --worker-tasks`: `Worker.Task`s through the workers' API.
///
/// 1. Latency: one worker long-polls the queue while an execution is started; the time from
///    sending `POST …/execute` to the worker receiving the task (`--latency-samples` times, one
///    task at a time), so it counts the execution's commit, the task's queueing and the wake-up
///    of the waiting claim.
/// 2. Throughput: `--concurrency` producers start `--executions` executions while `--workers`
///    workers claim up to `--batch` tasks at a time and complete them (each batch's completions
///    concurrently); tasks/s from the first execute to the last completion.
extension Bench {
    static let queueWorkflow = #"{"name": "Queue bench", "steps": [{"type": "StaticTextInput", "input": "x"}, {"id": "work", "type": "Worker.Task", "input": {"queue": "bench", "output_type": "text"}}, {"type": "Echo"}]}"#

    final class Progress: Sendable {
        let state = Mutex((started: 0, completed: 0))
    }

    func measureWorkerTasks(bases: [String]) async throws {
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency + workers * batch + 4)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            let (status, created) = try await send(client, "POST", "\(bases[0])/workflows", body: Self.queueWorkflow)
            guard status == 201, let workflowID = created["workflow_id"]?.stringValue else {
                throw ValidationError("creating the workflow failed: \(status) \(created.jsonString)")
            }
            let latencies = try await claimLatencies(client, bases, workflowID)
            let (count, seconds) = try await throughput(client, bases, workflowID)
            let sorted = latencies.sorted()
            func pct(_ p: Double) -> String {
                String(format: "%.2f ms", sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000)
            }
            print("worker tasks:   \(count) (\(workers) workers claiming up to \(batch) at a time, \(concurrency) producers)")
            print(String(format: "tasks/s:        %.0f (claimed and completed, from the first execute to the last completion)", Double(count) / seconds))
            print("execute → claimed, one long-polling worker (\(sorted.count) tasks, one at a time):")
            print("  p50:          \(pct(0.50))")
            print("  p95:          \(pct(0.95))")
            print("  p99:          \(pct(0.99))")
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Phase 1: one task at a time, the worker already waiting for it.
    func claimLatencies(_ client: HTTPClient, _ bases: [String], _ workflowID: String) async throws -> [Double] {
        var latencies: [Double] = []
        for i in 0..<latencySamples {
            let base = bases[i % bases.count]
            async let claim = send(client, "POST", "\(base)/queues/bench/claim", body: #"{"worker": "bench-latency", "wait": 30}"#)
            // The claim is sent first, so that it is the one waiting when the task is queued.
            try await Task.sleep(for: .milliseconds(2))
            let start = ContinuousClock.now
            let (started, answer) = try await send(client, "POST", "\(base)/workflows/\(workflowID)/execute", body: "{}")
            guard started == 202 else { throw ValidationError("execute failed: \(started) \(answer.jsonString)") }
            let (claimed, tasks) = try await claim
            let elapsed = ContinuousClock.now - start
            guard claimed == 200, let task = tasks["tasks"]?.arrayValue?.first else { throw ValidationError("the waiting worker got no task: \(claimed) \(tasks.jsonString)") }
            latencies.append(Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
            try await complete(client, base, task)
        }
        return latencies
    }

    /// Phase 2: producers and workers at once; the number of tasks and the seconds taken.
    func throughput(_ client: HTTPClient, _ bases: [String], _ workflowID: String) async throws -> (Int, Double) {
        let progress = Progress()
        let total = executions
        let begin = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<concurrency {
                group.addTask {
                    let base = bases[p % bases.count]
                    while progress.state.withLock({ s -> Bool in
                        guard s.started < total else { return false }
                        s.started += 1
                        return true
                    }) {
                        let (status, answer) = try await send(client, "POST", "\(base)/workflows/\(workflowID)/execute", body: "{}")
                        guard status == 202 else { throw ValidationError("execute failed: \(status) \(answer.jsonString)") }
                    }
                }
            }
            for w in 0..<workers {
                group.addTask {
                    let base = bases[w % bases.count]
                    while progress.state.withLock({ $0.completed }) < total {
                        let (status, answer) = try await send(client, "POST", "\(base)/queues/bench/claim", body: #"{"worker": "bench-\#(w)", "limit": \#(batch), "wait": 1}"#)
                        guard status == 200, let tasks = answer["tasks"]?.arrayValue else { throw ValidationError("claim failed: \(status) \(answer.jsonString)") }
                        try await withThrowingTaskGroup(of: Void.self) { batch in
                            for task in tasks { batch.addTask { try await complete(client, base, task) } }
                            try await batch.waitForAll()
                        }
                        progress.state.withLock { $0.completed += tasks.count }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - begin
        return (total, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    func complete(_ client: HTTPClient, _ base: String, _ task: JSONValue) async throws {
        guard let id = task["queued_task_id"]?.stringValue, let token = task["claim_token"]?.stringValue else {
            throw ValidationError("a claimed task without its id or token: \(task.jsonString)")
        }
        let (status, answer) = try await send(client, "POST", "\(base)/queues/bench/tasks/\(id)/complete", body: #"{"claim_token": "\#(token)", "output": "done"}"#)
        guard status == 200 else { throw ValidationError("complete failed: \(status) \(answer.jsonString)") }
    }
}
