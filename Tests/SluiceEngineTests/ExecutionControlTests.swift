import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
@testable import SluiceEngine
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// Retries, timeouts, cancel, retry and rerun of executions, Delays and task logs.
@Suite(.testStores) struct ExecutionControlTests {
    /// The test store (MemoryStore, or PostgreSQL with `SLUICE_TEST_STORE=postgres`) and SQLite.
    enum Driver: String, CaseIterable { case testStore, sqlite }
    func store(_ d: Driver) async throws -> any Store { d == .testStore ? try await TestStore.make() : try temporarySQLite() }
    let fastRetry: JSONValue = ["max_attempts": 3, "backoff": ["initial_seconds": 0.01, "multiplier": 2, "max_seconds": 0.05]]

    @Test(arguments: Driver.allCases)
    func aRetryableFailureSucceedsOnTheThirdAttemptKeepingEachError(driver: Driver) async throws {
        try await withEngine(store: try await store(driver)) { engine in
            let wf = try await engine.createWorkflow(["name": "r", "steps": [["type": "Test.Flaky", "input": ["succeed_on": 3], "retry": fastRetry]]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .completed)
            let task = detail.tasks[0]
            #expect(task.status == .completed)
            #expect(task.attempt == 3)
            #expect(task.attempts.map { $0["attempt"] } == [1, 2])
            #expect(task.attempts.map { $0["error"]?["message"] } == ["not yet (attempt 1)", "not yet (attempt 2)"])
            #expect(task.error == nil, "a task that finally succeeded has no error")
            #expect(task.wakeAt == nil)
            let lines = try await engine.store.logs(executionID: started.executionID, index: 0, after: 0, limit: 100)
            #expect(lines.filter { $0.source == "step" }.map(\.line) == ["flaky attempt 1", "flaky attempt 2", "flaky attempt 3"])
            #expect(lines.contains { $0.source == "engine" && $0.line.hasPrefix("attempt 1 failed: not yet (attempt 1); retrying in") })
            #expect(lines.map(\.seq) == Array(1...Int64(lines.count)), "log lines are numbered in order")
        }
    }

    @Test func attemptsRunOutAndTheTaskFails() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "r", "steps": [["type": "Test.Flaky", "input": ["succeed_on": 5], "retry": fastRetry]]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .failed)
            #expect(detail.tasks[0].attempt == 3)
            #expect(detail.tasks[0].attempts.count == 3)
            #expect(detail.tasks[0].error?["message"] == "not yet (attempt 3)")
        }
    }

    @Test func aPermanentFailureIsNotRetried() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "r", "steps": [["type": "Test.Flaky", "input": ["succeed_on": 2, "retryable": false], "retry": fastRetry]]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .failed)
            #expect(detail.tasks[0].attempt == 1)
        }
    }

    @Test func aTaskThatRunsPastItsTimeoutFailsAndItsWorkIsCancelled() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "t", "steps": [["type": "Test.Sleep", "input": ["seconds": 30], "timeout_seconds": 0.2]]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .failed)
            #expect(detail.tasks[0].status == .failed)
            #expect(detail.tasks[0].error?["message"] == "timed out after 0.2 s (timeout_seconds)")
            #expect(try await eventually { TestProbe.count("cancelled:\(started.executionID)") == 1 }, "the step's work was cancelled")
        }
    }

    @Test(arguments: Driver.allCases)
    func cancellingStopsARunningStepAndAWaitingDelay(driver: Driver) async throws {
        try await withEngine(store: try await store(driver)) { engine in
            let wf = try await engine.createWorkflow(["name": "c", "tasks": [
                ["id": "sleep", "type": "Test.Sleep", "input": ["seconds": 30]],
                ["id": "wait", "type": "Delay", "input": ["seconds": 30]],
                ["id": "after", "type": "Echo", "depends_on": ["sleep", "wait"]],
            ]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            let id = started.executionID
            #expect(try await eventually {
                let tasks = try await engine.store.execution(id: id)?.tasks ?? []
                return tasks.count == 3 && tasks[0].status == .running && tasks[1].status == .running && tasks[1].wakeAt != nil
                    && TestProbe.count("started:\(id)") == 1
            })
            let cancelled = try await engine.cancelExecution(id)
            #expect(cancelled.execution.status == .cancelled)
            #expect(cancelled.tasks.map(\.status) == [.cancelled, .cancelled, .cancelled])
            #expect(try await eventually { TestProbe.count("cancelled:\(id)") == 1 }, "the running step was told to stop")
            #expect(engine.activeExecutionCount == 0)
            let again = try await engine.cancelExecution(id)
            #expect(again.execution.status == .cancelled, "cancelling twice is harmless")
        }
    }

    /// A cancel that arrives while the dispatch loop is running an execution's first (pure)
    /// step must be committed after that step's transition, which also moves the execution from
    /// PENDING to RUNNING: committed before it, the execution ended RUNNING with the cancel's
    /// error and completion time (seen once on PostgreSQL in CI). Many executions at once make
    /// the loop's batches long enough for cancels to land inside them.
    @Test(arguments: Driver.allCases)
    func aCancelDuringTheFirstStepLeavesTheExecutionCancelled(driver: Driver) async throws {
        try await withEngine(store: try await store(driver)) { engine in
            let wf = try await engine.createWorkflow(["name": "c", "steps": [
                ["type": "TextOperation.Uppercase"], ["type": "Delay", "input": ["seconds": 30]], ["type": "Echo"],
            ]])
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
                        _ = try await engine.cancelExecution(started.executionID)
                        return started.executionID
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            // Everything computed before the cancels has been submitted before them: once the
            // committer is idle, nothing can revive an execution.
            await engine.committer.waitUntilIdle()
            for id in ids {
                let detail = try #require(try await engine.store.execution(id: id))
                #expect(detail.execution.status == .cancelled, "\(id): \(detail.execution.status), tasks \(detail.tasks.map(\.status))")
                #expect(detail.tasks.allSatisfy { $0.status.isTerminal }, "\(id): \(detail.tasks.map(\.status))")
            }
        }
    }

    @Test func cancellingAFinishedExecutionIsAConflict() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(seed)
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest())
            _ = try await finished(engine, started.executionID)
            await #expect(throws: EngineError.self) { try await engine.cancelExecution(started.executionID) }
        }
    }

    @Test(arguments: Driver.allCases)
    func retryingAFailedExecutionRerunsOnlyWhatDidNotComplete(driver: Driver) async throws {
        let key = UUID().uuidString
        try await withEngine(store: try await store(driver)) { engine in
            let wf = try await engine.createWorkflow(["name": "r", "steps": [
                ["type": "Test.Count", "input": ["key": .string(key + "-a")]],
                ["type": "Test.Count", "input": ["key": .string(key), "gate": true]],
                ["type": "TextOperation.Uppercase"],
            ]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            let failed = try await finished(engine, started.executionID)
            #expect(failed.execution.status == .failed)
            #expect(failed.tasks.map(\.status) == [.completed, .failed, .skipped])

            let seedWorkflow = try await engine.createWorkflow(seed)
            let completed = try await engine.startExecution(workflowID: seedWorkflow.record.id, request: ExecutionRequest())
            _ = try await finished(engine, completed.executionID)
            await #expect(throws: EngineError.self, "only FAILED or CANCELLED executions can be retried") {
                try await engine.retryExecution(completed.executionID)
            }

            TestProbe.turnOn(key)
            try await engine.retryExecution(started.executionID)
            let retried = try await finished(engine, started.executionID)
            #expect(retried.execution.status == .completed)
            #expect(retried.execution.error == nil)
            #expect(retried.execution.output == ["text": "HI"])
            #expect(retried.tasks.map(\.status) == [.completed, .completed, .completed])
            #expect(TestProbe.count("run:\(key)-a") == 1, "the completed first task did not run again")
            #expect(TestProbe.count("run:\(key)") == 2)
            #expect(retried.tasks[1].attempts.count == 1, "the failed attempt stays in the history")
        }
    }

    @Test func rerunFromATaskReusesTheOutputsUpstreamOfIt() async throws {
        let key = UUID().uuidString
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "r", "steps": [
                ["type": "Test.Count", "input": ["key": .string(key + "-1")]],
                ["id": "second", "type": "Test.Count", "input": ["key": .string(key + "-2")]],
                ["type": "TextOperation.Reverse"],
            ]])
            let first = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "abc"]))
            _ = try await finished(engine, first.executionID)
            let rerun = try await engine.rerunExecution(first.executionID, fromTask: "second")
            #expect(rerun.executionID != first.executionID)
            let detail = try await finished(engine, rerun.executionID)
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.output == ["text": "cba"])
            #expect(TestProbe.count("run:\(key)-1") == 1, "upstream of from_task was reused")
            #expect(TestProbe.count("run:\(key)-2") == 2, "from_task ran again")
            await #expect(throws: EngineError.self) { _ = try await engine.rerunExecution(first.executionID, fromTask: "nope") }
        }
    }

    @Test func anExecutionPastItsDeadlineFails() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "d", "timeout_seconds": 0.2, "steps": [["type": "Delay", "input": ["seconds": 30]], ["type": "Echo"]]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .failed)
            #expect(detail.execution.error?["code"] == "execution_timeout")
            #expect(detail.tasks.map(\.status) == [.failed, .skipped])
        }
    }

    @Test(.timeLimit(.minutes(1))) func aDelayPassesItsInputOnAfterWaiting() async throws {
        let clock = ManualClock()
        try await withEngine(clock: clock) { engine in
            let wf = try await engine.createWorkflow(["name": "d", "steps": [["type": "TextOperation.Uppercase"], ["type": "Delay", "input": ["seconds": 0.2]], ["type": "Echo"]]])
            let begin = clock.now()
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            try await untilStored(engine, started.executionID) { $0.tasks[1].status == .running }
            clock.advance(by: 199)
            #expect(try await engine.store.execution(id: started.executionID)?.tasks[1].status == .running, "1 ms early it still waits")
            clock.advance(by: 1)
            let detail = try await untilStored(engine, started.executionID) { $0.execution.status.isTerminal }
            #expect(detail.execution.completedAt == begin + 200)
            #expect(detail.execution.output == ["text": "HI"])
            #expect(detail.tasks[1].output == ["text": "HI"])
        }
    }

    @Test(.timeLimit(.minutes(1))) func aDelaySpansARestartWithoutStartingOver() async throws {
        let store = try temporarySQLite()
        let clock = ManualClock()
        let executionID = try await withEngine(store: store, clock: clock) { engine in
            let wf = try await engine.createWorkflow(["name": "d", "steps": [["type": "Delay", "input": ["seconds": 4]], ["type": "Echo"]]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "hi"]))
            try await untilStored(engine, started.executionID) { $0.tasks[0].wakeAt != nil }
            clock.advance(by: 1500)
            return started.executionID
        }
        let stopped = try #require(try await store.execution(id: executionID))
        #expect(stopped.execution.status == .running, "the engine stopped while the Delay waited")
        let wakeAt = try #require(stopped.tasks[0].wakeAt)
        let reopened = try SQLiteStore(path: store.path)
        try await withEngine(store: reopened, clock: clock) { engine in
            // Started over, it would end 4 s from now; at its stored time it ends 2.5 s from now.
            clock.advance(by: 2499)
            #expect(try await engine.store.execution(id: executionID)?.execution.status == .running)
            clock.advance(by: 1)
            let detail = try await untilStored(engine, executionID) { $0.execution.status.isTerminal }
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.output == ["text": "hi"])
            #expect(detail.tasks[0].completedAt == wakeAt, "the Delay ended at the stored time, not 4 s after the restart")
            #expect(detail.tasks[0].startedAt == stopped.tasks[0].startedAt)
        }
    }
}
