import Foundation
import SluiceCore
@testable import SluiceEngine
import SluiceSQLite
import SluiceStore
import Synchronization
import SluiceTestSupport
import Testing

/// Versioned workflows: every execution runs the version it started with, to the end.
@Suite(.testStores) struct WorkflowVersionTests {
    /// The test store (MemoryStore, or PostgreSQL with `SLUICE_TEST_STORE=postgres`) and SQLite.
    enum Driver: String, CaseIterable { case testStore, sqlite }
    func store(_ d: Driver) async throws -> any Store { d == .testStore ? try await TestStore.make() : try temporarySQLite() }

    /// A Delay (to keep an execution running across an update), then `step`.
    func delayThen(_ step: String, seconds: Double = 0.3) -> JSONValue {
        ["name": .string(step), "steps": [["type": "Delay", "input": ["seconds": .number(seconds)]], ["type": .string(step)]]]
    }

    @Test(arguments: Driver.allCases)
    func anExecutionStartedBeforeAnUpdateFinishesWithItsOwnDefinition(driver: Driver) async throws {
        try await withEngine(store: try await store(driver)) { engine in
            let wf = try await engine.createWorkflow(delayThen("TextOperation.Uppercase"))
            let id = wf.record.id
            let old = try await engine.startExecution(workflowID: id, request: ExecutionRequest(input: ["text": "Hi"]))
            #expect(try await eventually { try await engine.store.execution(id: old.executionID)?.tasks[0].wakeAt != nil }, "the Delay is running")
            let updated = try await engine.updateWorkflow(id, definition: delayThen("TextOperation.Reverse"))
            #expect(updated.record.version == 2)
            let new = try await engine.startExecution(workflowID: id, request: ExecutionRequest(input: ["text": "Hi"]))

            let oldDetail = try await finished(engine, old.executionID)
            #expect(oldDetail.execution.status == .completed)
            #expect(oldDetail.execution.workflowVersion == 1)
            #expect(oldDetail.execution.output == ["text": "HI"], "version 1 uppercases")
            #expect(oldDetail.tasks.map(\.type) == ["Delay", "TextOperation.Uppercase"])
            let newDetail = try await finished(engine, new.executionID)
            #expect(newDetail.execution.workflowVersion == 2)
            #expect(newDetail.execution.output == ["text": "iH"], "version 2 reverses")
        }
    }

