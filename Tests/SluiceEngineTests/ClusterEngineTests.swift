import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
@testable import SluiceEngine
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

/// Engines as separate nodes on one PostgreSQL schema: work spreads over them, `?wait` and
/// cancel work from any node, and a node that shuts down hands its executions over at once.
/// Skipped without `SLUICE_TEST_POSTGRES_URL` (`.ci/run` starts a server).
@Suite struct ClusterEngineTests {
    /// A running node: its engine and the service group running it.
    struct Node: Sendable {
        var engine: Engine
        var group: ServiceGroup
        var task: Task<Void, any Error>

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = await task.result
        }
    }

    /// Starts `count` nodes on one new schema, runs `body`, stops the nodes still running and
    /// drops the schema.
    func withNodes(_ count: Int, lease: Duration = .seconds(30), clock: any EngineClock = WallClock(), _ body: @Sendable ([Node]) async throws -> Void) async throws {
        let configuration = try PostgresTestDatabase.configuration()
        var nodes: [Node] = []
        var stores: [PostgresStore] = []
        for i in 0..<count {
            let store = try await PostgresStore.connect(configuration)
            stores.append(store)
            var logger = Logger(label: "node-\(i)")
            logger.logLevel = .warning
            let engine = Engine(store: store, registry: testRegistry, configuration: .init(cluster: .init(nodeID: "node-\(i)", lease: lease, pollInterval: .seconds(30))), logger: logger, clock: clock)
            try await engine.recover()
            let group = ServiceGroup(services: [engine], logger: logger)
            nodes.append(Node(engine: engine, group: group, task: Task { try await group.run() }))
        }
        do {
            try await body(nodes)
        } catch {
            for node in nodes { await node.stop() }
            try? await stores[0].dropSchema()
            for store in stores { try? await store.close() }
            throw error
        }
        for node in nodes { await node.stop() }
        try? await stores[0].dropSchema()
        for store in stores { try? await store.close() }
    }

    /// A worker's answer given on one node wakes the step waiting for it on another, and a task
    /// queued on one node wakes a claim waiting on another, at once: on a clock that never
    /// moves, only the nodes' announcements can wake them (no poll fires).
    @Test(.timeLimit(.minutes(1))) func answersAndNewTasksOnOneNodeWakeWaitersOnAnother() async throws {
        try await withNodes(2, clock: ManualClock()) { nodes in
            let wf = try await nodes[0].engine.createWorkflow(["name": "two", "steps": [
                ["type": "StaticTextInput", "input": "in"],
                ["type": "Worker.Task", "input": ["queue": "first", "output_type": "text"]],
                ["type": "Worker.Task", "input": ["queue": "second", "output_type": "text"]],
            ]])
            let started = try await nodes[0].engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: .object(JSONObject())))
            let id = started.executionID
            var queued: [QueuedTaskRecord] = []
            for _ in 0..<2500 where queued.isEmpty {
                queued = try await nodes[0].engine.store.unansweredQueuedTasks(executionID: id)
                if queued.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
            }
            try #require(!queued.isEmpty, "the first task was never queued")
            let running = try #require(nodes.first { $0.engine.isActive(executionID: id) }, "no node runs the execution")
            let other = try #require(nodes.first { !$0.engine.isActive(executionID: id) })
            // A claim on the other node waits for the second task, which the running node queues.
            let waiting = Task { try await other.engine.claim(queue: "second", worker: "w2", namespaces: nil, limit: 1, waitMilliseconds: 600_000) }
            for _ in 0..<200 { await Task.yield() }
            let first = try #require(try await other.engine.claim(queue: "first", worker: "w1", namespaces: nil, limit: 1, waitMilliseconds: 0).first)
            let answered = try await other.engine.answer(taskID: first.id, token: first.claim!.token, result: .output(["text": "one"]))
            if case .applied = answered {} else { Issue.record("the answer was refused: \(answered)") }
            // The running node's step wakes, the execution goes on, the second task is queued
            // there, and the claim waiting on the other node gets it.
            let second = try await waiting.value
            #expect(second.map(\.queue) == ["second"], "the claim on the other node did not get the task queued on the running node")
            #expect(second.first?.input == ["text": "one"])
            _ = running
        }
    }

    /// Executions started on either node complete with their outputs, each task in one attempt,
    /// whichever node claimed them; waiting works from the node that did not start them.
    @Test func executionsStartedOnEitherNodeCompleteOnce() async throws {
        try await withNodes(2) { nodes in
            let wf = try await nodes[0].engine.createWorkflow(["name": "slow", "steps": [["type": "Test.SlowUpper"], ["type": "Echo"]]])
            var ids: [String] = []
            for i in 0..<40 {
                let started = try await nodes[i % 2].engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": .string("t\(i)")]))
                ids.append(started.executionID)
            }
            for (i, id) in ids.enumerated() {
                let detail = try await finished(nodes[(i + 1) % 2].engine, id)
                #expect(detail.execution.status == .completed)
                #expect(detail.execution.output == ["text": .string("T\(i)")])
                #expect(detail.tasks.allSatisfy { $0.attempt == 1 && $0.attempts.isEmpty })
            }
        }
    }

    /// A `?wait` on one node for an execution another node runs returns when it finishes (told
    /// by the other node's announcement), not at its timeout.
    @Test func waitingOnOneNodeForAnExecutionRunElsewhereEndsWhenItFinishes() async throws {
        try await withNodes(2) { nodes in
            let wf = try await nodes[0].engine.createWorkflow(["name": "delay", "steps": [["type": "Delay", "input": ["seconds": 0.5]], ["type": "Echo"]]])
            let started = try await nodes[0].engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"]))
            // Whichever node claimed it, wait on the other one.
            var holder = 0
            for _ in 0..<200 where !nodes[0].engine.isActive(executionID: started.executionID) && !nodes[1].engine.isActive(executionID: started.executionID) {
                try await Task.sleep(for: .milliseconds(10))
            }
            if nodes[1].engine.isActive(executionID: started.executionID) { holder = 1 }
            let watcher = nodes[1 - holder].engine
            #expect(!watcher.isActive(executionID: started.executionID))
            let clock = ContinuousClock()
            let begin = clock.now
            await watcher.waitUntilFinished(executionID: started.executionID, timeout: .seconds(20))
            let waited = clock.now - begin
            #expect(waited < .seconds(10), "released by the announcement, not the 20 s timeout")
            #expect(try await watcher.store.execution(id: started.executionID)?.execution.status == .completed)
        }
    }

    /// Another node's commits wake this node's event streams (they wait on the commit signal
    /// and then read the events committed since their cursor).
    @Test func anotherNodesCommitsWakeThisNodesEventStreams() async throws {
        try await withNodes(2) { nodes in
            let wf = try await nodes[0].engine.createWorkflow(["name": "delay", "steps": [["type": "Delay", "input": ["seconds": 0.3]], ["type": "Echo"]]])
            let started = try await nodes[0].engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"]))
            let id = started.executionID
            #expect(try await eventually { nodes[0].engine.isActive(executionID: id) || nodes[1].engine.isActive(executionID: id) })
            let watcher = nodes[0].engine.isActive(executionID: id) ? nodes[1].engine : nodes[0].engine
            let signal = watcher.committer.committed
            // Only the holder commits from now on: the watcher's signal moves only when told.
            var seen = signal.generation
            var types: [String] = []
            let deadline = ContinuousClock.now + .seconds(10)
            while !types.contains("execution.completed"), ContinuousClock.now < deadline {
                let next = await signal.wait(after: seen, timeout: .seconds(5))
                #expect(next != seen, "woken by the other node's announcement, not the timeout")
                seen = next
                types = try await watcher.store.events(executionID: id, after: 0, limit: 100).map(\.type)
            }
            #expect(types.last == "execution.completed")
        }
    }

    /// Cancelling on a node that does not run the execution cancels it, and the node running it
    /// stops its step.
    @Test func cancellingOnAnotherNodeStopsTheRunningStep() async throws {
        try await withNodes(2) { nodes in
            let wf = try await nodes[0].engine.createWorkflow(["name": "sleep", "steps": [["type": "Test.Sleep", "input": ["seconds": 30]]]])
            let started = try await nodes[0].engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"]))
            let id = started.executionID
            #expect(try await eventually { TestProbe.count("started:\(id)") == 1 })
            let holder = nodes[0].engine.isActive(executionID: id) ? 0 : 1
            #expect(nodes[holder].engine.isActive(executionID: id))
            let detail = try await nodes[1 - holder].engine.cancelExecution(id)
            #expect(detail.execution.status == .cancelled)
            #expect(try await eventually { TestProbe.count("cancelled:\(id)") == 1 })
            #expect(try await eventually { !nodes[holder].engine.isActive(executionID: id) })
        }
    }

    /// A claim that committed but whose answer was lost (the connection closed after the commit)
    /// leaves executions the store says this node holds while it drives none of them: no other
    /// node may claim them, and without `adoptHeld` they stayed RUNNING forever. Reading what
    /// the node holds resumes them.
    @Test(.timeLimit(.minutes(1))) func executionsHeldButNotDrivenAreResumedAfterAClaimFails() async throws {
        try await withNodes(1) { nodes in
            let engine = nodes[0].engine
            let wf = try await engine.createWorkflow(["name": "delay", "steps": [["type": "Delay", "input": ["seconds": 0.5]], ["type": "Echo"]]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "held"])).executionID
            #expect(try await eventually { engine.isActive(executionID: id) })
            // The node forgets it while the store still says the node holds it: what a lost
            // claim answer leaves behind.
            engine.dropAll()
            let cluster = try #require(engine.cluster)
            #expect(try await cluster.heldExecutionIDs() == [id])
            #expect(!engine.isActive(executionID: id))
            #expect(await engine.adoptHeld(cluster))
            let detail = try await finished(engine, id)
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.output?["text"] == "held")
        }
    }

    /// A node shutting down hands its unfinished executions to the others at once (long before
    /// its 30 s lease would run out); they finish there.
    @Test func aNodeShuttingDownHandsItsExecutionsOver() async throws {
        try await withNodes(2) { nodes in
            let wf = try await nodes[0].engine.createWorkflow(["name": "delay", "steps": [["type": "Delay", "input": ["seconds": 4]], ["type": "Echo"]]])
            var ids: [String] = []
            for i in 0..<10 {
                ids.append(try await nodes[0].engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": .string("t\(i)")])).executionID)
            }
            // Some are claimed (the rest are claimed by the surviving node later).
            #expect(try await eventually { ids.contains { nodes[0].engine.isActive(executionID: $0) || nodes[1].engine.isActive(executionID: $0) } })
            // Stop the node holding more of them (it holds at least one).
            let held = nodes.map { node in ids.filter { node.engine.isActive(executionID: $0) }.count }
            let stopped = held[0] >= held[1] ? 0 : 1
            #expect(held[stopped] > 0)
            await nodes[stopped].stop()
            let clock = ContinuousClock()
            let begin = clock.now
            for id in ids {
                let detail = try await finished(nodes[1 - stopped].engine, id)
                #expect(detail.execution.status == .completed)
            }
            #expect(clock.now - begin < .seconds(15), "handed over at shutdown, not after the 30 s lease")
        }
    }
}

/// The recently-finished set that lets a late waiter return at once keeps the last N ids.
@Test func recentSetKeepsTheLastAdded() {
    var set = RecentSet(capacity: 3)
    for id in ["a", "b", "c", "b", "d"] { set.insert(id) }
    #expect(!set.contains("a"), "the oldest is evicted")
    #expect(set.contains("b") && set.contains("c") && set.contains("d"))
    set.insert("e")
    #expect(!set.contains("b") && set.contains("e"))
}
