import Foundation
import SluiceCore

/// An execution with its tasks (`GET /workflows/{id}/executions/{eid}`).
public struct Execution: Sendable, Hashable {
    /// An execution's status. Statuses this client does not know are kept as ``unknown(_:)``.
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        case pending, running, completed, failed, cancelled
        case unknown(String)

        /// The status named by the server (`COMPLETED`).
        public init(rawValue: String) {
            switch rawValue {
            case "PENDING": self = .pending
            case "RUNNING": self = .running
            case "COMPLETED": self = .completed
            case "FAILED": self = .failed
            case "CANCELLED": self = .cancelled
            default: self = .unknown(rawValue)
            }
        }

        /// The server's name (`COMPLETED`).
        public var rawValue: String {
            switch self {
            case .pending: "PENDING"
            case .running: "RUNNING"
            case .completed: "COMPLETED"
            case .failed: "FAILED"
            case .cancelled: "CANCELLED"
            case .unknown(let raw): raw
            }
        }

        /// Whether the execution has finished (completed, failed or cancelled).
        public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }

        public var description: String { rawValue }
    }

    /// The `ex-…` id.
    public var id: String
    public var workflowID: String
    /// The workflow version it runs.
    public var workflowVersion: Int
    public var status: Status
    public var createdAt: Date
    public var startedAt: Date?
    public var completedAt: Date?
    /// The execution input.
    public var input: JSONValue
    /// The output, once completed (`nil` before, and when every task was skipped).
    public var output: JSONValue?
    /// Why it failed or was cancelled.
    public var error: ErrorInfo?
    /// Tasks finished (including skipped, failed and cancelled ones).
    public var completedTasks: Int
    public var totalTasks: Int
    /// The tasks in definition order.
    public var tasks: [ExecutionTask]
    /// The whole answer, for members this type does not name (and to print it as the server sent it).
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "execution")
        id = try f.string("execution_id")
        workflowID = try f.string("workflow_id")
        workflowVersion = try f.int("workflow_version")
        status = Status(rawValue: try f.string("status"))
        createdAt = try f.date("created_at")
        startedAt = try f.optionalDate("started_at")
        completedAt = try f.optionalDate("completed_at")
        input = f.value("input") ?? .object(JSONObject())
        output = f.nonNull("output")
        error = try f.optionalObject("error", ErrorInfo.init(json:))
        let progress = try f.optionalObject("progress") { (v) throws(SluiceClientError) in try Fields(v, "execution progress") }
        completedTasks = try progress?.int("completed") ?? 0
        totalTasks = try progress?.int("total") ?? 0
        tasks = try f.list("tasks", ExecutionTask.init(json:))
        self.json = json
    }

    /// The task with this `task-…` id or step id.
    public func task(_ id: String) -> ExecutionTask? {
        tasks.first { $0.id == id || $0.stepID == id }
    }
}

/// One task of an execution.
public struct ExecutionTask: Sendable, Hashable {
    /// A task's status. Statuses this client does not know are kept as ``unknown(_:)``.
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        case pending, running, retrying, completed, failed, skipped, cancelled
        case unknown(String)

        /// The status named by the server (`COMPLETED`).
        public init(rawValue: String) {
            switch rawValue {
            case "PENDING": self = .pending
            case "RUNNING": self = .running
            case "RETRYING": self = .retrying
            case "COMPLETED": self = .completed
            case "FAILED": self = .failed
            case "SKIPPED": self = .skipped
            case "CANCELLED": self = .cancelled
            default: self = .unknown(rawValue)
            }
        }

        /// The server's name (`COMPLETED`).
        public var rawValue: String {
            switch self {
            case .pending: "PENDING"
            case .running: "RUNNING"
            case .retrying: "RETRYING"
            case .completed: "COMPLETED"
            case .failed: "FAILED"
            case .skipped: "SKIPPED"
            case .cancelled: "CANCELLED"
            case .unknown(let raw): raw
            }
        }

        /// Whether the task has finished, retries included.
        public var isTerminal: Bool {
            switch self {
            case .completed, .failed, .skipped, .cancelled: true
            case .pending, .running, .retrying, .unknown: false
            }
        }

