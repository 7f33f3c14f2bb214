/// What a step takes as input.
public enum StepInput: Sendable, Hashable {
    /// Nothing: the step is a source and produces its value from its parameters.
    case none
    /// One value of a type.
    case value(DataType)
    /// Whatever arrives, unchanged in shape.
    case any

    /// How the catalog and messages write it: `none`, `text`, `list<text>`, `any`.
    public var description: String {
        switch self {
        case .none: return "none"
        case .value(let t): return t.name
        case .any: return "any"
        }
    }
}
