import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceSteps
import SluiceStore
import SluiceTestSupport
import Testing

/// HTTP.Request and Process inside real executions: the engine runs them, times them out,
/// retries them and cancels them.
@Suite(.testStores) struct EngineWithIOStepsTests {
    static let registry = StepRegistry.standard(options: StandardStepOptions(httpClient: testHTTPClient, allowPrivateNetworks: true, enableProcess: true))

    func withEngine<T: Sendable>(_ body: @Sendable (Engine) async throws -> T) async throws -> T {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: Self.registry, logger: logger)
        let group = ServiceGroup(services: [engine], logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            defer { tasks.cancelAll() }
            let result = try await body(engine)
            await group.triggerGracefulShutdown()
            for try await _ in tasks {}
            return result
        }
    }

    func finished(_ engine: Engine, _ id: String) async throws -> ExecutionDetail {
        for _ in 0..<20 {
            await engine.waitUntilFinished(executionID: id, timeout: .seconds(1))
            if let d = try await engine.store.execution(id: id), d.execution.status.isTerminal { return d }
        }
        return try #require(try await engine.store.execution(id: id))
    }

    @Test func anHTTPRequestStepFetchesJSONThatTheNextStepsUse() async throws {
        try await withTestServer { base in
            try await withEngine { engine in
                let wf = try await engine.createWorkflow(["name": "fetch", "steps": [
                    ["type": "HTTP.Request", "input": ["url": .string(base + "/json")]],
                    ["type": "JSON.Get", "input": ["pointer": "/body/hello", "as": "text"]],
                    ["type": "TextOperation.Uppercase"],
                ]])
                let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest())
                let detail = try await finished(engine, started.executionID)
                #expect(detail.execution.status == .completed, "\(String(describing: detail.tasks.map(\.error)))")
                #expect(detail.execution.output == ["text": "WORLD"])
                #expect(detail.tasks[0].output?["json"]?["status"] == 200)
                let lines = try await engine.store.logs(executionID: started.executionID, index: 0, after: 0, limit: 10).map(\.line)
                #expect(lines.first?.hasPrefix("GET \(base)/json") == true, "\(lines)")
            }
        }
    }

    /// An annotation pipeline's algorithm may be an `HTTP.Request` (a model served over HTTP):
    /// it runs on the item and its response is stored with it, in the item's outputs.
    @Test func anAnnotationAlgorithmThatIsAnHTTPRequestStoresItsResponseWithTheItem() async throws {
        try await withTestServer { base in
            try await withEngine { engine in
                let wf = try await engine.createWorkflow([
                    "name": "algo", "steps": [[
                        "type": "Annotation.Item",
                        "input": [
                            "pipeline": ["pools": [["type": 0], ["type": 4, "algorithmList": ["model"]], ["type": 5]]],
                            "algorithms": ["model": ["step": ["type": "HTTP.Request", "input": ["url": .string(base + "/json")]]]],
                        ],
                    ]],
                ]).record.id
                let id = try await engine.startExecution(workflowID: wf, request: ExecutionRequest(input: ["item_id": 1, "item_number": 0, "data": "a photo"])).executionID
                let done = try await finished(engine, id)
                #expect(done.execution.status == .completed, "\(String(describing: done.execution.error))")
                let output = done.execution.output?["json"]?["outputs"]?["model"]
                #expect(output?["json"]?["status"] == 200, "\(String(describing: output))")
                #expect(output?["json"]?["body"] == ["hello": "world", "n": 3])
                let stored = try await engine.store.queuedTasks(executionID: id)
                #expect(stored.count == 1 && stored[0].queue == "@algorithm" && stored[0].result != nil, "the response is stored as the phase's answer")
            }
        }
    }

    @Test func aServerErrorIsRetriedAndEachAttemptIsKept() async throws {
        try await withTestServer { base in
            try await withEngine { engine in
                let wf = try await engine.createWorkflow(["name": "retry", "steps": [
                    ["type": "HTTP.Request", "input": ["url": .string(base + "/status/503")],
                     "retry": ["max_attempts": 3, "backoff": ["initial_seconds": 0.01, "max_seconds": 0.02]]],
                ]])
                let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest())
                let detail = try await finished(engine, started.executionID)
                #expect(detail.execution.status == .failed)
                #expect(detail.tasks[0].attempt == 3)
                #expect(detail.tasks[0].attempts.count == 3)
                #expect(detail.tasks[0].attempts.allSatisfy { $0["error"]?["retryable"] == true })
            }
        }
    }

    @Test func cancellingAnExecutionKillsItsRunningProcess() async throws {
        let marker = Scratch.root.appendingPathComponent("sluice-cancel-\(UUID().uuidString)").path
        try await withEngine { engine in
            // The process records its pid, then sleeps; cancelling must end it.
            let wf = try await engine.createWorkflow(["name": "p", "steps": [
                ["type": "Process", "input": ["command": "/bin/sh", "args": ["-c", .string("echo $$ > \(marker); exec sleep 30")], "kill_grace_seconds": 1]],
            ]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"]))
            var pid: Int32?
            for _ in 0..<500 where pid == nil {
                pid = (try? String(contentsOfFile: marker, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                try await Task.sleep(for: .milliseconds(10))
            }
            let processID = try #require(pid)
            #expect(kill(processID, 0) == 0, "the process is running")
            let cancelled = try await engine.cancelExecution(started.executionID)
            #expect(cancelled.execution.status == .cancelled)
            var gone = false
            for _ in 0..<300 where !gone {
                gone = kill(processID, 0) != 0
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(gone, "the process was terminated")
        }
    }

    @Test func aProcessThatRunsPastItsTaskTimeoutFails() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "p", "steps": [
                ["type": "Process", "input": ["command": "sleep", "args": ["30"], "kill_grace_seconds": 1], "timeout_seconds": 0.3],
            ]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .failed)
            #expect(detail.tasks[0].error?["message"]?.stringValue?.contains("timed out after 0.3 s") == true)
        }
    }
}
