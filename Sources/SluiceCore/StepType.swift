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
    }

    public var name: String
    public var summary: String
    public var input: StepInput
    public var output: StepOutput
    /// The schema of the step's `input` member in a definition (its parameters), or `nil` if it takes none.
    public var parameters: Schema?
    /// Whether `input` must be given.
    public var parametersRequired: Bool
    /// Checks what the parameter `Schema` cannot express (a well-formed URL, say). It runs at
    /// creation, after the schema accepted the parameters, and returns every problem with its
    /// path under `path` (the task's `input` member); `nil` when the schema says it all.
    public var checkParameters: (@Sendable (_ parameters: JSONValue, _ path: String) -> [ValidationIssue])?
    /// Whether the value this step produces becomes the execution's output.
    public var isOutput: Bool
    public var implementation: Implementation

    public init(
        name: String, summary: String, input: StepInput, output: StepOutput,
        parameters: Schema? = nil, parametersRequired: Bool = false, isOutput: Bool = false,
        checkParameters: (@Sendable (_ parameters: JSONValue, _ path: String) -> [ValidationIssue])? = nil,
        implementation: Implementation
    ) {
        self.name = name
        self.summary = summary
        self.input = input
        self.output = output
        self.parameters = parameters
        self.parametersRequired = parametersRequired
        self.isOutput = isOutput
        self.checkParameters = checkParameters
        self.implementation = implementation
    }

    /// The catalog entry for this step type, as `GET /step-types` returns it.
    public var catalogEntry: JSONValue {
        var o = JSONObject()
        o.append("type", .string(name))
        o.append("summary", .string(summary))
        o.append("input_type", .string(input.description))
        o.append("output_type", .string(output.description))
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

    public init(_ types: [StepType] = []) {
        for t in types { register(t) }
    }

    /// Adds or replaces a step type.
    public mutating func register(_ type: StepType) {
        if types[type.name] == nil { names.append(type.name) }
        types[type.name] = type
    }

    public subscript(name: String) -> StepType? { types[name] }

    /// The registered step types in registration order.
    public var all: [StepType] { names.compactMap { types[$0] } }

    /// The known name closest to `name`, for "did you mean" hints.
    public func suggestion(for name: String) -> String? {
        let lower = name.lowercased()
        if let exact = names.first(where: { $0.lowercased() == lower }) { return exact }
        if let suffix = names.first(where: { $0.lowercased().hasSuffix("." + lower) }) { return suffix }
        var best: (String, Int)?
        for candidate in names {
            let d = StepRegistry.distance(lower, candidate.lowercased())
            if d <= max(2, candidate.count / 4), d < (best?.1 ?? .max) { best = (candidate, d) }
        }
        return best?.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
