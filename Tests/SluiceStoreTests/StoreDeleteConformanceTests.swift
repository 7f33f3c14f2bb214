import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// `deleteWorkflow(id:)`: everything of the workflow goes in one transaction, nothing else does,
/// and a workflow in use is refused whole.
@Suite(.postgresSchemas) struct StoreDeleteConformanceTests {
    func finish(_ id: String) -> Mutation {
        .transition(ExecutionTransition(executionID: id, tasks: [
            TaskChange(index: 0, expected: [.pending], status: .completed, output: ["text": "x"], startedAt: 6, completedAt: 7, attempt: 1),
        ], execution: ExecutionChange(status: .completed, output: ["text": "x"], startedAt: 6, completedAt: 7)))
    }

    func caller(_ id: String, runs target: String) -> WorkflowRecord {
        WorkflowRecord(id: id, name: id, description: nil, definition: ["name": .string(id), "steps": [["type": "Workflow.Run", "input": ["workflow_id": .string(target)]]]], createdAt: 1)
    }

    func subscription(_ id: String, workflow: String) -> SubscriptionRecord {
        SubscriptionRecord(id: id, workflowID: workflow, url: "https://example.com/\(id)", eventTypes: [], secret: "whsec_x", createdAt: 1)
    }

    func delivery(_ id: String, execution: String, event: Int64, subscription: String? = nil) -> DeliveryRecord {
        DeliveryRecord(id: id, executionID: execution, eventSeq: event, subscriptionID: subscription, url: "https://example.com/hook", nextAttemptAt: 0, createdAt: 0)
    }

    @Test(arguments: Driver.allCases)
    func deletingAWorkflowRemovesEverythingOfItAndNothingElse(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([
            .insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2")),
            .insertWorkflowVersion(workflow("wf-1").latestVersion, expectedVersion: 1),
            .insertExecution(execution("ex-1", key: "k", tasks: 1)), .insertExecution(execution("ex-2", workflow: "wf-2", key: "k", tasks: 1)),
            .insertSubscription(subscription("wh-1", workflow: "wf-1")), .insertSubscription(subscription("wh-2", workflow: "wf-2")),
        ])
        _ = try await store.applyRecording([finish("ex-1"), finish("ex-2"), .appendLogs([
            TaskLogLine(executionID: "ex-1", index: 0, at: 6, attempt: 1, source: "step", line: "one"),
            TaskLogLine(executionID: "ex-2", index: 0, at: 6, attempt: 1, source: "step", line: "two"),
        ])])
        let e1 = try #require(try await store.events(executionID: "ex-1", after: 0, limit: 10).last?.seq)
        let e2 = try #require(try await store.events(executionID: "ex-2", after: 0, limit: 10).last?.seq)
        _ = try await store.applyRecording([.fanOut(after: 0, through: try await store.lastEventSeq(), deliveries: [
            delivery("dlv-1", execution: "ex-1", event: e1), delivery("dlv-2", execution: "ex-1", event: e1, subscription: "wh-1"),
            delivery("dlv-3", execution: "ex-2", event: e2, subscription: "wh-2"),
        ])])
        let wf2Events = try await store.events(workflowID: "wf-2", after: 0, limit: 100)

        #expect(try await store.deleteWorkflow(id: "wf-1") == .deleted)

        #expect(try await store.workflow(id: "wf-1") == nil)
        #expect(try await store.workflowVersion(id: "wf-1", version: 1) == nil)
        #expect(try await store.workflowVersions(id: "wf-1", limit: 10, before: nil).items.isEmpty)
        #expect(try await store.workflows(limit: 10, before: nil).items.map(\.id) == ["wf-2"])
        #expect(try await store.execution(id: "ex-1") == nil)
        #expect(try await store.executions(workflowID: "wf-1", status: nil, limit: 10, before: nil).items.isEmpty)
        #expect(try await store.logs(executionID: "ex-1", index: 0, after: 0, limit: 10).isEmpty)
        #expect(try await store.events(executionID: "ex-1", after: 0, limit: 10).isEmpty)
        #expect(try await store.events(workflowID: "wf-1", after: 0, limit: 10).isEmpty)
        #expect(try await store.events(workflowID: nil, after: 0, limit: 100) == wf2Events, "only the other workflow's events are left")
        #expect(try await store.fanOutEvents(after: 0, limit: 100).map(\.event.seq) == wf2Events.map(\.seq))
        #expect(try await store.subscription(id: "wh-1") == nil)
        #expect(try await store.subscriptions(workflowID: "wf-1").isEmpty)
        #expect(try await store.delivery(id: "dlv-1") == nil)
        #expect(try await store.delivery(id: "dlv-2") == nil)
        #expect(try await store.dueDeliveries(now: 10, limit: 10).map(\.delivery.id) == ["dlv-3"])
        // The other workflow keeps everything.
        #expect(try await store.execution(id: "ex-2")?.execution.status == .completed)
        #expect(try await store.logs(executionID: "ex-2", index: 0, after: 0, limit: 10).map(\.line) == ["two"])
        #expect(try await store.subscription(id: "wh-2") != nil)
        #expect(try await store.delivery(id: "dlv-3") != nil)
        // The idempotency key went with its execution: a workflow stored again under the same id
        // starts afresh.
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        #expect(try await store.applyRecording([.insertExecution(execution("ex-3", key: "k", tasks: 1))]) == [.applied])
        #expect(try await store.workflowVersions(id: "wf-1", limit: 10, before: nil).items.map(\.version) == [1])
    }

