/// A type-checked workflow, ready to execute: its tasks with resolved step types, dependencies as
/// indices, the shape of every edge, and the input schema derived from its entry steps.
public struct WorkflowPlan: Sendable {
    /// One task of the plan.
    public struct Node: Sendable {
        public var index: Int
        public var id: String
        public var step: StepType
        /// Parameters after normalisation (a source's `{"text": s}` form becomes `s`).
        public var parameters: JSONValue?
        /// Indices of the tasks this one depends on, in `depends_on` order.
        public var dependencies: [Int]
        /// Indices of the tasks that depend on this one.
        public var dependents: [Int]
        /// What flows into the task.
        public var inputShape: Shape
        /// What the task produces.
        public var outputShape: Shape
        public var path: String
        public var retry: RetryPolicy = .none
        public var timeoutSeconds: Double?
        /// `when`: evaluated once the dependencies have finished; false skips the task.
        public var condition: Condition?
        /// `input_from`: the input built from references instead of the dependencies' outputs.
        public var inputFrom: [InputSelection]?
        /// `map`: how the task runs once per item.
        public var map: MapPlan?
        /// `render_input`: the parameters' `{{reference}}` placeholders, filled in when an
        /// attempt starts; `nil` when the task has none.
        public var parameterTemplate: ParameterTemplate?
        /// `"trigger": "all_finished"` (see `WorkflowDefinition.Task.runsAfterFailure`).
        public var runsAfterFailure = false
        /// Whether a failure it ran after is handled (not for `"trigger": "finally"`).
        public var handlesFailures = true
    }

    /// A dependency edge and the type of the value flowing along it.
    public struct Edge: Sendable, Hashable {
        public var from: String
        public var to: String
        public var type: String
    }

    public var definition: WorkflowDefinition
    public var nodes: [WorkflowPlan.Node]
    /// The schema every execution's input must satisfy: the entry steps' needs merged with the
    /// user's `input_schema`.
    public var inputSchema: Schema
    /// The tasks whose outputs make the execution's output: the `Echo`-like ones, or else the
    /// tasks nothing depends on.
    public var outputNodes: [Int]
    /// Task index by task id.
    public var indexByID: [String: Int] = [:]
    /// How many levels of workflows its `Workflow.Run` tasks start below it (0 when it runs
    /// none); at most `Limits.workflowRunDepth`.
    public var nestingDepth = 0

    /// Every dependency edge with its type, in definition order.
    public var edges: [Edge] {
        nodes.flatMap { node in
            node.dependencies.map { dep in
                Edge(from: nodes[dep].id, to: node.id, type: nodes[dep].outputShape.description)
            }
        }
    }
}

/// A checked `map`: the list to go over, the steps each item goes through (the task's own step
/// first), and the types of an item and of each result.
public struct MapPlan: Sendable {
    public var over: Reference
    public var concurrency: Int
    public var steps: [(step: StepType, parameters: JSONValue?)]
    /// The type of one item (what the first step receives, as `{field: item}`).
    public var itemType: DataType
    /// The type of one result (the member taken from the last step's output).
    public var resultType: DataType

    /// Whether every step is pure, so that the whole map runs inline in microseconds per item.
    public var isPure: Bool {
        steps.allSatisfy { if case .pure = $0.step.implementation { return true } else { return false } }
    }
}
