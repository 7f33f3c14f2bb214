/// Where an execution is in its life. `PENDING` → `RUNNING` → `COMPLETED` | `FAILED`, or
/// `CANCELLED` from either of the first two. A FAILED or CANCELLED execution can be retried,
/// which makes it RUNNING again.
public enum ExecutionStatus: String, Sendable, Hashable, CaseIterable {
    case pending = "PENDING"
    case running = "RUNNING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case cancelled = "CANCELLED"

    /// Whether the execution will not change any more (unless someone retries it).
    public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// Where a task is. `PENDING` → `RUNNING` → `COMPLETED` | `FAILED`; `RETRYING` between a failed
/// attempt and the next; `SKIPPED` when a task it depends on failed or its condition is false;
/// `CANCELLED` when its execution was cancelled before it finished.
public enum TaskStatus: String, Sendable, Hashable, CaseIterable {
    case pending = "PENDING"
    case running = "RUNNING"
    case retrying = "RETRYING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case skipped = "SKIPPED"
    case cancelled = "CANCELLED"

    public var isTerminal: Bool { self == .completed || self == .failed || self == .skipped || self == .cancelled }
}
