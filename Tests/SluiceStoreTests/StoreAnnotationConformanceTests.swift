import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// Annotation projects, workflows and algorithms, the same in every driver.
@Suite(.postgresSchemas) struct StoreAnnotationConformanceTests {
    func project(_ name: String, namespace: String = "default") -> AnnotationProjectRecord {
        AnnotationProjectRecord(namespace: namespace, name: name, description: "about \(name)", labelConfig: ["kind": "choice", "labels": ["cat", "dog"]], createdAt: 100)
    }

    @Test(arguments: Driver.allCases)
    func projectsTakeIncreasingIdsAndAreListedByNamespace(driver: Driver) async throws {
        let store = try await driver.make()
        let a = try await store.insertProject(project("a"))
        let b = try await store.insertProject(project("b", namespace: "team-b"))
        let c = try await store.insertProject(project("c"))
        #expect(a.id > 0 && b.id > a.id && c.id > b.id)
        #expect(try await store.project(id: b.id) == b)
        #expect(try await store.project(id: c.id + 100) == nil)
        #expect(try await store.projects(namespaces: nil, after: 0, limit: 10).map(\.name) == ["a", "b", "c"])
        #expect(try await store.projects(namespaces: ["default"], after: 0, limit: 10).map(\.name) == ["a", "c"])
        #expect(try await store.projects(namespaces: [], after: 0, limit: 10).isEmpty)
        #expect(try await store.projects(namespaces: nil, after: a.id, limit: 1).map(\.name) == ["b"], "a page starts after its cursor")
    }

    @Test(arguments: Driver.allCases)
    func aWorkflowBelongsToAProjectThatExists(driver: Driver) async throws {
        let store = try await driver.make()
        let p = try await store.insertProject(project("a", namespace: "team-a"))
        let pipeline = AnnotationPipeline.default.json
        let w1 = try #require(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id, namespace: "", pipeline: pipeline, createdAt: 200)))
        let w2 = try #require(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id, namespace: "", pipeline: ["pools": []], createdAt: 300)))
        #expect(w1.namespace == "team-a", "a workflow is in its project's namespace")
        #expect(w2.id > w1.id)
        #expect(try await store.annotationWorkflow(id: w1.id) == w1)
        #expect(try await store.annotationWorkflow(id: w1.id)?.pipeline == pipeline)
        #expect(try await store.annotationWorkflows(projectID: p.id).map(\.id) == [w1.id, w2.id])
        #expect(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id + 50, namespace: "", pipeline: pipeline, createdAt: 1)) == nil)
        #expect(try await store.annotationWorkflows(projectID: p.id + 50).isEmpty)
    }

    @Test(arguments: Driver.allCases)
    func itemsAreStoredAsABatchWithNumbersInTurnAndTheirExecutionsLater(driver: Driver) async throws {
        let store = try await driver.make()
        let p = try await store.insertProject(project("a"))
        let w = try #require(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id, namespace: "", pipeline: AnnotationPipeline.default.json, createdAt: 1, runsAs: "wf-x")))
        #expect(try await store.annotationWorkflow(id: w.id)?.runsAs == "wf-x")
        func item(_ external: String?, _ data: JSONValue) -> AnnotationItemRecord { AnnotationItemRecord(workflowID: w.id, externalID: external, data: data, createdAt: 5) }
        guard case .inserted(let first) = try await store.insertItems([item("a", "https://x/1.png"), item(nil, ["text": "hi"]), item("c", 3)]) else { Issue.record("not inserted"); return }
        #expect(first.map(\.number) == [0, 1, 2])
        #expect(first.map(\.externalID) == ["a", nil, "c"])
        guard case .inserted(let second) = try await store.insertItems([item("d", "x"), item(nil, "y")]) else { Issue.record("not inserted"); return }
        #expect(second.map(\.number) == [3, 4], "numbers go on across batches")
        #expect(try await store.insertItems([item("e", "x"), item("a", "again")]) == .duplicate(index: 1), "an external id its workflow has")
        #expect(try await store.insertItems([item("f", "x"), item("f", "twice")]) == .duplicate(index: 1), "an external id twice in the batch")
        #expect(try await store.items(workflowID: w.id, after: 0, limit: 100).count == 5, "a refused batch stores nothing")
        #expect(try await store.item(id: first[1].id)?.data == ["text": "hi"])
        #expect(try await store.itemsWithoutExecution(limit: 10).count == 5)
        try await store.setItemExecutions([(item: first[0].id, execution: "ex-1"), (item: second[1].id, execution: "ex-2")])
        #expect(try await store.item(id: first[0].id)?.executionID == "ex-1")
        #expect(try await store.itemsWithoutExecution(limit: 10).map(\.id) == [first[1].id, first[2].id, second[0].id])
        #expect(try await store.items(workflowID: w.id, after: first[1].id, limit: 2).map(\.id) == [first[2].id, second[0].id])
    }

