/// The shape of a value flowing along an edge: the typed members it is known to carry, and whether
/// it may carry more (it passes the execution's input through).
public struct Shape: Sendable, Hashable {
    /// The members' types, at most one per wire member (`DataType.field`): when values merge, the
    /// first to carry a member wins, whatever its type.
    public var fields: [DataType]
    /// The value includes the execution input, whose members are only known from the input schema.
    public var includesExecutionInput: Bool

    public init(fields: [DataType], includesExecutionInput: Bool = false) {
        self.fields = fields
        self.includesExecutionInput = includesExecutionInput
    }

    /// The type of the member named `field`, if the shape is known to carry one.
    public func member(_ field: String) -> DataType? { fields.first { $0.field == field } }

    /// How the shape reads in the API and in error messages: `text`, `list<text>`,
    /// `{number, text}`, `input`.
    public var description: String {
        if fields.count == 1 && !includesExecutionInput { return fields[0].name }
        if fields.isEmpty { return includesExecutionInput ? "input" : "nothing" }
        let names = fields.map(\.name) + (includesExecutionInput ? ["...input"] : [])
        return "{" + names.joined(separator: ", ") + "}"
    }
}
