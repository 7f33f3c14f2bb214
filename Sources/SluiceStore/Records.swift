import SluiceCore

/// A stored workflow: its head, which mirrors its latest version. Every version, the first
/// included, is also kept as a `WorkflowVersionRecord`.
public struct WorkflowRecord: Sendable, Hashable {
    /// Insertion order, assigned by the store; pagination cursors are built from it.
    public var seq: Int64
    public var id: String
    /// The latest version's name.
    public var name: String
    /// The latest version's description.
    public var description: String?
    /// The latest version's definition as the user sent it (after parsing), re-checked into a
    /// plan when loaded.
    public var definition: JSONValue
    /// When the first version was stored.
    public var createdAt: Int64
    /// The latest version's number: 1 for a new workflow, one more for each stored version.
    public var version: Int
    /// When the latest version was stored (`createdAt` until there is a second version).
    public var updatedAt: Int64
    /// The namespace it belongs to, with its executions, events, logs and webhooks; set when it
    /// is created and never changed.
    public var namespace: String

    public init(seq: Int64 = 0, id: String, name: String, description: String?, definition: JSONValue, createdAt: Int64, version: Int = 1, updatedAt: Int64? = nil, namespace: String = Namespace.default) {
        self.seq = seq
        self.namespace = namespace
        self.id = id
        self.name = name
        self.description = description
        self.definition = definition
        self.createdAt = createdAt
        self.version = version
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// One stored version of a workflow's definition. Versions are numbered 1, 2, 3… per workflow
/// and never change once stored.
public struct WorkflowVersionRecord: Sendable, Hashable {
    public var workflowID: String
    public var version: Int
    public var name: String
    public var description: String?
    /// The definition as the user sent it (after parsing).
    public var definition: JSONValue
    /// When this version was stored.
    public var createdAt: Int64

    public init(workflowID: String, version: Int, name: String, description: String?, definition: JSONValue, createdAt: Int64) {
        self.workflowID = workflowID
        self.version = version
        self.name = name
        self.description = description
        self.definition = definition
        self.createdAt = createdAt
    }
}

extension WorkflowRecord {
    /// The head's latest version as a version record.
    public var latestVersion: WorkflowVersionRecord {
        WorkflowVersionRecord(workflowID: id, version: version, name: name, description: description, definition: definition, createdAt: updatedAt)
    }
}

/// A stored execution, without its tasks.
public struct ExecutionRecord: Sendable, Hashable {
    public var seq: Int64
    public var id: String
    public var workflowID: String
    /// The version of the workflow the execution runs, from start to end (also when retried
    /// or resumed after a restart).
    public var workflowVersion: Int
    public var status: ExecutionStatus
    public var input: JSONValue
    public var output: JSONValue?
    public var error: JSONValue?
    public var webhookURL: String?
    /// The secret (`whsec_…`) that signs deliveries to `webhookURL`.
    public var webhookSecret: String?
    public var idempotencyKey: String?
    public var createdAt: Int64
    public var startedAt: Int64?
    public var completedAt: Int64?
    /// When the execution times out (its workflow's `timeout_seconds` after creation).
    public var deadlineAt: Int64?
    /// The propagation headers (`traceparent`, `tracestate`: one `name: value` per line) of the
    /// span that started the execution, when tracing is on: every span of the execution (its
    /// tasks, its end) is its child, so one trace holds the whole run across restarts and nodes.
    public var traceContext: String?
    /// Whether the execution is suspended: no task of it starts until it is resumed
    /// (`Mutation.suspendExecution`); the tasks running go on.
    public var suspended: Bool

    public init(seq: Int64 = 0, id: String, workflowID: String, workflowVersion: Int = 1, status: ExecutionStatus = .pending, input: JSONValue, output: JSONValue? = nil, error: JSONValue? = nil, webhookURL: String? = nil, webhookSecret: String? = nil, idempotencyKey: String? = nil, createdAt: Int64, startedAt: Int64? = nil, completedAt: Int64? = nil, deadlineAt: Int64? = nil, traceContext: String? = nil, suspended: Bool = false) {
        self.suspended = suspended
        self.deadlineAt = deadlineAt
        self.traceContext = traceContext
        self.webhookSecret = webhookSecret
        self.seq = seq
        self.id = id
        self.workflowID = workflowID
        self.workflowVersion = workflowVersion
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
    /// Attempts made before the current run (a retry of the execution starts a run; attempt
    /// numbers go on, the retry budget counts from here).
    public var attemptBase: Int

    public init(index: Int, taskID: String, stepID: String, type: String, status: TaskStatus = .pending, input: JSONValue? = nil, output: JSONValue? = nil, error: JSONValue? = nil, startedAt: Int64? = nil, completedAt: Int64? = nil, attempt: Int = 0, attempts: [JSONValue] = [], wakeAt: Int64? = nil, attemptBase: Int = 0) {
        self.attemptBase = attemptBase
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
            input = nil; output = nil; error = nil; startedAt = nil; completedAt = nil
        }
        if let v = change.attemptBase { attemptBase = v }
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

/// The stored form of trace propagation headers (`ExecutionRecord.traceContext`): one
/// `name: value` per line, in name order.
public enum TraceContextLines {
    public static func encode(_ headers: [String: String]) -> String? {
        let lines = headers.sorted { $0.key < $1.key }.compactMap { key, value -> String? in
            // A header never holds a line break; one that did could not be read back.
            guard !key.contains("\n"), !value.contains("\n"), !key.contains(":") else { return nil }
            return key + ": " + value
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    public static func decode(_ stored: String) -> [String: String] {
        var headers: [String: String] = [:]
        for line in stored.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        return headers
    }
}