    @Test(arguments: Driver.allCases)
    func anAlgorithmNameIsTakenOncePerNamespace(driver: Driver) async throws {
        let store = try await driver.make()
        let ocr = AnnotationAlgorithmRecord(namespace: "default", name: "ocr", description: "reads text", spec: ["queue": "ocr"], createdAt: 5)
        #expect(try await store.insertAlgorithm(ocr))
        #expect(try await store.insertAlgorithm(AnnotationAlgorithmRecord(namespace: "default", name: "ocr", description: "again", spec: ["queue": "x"], createdAt: 6)) == false)
        #expect(try await store.insertAlgorithm(AnnotationAlgorithmRecord(namespace: "team-b", name: "ocr", description: "theirs", spec: ["queue": "y"], createdAt: 7)))
        #expect(try await store.insertAlgorithm(AnnotationAlgorithmRecord(namespace: "default", name: "blur", description: "", spec: ["queue": "b"], createdAt: 8)))
        #expect(try await store.algorithm(namespace: "default", name: "ocr") == ocr)
        #expect(try await store.algorithm(namespace: "default", name: "nope") == nil)
        #expect(try await store.algorithms(namespace: "default").map(\.name) == ["blur", "ocr"])
    }
}

/// Several queued tasks in one attempt, one per phase; a task stored claimed or answered.
@Suite(.postgresSchemas) struct StoreQueuedPhaseConformanceTests {
    @Test(arguments: Driver.allCases)
    func eachPhaseOfAnAttemptIsATaskOfItsOwnStoredAsItComes(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        _ = try await store.applyRecording([.insertExecution(execution("ex-1"))])
        let start = ExecutionTransition(executionID: "ex-1", tasks: [TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 10, attempt: 1)])
        #expect(try await store.applyRecording([.transition(start)]) == [.applied])
        func task(_ id: String, phase: Int, claim: QueueClaim? = nil, result: QueuedTaskResult? = nil) -> QueuedTaskRecord {
            QueuedTaskRecord(id: id, executionID: "ex-1", workflowID: "wf-1", namespace: "default", index: 0, stepID: "step-1", attempt: 1,
                             queue: HumanTask.queue, input: ["n": .number(Double(phase))], outputType: "json", leaseMilliseconds: 0, createdAt: 10 + Int64(phase),
                             claim: claim, result: result, human: HumanTask.Spec(title: "phase \(phase)"), phase: phase)
        }
        let answered = task("ht-0", phase: 0, result: .output(["json": ["label": "cat"]]))
        #expect(try await store.apply([.enqueue(answered)]) == [.applied])
        let held = QueueClaim(token: "clm_1", worker: "bob", claimedAt: 11, heartbeatAt: 11, leaseUntil: QueuedTaskRecord.heldUntilAnswered)
        #expect(try await store.apply([.enqueue(task("ht-1", phase: 1, claim: held))]) == [.applied])
        #expect(try await store.apply([.enqueue(task("ht-1b", phase: 1))]) == [.idConflict], "a phase is queued once")
        #expect(try await store.enqueue(task("ht-1c", phase: 1)).id == "ht-1", "the row stored first stands")
        #expect(try await store.queuedTask(id: "ht-0")?.result == .output(["json": ["label": "cat"]]))
        #expect(try await store.queuedTask(id: "ht-0")?.phase == 0)
        let second = try await store.queuedTask(id: "ht-1")
        #expect(second?.claim?.worker == "bob" && second?.phase == 1)
        #expect(try await store.humanTasks(.heldBy("bob"), namespaces: nil, after: nil, limit: 10).map(\.id) == ["ht-1"])
        #expect(try await store.unansweredQueuedTasks(executionID: "ex-1").map(\.id) == ["ht-1"])
        // The holder answers it as any claimed task.
        #expect(try await store.answerQueued(id: "ht-1", token: "clm_1", result: .output(["json": [:]]), now: 20) != .notHolder)
    }
}

