/// A type of value that flows between steps. On the wire each is a one-member object named after
/// the type: text is `{"text": "..."}` and a number is `{"number": 3}`.
public enum DataType: String, Sendable, Hashable, CaseIterable {
    case text
    case number
    /// Any JSON value, `{"json": ...}`. (Minimal form; the typed-values branch brings the full one.)
    case json

    /// The member name that carries a value of this type on the wire.
    public var field: String { rawValue }

    /// The JSON Schema of the member's value.
    public var schema: Schema {
        switch self {
        case .text: return Schema(type: .string)
        case .number: return Schema(type: .number)
        case .json: return Schema()
        }
    }

    /// The type whose wire member is `field`, if any.
    public init?(field: String) { self.init(rawValue: field) }

    /// Whether `value` (the member's value) has this type.
    public func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.text, .string), (.number, .number), (.json, _): return true
        default: return false
        }
    }
}

/// What a step takes as input.
public enum StepInput: Sendable, Hashable {
    /// Nothing: the step is a source and produces its value from its parameters.
    case none
    /// One value of a type.
    case value(DataType)
    /// Whatever arrives, unchanged in shape.
    case any

    public var description: String {
        switch self {
        case .none: return "none"
        case .value(let t): return t.rawValue
        case .any: return "any"
        }
    }
}

/// What a step produces.
public enum StepOutput: Sendable, Hashable {
    /// One value of a type.
    case value(DataType)
    /// The same shape as its input.
    case sameAsInput

    public var description: String {
        switch self {
        case .value(let t): return t.rawValue
        case .sameAsInput: return "same as input"
        }
    }
}

/// The shape of a value flowing along an edge: the typed members it is known to carry, and whether
/// it may carry more (it passes the execution's input through).
public struct Shape: Sendable, Hashable {
    public var fields: [DataType]
    /// The value includes the execution input, whose members are only known from the input schema.
    public var includesExecutionInput: Bool

    public init(fields: [DataType], includesExecutionInput: Bool = false) {
        self.fields = fields
        self.includesExecutionInput = includesExecutionInput
    }

    /// How the shape reads in the API and in error messages: `text`, `number`, `{number, text}`, `input`.
    public var description: String {
        if fields.count == 1 && !includesExecutionInput { return fields[0].rawValue }
        if fields.isEmpty { return includesExecutionInput ? "input" : "nothing" }
        let names = fields.map(\.rawValue) + (includesExecutionInput ? ["...input"] : [])
        return "{" + names.joined(separator: ", ") + "}"
    }
}
