import AsyncHTTPClient
import Foundation
import SluiceCore
import Synchronization
import Testing

/// `Worker.Task` under kill -9: a claim made before the crash still holds its task after the
/// restart, and an answer the server acknowledged is never lost — every execution completes,
/// with the output its worker sent. (A claim the server committed but whose answer never reached
/// its worker is held by nobody who knows its token: its lease runs out and the task's retry
/// policy runs it again, the at-least-once every lease gives.)
@Suite(.serialized) struct WorkerCrashTests {
    /// What the workers saw: the answers acknowledged (execution → output sent) and the claims
    /// held when the server died.
    final class Ledger: Sendable {
        struct State {
            var acknowledged: [String: Double] = [:]
            var held: [String: JSONValue] = [:]
            var stop = false
            var sent = 0
        }
        let state = Mutex(State())
    }

    @Test(.timeLimit(.minutes(3))) func acknowledgedAnswersAndHeldClaimsSurviveSIGKILL() async throws {
        let dir = try temporaryDirectory()
        let database = "sqlite:\(dir.path)/sluice.db"
        let client = HTTPClient.shared
        let first = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("first.log"))
        let definition = #"{"name": "crash", "steps": [{"type": "StaticTextInput", "input": "x"}, {"id": "work", "type": "Worker.Task", "input": {"queue": "crash", "output_type": "number", "lease_seconds": 10}, "retry": {"max_attempts": 3, "backoff": {"initial_seconds": 0.01}}}, {"type": "Echo"}]}"#
        let (status, created) = try await send(client, "POST", "\(first.baseURL)/workflows", body: definition)
        try #require(status == 201, "\(created)")
        let workflowID = try #require(created["workflow_id"]?.stringValue)
        var executions: [String] = []
        for _ in 0..<150 {
            let (code, body) = try await send(client, "POST", "\(first.baseURL)/workflows/\(workflowID)/execute", body: "{}")
            try #require(code == 202)
            executions.append(try #require(body["execution_id"]?.stringValue))
        }

        // Four workers claim in batches of 5 and answer each task with a number of their own;
        // the server dies once 60 answers were acknowledged.
        let ledger = Ledger()
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    while !ledger.state.withLock({ $0.stop }) {
                        guard let (code, body) = try? await send(client, "POST", "\(first.baseURL)/queues/crash/claim", body: #"{"worker": "w\#(w)", "limit": 5, "wait": 1}"#, timeout: 3),
                              code == 200 else { return }
                        let tasks = body["tasks"]?.arrayValue ?? []
                        for task in tasks { ledger.state.withLock { $0.held[task["execution_id"]!.stringValue!] = task } }
                        for task in tasks {
                            let execution = task["execution_id"]!.stringValue!
                            let output = ledger.state.withLock { state -> Double in
                                state.sent += 1
                                return Double(state.sent)
                            }
                            let url = "\(first.baseURL)/queues/crash/tasks/\(task["queued_task_id"]!.stringValue!)/complete"
                            guard let (code, _) = try? await send(client, "POST", url, body: #"{"claim_token": "\#(task["claim_token"]!.stringValue!)", "output": \#(Int(output))}"#, timeout: 3) else { return }
                            if code == 200 {
                                ledger.state.withLock { state in
                                    state.acknowledged[execution] = output
                                    state.held[execution] = nil
                                }
                            }
                        }
                    }
                }
            }
            while ledger.state.withLock({ $0.acknowledged.count }) < 60 { try? await Task.sleep(for: .milliseconds(1)) }
            first.kill()
            ledger.state.withLock { $0.stop = true }
        }
        let (acknowledged, held) = ledger.state.withLock { ($0.acknowledged, $0.held) }
        #expect(acknowledged.count >= 60)

        let second = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("second.log"))
        // Claims made before the crash still hold their tasks: their answers are taken now.
        var answers = acknowledged
        for (execution, task) in held {
            let output = Double(100_000 + answers.count)
            let url = "\(second.baseURL)/queues/crash/tasks/\(task["queued_task_id"]!.stringValue!)/complete"
            let (code, body) = try await send(client, "POST", url, body: #"{"claim_token": "\#(task["claim_token"]!.stringValue!)", "output": \#(Int(output))}"#)
            // A claim answered just before the kill, without the answer reaching the worker, is
            // task-finished: the answer sent first stands (checked below as the stored one).
            if code == 200 {
                answers[execution] = output
            } else {
                #expect(code == 409 && body["type"] == "urn:sluice:problem:task-finished", "a claim held before the crash: \(code) \(body.preview)")
                answers[execution] = -1
            }
        }
        // The rest, claimed and answered on the restarted server, until every execution is
        // answered (those whose claim was lost in flight come back when its lease runs out).
        let deadline = ContinuousClock.now + .seconds(60)
        while answers.count < executions.count, ContinuousClock.now < deadline {
            let (code, body) = try await send(client, "POST", "\(second.baseURL)/queues/crash/claim", body: #"{"worker": "after", "limit": 100, "wait": 2}"#)
            try #require(code == 200)
            let tasks = body["tasks"]?.arrayValue ?? []
            for task in tasks {
                let execution = task["execution_id"]!.stringValue!
                #expect(acknowledged[execution] == nil, "execution \(execution)'s acknowledged answer was lost: its task was handed out again")
                let output = Double(200_000 + answers.count)
                let url = "\(second.baseURL)/queues/crash/tasks/\(task["queued_task_id"]!.stringValue!)/complete"
                let (done, _) = try await send(client, "POST", url, body: #"{"claim_token": "\#(task["claim_token"]!.stringValue!)", "output": \#(Int(output))}"#)
                #expect(done == 200)
                answers[execution] = output
            }
        }
        for id in executions {
            let (code, execution) = try await send(client, "GET", "\(second.baseURL)/workflows/\(workflowID)/executions/\(id)?wait=30")
            #expect(code == 200)
            #expect(execution["status"] == "COMPLETED", "execution \(id): \(execution.preview)")
            if let sent = acknowledged[id] {
                #expect(execution["output"] == ["number": .number(sent)], "execution \(id) lost its acknowledged answer \(sent): \(execution.preview)")
            }
            let work = execution["tasks"]?.arrayValue?.first { $0["step_id"] == "work" }
            if acknowledged[id] != nil || held[id] != nil {
                #expect(work?["attempt"] == 1, "execution \(id)'s task ran again though its claim or answer survived: \(work?.preview ?? "")")
            }
        }
        #expect(await second.stop() == 0)
    }
}