/// `annotationProgress`: what the workflow progress page counts, the same in every driver.
@Suite(.postgresSchemas) struct StoreAnnotationProgressConformanceTests {
    @Test(arguments: Driver.allCases)
    func progressCountsItemsPoolsAndWorkersWithTheirRejectionsAndMedianTimes(driver: Driver) async throws {
        let store = try await driver.make()
        let p = try await store.insertProject(AnnotationProjectRecord(namespace: "default", name: "p", description: "", labelConfig: ["kind": "json"], createdAt: 1))
        let w = try #require(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id, namespace: "", pipeline: AnnotationPipeline.default.json, createdAt: 1, runsAs: "wf-1")))
        guard case .inserted(let items) = try await store.insertItems((0..<3).map { AnnotationItemRecord(workflowID: w.id, externalID: nil, data: .number(Double($0)), createdAt: 2) }) else {
            Issue.record("not inserted")
            return
        }
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        for id in ["ex-1", "ex-2"] {
            _ = try await store.applyRecording([.insertExecution(execution(id))])
            let start = ExecutionTransition(executionID: id, tasks: [TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 10, attempt: 1)])
            #expect(try await store.applyRecording([.transition(start)]) == [.applied])
        }
        try await store.setItemExecutions([(item: items[0].id, execution: "ex-1"), (item: items[1].id, execution: "ex-2")])
        func claim(_ worker: String, at: Int64) -> QueueClaim { QueueClaim(token: "clm_\(worker)\(at)", worker: worker, claimedAt: at, heartbeatAt: at, leaseUntil: QueuedTaskRecord.heldUntilAnswered) }
        func task(_ id: String, _ execution: String, phase: Int, pool: Int, attempt: Int = 1, input: JSONValue = [:], claim: QueueClaim? = nil, answer: JSONValue? = nil, answeredAt: Int64? = nil) -> QueuedTaskRecord {
            QueuedTaskRecord(id: id, executionID: execution, workflowID: "wf-1", namespace: "default", index: 0, stepID: "step-1", attempt: attempt,
                             queue: HumanTask.queue, input: input, outputType: "json", leaseMilliseconds: 0, createdAt: 10 + Int64(phase),
                             claim: claim, result: answer.map { .output(["json": $0]) }, human: HumanTask.Spec(title: id), answeredAt: answeredAt, phase: phase, pool: pool)
        }
        let rejectedByCarol: JSONValue = ["approved": false, "comment": "no"]
        let tasks = [
            // ex-1: alice labels (20 ms), carol rejects (5 ms), alice holds the second round.
            task("ht-1", "ex-1", phase: 0, pool: 1, claim: claim("alice", at: 10), answer: ["label": "cat"], answeredAt: 30),
            task("ht-2", "ex-1", phase: 1, pool: 2, input: ["labeled_by": "alice", "labeled_in": 1], claim: claim("carol", at: 30), answer: rejectedByCarol, answeredAt: 35),
            task("ht-3", "ex-1", phase: 2, pool: 1, claim: claim("alice", at: 40)),
            // ex-2: alice labels (60 ms), carol approves (15 ms); a second review waits unclaimed.
            task("ht-4", "ex-2", phase: 0, pool: 1, claim: claim("alice", at: 10), answer: ["label": "dog"], answeredAt: 70),
            task("ht-5", "ex-2", phase: 1, pool: 2, input: ["labeled_by": "alice", "labeled_in": 1], claim: claim("carol", at: 70), answer: ["approved": true], answeredAt: 85),
            task("ht-6", "ex-2", phase: 2, pool: 2),
            // An attempt that is not the task's current one: not waiting anywhere.
            task("ht-7", "ex-2", phase: 0, pool: 1, attempt: 2),
        ]
        for t in tasks { #expect(try await store.apply([.enqueue(t)]) == [.applied], "\(t.id)") }
        let counts = try await store.annotationProgress(workflowID: w.id, runsAs: "wf-1")
        #expect(counts.items == 3)
        #expect(counts.itemsWithoutExecution == 1)
        #expect(counts.executions.values.reduce(0, +) == 2)
        #expect(counts.pools == [
            .init(pool: 1, waiting: 0, held: 1, done: 2, rejected: 0),
            .init(pool: 2, waiting: 1, held: 0, done: 2, rejected: 1),
        ])
        #expect(counts.workers == [
            .init(pool: 1, worker: "alice", done: 2, rejectedGiven: 0, rejectionsReceived: 1, medianMilliseconds: 20),
            .init(pool: 2, worker: "carol", done: 2, rejectedGiven: 1, rejectionsReceived: 0, medianMilliseconds: 5),
        ])
        #expect(try await store.annotationProgress(workflowID: w.id + 1, runsAs: "wf-none") == AnnotationProgressCounts(), "another workflow counts nothing")
        #expect(try await store.heldInPool(workflowID: "wf-1", pool: 1, worker: "alice", limit: 5) == ["ht-3"], "held, unanswered, current")
        #expect(try await store.heldInPool(workflowID: "wf-1", pool: 2, worker: "carol", limit: 5).isEmpty, "answered ones are not held")
        #expect(try await store.heldInPool(workflowID: "wf-2", pool: 1, worker: "alice", limit: 5).isEmpty)
        // A page's reads: its executions and their queued tasks, each in one read.
        let byExecution = try await store.queuedTasks(executionIDs: ["ex-1", "ex-2", "ex-none"])
        #expect(byExecution["ex-1"]?.map(\.id) == ["ht-1", "ht-2", "ht-3"], "by phase")
        #expect(byExecution["ex-2"]?.map(\.id) == ["ht-4", "ht-5", "ht-6", "ht-7"], "by attempt, then phase")
        #expect(byExecution["ex-none"] == nil)
        #expect(try await store.queuedTasks(executionIDs: []).isEmpty)
        let records = try await store.executionRecords(ids: ["ex-2", "ex-1", "ex-none"])
        #expect(Set(records.keys) == ["ex-1", "ex-2"])
        #expect(records["ex-1"]?.workflowID == "wf-1")
        // An execution found by its idempotency key (a repeated start on a full server).
        _ = try await store.applyRecording([.insertExecution(execution("ex-keyed", key: "item-7"))])
        #expect(try await store.executionID(workflowID: "wf-1", idempotencyKey: "item-7") == "ex-keyed")
        #expect(try await store.executionID(workflowID: "wf-1", idempotencyKey: "item-8") == nil)
        #expect(try await store.executionID(workflowID: "wf-2", idempotencyKey: "item-7") == nil)
    }
}

