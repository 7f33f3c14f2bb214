import AsyncHTTPClient
import Foundation
import SluiceCore
import Testing

/// The Python example worker of the docs (`docs/examples/worker.py`, standard library only)
/// against a real server: it claims the task, heartbeats, and its answer finishes the execution.
@Suite(.timeLimit(.minutes(2))) struct ExampleWorkerTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/examples/worker.py").standardized

    static var python: String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/python3") {
            return dir + "/python3"
        }
        return nil
    }

    @Test(.enabled(if: python != nil, "needs python3"))
    func thePythonExampleWorkerAnswersAWorkerTask() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await ServerProcess.start(database: "sqlite:\(dir.path)/w.db", logURL: dir.appendingPathComponent("server.log"))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let definition = #"{"name": "count", "steps": [{"type": "StaticTextInput", "input": "three little words"}, {"type": "Worker.Task", "input": {"queue": "words", "output_type": "number"}}, {"type": "Echo"}]}"#
            let (created, wf) = try await send(client, "POST", "\(server.baseURL)/workflows", body: definition)
            try #require(created == 201, "\(wf)")
            let workflowID = try #require(wf["workflow_id"]?.stringValue)
            let (started, ex) = try await send(client, "POST", "\(server.baseURL)/workflows/\(workflowID)/execute")
            try #require(started == 202, "\(ex)")
            let executionID = try #require(ex["execution_id"]?.stringValue)

            let worker = Process()
            worker.executableURL = URL(fileURLWithPath: try #require(Self.python))
            worker.arguments = [Self.example.path, "--server", server.baseURL, "--queue", "words", "--once"]
            let out = Pipe()
            worker.standardOutput = out
            worker.standardError = out
            try worker.run()
            let printed = try await ServerProcess.offPool { () -> String in
                let data = out.fileHandleForReading.readDataToEndOfFile()
                worker.waitUntilExit()
                return String(decoding: data, as: UTF8.self)
            }
            #expect(worker.terminationStatus == 0, "\(printed)")
            #expect(printed.contains(": 200 COMPLETED"), "\(printed)")

            let (status, done) = try await send(client, "GET", "\(server.baseURL)/workflows/\(workflowID)/executions/\(executionID)?wait=30")
            #expect(status == 200)
            #expect(done["status"] == "COMPLETED", "\(done)")
            #expect(done["output"] == ["number": 3], "\(done)")
        } catch {
            try? await client.shutdown()
            _ = await server.stop()
            throw error
        }
        try await client.shutdown()
        _ = await server.stop()
    }
}
