extension ValueType {
    /// The type of values that `schema` accepts, as far as Sluice's schema subset says: an
    /// `object` schema gives its declared properties (closed when `additionalProperties` is
    /// `false`), an `array` schema its `items`, a schema without `type` the common type of its
    /// `enum`, and anything else `unknown`. Properties that are not `required` keep their type:
    /// at run time a missing one reads as `null`.
    public init(schema: Schema) {
        switch schema.type {
        case .string?: self = .text
        case .number?, .integer?: self = .number
        case .boolean?: self = .boolean
        case .null?: self = .null
        case .array?: self = .list(schema.items.map { ValueType(schema: $0.schema) } ?? .unknown)
        case .object?:
            var members: [String: ValueType] = [:]
            for property in schema.properties { members[property.name] = ValueType(schema: property.schema) }
            self = .object(members: members, closed: schema.additionalProperties == .allowed(false))
        case nil:
            if let values = schema.enumValues, !values.isEmpty {
                self = ValueType.common(values.map(ValueType.init(of:)))
            } else {
                self = .unknown
            }
        }
    }

    /// The type of a data type's member value: `text` for `text`, `number` for `number`,
    /// `boolean`, `list` for the data types that carry them, and `unknown` for `json` or any other.
    public init(dataType: DataType) {
        switch dataType.field {
        case "text": self = .text
        case "number": self = .number
        case "boolean": self = .boolean
        case "list": self = .list(.unknown)
        default: self = .unknown
        }
    }

    /// The type of a value flowing along an edge: an object with one member per data type
    /// (`{"number": 3}` is `{number}`). When the shape passes the execution input through,
    /// the input's members (from `input`, its type) are added and the object is only as closed as
    /// the input is.
    public init(shape: Shape, input: ValueType = .anyObject) {
        var members: [String: ValueType] = [:]
        var closed = true
        if shape.includesExecutionInput {
            if case .object(let inputMembers, let inputClosed) = input {
                members = inputMembers
                closed = inputClosed
            } else {
                closed = false
            }
        }
        for field in shape.fields { members[field.field] = ValueType(dataType: field) }
        self = .object(members: members, closed: closed)
    }
}
