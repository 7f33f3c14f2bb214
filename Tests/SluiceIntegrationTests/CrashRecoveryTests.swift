import AsyncHTTPClient
import Foundation
import SluiceCore
import Testing

@Suite(.serialized) struct CrashRecoveryTests {
    /// The promise of durability: kill -9 the server while executions are in flight, start it
    /// again on the same database, and every execution it had accepted (answered 202) completes
    /// with the right output.
    @Test func everyAcceptedExecutionCompletesAfterSIGKILLAndRestart() async throws {
        let dir = try temporaryDirectory()
        let database = "sqlite:\(dir.path)/sluice.db"
        let client = HTTPClient.shared

        let first = try ServerProcess(database: database, logURL: dir.appendingPathComponent("first.log"))
        // A long chain keeps executions in flight: 41 reversals of the text.
        let steps = [#"{"type":"StaticTextInput","input":"durable"}"#] + Array(repeating: #"{"type":"TextOperation.Reverse"}"#, count: 41) + [#"{"type":"Echo"}"#]
        let (status, created) = try await send(client, "POST", "\(first.baseURL)/workflows", body: #"{"name":"long chain","steps":[\#(steps.joined(separator: ","))]}"#)
        #expect(status == 201)
        let workflowID = try #require(created["workflow_id"]?.stringValue)

        let accepted = Accepted()
        let killAfter = 150
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
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

        let second = try ServerProcess(database: database, logURL: dir.appendingPathComponent("second.log"))
        for id in ids {
            let (code, execution) = try await send(client, "GET", "\(second.baseURL)/workflows/\(workflowID)/executions/\(id)?wait=30")
            #expect(code == 200)
            #expect(execution["status"] == "COMPLETED", "execution \(id): \(execution.preview)")
            #expect(execution["output"] == ["text": "elbarud"])
        }
        // Anything committed but not yet answered when the server died completes too.
        let (_, listed) = try await send(client, "GET", "\(second.baseURL)/workflows/\(workflowID)/executions?limit=500")
        let all = listed["executions"]?.arrayValue ?? []
        #expect(all.count >= ids.count)
        for e in all where e["status"] != "COMPLETED" {
            let id = e["execution_id"]!.stringValue!
            let (_, later) = try await send(client, "GET", "\(second.baseURL)/workflows/\(workflowID)/executions/\(id)?wait=30")
            #expect(later["status"] == "COMPLETED")
        }
        #expect(second.log.contains("resumed unfinished executions"), "the kill must have interrupted executions for this test to mean anything")
        #expect(second.terminate() == 0, "SIGTERM shuts the server down gracefully")
    }

    @Test func sigtermStopsTheServerGracefullyAndDataSurvives() async throws {
        let dir = try temporaryDirectory()
        let database = "sqlite:\(dir.path)/sluice.db"
        let client = HTTPClient.shared
        let first = try ServerProcess(database: database, logURL: dir.appendingPathComponent("a.log"))
        let (_, created) = try await send(client, "POST", "\(first.baseURL)/workflows", body: #"{"name":"Dummy Workflow","steps":[{"type":"StaticTextInput","input":"Hello, world!"},{"type":"TextOperation.Reverse"},{"type":"Echo"}]}"#)
        let workflowID = try #require(created["workflow_id"]?.stringValue)
        #expect(first.terminate() == 0)
        let second = try ServerProcess(database: database, logURL: dir.appendingPathComponent("b.log"))
        let (code, _) = try await send(client, "GET", "\(second.baseURL)/workflows/\(workflowID)")
        #expect(code == 200)
        #expect(second.terminate() == 0)
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