/// `items(workflowID:filter:after:limit:)`: a workflow's items by state and by the pool they
/// wait or are held in, paged, the same in every driver.
@Suite(.postgresSchemas) struct StoreAnnotationItemFilterConformanceTests {
    @Test(arguments: Driver.allCases)
    func itemsAreSelectedByStateAndByThePoolTheyWaitInAndPaged(driver: Driver) async throws {
        let store = try await driver.make()
        let p = try await store.insertProject(AnnotationProjectRecord(namespace: "default", name: "p", description: "", labelConfig: ["kind": "json"], createdAt: 1))
        let w = try #require(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id, namespace: "", pipeline: AnnotationPipeline.default.json, createdAt: 1, runsAs: "wf-1")))
        let other = try #require(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id, namespace: "", pipeline: AnnotationPipeline.default.json, createdAt: 1, runsAs: "wf-2")))
        guard case .inserted(let items) = try await store.insertItems((0..<8).map { AnnotationItemRecord(workflowID: w.id, externalID: nil, data: .number(Double($0)), createdAt: 2) }),
              case .inserted(let others) = try await store.insertItems((0..<2).map { AnnotationItemRecord(workflowID: other.id, externalID: nil, data: .number(Double($0)), createdAt: 2) }) else {
            Issue.record("not inserted")
            return
        }
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1")), .insertWorkflow(workflow("wf-2"))])
        // Running: their task 0 runs attempt 1.
        for (id, wf) in [("ex-held", "wf-1"), ("ex-waiting", "wf-1"), ("ex-stale", "wf-1"), ("ex-other", "wf-2")] {
            _ = try await store.applyRecording([.insertExecution(execution(id, workflow: wf))])
            let start = ExecutionTransition(executionID: id, tasks: [TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 10, attempt: 1)])
            #expect(try await store.applyRecording([.transition(start)]) == [.applied])
        }
        // Ended: completed (its result's status completed, or discarded), failed, cancelled.
        func ended(_ id: String, _ status: ExecutionStatus, output: JSONValue? = nil) -> ExecutionDetail {
            ExecutionDetail(execution: ExecutionRecord(id: id, workflowID: "wf-1", status: status, input: [:], output: output, createdAt: 5, startedAt: 6, completedAt: 7), tasks: [])
        }
        _ = try await store.applyRecording([
            .insertExecution(ended("ex-completed", .completed, output: ["json": ["status": "completed", "annotation": ["label": "cat"]]])),
            .insertExecution(ended("ex-discarded", .completed, output: ["json": ["status": "discarded"]])),
            .insertExecution(ended("ex-failed", .failed)),
            .insertExecution(ended("ex-cancelled", .cancelled)),
        ])
        // items[0] stays pending; the rest run or ended.
        let executions = ["ex-held", "ex-waiting", "ex-completed", "ex-discarded", "ex-failed", "ex-cancelled", "ex-stale"]
        try await store.setItemExecutions(executions.enumerated().map { (item: items[$0.offset + 1].id, execution: $0.element) } + [(item: others[1].id, execution: "ex-other")])
        func task(_ id: String, _ execution: String, phase: Int, pool: Int, attempt: Int = 1, workflow: String = "wf-1", claimed: Bool = false, answered: Bool = false) -> QueuedTaskRecord {
            QueuedTaskRecord(id: id, executionID: execution, workflowID: workflow, namespace: "default", index: 0, stepID: "step-1", attempt: attempt,
                             queue: HumanTask.queue, input: [:], outputType: "json", leaseMilliseconds: 0, createdAt: 10 + Int64(phase),
                             claim: claimed ? QueueClaim(token: "clm_\(id)", worker: "alice", claimedAt: 11, heartbeatAt: 11, leaseUntil: QueuedTaskRecord.heldUntilAnswered) : nil,
                             result: answered ? .output(["json": ["label": "cat"]]) : nil, human: HumanTask.Spec(title: id), answeredAt: answered ? 12 : nil, phase: phase, pool: pool)
        }
        for t in [
            task("ht-1", "ex-held", phase: 0, pool: 1, claimed: true),  // held in pool 1
            task("ht-2", "ex-waiting", phase: 0, pool: 1, claimed: true, answered: true),  // answered in pool 1,
            task("ht-3", "ex-waiting", phase: 1, pool: 2),  // waiting unclaimed in pool 2
            task("ht-4", "ex-stale", phase: 0, pool: 1, attempt: 2),  // not the task's current attempt: in no pool
            task("ht-5", "ex-other", phase: 0, pool: 1, workflow: "wf-2"),  // another workflow's
        ] { #expect(try await store.apply([.enqueue(t)]) == [.applied], "\(t.id)") }

        func ids(_ state: AnnotationItemFilter.State?, pool: Int? = nil, after: Int64 = 0, limit: Int = 100, workflow: Int64? = nil) async throws -> [Int64] {
            try await store.items(workflowID: workflow ?? w.id, filter: AnnotationItemFilter(state: state, pool: pool), after: after, limit: limit).map(\.id)
        }
        let id = items.map(\.id)
        #expect(try await ids(nil) == id, "no filter: every item")
        #expect(try await ids(.pending) == [id[0]])
        #expect(try await ids(.inPool) == [id[1], id[2], id[7]])
        #expect(try await ids(.completed) == [id[3]])
        #expect(try await ids(.discarded) == [id[4]])
        #expect(try await ids(.failed) == [id[5]])
        #expect(try await ids(.cancelled) == [id[6]])
        #expect(try await ids(nil, pool: 1) == [id[1]], "held there; an answered task or one not current is not")
        #expect(try await ids(nil, pool: 2) == [id[2]], "waiting unclaimed there")
        #expect(try await ids(.inPool, pool: 2) == [id[2]])
        #expect(try await ids(.completed, pool: 1).isEmpty, "an ended item is in no pool")
        #expect(try await ids(nil, pool: 3).isEmpty)
        // Paged by id, like the unfiltered list.
        #expect(try await ids(.inPool, limit: 1) == [id[1]])
        #expect(try await ids(.inPool, after: id[1], limit: 1) == [id[2]])
        #expect(try await ids(.inPool, after: id[2], limit: 5) == [id[7]])
        #expect(try await ids(.inPool, after: id[7]).isEmpty)
        // Only the workflow's own items.
        #expect(try await ids(.pending, workflow: other.id) == [others[0].id])
        #expect(try await ids(.inPool, workflow: other.id) == [others[1].id])
        #expect(try await ids(nil, pool: 1, workflow: other.id) == [others[1].id])
    }
}