    @Test func anExecutionResumedAfterARestartRunsItsOwnVersion() async throws {
        let store = try temporarySQLite()
        let (workflowID, executionID) = try await withEngine(store: store) { engine in
            let wf = try await engine.createWorkflow(delayThen("TextOperation.Uppercase", seconds: 0.5))
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "Hi"]))
            #expect(try await eventually { try await engine.store.execution(id: started.executionID)?.tasks[0].wakeAt != nil })
            return (wf.record.id, started.executionID)
        }
        // While the server is down, version 2 is stored (before the next engine resumes anything).
        let reopened = try SQLiteStore(path: store.path)
        let v2 = WorkflowVersionRecord(workflowID: workflowID, version: 2, name: "v2", description: nil, definition: delayThen("TextOperation.Reverse", seconds: 0.5), createdAt: 1)
        #expect(try await reopened.apply([.insertWorkflowVersion(v2, expectedVersion: 1)]) == [.applied])
        try await withEngine(store: reopened) { engine in
            let detail = try await finished(engine, executionID)
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.workflowVersion == 1)
            #expect(detail.execution.output == ["text": "HI"], "resumed with version 1, not the latest")
        }
    }

    @Test(arguments: Driver.allCases)
    func retryAndRerunKeepTheExecutionsVersion(driver: Driver) async throws {
        let key = UUID().uuidString
        @Sendable func definition(_ last: String) -> JSONValue {
            ["name": "r", "steps": [["type": "Test.Count", "input": ["key": .string(key), "gate": true]], ["type": .string(last)]]]
        }
        try await withEngine(store: try await store(driver)) { engine in
            let wf = try await engine.createWorkflow(definition("TextOperation.Uppercase"))
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "Hi"]))
            #expect(try await finished(engine, started.executionID).execution.status == .failed)
            _ = try await engine.updateWorkflow(wf.record.id, definition: definition("TextOperation.Reverse"))
            TestProbe.turnOn(key)

            try await engine.retryExecution(started.executionID)
            let retried = try await finished(engine, started.executionID)
            #expect(retried.execution.status == .completed)
            #expect(retried.execution.workflowVersion == 1)
            #expect(retried.execution.output == ["text": "HI"], "the retry continued with version 1")

            let rerun = try await engine.rerunExecution(started.executionID, fromTask: nil)
            let rerunDetail = try await finished(engine, rerun.executionID)
            #expect(rerunDetail.execution.workflowVersion == 1, "a rerun runs the version of the execution it reruns")
            #expect(rerunDetail.execution.output == ["text": "HI"])

            let latest = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "Hi"]))
            #expect(try await finished(engine, latest.executionID).execution.output == ["text": "iH"])
        }
    }

    @Test func anOlderVersionRunsOnRequestAndAnUnknownOneIsInvalid() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "static", "steps": [["type": "StaticTextInput", "input": "abc"], ["type": "Echo"]]])
            let id = wf.record.id
            _ = try await engine.updateWorkflow(id, definition: ["name": "shout", "steps": [["type": "TextOperation.Uppercase"]]])
            // The latest version's input schema applies by default: version 2 needs text.
            await #expect {
                _ = try await engine.startExecution(workflowID: id, request: ExecutionRequest())
            } throws: { error in
                guard case EngineError.invalid(let f) = error else { return false }
                return f.issues.map(\.path) == ["input.text"]
            }
            let old = try await engine.startExecution(workflowID: id, request: ExecutionRequest(version: 1))
            let detail = try await finished(engine, old.executionID)
            #expect(detail.execution.workflowVersion == 1)
            #expect(detail.execution.output == ["text": "abc"])
            await #expect {
                _ = try await engine.startExecution(workflowID: id, request: ExecutionRequest(version: 3))
            } throws: { error in
                guard case EngineError.invalid(let f) = error else { return false }
                return f.issues.map(\.path) == ["version"] && f.issues[0].message == "workflow \(id) has no version 3; expected a version from 1 to 2"
            }
            await #expect {
                _ = try await engine.startExecution(workflowID: "wf-missing0", request: ExecutionRequest(version: 1))
            } throws: { error in
                if case EngineError.workflowNotFound("wf-missing0") = error { return true }
                return false
            }
        }
    }

    @Test func anUpdateIsCheckedAndHonoursTheExpectedVersion() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(seed)
            let id = wf.record.id
            await #expect {
                _ = try await engine.updateWorkflow(id, definition: ["name": "x", "steps": [["type": "Nope"]]])
            } throws: { error in
                guard case EngineError.invalid(let f) = error else { return false }
                return f.issues.map(\.path) == ["steps[0].type"]
            }
            #expect(try await engine.store.workflow(id: id)?.version == 1, "an invalid definition stores nothing")
            await #expect {
                _ = try await engine.updateWorkflow(id, definition: seed, expectedVersion: 2)
            } throws: { error in
                guard case EngineError.versionConflict(id, expected: 2, current: 1) = error else { return false }
                return true
            }
            await #expect {
                _ = try await engine.updateWorkflow("wf-missing0", definition: seed)
            } throws: { error in
                if case EngineError.workflowNotFound("wf-missing0") = error { return true }
                return false
            }
            #expect(try await engine.updateWorkflow(id, definition: seed, expectedVersion: 1).record.version == 2)
            let third = try await engine.updateWorkflow(id, definition: ["name": "third", "steps": [["type": "StaticTextInput", "input": "x"]]], expectedVersion: 2)
            #expect(third.record.version == 3 && third.record.name == "third" && third.record.createdAt == wf.record.createdAt)
            #expect(try await engine.loadPlan(workflowID: id)?.record.name == "third")
            #expect(try await engine.loadPlan(workflowID: id, version: 1)?.record.name == "Dummy Workflow")
        }
    }

    @Test func concurrentUpdatesWithoutAnExpectedVersionAreAllStored() async throws {
        try await withEngine { engine in
            let id = try await engine.createWorkflow(seed).record.id
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await engine.updateWorkflow(id, definition: seed).record.version } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(2...7))
            #expect(try await engine.store.workflow(id: id)?.version == 7)
        }
    }

    /// Counts workflow reads, to show that starting an execution of a cached plan reads none.
    /// Over a MemoryStore whatever `SLUICE_TEST_STORE` says: the test is about the engine's
    /// cache, not about the store behind the counter.
    final class CountingStore: StoreDecorator, @unchecked Sendable {
        let inner = MemoryStore()
        var base: any Store { inner }
        let reads = Mutex(0)
        func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] { try await inner.apply(mutations) }
        func workflow(id: String) async throws -> WorkflowRecord? {
            reads.withLock { $0 += 1 }
            return try await inner.workflow(id: id)
        }
        func workflowVersion(id: String, version: Int) async throws -> WorkflowVersionRecord? {
            reads.withLock { $0 += 1 }
            return try await inner.workflowVersion(id: id, version: version)
        }
    }

    @Test func startingAnExecutionOfTheCachedLatestVersionReadsNoWorkflow() async throws {
        let store = CountingStore()
        try await withEngine(store: store) { engine in
            let id = try await engine.createWorkflow(["name": "u", "steps": [["type": "TextOperation.Uppercase"]]]).record.id
            _ = try await engine.updateWorkflow(id, definition: ["name": "r", "steps": [["type": "TextOperation.Reverse"]]])
            store.reads.withLock { $0 = 0 }
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try await engine.startExecution(workflowID: id, request: ExecutionRequest(input: ["text": "ab"])).executionID) }
            #expect(store.reads.withLock { $0 } == 0, "the latest version and its plan come from the cache")
            for executionID in ids {
                let detail = try await finished(engine, executionID)
                #expect(detail.execution.workflowVersion == 2 && detail.execution.output == ["text": "ba"], "the update replaced the cached latest version")
            }
        }
    }
}
