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
    /// When the execution times out (its workflow's `timeout_seconds` after creation).
    public var deadlineAt: Int64?

    public init(seq: Int64 = 0, id: String, workflowID: String, status: ExecutionStatus = .pending, input: JSONValue, output: JSONValue? = nil, error: JSONValue? = nil, webhookURL: String? = nil, idempotencyKey: String? = nil, createdAt: Int64, startedAt: Int64? = nil, completedAt: Int64? = nil, deadlineAt: Int64? = nil) {
        self.deadlineAt = deadlineAt
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
    /// Attempts started so far.
    public var attempt: Int
    /// Every failed attempt, oldest first: `{attempt, error, started_at, completed_at}`.
    public var attempts: [JSONValue]
    /// When a RETRYING task runs again, or a running Delay ends.
    public var wakeAt: Int64?

    public init(index: Int, taskID: String, stepID: String, type: String, status: TaskStatus = .pending, input: JSONValue? = nil, output: JSONValue? = nil, error: JSONValue? = nil, startedAt: Int64? = nil, completedAt: Int64? = nil, attempt: Int = 0, attempts: [JSONValue] = [], wakeAt: Int64? = nil) {
        self.attempt = attempt
        self.attempts = attempts
        self.wakeAt = wakeAt
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
        if change.reset {
            input = nil; output = nil; error = nil; startedAt = nil; completedAt = nil; attempt = 0
        }
        status = change.status
        if let v = change.attempt { attempt = v }
        if let v = change.failedAttempt { attempts.append(v) }
        wakeAt = change.wakeAt
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
        if change.reopen {
            output = nil; error = nil; completedAt = nil
        }
        if let v = change.deadlineAt { deadlineAt = v }
        status = change.status
        if let v = change.output { output = v }
        if let v = change.error { error = v }
        if let v = change.startedAt { startedAt = v }
        if let v = change.completedAt { completedAt = v }
    }
}

/// One line of a task's log.
public struct TaskLogLine: Sendable, Hashable {
    public var executionID: String
    public var index: Int
    /// Position in the task's log, from 1, assigned by the store.
    public var seq: Int64
    public var at: Int64
    /// The attempt that wrote it.
    public var attempt: Int
    /// Who wrote it: `engine` (attempts, errors, retries) or `step` (the step itself).
    public var source: String
    public var line: String

    public init(executionID: String, index: Int, seq: Int64 = 0, at: Int64, attempt: Int, source: String, line: String) {
        self.executionID = executionID
        self.index = index
        self.seq = seq
        self.at = at
        self.attempt = attempt
        self.source = source
        self.line = line
    }
}
