import SluiceCore

/// An annotation project: what its items are labeled with, in a namespace (which decides who
/// may see and change it).
public struct AnnotationProjectRecord: Sendable, Hashable {
    /// Given by the store when the project is stored (1, 2, …); 0 before.
    public var id: Int64
    public var namespace: String
    public var name: String
    public var description: String
    /// The label config as checked (`LabelConfig.json`).
    public var labelConfig: JSONValue
    public var createdAt: Int64

    public init(id: Int64 = 0, namespace: String, name: String, description: String, labelConfig: JSONValue, createdAt: Int64) {
        self.id = id
        self.namespace = namespace
        self.name = name
        self.description = description
        self.labelConfig = labelConfig
        self.createdAt = createdAt
    }
}

/// An annotation workflow of a project: its pipeline of pools.
public struct AnnotationWorkflowRecord: Sendable, Hashable {
    /// Given by the store when the workflow is stored; 0 before.
    public var id: Int64
    public var projectID: Int64
    /// Its project's namespace.
    public var namespace: String
    /// The pipeline as checked (`AnnotationPipeline.json`).
    public var pipeline: JSONValue
    public var version: Int
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The Sluice workflow its items' executions run (`Annotation.Item`).
    public var runsAs: String

    public init(id: Int64 = 0, projectID: Int64, namespace: String, pipeline: JSONValue, version: Int = 1, createdAt: Int64, updatedAt: Int64? = nil, runsAs: String = "") {
        self.id = id
        self.projectID = projectID
        self.namespace = namespace
        self.pipeline = pipeline
        self.runsAs = runsAs
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// An algorithm an algorithm pool may name, in a namespace: a worker queue its items go to, or
/// a step Sluice runs on them.
public struct AnnotationAlgorithmRecord: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var description: String
    /// `{"queue": "ocr"}` or `{"step": {"type": …, "input": …}}` as checked.
    public var spec: JSONValue
    public var createdAt: Int64

    public init(namespace: String, name: String, description: String, spec: JSONValue, createdAt: Int64) {
        self.namespace = namespace
        self.name = name
        self.description = description
        self.spec = spec
        self.createdAt = createdAt
    }
}

/// A data item of an annotation workflow: what people label, and the execution that takes it
/// through the pools.
public struct AnnotationItemRecord: Sendable, Hashable {
    /// Given by the store; 0 before.
    public var id: Int64
    public var workflowID: Int64
    /// Its place among its workflow's items (0, 1, …), given by the store: push pools assign in
    /// turn by it.
    public var number: Int64
    /// The client's own id for it, unique in its workflow when given.
    public var externalID: String?
    /// A URL, a text or any JSON.
    public var data: JSONValue
    /// Its execution, once started.
    public var executionID: String?
    public var createdAt: Int64

    public init(id: Int64 = 0, workflowID: Int64, number: Int64 = 0, externalID: String?, data: JSONValue, executionID: String? = nil, createdAt: Int64) {
        self.id = id
        self.workflowID = workflowID
        self.number = number
        self.externalID = externalID
        self.data = data
        self.executionID = executionID
        self.createdAt = createdAt
    }
}

/// What `AnnotationStore.insertItems` did.
public enum ItemsInsertion: Sendable, Hashable {
    /// All stored, in order, with their ids and numbers.
    case inserted([AnnotationItemRecord])
    /// Nothing stored: item `index` of the batch has an external id its workflow has already.
    case duplicate(index: Int)
}

/// Which of a workflow's items `AnnotationStore.items(workflowID:filter:after:limit:)` returns:
/// those in `state`, those waiting or held in pool `pool`, or those in both (`nil`: any).
public struct AnnotationItemFilter: Sendable, Hashable {
    /// An item's state as the API reports it (`GET /annotation/item/get`).
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// No execution recorded yet.
        case pending
        /// Its execution is pending or running.
        case inPool = "in_pool"
        /// Its execution completed, and its result's `status` is `completed` (or absent).
        case completed
        /// Its execution completed with result `status` `discarded`.
        case discarded
        case failed
        case cancelled
    }

