import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
@testable import SluiceEngine
import SluiceSQLite
import SluiceStore
import Testing

/// The built-in steps plus two that exist only for tests: one that always fails, one that fails
/// on an input containing "fail".
let testRegistry: StepRegistry = {
    var r = StepRegistry.builtin
    r.register(StepType(name: "Test.Fail", summary: "fails", input: .value(.text), output: .value(.text), implementation: .pure { _, _ throws(StepFailure) in
        throw StepFailure("this step always fails")
    }))
    r.register(StepType(name: "Test.FailOn", summary: "fails on 'fail'", input: .value(.text), output: .value(.text), implementation: .pure { input, _ throws(StepFailure) in
        if input["text"]?.stringValue?.contains("fail") == true { throw StepFailure("found 'fail' in the text") }
        return input
    }))
    return r
}()

let seed: JSONValue = ["name": "Dummy Workflow", "steps": [["type": "StaticTextInput", "input": "Hello, world!"], ["type": "TextOperation.Reverse"], ["type": "Echo"]]]

/// Runs `body` with an engine running as a service on `store`, then shuts it down gracefully.
func withEngine<T: Sendable>(store: any Store = MemoryStore(), configuration: Engine.Configuration = .init(), _ body: @Sendable (Engine) async throws -> T) async throws -> T {
    let engine = Engine(store: store, registry: testRegistry, configuration: configuration, logger: Logger(label: "test"))
    let group = ServiceGroup(services: [engine], logger: Logger(label: "test"))
    return try await withThrowingTaskGroup(of: T?.self) { tasks in
        tasks.addTask { try await group.run(); return nil }
        do {
            let result = try await body(engine)
            await group.triggerGracefulShutdown()
            for try await _ in tasks {}
            return result
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
    }
}

/// Waits (up to 10 s) until the execution is finished and returns it from the store. Polls too,
/// because an execution resumed at start-up may not be active yet when the test begins waiting.
func finished(_ engine: Engine, _ id: String) async throws -> ExecutionDetail {
    let deadline = ContinuousClock.now + .seconds(10)
    while true {
        await engine.waitUntilFinished(executionID: id, timeout: .seconds(1))
        let detail = try #require(try await engine.store.execution(id: id))
        if detail.execution.status.isTerminal || ContinuousClock.now > deadline { return detail }
        try await Task.sleep(for: .milliseconds(10))
    }
}

func temporarySQLite() throws -> SQLiteStore {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-engine-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return try SQLiteStore(path: dir.appendingPathComponent("e.db").path)
}