/// `updateAnnotationWorkflow`: an edit stored only on the version it was made on, with its
/// items' tasks re-pointed in the same transaction, the same in every driver.
@Suite(.postgresSchemas) struct StoreAnnotationEditConformanceTests {
    @Test(arguments: Driver.allCases)
    func anEditIsStoredOnItsVersionWithTheTasksOfItsItemsRepointed(driver: Driver) async throws {
        let store = try await driver.make()
        let p = try await store.insertProject(AnnotationProjectRecord(namespace: "default", name: "p", description: "", labelConfig: ["kind": "json"], createdAt: 1))
        let old = AnnotationPipeline(pools: [
            AnnotationPool(name: "In", type: .distribution), AnnotationPool(name: "Label", type: .labeling, workers: ["ann", "bob"]),
            AnnotationPool(name: "Review", type: .inspection), AnnotationPool(name: "Out", type: .completion),
        ])
        let new = AnnotationPipeline(pools: [
            AnnotationPool(name: "In", type: .distribution), AnnotationPool(name: "Warm-up", type: .labeling),
            AnnotationPool(name: "Label", type: .labeling, workers: ["bob"]), AnnotationPool(name: "QA", type: .inspection), AnnotationPool(name: "Out", type: .completion),
        ])
        let w = try #require(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id, namespace: "", pipeline: old.json, createdAt: 1, runsAs: "wf-1")))
        _ = try await store.applyRecording([.insertWorkflow(workflow("wf-1"))])
        _ = try await store.applyRecording([.insertExecution(execution("ex-1"))])
        let start = ExecutionTransition(executionID: "ex-1", tasks: [TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 10, attempt: 1)])
        #expect(try await store.applyRecording([.transition(start)]) == [.applied])
        func task(_ id: String, phase: Int, pool: Int, claim: String? = nil, answer: JSONValue? = nil) -> QueuedTaskRecord {
            QueuedTaskRecord(id: id, executionID: "ex-1", workflowID: "wf-1", namespace: "default", index: 0, stepID: "item", attempt: 1,
                             queue: HumanTask.queue, input: ["pool": .string(old.pools[pool].name), "pool_index": .number(Double(pool)), "version": 1],
                             outputType: "json", leaseMilliseconds: 0, createdAt: 10 + Int64(phase),
                             claim: claim.map { QueueClaim(token: "clm_\($0)", worker: $0, claimedAt: 10, heartbeatAt: 10, leaseUntil: QueuedTaskRecord.heldUntilAnswered) },
                             result: answer.map { .output(["json": $0]) }, human: HumanTask.Spec(title: "\(old.pools[pool].name): item 1", assignees: old.pools[pool].workers),
                             answeredAt: answer == nil ? nil : 20, phase: phase, pool: pool)
        }
        for t in [task("ht-1", phase: 0, pool: 1, claim: "ann", answer: ["label": "cat"]), task("ht-2", phase: 1, pool: 2, answer: ["approved": false]), task("ht-3", phase: 2, pool: 1)] {
            #expect(try await store.apply([.enqueue(t)]) == [.applied])
        }
        let edit = AnnotationPipelineEdit(old: old, new: new, moves: ["Review": "QA"])
        var edited = w
        edited.pipeline = new.json
        edited.version = 2
        edited.updatedAt = 50
        #expect(try await store.updateAnnotationWorkflow(edited, expectedVersion: 2, repoint: { $0.repointed(edit) }) == false, "made on another version: nothing stored")
        #expect(try await store.annotationWorkflow(id: w.id)?.version == 1)
        #expect(try await store.queuedTask(id: "ht-3")?.input["pool_index"] == 1)
        #expect(try await store.updateAnnotationWorkflow(edited, expectedVersion: 1, repoint: { $0.repointed(edit) }))
        let stored = try await store.annotationWorkflow(id: w.id)
        #expect(stored?.version == 2 && stored?.pipeline == new.json && stored?.updatedAt == 50)
        // The waiting label task: in Label's new place, bob's alone, made under version 1 still.
        let waiting = try #require(try await store.queuedTask(id: "ht-3"))
        #expect(waiting.input == ["pool": "Label", "pool_index": 2, "version": 1])
        #expect(waiting.human?.assignees == ["bob"])
        #expect(try await store.waitingInPool(workflowID: "wf-1", pool: 2, limit: 5) == ["ht-3"])
        #expect(try await store.waitingInPool(workflowID: "wf-1", pool: 1, limit: 5).isEmpty)
        #expect(try await store.humanTasks(.claimableBy("ann"), namespaces: nil, after: nil, limit: 5).isEmpty, "ann may no longer take it")
        #expect(try await store.humanTasks(.claimableBy("bob"), namespaces: nil, after: nil, limit: 5).map(\.id) == ["ht-3"])
        // Answered tasks keep their input; their pool counts where the pool now stands (moved: QA).
        #expect(try await store.queuedTask(id: "ht-2")?.input["pool"] == "Review")
        let counts = try await store.annotationProgress(workflowID: w.id, runsAs: "wf-1")
        #expect(counts.pools.map(\.pool) == [2, 3], "\(counts.pools)")
    }
}
