import SluiceCore

/// What the status mapping needs of a Sluice execution: its status and times, and each task's
/// status, output, error, times and failed attempts, by task id. (The server fills it from the
/// store's execution detail; tests build it directly.)
public struct ArgoExecutionState: Sendable {
    /// One task.
    public struct Task: Sendable {
        public var status: TaskStatus
        public var output: JSONValue?
        public var error: JSONValue?
        public var startedAt: Int64?
        public var completedAt: Int64?
        /// Failed attempts, oldest first: `{attempt, error: {message}, started_at, completed_at}`.
        public var failedAttempts: [JSONValue]
        /// The attempt now (or last) run, from 1; `nil` when not known.
        public var attempt: Int?
        /// What the attempt was given (a mapped task's `{"list": [items]}`), once it started.
        public var input: JSONValue?

        public init(status: TaskStatus, output: JSONValue? = nil, error: JSONValue? = nil, startedAt: Int64? = nil, completedAt: Int64? = nil, failedAttempts: [JSONValue] = [], attempt: Int? = nil, input: JSONValue? = nil) {
            self.attempt = attempt
            self.input = input
            self.status = status
            self.output = output
            self.error = error
            self.startedAt = startedAt
            self.completedAt = completedAt
            self.failedAttempts = failedAttempts
        }
    }

    public var status: ExecutionStatus
    public var createdAt: Int64
    public var startedAt: Int64?
    public var completedAt: Int64?
    /// The execution's error message, when it failed or was cancelled.
    public var message: String?
    public var tasks: [String: Task]

    public init(status: ExecutionStatus, createdAt: Int64, startedAt: Int64? = nil, completedAt: Int64? = nil, message: String? = nil, tasks: [String: Task]) {
        self.status = status
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.message = message
        self.tasks = tasks
    }
}