    @Test(arguments: Driver.allCases)
    func anUnknownWorkflowIsNotFound(driver: Driver) async throws {
        let store = try await driver.make()
        #expect(try await store.deleteWorkflow(id: "wf-404") == .notFound)
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        #expect(try await store.deleteWorkflow(id: "wf-1") == .deleted)
        #expect(try await store.deleteWorkflow(id: "wf-1") == .notFound)
    }

    @Test(arguments: Driver.allCases)
    func aWorkflowWithUnfinishedExecutionsIsNotDeleted(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([
            .insertWorkflow(workflow("wf-1")), .insertExecution(execution("ex-1", tasks: 1)),
            .insertExecution(execution("ex-2", tasks: 1)), .insertExecution(execution("ex-3", tasks: 1)),
        ])
        _ = try await store.applyRecording([finish("ex-1"), .transition(ExecutionTransition(executionID: "ex-2", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 6, attempt: 1),
        ], execution: ExecutionChange(status: .running, startedAt: 6)))])
        let events = try await store.events(workflowID: "wf-1", after: 0, limit: 100)

        #expect(try await store.deleteWorkflow(id: "wf-1") == .inUse(WorkflowUse(unfinishedCount: 2, unfinishedExample: "ex-2", callers: [])))

        #expect(try await store.workflow(id: "wf-1") != nil)
        for id in ["ex-1", "ex-2", "ex-3"] { #expect(try await store.execution(id: id) != nil) }
        #expect(try await store.events(workflowID: "wf-1", after: 0, limit: 100) == events)
    }

    @Test(arguments: Driver.allCases)
    func aWorkflowThatTheLatestVersionOfAnotherRunsIsNotDeleted(driver: Driver) async throws {
        let store = try await driver.make()
        var mentions = workflow("wf-4")
        mentions.description = "not a caller, though it names wf-1"
        mentions.definition = ["name": "wf-4", "description": "see wf-1", "steps": [["type": "Echo"]]]
        _ = try await store.applyRecording([
            .insertWorkflow(workflow("wf-1")), .insertWorkflow(caller("wf-2", runs: "wf-1")), .insertWorkflow(caller("wf-3", runs: "wf-1")),
            .insertWorkflow(mentions), .insertWorkflow(caller("wf-5", runs: "wf-1")),
            // wf-3 no longer runs wf-1 in its latest version.
            .insertWorkflowVersion(workflow("wf-3").latestVersion, expectedVersion: 1),
        ])
        #expect(try await store.deleteWorkflow(id: "wf-1") == .inUse(WorkflowUse(unfinishedCount: 0, unfinishedExample: nil, callers: ["wf-2", "wf-5"])))
        #expect(try await store.workflow(id: "wf-1") != nil)
        // A workflow that runs itself does not hold itself.
        _ = try await store.applyRecording([.insertWorkflow(caller("wf-6", runs: "wf-6"))])
        #expect(try await store.deleteWorkflow(id: "wf-6") == .deleted)
    }

    @Test(arguments: Driver.allCases)
    func anUnfinishedExecutionOfAnOlderVersionThatRunsItHoldsIt(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([
            .insertWorkflow(workflow("wf-1")), .insertWorkflow(caller("wf-2", runs: "wf-1")),
            .insertExecution(execution("ex-1", workflow: "wf-2", tasks: 1)), .insertExecution(execution("ex-2", workflow: "wf-2", tasks: 1)),
            // The latest version of wf-2 no longer runs wf-1; its executions of version 1 still do.
            .insertWorkflowVersion(workflow("wf-2").latestVersion, expectedVersion: 1),
        ])
        _ = try await store.applyRecording([finish("ex-1")])
        #expect(try await store.deleteWorkflow(id: "wf-1") == .inUse(WorkflowUse(unfinishedCount: 0, unfinishedExample: nil, callers: [], callingExecutions: ["ex-2"])))
        _ = try await store.applyRecording([finish("ex-2")])
        #expect(try await store.deleteWorkflow(id: "wf-1") == .deleted)
    }

    @Test(arguments: Driver.allCases)
    func anExecutionOfADeletedWorkflowIsNotStored(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        #expect(try await store.deleteWorkflow(id: "wf-1") == .deleted)
        #expect(try await store.applyRecording([.insertExecution(execution("ex-1"))]) == [.stale])
        #expect(try await store.execution(id: "ex-1") == nil)
        #expect(try await store.lastEventSeq() == 0)
    }

    @Test(arguments: Driver.allCases)
    func eventSeqsKeepGrowingAfterTheNewestEventsAreDeleted(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2")), .insertExecution(execution("ex-2", workflow: "wf-2", tasks: 1))])
        _ = try await store.applyRecording([.insertExecution(execution("ex-1", tasks: 1))])
        _ = try await store.applyRecording([finish("ex-1")])
        let last = try await store.lastEventSeq()
        #expect(try await store.events(workflowID: nil, after: 0, limit: 100).last?.executionID == "ex-1")
        #expect(try await store.deleteWorkflow(id: "wf-1") == .deleted)
        #expect(try await store.lastEventSeq() == last, "a cursor at the last event must not see later events under seqs it has passed")
        let earlier = try await store.events(executionID: "ex-2", after: 0, limit: 100).count
        _ = try await store.applyRecording([finish("ex-2")])
        let next = try await store.events(executionID: "ex-2", after: 0, limit: 100).dropFirst(earlier).map(\.seq)
        #expect(!next.isEmpty && next.allSatisfy { $0 > last })
        #expect(try await store.events(workflowID: nil, after: last, limit: 100).map(\.seq) == next)
        _ = try await store.applyRecording([.insertSubscription(subscription("wh-1", workflow: "wf-2"))])
        #expect(try await store.subscription(id: "wh-1")?.fromEventSeq == next.last)
    }
}
