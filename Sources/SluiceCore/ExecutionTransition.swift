/// A change to one task, applied only if the task is still in one of the `expected` statuses.
public struct TaskChange: Sendable, Hashable {
    public var index: Int
    public var expected: [TaskStatus]
    public var status: TaskStatus
    public var input: JSONValue?
    public var output: JSONValue?
    public var error: JSONValue?
    public var startedAt: Int64?
    public var completedAt: Int64?
    /// The number of attempts started so far, when it changes.
    public var attempt: Int?
    /// A failed attempt to add to the task's history (`{attempt, error, started_at, completed_at}`).
    public var failedAttempt: JSONValue?
    /// When the task wakes up (the end of a Delay, the next attempt); always written, `nil` clears it.
    public var wakeAt: Int64?
    /// Puts the task back to run again (for a retried execution): clears input, output, error and
    /// times; the attempt count goes on, and the history of failed attempts and the log stay.
    public var reset: Bool
    /// The attempts made before the run that starts now (set with `reset`): the retry budget
    /// counts from there.
    public var attemptBase: Int?

    public init(index: Int, expected: [TaskStatus], status: TaskStatus, input: JSONValue? = nil, output: JSONValue? = nil, error: JSONValue? = nil, startedAt: Int64? = nil, completedAt: Int64? = nil, attempt: Int? = nil, failedAttempt: JSONValue? = nil, wakeAt: Int64? = nil, reset: Bool = false, attemptBase: Int? = nil) {
        self.attemptBase = attemptBase
        self.attempt = attempt
        self.failedAttempt = failedAttempt
        self.wakeAt = wakeAt
        self.reset = reset
        self.index = index
        self.expected = expected
        self.status = status
        self.input = input
        self.output = output
        self.error = error
        self.startedAt = startedAt
        self.completedAt = completedAt
    }
}

/// A change to an execution's own row.
public struct ExecutionChange: Sendable, Hashable {
    public var status: ExecutionStatus
    public var output: JSONValue?
    public var error: JSONValue?
    public var startedAt: Int64?
    public var completedAt: Int64?
    /// Makes a finished execution unfinished again (a retry): clears output, error and completion time.
    public var reopen: Bool
    /// A new deadline (a retried execution gets its full timeout again).
    public var deadlineAt: Int64?

    public init(status: ExecutionStatus, output: JSONValue? = nil, error: JSONValue? = nil, startedAt: Int64? = nil, completedAt: Int64? = nil, reopen: Bool = false, deadlineAt: Int64? = nil) {
        self.reopen = reopen
        self.deadlineAt = deadlineAt
        self.status = status
        self.output = output
        self.error = error
        self.startedAt = startedAt
        self.completedAt = completedAt
    }
}

/// Everything one step of an execution changes, committed atomically: if any task change finds its
/// task no longer in an expected status, none of it applies.
public struct ExecutionTransition: Sendable, Hashable {
    public var executionID: String
    public var tasks: [TaskChange]
    public var execution: ExecutionChange?
    /// The events that record it, in order, written with it when it applies (and only then). They
    /// are computed once, above the store drivers (`ExecutionDetail.apply(_:)` in SluiceStore);
    /// a driver writes them as they are.
    public var events: [EventDraft]

    public init(executionID: String, tasks: [TaskChange], execution: ExecutionChange? = nil, events: [EventDraft] = []) {
        self.executionID = executionID
        self.tasks = tasks
        self.execution = execution
        self.events = events
    }
}

/// An event before the store has given it a seq and a time: its type (`task.completed`) and its
/// `data` as JSON text.
public struct EventDraft: Sendable, Hashable {
    public var type: String
    public var data: String

    public init(type: String, data: String) {
        self.type = type
        self.data = data
    }
}

extension ExecutionTransition {
    /// This transition followed by `next` (of the same execution) as one atomic transition: the
    /// task changes of both, and the execution's latest status with its earliest start.
    public func followed(by next: ExecutionTransition) -> ExecutionTransition {
        precondition(next.executionID == executionID, "transitions of different executions cannot be merged")
        var merged = self
        merged.tasks += next.tasks
        merged.events += next.events
        switch (execution, next.execution) {
        case (nil, let later): merged.execution = later
        case (let earlier, nil): merged.execution = earlier
        case (let earlier?, var later?):
            later.startedAt = earlier.startedAt ?? later.startedAt
            later.output = later.output ?? earlier.output
            later.error = later.error ?? earlier.error
            later.completedAt = later.completedAt ?? earlier.completedAt
            later.reopen = later.reopen || earlier.reopen
            later.deadlineAt = later.deadlineAt ?? earlier.deadlineAt
            merged.execution = later
        }
        return merged
    }
}