    public var state: State?
    /// A pool index: items whose execution is pending or running with an unanswered, current
    /// queued task in that pool.
    public var pool: Int?

    public init(state: State? = nil, pool: Int? = nil) {
        self.state = state
        self.pool = pool
    }
}

/// How far a workflow's items are, counted by the store in a few aggregate reads (no item is
/// read one by one): what `GET /annotation/workflow/progress` shows.
public struct AnnotationProgressCounts: Sendable, Hashable {
    /// One pool's tasks: items waiting unclaimed and held now, answers given (every round),
    /// and the verdicts among them that rejected.
    public struct Pool: Sendable, Hashable {
        public var pool: Int
        public var waiting: Int
        public var held: Int
        public var done: Int
        public var rejected: Int
        public init(pool: Int, waiting: Int = 0, held: Int = 0, done: Int = 0, rejected: Int = 0) {
            self.pool = pool
            self.waiting = waiting
            self.held = held
            self.done = done
            self.rejected = rejected
        }
    }

    /// One worker's answers in one pool: how many, how many were rejections (verdicts they
    /// gave, in a review pool), how many of their annotations a review rejected (in a labeling
    /// pool), and the median time from claim (or assignment) to answer.
    public struct Worker: Sendable, Hashable {
        public var pool: Int
        public var worker: String
        public var done: Int
        public var rejectedGiven: Int
        public var rejectionsReceived: Int
        public var medianMilliseconds: Int64?
        public init(pool: Int, worker: String, done: Int = 0, rejectedGiven: Int = 0, rejectionsReceived: Int = 0, medianMilliseconds: Int64? = nil) {
            self.pool = pool
            self.worker = worker
            self.done = done
            self.rejectedGiven = rejectedGiven
            self.rejectionsReceived = rejectionsReceived
            self.medianMilliseconds = medianMilliseconds
        }
    }

    /// Every item of the workflow.
    public var items: Int
    /// Items whose execution has not started.
    public var itemsWithoutExecution: Int
    /// The items' executions by status.
    public var executions: [ExecutionStatus: Int]
    /// By pool index; pools with no task are left out.
    public var pools: [Pool]
    /// By pool, then worker name.
    public var workers: [Worker]

    public init(items: Int = 0, itemsWithoutExecution: Int = 0, executions: [ExecutionStatus: Int] = [:], pools: [Pool] = [], workers: [Worker] = []) {
        self.items = items
        self.itemsWithoutExecution = itemsWithoutExecution
        self.executions = executions
        self.pools = pools
        self.workers = workers
    }
}

