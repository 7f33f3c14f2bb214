import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
@testable import SluiceEngine
import SluiceSQLite
import SluiceStore
import Synchronization
import SluiceTestSupport
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
    let anyObject = Schema(type: .object)
    // Fails (retryably) until attempt `succeed_on`, logging each attempt.
    r.register(StepType(name: "Test.Flaky", summary: "fails until an attempt", input: .value(.text), output: .value(.text), parameters: anyObject, parametersRequired: true, implementation: .run { context throws(StepFailure) in
        let target = Int(context.parameters?["succeed_on"]?.numberValue ?? 1)
        context.log("flaky attempt \(context.attempt)")
        if context.attempt < target { throw StepFailure("not yet (attempt \(context.attempt))", retryable: context.parameters?["retryable"] != false) }
        return context.input
    }))
    // Sleeps `seconds`; records in `TestProbe` whether it was cancelled.
    r.register(StepType(name: "Test.Sleep", summary: "sleeps", input: .any, output: .sameAsInput, parameters: anyObject, parametersRequired: true, implementation: .run { context throws(StepFailure) in
        let seconds = context.parameters?["seconds"]?.numberValue ?? 1
        TestProbe.record("started:\(context.executionID)")
        do {
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        } catch {
            TestProbe.record("cancelled:\(context.executionID)")
            throw StepFailure("cancelled")
        }
        return context.input
    }))
    // Counts its runs under `key`; fails while the switch `key` is off (when `gate` is true).
    r.register(StepType(name: "Test.Count", summary: "counts runs", input: .value(.text), output: .value(.text), parameters: anyObject, parametersRequired: true, implementation: .pure { input, parameters throws(StepFailure) in
        let key = parameters?["key"]?.stringValue ?? "?"
        TestProbe.record("run:\(key)")
        if parameters?["gate"] == true, !TestProbe.isOn(key) { throw StepFailure("gate \(key) is closed") }
        return input
    }))
    // Upper-cases after a short pause, counting how many run at once in its execution
    // (`TestProbe.concurrency(of:)`).
    r.register(StepType(name: "Test.SlowUpper", summary: "upper-cases slowly", input: .value(.text), output: .value(.text), implementation: .run { context throws(StepFailure) in
        TestProbe.enter(context.executionID)
        defer { TestProbe.leave(context.executionID) }
        try? await Task.sleep(for: .milliseconds(1))
        guard let text = context.input["text"]?.stringValue else { throw StepFailure("no text") }
        if text == "boom" { throw StepFailure("cannot shout boom") }
        return ["text": .string(text.uppercased())]
    }))
    return r
}()

/// What test steps did, for tests to read: events by name, and switches.
enum TestProbe {
    static let events = Mutex<[String]>([])
    static let switches = Mutex<Set<String>>([])
    static func record(_ event: String) { events.withLock { $0.append(event) } }
    static func count(_ event: String) -> Int { events.withLock { $0.filter { $0 == event }.count } }
    static func isOn(_ key: String) -> Bool { switches.withLock { $0.contains(key) } }
    static func turnOn(_ key: String) { _ = switches.withLock { $0.insert(key) } }
    /// Steps inside `Test.SlowUpper` now, and the most seen at once, by execution: tests running
    /// at the same time (on the same step type) never see each other's counts.
    static let concurrency = Mutex<[String: (now: Int, peak: Int)]>([:])
    static func enter(_ execution: String) {
        concurrency.withLock { c in
            var v = c[execution, default: (0, 0)]
            v.now += 1
            v.peak = max(v.peak, v.now)
            c[execution] = v
        }
    }
    static func leave(_ execution: String) { concurrency.withLock { $0[execution, default: (1, 0)].now -= 1 } }
    /// The most `Test.SlowUpper` steps of `execution` seen running at once.
    static func peakConcurrency(of execution: String) -> Int { concurrency.withLock { $0[execution]?.peak ?? 0 } }
}

let seed: JSONValue = ["name": "Dummy Workflow", "steps": [["type": "StaticTextInput", "input": "Hello, world!"], ["type": "TextOperation.Reverse"], ["type": "Echo"]]]

/// Runs `body` with an engine running as a service on `store` (by default a new test store:
/// `TestStore.make()`, MemoryStore or PostgreSQL with `SLUICE_TEST_STORE=postgres`), then shuts
/// it down gracefully.
func withEngine<T: Sendable>(store: (any Store)? = nil, configuration: Engine.Configuration = .init(), clock: any EngineClock = WallClock(), _ body: @Sendable (Engine) async throws -> T) async throws -> T {
    let store = if let store { store } else { try await TestStore.make() }
    let engine = Engine(store: store, registry: testRegistry, configuration: configuration, logger: Logger(label: "test"), clock: clock)
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
    // Returns as soon as the execution finishes; the deadline only ends a test that would
    // otherwise hang (a loaded CI machine ran a 1,000-item map past 10 s).
    let deadline = ContinuousClock.now + .seconds(60)
    while true {
        await engine.waitUntilFinished(executionID: id, timeout: .seconds(1))
        let detail = try #require(try await engine.store.execution(id: id))
        if detail.execution.status.isTerminal || ContinuousClock.now > deadline { return detail }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// A store that outlives an engine, for tests that stop an engine and start another on the same
/// data: the test store when it is PostgreSQL, else a new SQLite file.
func durableStore() async throws -> any Store {
    TestStore.isPostgres ? try await TestStore.make() : try temporarySQLite()
}

func temporarySQLite() throws -> SQLiteStore {
    let dir = Scratch.root.appendingPathComponent("sluice-engine-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return try SQLiteStore(path: dir.appendingPathComponent("e.db").path)
}

/// Waits for committed changes of execution `id` until `condition` holds of it as stored (no
/// polling: each committed change releases the wait).
@discardableResult
func untilStored(_ engine: Engine, _ id: String, _ condition: (ExecutionDetail) -> Bool) async throws -> ExecutionDetail {
    while true {
        let seen = engine.changeCount(executionID: id)
        let detail = try #require(try await engine.store.execution(id: id))
        if condition(detail) { return detail }
        await engine.waitForChange(executionID: id, timeout: .seconds(86_400), after: seen)
        // Not driven here (yet, or any more): the wait returned at once; let others run.
        await Task.yield()
    }
}
