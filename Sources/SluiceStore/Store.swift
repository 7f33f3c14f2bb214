import SluiceCore

/// One write the store applies inside a batch.
public enum Mutation: Sendable {
    /// Stores a new workflow; `idConflict` if its id is taken.
    case insertWorkflow(WorkflowRecord)
    /// Stores a new execution and its tasks; `idConflict` if its id is taken, `duplicate` if its
    /// workflow already has an execution with the same idempotency key.
    case insertExecution(ExecutionDetail)
    /// Applies a transition; `stale` (and nothing applied) if a task is no longer in an expected status.
    case transition(ExecutionTransition)
    /// Appends lines to task logs; each line gets the next `seq` of its task. Always `applied`
    /// (lines of an execution that does not exist are dropped).
    case appendLogs([TaskLogLine])
}

/// What became of one `Mutation`.
public enum MutationOutcome: Sendable, Hashable {
    case applied
    case idConflict
    case duplicate(executionID: String)
    case stale
}

/// A page of a newest-first list, and the cursor of the next (older) page if there is one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: Int64?

    public init(items: [Item], nextCursor: Int64?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Where Sluice keeps workflows, executions and tasks. Every driver passes the same conformance
/// suite (`StoreConformance` in the tests).
public protocol Store: Sendable {
    /// Applies `mutations` in order in one transaction and reports the outcome of each. When it
    /// returns, the transaction is durable (for a durable driver). A thrown error means nothing
    /// was applied.
    func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome]

    func workflow(id: String) async throws -> WorkflowRecord?
    /// Workflows newest first, `limit` at most, older than cursor `before` if given.
    func workflows(limit: Int, before: Int64?) async throws -> Page<WorkflowRecord>

    func execution(id: String) async throws -> ExecutionDetail?
    /// A workflow's executions newest first, optionally only those with `status`.
    func executions(workflowID: String, status: ExecutionStatus?, limit: Int, before: Int64?) async throws -> Page<ExecutionRecord>
    /// Every execution not yet COMPLETED or FAILED, with its tasks, oldest first: what the engine
    /// resumes after a restart.
    func unfinishedExecutions() async throws -> [ExecutionDetail]

    /// Log lines of task `index` of execution `executionID` with `seq` greater than `after`, in
    /// order, at most `limit`.
    func logs(executionID: String, index: Int, after: Int64, limit: Int) async throws -> [TaskLogLine]

    /// Releases the store's resources.
    func close() async throws
}

extension Store {
    public func close() async throws {}
}