        public var description: String { rawValue }
    }

    /// The `task-…` id.
    public var id: String
    /// The step id (`step-2`, or the id given in the definition).
    public var stepID: String
    /// The step type.
    public var type: String
    public var status: Status
    /// What it received, once known.
    public var input: JSONValue?
    /// What it produced, once completed.
    public var output: JSONValue?
    /// Why it failed, was skipped or cancelled.
    public var error: ErrorInfo?
    public var startedAt: Date?
    public var completedAt: Date?
    /// Attempts started (0 before the first).
    public var attempt: Int
    /// Every failed attempt, oldest first.
    public var attempts: [FailedAttempt]
    /// When a `RETRYING` task runs again.
    public var nextAttemptAt: Date?
    /// When a waiting `Delay` ends.
    public var wakesAt: Date?

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "execution task")
        id = try f.string("task_id")
        stepID = try f.string("step_id")
        type = try f.string("type")
        status = Status(rawValue: try f.string("status"))
        input = f.value("input")
        output = f.value("output")
        error = try f.optionalObject("error", ErrorInfo.init(json:))
        startedAt = try f.optionalDate("started_at")
        completedAt = try f.optionalDate("completed_at")
        attempt = try f.optionalInt("attempt") ?? 0
        attempts = try f.list("attempts", FailedAttempt.init(json:))
        nextAttemptAt = try f.optionalDate("next_attempt_at")
        wakesAt = try f.optionalDate("wakes_at")
    }
}

/// Why an execution or a task failed, was skipped or cancelled.
public struct ErrorInfo: Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// `condition_false`, `dependencies_skipped`, `execution_timeout`, …, when given.
    public var code: String?
    /// For an execution, the step whose failure failed it.
    public var stepID: String?
    /// For a failed attempt, whether the failure could be retried.
    public var retryable: Bool?
    /// The whole error object, for members this type does not name.
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "error")
        message = try f.string("message")
        code = try f.optionalString("code")
        stepID = try f.optionalString("step_id")
        if case .bool(let b)? = f.value("retryable") { retryable = b } else { retryable = nil }
        self.json = json
    }

    public var description: String { message }
}

/// A failed attempt of a task.
public struct FailedAttempt: Sendable, Hashable {
    public var attempt: Int
    public var error: ErrorInfo
    public var startedAt: Date?
    public var completedAt: Date?

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "failed attempt")
        attempt = try f.int("attempt")
        error = try ErrorInfo(json: f.value("error") ?? .null)
        startedAt = try f.optionalDate("started_at")
        completedAt = try f.optionalDate("completed_at")
    }
}

/// An item of `GET /workflows/{id}/executions`.
public struct ExecutionSummary: Sendable, Hashable {
    public var id: String
    public var workflowVersion: Int
    public var status: Execution.Status
    public var createdAt: Date
    public var startedAt: Date?
    public var completedAt: Date?
    /// The whole item as the server sent it.
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        self.json = json
        let f = try Fields(json, "execution summary")
        id = try f.string("execution_id")
        workflowVersion = try f.int("workflow_version")
        status = Execution.Status(rawValue: try f.string("status"))
        createdAt = try f.date("created_at")
        startedAt = try f.optionalDate("started_at")
        completedAt = try f.optionalDate("completed_at")
    }
}

/// The answer to starting an execution (`execute`, `retry`, `rerun`).
public struct ExecutionStarted: Sendable, Hashable {
    /// The execution (for `rerun`, the new one; for `retry`, the same one).
    public var executionID: String
    /// The `whsec_…` secret signing deliveries to the `webhook_url`, shown only when starting.
    public var webhookSecret: String?
    /// Whether an earlier request with the same idempotency key created it (nothing was started).
    public var replayed: Bool

    /// An answer from its parts.
    public init(executionID: String, webhookSecret: String? = nil, replayed: Bool = false) {
        self.executionID = executionID
        self.webhookSecret = webhookSecret
        self.replayed = replayed
    }
}
