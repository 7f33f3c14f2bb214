import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

@testable import SluiceEngine
@testable import SluiceServer

/// `?wait=` on a node of a cluster for an execution it does not drive lasts until the execution
/// ends or the wait is over, even when the node's waiters are released early. Found by
/// `PostgresOutageTests`: after the outage the cluster's listener reconnected, every wait looked
/// again (announcements may have been missed), and a `?wait=60` answered an execution that was
/// still PENDING at once. Runs when SLUICE_TEST_POSTGRES_URL names a server (.ci/run).
@Suite(.testStores, .timeLimit(.minutes(1)), .enabled(if: PostgresTestDatabase.url != nil, "needs SLUICE_TEST_POSTGRES_URL"))
struct ExecutionWaitClusterTests {
    @Test func aWaitReleasedEarlyWaitsAgainForWhatIsLeftOfIt() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let store = try await PostgresStore.connect(try PostgresTestDatabase.configuration())
        TestStores.current?.add(store)
        let clock = ManualClock()
        // A node that claims nothing: the execution stays PENDING, driven by no one.
        let engine = Engine(store: store, registry: .builtin, configuration: .init(cluster: .init(maxActiveExecutions: 0)), logger: logger, clock: clock)
        let app = buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger)
        try await app.test(.router) { client in
            // A step with I/O first: a chain of pure steps would end before it is stored.
            let workflowID = try await client.createWorkflow(#"{"name": "later", "steps": [{"type": "Delay", "input": {"seconds": 1}}, {"type": "Echo"}]}"#)
            let executionID = try await client.startExecution(workflowID, #"{"input": {"text": "abc"}}"#)
            let reply = Task { try await client.send(.get, "/workflows/\(workflowID)/executions/\(executionID)?wait=30") }
            #expect(try await eventually { engine.waiterCount == 1 }, "the request waits")
            // What the listener's reconnect does: every wait on an execution not driven here
            // looks again.
            engine.releaseRemoteWaiters(changed: nil, finished: nil)
            #expect(try await eventually { engine.waiterCount == 1 }, "it read the execution, still PENDING, and waits again")
            clock.advance(by: .seconds(29))
            #expect(engine.waiterCount == 1, "for what is left of its 30 s, on the engine's clock")
            clock.advance(by: .seconds(1))
            let answer = try await reply.value
            #expect(answer.status == .ok)
            #expect(try answer.json()["status"] == "PENDING", "\(answer.status) \(answer.text)")
        }
    }
}
