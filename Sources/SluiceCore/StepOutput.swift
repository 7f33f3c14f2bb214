/// What a step produces.
public enum StepOutput: Sendable, Hashable {
    /// One value of a type.
    case value(DataType)
    /// The same shape as its input.
    case sameAsInput
    /// One value of the type named by the task's parameter `byParameter` (a type name that
    /// `DataType(name:)` reads, such as `"number"` or `"list<text>"`), or of `default` when the
    /// task does not give that parameter. The type checker resolves it when the workflow is created
    /// and reports a bad name as a problem with that parameter.
    case named(byParameter: String, default: DataType)

    /// How the catalog writes it: `text`, `same as input`, `as parameter (default json)`.
    public var description: String {
        switch self {
        case .value(let t): return t.name
        case .sameAsInput: return "same as input"
        case .named(let parameter, let fallback): return "\(parameter) parameter (default \(fallback.name))"
        }
    }
}
