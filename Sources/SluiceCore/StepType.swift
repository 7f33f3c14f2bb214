/// Why a step failed while running, in words for the person reading the execution.
public struct StepFailure: Error, Sendable, Hashable {
    public var message: String
    /// Whether running the step again could succeed (used by retries).
    public var retryable: Bool

    public init(_ message: String, retryable: Bool = false) {
        self.message = message
        self.retryable = retryable
    }
}

/// A kind of step a workflow can use: its name, the types it takes and produces, the parameters it
/// accepts, and how it runs.
public struct StepType: Sendable {
    /// How a step runs.
    public enum Implementation: Sendable {
        /// A pure function of the task's input and parameters that finishes in microseconds; the
        /// engine runs it inline, without holding a worker or writing a RUNNING transition.
        case pure(@Sendable (_ input: JSONValue, _ parameters: JSONValue?) throws(StepFailure) -> JSONValue)
        /// Work that takes time or touches the world (HTTP, processes). The engine records the
        /// task as RUNNING before it starts, runs it on its own task, and cancels that task when
        /// the step times out or its execution is cancelled: the step must stop promptly then.
        case run(@Sendable (_ context: StepContext) async throws(StepFailure) -> JSONValue)
        /// A durable timer: the task waits the returned number of seconds without holding a
        /// worker (the wake-up time is stored and survives a restart), then passes its input on.
        case timer(@Sendable (_ input: JSONValue, _ parameters: JSONValue?) -> Double)
        /// Runs another stored workflow (its id in the `workflow_id` parameter) with the task's
        /// input and produces that execution's output. The type checker types it from the other
        /// workflow's plan; the engine starts and watches the child execution.
        case subworkflow
        /// Work done outside the engine (`Worker.Task`): the task waits in the queue its
        /// `queue` parameter names until a worker claims it under a lease and completes or
        /// fails it through the API. The engine holds no worker meanwhile; what a worker sent is
        /// stored before it is acknowledged, and read back if the server restarts.
        case external
    }

    public var name: String
    public var summary: String
    public var input: StepInput
    public var output: StepOutput
    /// The schema of the step's `input` member in a definition (its parameters), or `nil` if it takes none.
    public var parameters: Schema?
    /// Whether `input` must be given.
    public var parametersRequired: Bool
    /// Checks that the schema cannot express (a template's syntax, a JSON Pointer), run at
    /// creation on parameters that satisfy `parameters`: the problems found, with paths under the
    /// given path (the task's `input`).
    public var parameterCheck: (@Sendable (_ parameters: JSONValue, _ path: String) -> [ValidationIssue])?
    /// Whether the value this step produces becomes the execution's output.
    public var isOutput: Bool
    public var implementation: Implementation

    public init(
        name: String, summary: String, input: StepInput, output: StepOutput,
        parameters: Schema? = nil, parametersRequired: Bool = false, isOutput: Bool = false,
        parameterCheck: (@Sendable (_ parameters: JSONValue, _ path: String) -> [ValidationIssue])? = nil,
        implementation: Implementation
    ) {
        self.name = name
        self.summary = summary
        self.input = input
        self.output = output
        self.parameters = parameters
        self.parametersRequired = parametersRequired
        self.isOutput = isOutput
        self.parameterCheck = parameterCheck
        self.implementation = implementation
    }

    /// The catalog entry for this step type, as `GET /step-types` returns it.
    public var catalogEntry: JSONValue {
        var o = JSONObject()
        o.append("type", .string(name))
        o.append("summary", .string(summary))
        o.append("input_type", .string(input.description))
        if case .subworkflow = implementation {
            o.append("output_type", "the output of the workflow it runs")
        } else {
            o.append("output_type", .string(output.description))
        }
        o.append("parameters", parameters.map { $0.json } ?? .null)
        o.append("parameters_required", .bool(parametersRequired))
        o.append("is_output", .bool(isOutput))
        return .object(o)
    }
}

/// The step types a server knows, by name.
public struct StepRegistry: Sendable {
    public private(set) var types: [String: StepType] = [:]
    /// Names in registration order, for a stable catalog.
    public private(set) var names: [String] = []
    /// Step types this server knows of but does not offer, with why and how to offer them
    /// (`Container.Run` without a container runtime, `Process` without `--enable-process-steps`).
    /// A definition that uses one is refused with that reason, not as an unknown type.
    public private(set) var unavailable: [String: String] = [:]

    public init(_ types: [StepType] = []) {
        for t in types { register(t) }
    }

    /// Adds or replaces a step type.
    public mutating func register(_ type: StepType) {
        if types[type.name] == nil { names.append(type.name) }
        types[type.name] = type
        unavailable[type.name] = nil
    }

    /// Records that step type `name` is not offered here, and `reason`: why, and what makes the
    /// server offer it (a flag). Does nothing if `name` is registered.
    public mutating func markUnavailable(_ name: String, reason: String) {
        if types[name] == nil { unavailable[name] = reason }
    }

    /// The problem with a task of type `name` that this registry does not offer, at `path` (the
    /// task's `type`): a step type marked unavailable, or an unknown one (with a suggestion).
    public func problem(withUnknown name: String, path: String) -> ValidationIssue {
        if let reason = unavailable[name] {
            return .init(path: path, code: "step_type_unavailable", message: "\(name) is not available on this server: \(reason)")
        }
        let hint = suggestion(for: name).map { "did you mean \"\($0)\"? " } ?? ""
        return .init(path: path, code: "unknown_step_type", message: "unknown step type \"\(name)\"; \(hint)known types: \(names.joined(separator: ", "))")
    }

    public subscript(name: String) -> StepType? { types[name] }

    /// The registered step types in registration order.
    public var all: [StepType] { names.compactMap { types[$0] } }

    /// The known name closest to `name`, for "did you mean" hints: the same name in another
    /// case, a name that ends with `.name`, or the nearest by edit distance (at most a quarter
    /// of its letters off). Its cost does not grow with the square of a long name.
    public func suggestion(for name: String) -> String? {
        let lower = name.lowercased()
        if let exact = names.first(where: { $0.lowercased() == lower }) { return exact }
        if let suffix = names.first(where: { candidate in
            let c = candidate.lowercased()
            return c.utf8.count > lower.utf8.count && c.hasSuffix(lower) && c.dropLast(lower.count).hasSuffix(".")
        }) { return suffix }
        return TypeChecker.closest(name, among: names)
    }
}