/// Where annotation projects, workflows and algorithms are kept. Part of `Store`: every driver
/// passes the same conformance suite.
public protocol AnnotationStore: Sendable {
    /// Stores a new project and returns it with its id.
    func insertProject(_ project: AnnotationProjectRecord) async throws -> AnnotationProjectRecord
    func project(id: Int64) async throws -> AnnotationProjectRecord?
    /// Projects in `namespaces` (all when `nil`) with ids above `after`, oldest first.
    func projects(namespaces: Set<String>?, after: Int64, limit: Int) async throws -> [AnnotationProjectRecord]
    /// Stores a new workflow of its project and returns it with its id; `nil` (nothing stored)
    /// when the project does not exist.
    func insertAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord) async throws -> AnnotationWorkflowRecord?
    func annotationWorkflow(id: Int64) async throws -> AnnotationWorkflowRecord?
    /// The workflows of a project, oldest first.
    func annotationWorkflows(projectID: Int64) async throws -> [AnnotationWorkflowRecord]
    /// Stores an edit of a workflow (`workflow`: its new pipeline, version and update time) if
    /// its stored version is still `expectedVersion`, and in the same transaction rewrites the
    /// queued tasks of its items (those of Sluice workflow `workflow.runsAs` with a pool) as
    /// `repoint` says (`nil`: unchanged). `false`, and nothing changed, when the workflow is gone
    /// or another edit came first.
    func updateAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord, expectedVersion: Int, repoint: @Sendable (QueuedTaskRecord) -> QueuedTaskRecord?) async throws -> Bool
    /// Stores a new algorithm; `false` (nothing stored) when its name is taken in its namespace.
    func insertAlgorithm(_ algorithm: AnnotationAlgorithmRecord) async throws -> Bool
    func algorithm(namespace: String, name: String) async throws -> AnnotationAlgorithmRecord?
    /// The algorithms of a namespace, by name.
    func algorithms(namespace: String) async throws -> [AnnotationAlgorithmRecord]
    /// Stores a batch of items of workflow `workflowID`, all or none.
    func insertItems(_ items: [AnnotationItemRecord]) async throws -> ItemsInsertion
    /// Records the executions started for items (item id, execution id).
    func setItemExecutions(_ pairs: [(item: Int64, execution: String)]) async throws
    func item(id: Int64) async throws -> AnnotationItemRecord?
    /// Items of a workflow with ids above `after`, oldest first.
    func items(workflowID: Int64, after: Int64, limit: Int) async throws -> [AnnotationItemRecord]
    /// Items of a workflow with ids above `after` that `filter` selects, oldest first. Read
    /// through indexes from the filter's side (the executions in a state, the tasks open in a
    /// pool), not by reading every item of the workflow.
    func items(workflowID: Int64, filter: AnnotationItemFilter, after: Int64, limit: Int) async throws -> [AnnotationItemRecord]
    /// Items whose execution was not recorded (a crash between storing them and starting it).
    func itemsWithoutExecution(limit: Int) async throws -> [AnnotationItemRecord]
    /// Every queued task of an execution, answered or not, by task, attempt and phase: an
    /// item's history.
    func queuedTasks(executionID: String) async throws -> [QueuedTaskRecord]
    /// `queuedTasks(executionID:)` for several executions in one read: a page of items.
    func queuedTasks(executionIDs: [String]) async throws -> [String: [QueuedTaskRecord]]
    /// The execution records (without tasks) of `ids` that exist, in one read.
    func executionRecords(ids: [String]) async throws -> [String: ExecutionRecord]
    /// The ids of the tasks waiting unclaimed in pool `pool` of the items of Sluice workflow
    /// `workflowID` (and still current), oldest first.
    func waitingInPool(workflowID: String, pool: Int, limit: Int) async throws -> [String]
    /// The ids of the tasks in pool `pool` of Sluice workflow `workflowID` that `worker` holds
    /// unanswered (still current): items assigned to them (a push pool, a rejection sent back),
    /// or taken and not answered yet; oldest first.
    func heldInPool(workflowID: String, pool: Int, worker: String, limit: Int) async throws -> [String]
    /// How far the items of annotation workflow `workflowID` (its Sluice workflow `runsAs`)
    /// are. A review task's input names the annotation's labeler (`labeled_by`) and pool
    /// (`labeled_in`); a rejection is an answer whose `approved` is false.
    func annotationProgress(workflowID: Int64, runsAs: String) async throws -> AnnotationProgressCounts
}

