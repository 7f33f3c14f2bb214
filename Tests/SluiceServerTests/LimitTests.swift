import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceStore
import SluiceTestSupport
import Testing

/// Past a limit the server refuses new work with `503` and `Retry-After`, and stores nothing,
/// rather than holding more and more in memory.
@Suite(.testStores, .timeLimit(.minutes(1))) struct LimitTests {
    func makeApp(_ limits: Engine.Limits, clock: ManualClock) async throws -> (some ApplicationProtocol, Engine) {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: .builtin, configuration: .init(limits: limits), logger: logger, clock: clock)
        return (buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger), engine)
    }

    let waiting = #"{"name": "waits", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Delay", "input": {"seconds": 60}}, {"type": "Echo"}]}"#

    @Test func anExecutionPastTheActiveLimitIsRefusedWithRetryAfterAndNotStored() async throws {
        let clock = ManualClock()
        let (app, _) = try await makeApp(.init(maxActiveExecutions: 1, retryAfterSeconds: 2), clock: clock)
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(waiting)
            _ = try await client.startExecution(wf)
            if TestStore.isPostgres {
                // On a cluster an execution waits in the store until a node with room claims it:
                // the store holds it, not this node's memory.
                let second = try await client.startExecution(wf)
                for _ in 0..<100 { await Task.yield() }
                let stored = try await client.send(.get, "/workflows/\(wf)/executions/\(second)")
                let delay = try stored.json()["tasks"]?.arrayValue?[1]["status"]
                #expect(delay == "PENDING", "its Delay has not started: no node with room claimed it")
                return
            }
            let refused = try await client.send(.post, "/workflows/\(wf)/execute")
            try expectProblem(refused, status: .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "2")
            #expect(try refused.json()["type"] == "urn:sluice:problem:overloaded")
            #expect(try refused.json()["detail"]?.stringValue?.contains("--max-active-executions") == true)
            let list = try await client.send(.get, "/workflows/\(wf)/executions")
            #expect(try list.json()["executions"]?.arrayValue?.count == 1, "the refused execution was not stored")
            // A workflow of pure steps never becomes active: it is not refused.
            let pure = try await client.createWorkflow(seedWorkflow)
            _ = try await client.startExecution(pure)
        }
    }

    /// A repeated start of an execution that exists (the same idempotency key) is answered with
    /// it when the server is full: only a new execution is refused. (An annotation item whose
    /// start is retried after a crash must find its execution, not a 503.)
    @Test(.disabled(if: TestStore.isPostgres, "a cluster admits every execution into the store"))
    func aRepeatedStartIsAnsweredWithItsExecutionWhenTheServerIsFull() async throws {
        let clock = ManualClock()
        let (app, _) = try await makeApp(.init(maxActiveExecutions: 1, retryAfterSeconds: 2), clock: clock)
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(waiting)
            let key = HTTPField.Name("Idempotency-Key")!
            let first = try await client.send(.post, "/workflows/\(wf)/execute", headers: [key: "item-1"])
            #expect(first.status == .accepted)
            let again = try await client.send(.post, "/workflows/\(wf)/execute", headers: [key: "item-1"])
            #expect(again.status == .accepted, "the full server answers the existing execution: \(again.text)")
            #expect(try again.json()["execution_id"] == first.json()["execution_id"])
            let other = try await client.send(.post, "/workflows/\(wf)/execute", headers: [key: "item-2"])
            try expectProblem(other, status: .serviceUnavailable)
        }
    }

    @Test func aWaitPastTheWaiterLimitIsRefusedAndTheWaitingOneGoesOn() async throws {
        let clock = ManualClock()
        let (app, engine) = try await makeApp(.init(maxWaiters: 1), clock: clock)
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(waiting)
            let id = try await client.startExecution(wf)
            async let first = client.send(.get, "/workflows/\(wf)/executions/\(id)?wait=30")
            while engine.waiterCount < 1 { await Task.yield() }
            let second = try await client.send(.get, "/workflows/\(wf)/executions/\(id)?wait=30")
            try expectProblem(second, status: .serviceUnavailable)
            #expect(second.headers[.retryAfter] == "1")
            let now = try await client.send(.get, "/workflows/\(wf)/executions/\(id)")
            #expect(now.status == .ok, "a read without wait is never refused")
            clock.advance(by: .seconds(30))
            let answered = try await first
            let status = try answered.json()["status"]
            #expect(answered.status == .ok && status == "RUNNING", "the wait ran out on the clock, once: ?wait=30 holds 30 s, not 60")
        }
    }
}
