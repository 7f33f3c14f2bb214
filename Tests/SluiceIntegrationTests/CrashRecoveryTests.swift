import AsyncHTTPClient
import Foundation
import SluiceCore
import Testing

@Suite(.serialized) struct CrashRecoveryTests {
    /// The promise of durability: kill -9 the server while executions are in flight, start it
    /// again on the same database, and every execution it had accepted (answered 202) completes
    /// with the right output. A kill can land between commits with nothing in flight, so the
    /// scenario repeats (up to 3 rounds) until a restart had interrupted executions to resume;
    /// every round must lose nothing.
    @Test func everyAcceptedExecutionCompletesAfterSIGKILLAndRestart() async throws {
        var interrupted = false
        for _ in 0..<3 where !interrupted {
            interrupted = try await killAndRestartRound()
        }
        #expect(interrupted, "no round killed the server with executions in flight")
    }

    /// One round; returns whether the restarted server resumed interrupted executions.
    func killAndRestartRound() async throws -> Bool {
        let dir = try temporaryDirectory()
        let database = "sqlite:\(dir.path)/sluice.db"
        let client = HTTPClient.shared

        let first = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("first.log"))
        // A long chain: 41 reversals of the text, with a short Delay among them. Pure steps run
        // before an execution is first stored (a chain of them is stored already finished); the
        // Delay is what a kill interrupts: the restarted server resumes it at its stored time.
        let reversals = Array(repeating: #"{"type":"TextOperation.Reverse"}"#, count: 20)
        let steps = [#"{"type":"StaticTextInput","input":"durable"}"#] + reversals + [#"{"type":"Delay","input":{"seconds":0.2}}"#]
            + reversals + [#"{"type":"TextOperation.Reverse"}"#, #"{"type":"Echo"}"#]
        let (status, created) = try await send(client, "POST", "\(first.baseURL)/workflows", body: #"{"name":"long chain","steps":[\#(steps.joined(separator: ","))]}"#)
        #expect(status == 201)
        let workflowID = try #require(created["workflow_id"]?.stringValue)

        let accepted = Accepted()
        let killAfter = 300
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    while accepted.count < killAfter {
                        // Once the server is gone, a request fails (the client would retry the connection until its timeout).
                        guard let (code, body) = try? await send(client, "POST", "\(first.baseURL)/workflows/\(workflowID)/execute", body: "{}", timeout: 2) else { return }
                        if code == 202, let id = body["execution_id"]?.stringValue { accepted.add(id) }
                    }
                }
            }
            while accepted.count < killAfter { try? await Task.sleep(for: .milliseconds(1)) }
            first.kill()
        }
        let ids = accepted.all
        #expect(ids.count >= killAfter)

        let second = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("second.log"))
        for id in ids {
            let (code, execution) = try await send(client, "GET", "\(second.baseURL)/workflows/\(workflowID)/executions/\(id)?wait=30")
            #expect(code == 200)
            #expect(execution["status"] == "COMPLETED", "execution \(id): \(execution.preview)")
            #expect(execution["output"] == ["text": "elbarud"])
        }
        // Anything committed but not yet answered when the server died completes too.
        var cursor = ""
        var listed = 0
        repeat {
            let (_, page) = try await send(client, "GET", "\(second.baseURL)/workflows/\(workflowID)/executions?limit=500\(cursor)")
            for e in page["executions"]?.arrayValue ?? [] {
                listed += 1
                guard e["status"] != "COMPLETED", let id = e["execution_id"]?.stringValue else { continue }
                let (_, later) = try await send(client, "GET", "\(second.baseURL)/workflows/\(workflowID)/executions/\(id)?wait=30")
                #expect(later["status"] == "COMPLETED")
            }
            cursor = page["next_cursor"]?.stringValue.map { "&cursor=\($0)" } ?? ""
        } while !cursor.isEmpty
        #expect(listed >= ids.count)
        #expect(await second.stop() == 0, "SIGTERM shuts the server down gracefully")
        return second.log.contains("resumed unfinished executions")
    }

    @Test func sigtermStopsTheServerGracefullyAndDataSurvives() async throws {
        let dir = try temporaryDirectory()
        let database = "sqlite:\(dir.path)/sluice.db"
        let client = HTTPClient.shared
        let first = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("a.log"))
        let (_, created) = try await send(client, "POST", "\(first.baseURL)/workflows", body: #"{"name":"Dummy Workflow","steps":[{"type":"StaticTextInput","input":"Hello, world!"},{"type":"TextOperation.Reverse"},{"type":"Echo"}]}"#)
        let workflowID = try #require(created["workflow_id"]?.stringValue)
        #expect(await first.stop() == 0)
        let second = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("b.log"))
        let (code, _) = try await send(client, "GET", "\(second.baseURL)/workflows/\(workflowID)")
        #expect(code == 200)
        #expect(await second.stop() == 0)
    }
}

/// Execution ids the server accepted, shared by the submitting tasks.
final class Accepted: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [String] = []
    func add(_ id: String) { lock.withLock { ids.append(id) } }
    var count: Int { lock.withLock { ids.count } }
    var all: [String] { lock.withLock { ids } }
}
