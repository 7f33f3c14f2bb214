/// A workflow as a user defined it, after its shape was checked: either a chain of steps or a
/// DAG of tasks. Chains are normalised to DAGs in which each step depends on the one before.
public struct WorkflowDefinition: Sendable, Hashable {
    /// Which form the user wrote, so that paths in errors and the stored definition use it.
    public enum Form: String, Sendable, Hashable {
        case steps
        case tasks
    }

    /// One task of the DAG (one step of a chain).
    public struct Task: Sendable, Hashable {
        /// The user's id for the task, or `step-N` (from 1) for a chain step without one.
        public var id: String
        public var type: String
        public var parameters: JSONValue?
        public var dependsOn: [String]
        /// How often the task may run before its failure is final.
        public var retry: RetryPolicy = .none
        /// The longest one attempt may run; it then fails with a (retryable) timeout.
        public var timeoutSeconds: Double?
        /// `when`: the task runs only if this holds once its dependencies have finished.
        public var condition: Condition?
        /// `input_from`: the task's input built member by member from references, instead of
        /// its dependencies' merged outputs.
        public var inputFrom: [InputSelection]?
        /// `map`: the task's step (and `map.then`) runs once per item of a list.
        public var map: MapSpec?
        /// `render_input`: the strings of `parameters` hold `{{reference}}` placeholders (the
        /// references of `when`), filled in from the execution input and upstream outputs each
        /// time an attempt starts.
        public var renderInput = false
        /// `"trigger": "all_finished"`: the task is considered once every dependency has
        /// finished however it ended (a failure does not skip it); its `when` decides, and may
        /// read `status.<id>`. A failure such a task ran after does not fail the execution.
        public var runsAfterFailure = false
        /// Whether a failure it runs after counts as handled (`all_finished`); `"trigger":
        /// "finally"` runs after failures without handling them, as a workflow's exit handler.
        public var handlesFailures = true
        /// Where this task is in the request (`steps[2]`, `tasks[0]`), for error paths.
        public var path: String
        /// Where each of `dependsOn` is in the `depends_on` that was written, when that differs
        /// from its position (an entry listed twice or not a string was left out); for error paths.
        var dependsOnPositions: [Int] = []

        /// The path of `dependsOn[j]` in the request: `tasks[1].depends_on[2]`.
        func dependencyPath(_ j: Int) -> String {
            "\(path).depends_on[\(j < dependsOnPositions.count ? dependsOnPositions[j] : j)]"
        }

        public init(id: String, type: String, parameters: JSONValue? = nil, dependsOn: [String] = [], path: String) {
            self.id = id
            self.type = type
            self.parameters = parameters
            self.dependsOn = dependsOn
            self.path = path
        }
    }

    public var name: String
    public var description: String?
    public var form: Form
    public var tasks: [Task]
    public var inputSchema: Schema?
    /// The longest an execution may run, from when it is created; it then fails.
    public var timeoutSeconds: Double?
    /// The namespace the definition names, `nil` for the default one.
    public var namespace: String?
    /// `retention`: how long its finished executions are kept; the server's default when `nil`.
    public var retention: RetentionPolicy?

    /// The namespace the workflow belongs to.
    public var effectiveNamespace: String { namespace ?? Namespace.default }
}

/// One member of a task's `input_from`: the wire member (`text`, `number`, …) and where its value
/// comes from.
public struct InputSelection: Sendable, Hashable {
    public var field: String
    public var reference: Reference

    public init(field: String, reference: Reference) {
        self.field = field
        self.reference = reference
    }
}

/// A task's `map`: run the task's step, then the steps of `then`, once per item of the list that
/// `over` names, at most `concurrency` items at a time, and collect the results in order.
public struct MapSpec: Sendable, Hashable {
    public var over: Reference
    public var concurrency: Int
    /// Further steps each item goes through after the task's own step (a sub-chain).
    public var then: [WorkflowDefinition.Task]

    public init(over: Reference, concurrency: Int = 10, then: [WorkflowDefinition.Task] = []) {
        self.over = over
        self.concurrency = concurrency
        self.then = then
    }
}
