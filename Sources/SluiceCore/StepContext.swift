/// What a `.run` step receives: its input and parameters, where it runs, and a log to write to.
public struct StepContext: Sendable {
    /// The task's input (its wire form, e.g. `{"text": "..."}`).
    public var input: JSONValue
    /// The task's parameters (its `input` member in the definition), after normalisation.
    public var parameters: JSONValue?
    public var executionID: String
    /// The task's id in the definition (`step-1`, or the DAG task id).
    public var stepID: String
    /// Which attempt this is, from 1.
    public var attempt: Int
    /// Writes a line to the task's log (`GET …/tasks/{task_id}/logs`).
    public var log: StepLog

    public init(input: JSONValue, parameters: JSONValue?, executionID: String, stepID: String, attempt: Int = 1, log: StepLog = .discard) {
        self.input = input
        self.parameters = parameters
        self.executionID = executionID
        self.stepID = stepID
        self.attempt = attempt
        self.log = log
    }
}

/// Where a running step's log lines go.
public struct StepLog: Sendable {
    let sink: @Sendable (String) -> Void

    public init(_ sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    /// Appends `line` to the task's log.
    public func callAsFunction(_ line: String) { sink(line) }

    /// A log that drops every line (for tests and tools).
    public static let discard = StepLog { _ in }
}
