import SluiceCore

/// A stored workflow definition.
public struct WorkflowRecord: Sendable, Hashable {
    /// Insertion order, assigned by the store; pagination cursors are built from it.
    public var seq: Int64
    public var id: String
    public var name: String
    public var description: String?
    /// The definition as the user sent it (after parsing), re-checked into a plan when loaded.
    public var definition: JSONValue
    public var createdAt: Int64

    public init(seq: Int64 = 0, id: String, name: String, description: String?, definition: JSONValue, createdAt: Int64) {
        self.seq = seq
        self.id = id
        self.name = name
        self.description = description
        self.definition = definition
        self.createdAt = createdAt
    }
}

/// A stored execution, without its tasks.
public struct ExecutionRecord: Sendable, Hashable {
    public var seq: Int64
    public var id: String
    public var workflowID: String
    public var status: ExecutionStatus
    public var input: JSONValue
    public var output: JSONValue?
    public var error: JSONValue?
    public var webhookURL: String?
    public var idempotencyKey: String?
    public var createdAt: Int64
    public var startedAt: Int64?
    public var completedAt: Int64?

    public init(seq: Int64 = 0, id: String, workflowID: String, status: ExecutionStatus = .pending, input: JSONValue, output: JSONValue? = nil, error: JSONValue? = nil, webhookURL: String? = nil, idempotencyKey: String? = nil, createdAt: Int64, startedAt: Int64? = nil, completedAt: Int64? = nil) {
        self.seq = seq
        self.id = id
        self.workflowID = workflowID
        self.status = status
        self.input = input
        self.output = output
        self.error = error
        self.webhookURL = webhookURL
        self.idempotencyKey = idempotencyKey
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.completedAt = completedAt
    }
}

/// A stored task of an execution.
public struct TaskRecord: Sendable, Hashable {
    /// Position in the workflow's task list.
    public var index: Int
    /// Public id, `task-xxxxxxxx`, unique within its execution.
    public var taskID: String
    /// The id the definition gave the task (`step-1` for a chain step without one).
    public var stepID: String
    public var type: String
    public var status: TaskStatus
    public var input: JSONValue?
    public var output: JSONValue?
    public var error: JSONValue?
    public var startedAt: Int64?
    public var completedAt: Int64?

    public init(index: Int, taskID: String, stepID: String, type: String, status: TaskStatus = .pending, input: JSONValue? = nil, output: JSONValue? = nil, error: JSONValue? = nil, startedAt: Int64? = nil, completedAt: Int64? = nil) {
        self.index = index
        self.taskID = taskID
        self.stepID = stepID
        self.type = type
        self.status = status
        self.input = input
        self.output = output
        self.error = error
        self.startedAt = startedAt
        self.completedAt = completedAt
    }

    /// Applies a committed change to this record (used by stores that keep records in memory).
    public mutating func apply(_ change: TaskChange) {
        status = change.status
        if let v = change.input { input = v }
        if let v = change.output { output = v }
        if let v = change.error { error = v }
        if let v = change.startedAt { startedAt = v }
        if let v = change.completedAt { completedAt = v }
    }
}

/// An execution with its tasks in workflow order.
public struct ExecutionDetail: Sendable, Hashable {
    public var execution: ExecutionRecord
    public var tasks: [TaskRecord]

    public init(execution: ExecutionRecord, tasks: [TaskRecord]) {
        self.execution = execution
        self.tasks = tasks
    }
}

extension ExecutionRecord {
    /// Applies a committed change to this record.
    public mutating func apply(_ change: ExecutionChange) {
        status = change.status
        if let v = change.output { output = v }
        if let v = change.error { error = v }
        if let v = change.startedAt { startedAt = v }
        if let v = change.completedAt { completedAt = v }
    }
}