extension StoreDecorator {
    public func insertProject(_ project: AnnotationProjectRecord) async throws -> AnnotationProjectRecord { try await base.insertProject(project) }
    public func project(id: Int64) async throws -> AnnotationProjectRecord? { try await base.project(id: id) }
    public func projects(namespaces: Set<String>?, after: Int64, limit: Int) async throws -> [AnnotationProjectRecord] { try await base.projects(namespaces: namespaces, after: after, limit: limit) }
    public func insertAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord) async throws -> AnnotationWorkflowRecord? { try await base.insertAnnotationWorkflow(workflow) }
    public func annotationWorkflow(id: Int64) async throws -> AnnotationWorkflowRecord? { try await base.annotationWorkflow(id: id) }
    public func annotationWorkflows(projectID: Int64) async throws -> [AnnotationWorkflowRecord] { try await base.annotationWorkflows(projectID: projectID) }
    public func updateAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord, expectedVersion: Int, repoint: @Sendable (QueuedTaskRecord) -> QueuedTaskRecord?) async throws -> Bool { try await base.updateAnnotationWorkflow(workflow, expectedVersion: expectedVersion, repoint: repoint) }
    public func insertAlgorithm(_ algorithm: AnnotationAlgorithmRecord) async throws -> Bool { try await base.insertAlgorithm(algorithm) }
    public func algorithm(namespace: String, name: String) async throws -> AnnotationAlgorithmRecord? { try await base.algorithm(namespace: namespace, name: name) }
    public func algorithms(namespace: String) async throws -> [AnnotationAlgorithmRecord] { try await base.algorithms(namespace: namespace) }
    public func insertItems(_ items: [AnnotationItemRecord]) async throws -> ItemsInsertion { try await base.insertItems(items) }
    public func setItemExecutions(_ pairs: [(item: Int64, execution: String)]) async throws { try await base.setItemExecutions(pairs) }
    public func item(id: Int64) async throws -> AnnotationItemRecord? { try await base.item(id: id) }
    public func items(workflowID: Int64, after: Int64, limit: Int) async throws -> [AnnotationItemRecord] { try await base.items(workflowID: workflowID, after: after, limit: limit) }
    public func items(workflowID: Int64, filter: AnnotationItemFilter, after: Int64, limit: Int) async throws -> [AnnotationItemRecord] { try await base.items(workflowID: workflowID, filter: filter, after: after, limit: limit) }
    public func itemsWithoutExecution(limit: Int) async throws -> [AnnotationItemRecord] { try await base.itemsWithoutExecution(limit: limit) }
    public func queuedTasks(executionID: String) async throws -> [QueuedTaskRecord] { try await base.queuedTasks(executionID: executionID) }
    public func queuedTasks(executionIDs: [String]) async throws -> [String: [QueuedTaskRecord]] { try await base.queuedTasks(executionIDs: executionIDs) }
    public func executionRecords(ids: [String]) async throws -> [String: ExecutionRecord] { try await base.executionRecords(ids: ids) }
    public func waitingInPool(workflowID: String, pool: Int, limit: Int) async throws -> [String] { try await base.waitingInPool(workflowID: workflowID, pool: pool, limit: limit) }
    public func heldInPool(workflowID: String, pool: Int, worker: String, limit: Int) async throws -> [String] { try await base.heldInPool(workflowID: workflowID, pool: pool, worker: worker, limit: limit) }
    public func annotationProgress(workflowID: Int64, runsAs: String) async throws -> AnnotationProgressCounts { try await base.annotationProgress(workflowID: workflowID, runsAs: runsAs) }
}

extension QueuedTaskRecord {
    /// This task of an item after `edit`: in the pool its pool continues as (`pool` nil when
    /// the edit removed it); an item still waiting also gets the pool's name and index in its
    /// input, and — when nobody holds it — the new pool's workers as the people who may take
    /// it. Its input's `version` stays the one it was made under: what a replay of the item
    /// reads. `nil` for a task that is not in a pool.
    public func repointed(_ edit: AnnotationPipelineEdit) -> QueuedTaskRecord? {
        guard let name = input["pool"]?.stringValue else { return nil }
        var next = self
        let target = edit.target(ofPoolNamed: name)
        next.pool = target
        guard result == nil, let target else { return next }
        let pool = edit.new.pools[target]
        if var object = input.objectValue {
            object["pool"] = .string(pool.name)
            object["pool_index"] = .number(Double(target))
            next.input = .object(object)
        }
        if var human, claim == nil {
            human.assignees = pool.workers
            if human.title.hasPrefix(name + ": ") {
                human.title = String((pool.name + ": " + human.title.dropFirst(name.count + 2)).prefix(HumanTask.maxTitleLength))
            }
            next.human = human
        }
        return next
    }
}
