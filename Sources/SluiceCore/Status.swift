/// Where an execution is in its life. `PENDING` → `RUNNING` → `COMPLETED` | `FAILED`.
public enum ExecutionStatus: String, Sendable, Hashable, CaseIterable {
    case pending = "PENDING"
    case running = "RUNNING"
    case completed = "COMPLETED"
    case failed = "FAILED"

    /// Whether the execution will not change any more.
    public var isTerminal: Bool { self == .completed || self == .failed }
}

/// Where a task is. `PENDING` → `RUNNING` → `COMPLETED` | `FAILED`; `SKIPPED` when a task it
/// depends on failed.
public enum TaskStatus: String, Sendable, Hashable, CaseIterable {
    case pending = "PENDING"
    case running = "RUNNING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case skipped = "SKIPPED"

    public var isTerminal: Bool { self == .completed || self == .failed || self == .skipped }
}
