extension Schema {
    /// An object schema with `properties` (in order), of which `required` must be given; other
    /// members are rejected unless `additionalProperties` is true.
    public static func object(_ properties: [(String, Schema)], required: [String] = [], additionalProperties: Bool = false) -> Schema {
        var s = Schema(type: .object)
        s.properties = properties.map { (name: $0.0, schema: $0.1) }
        s.required = required
        if !additionalProperties { s.additionalProperties = .allowed(false) }
        return s
    }

    /// A string schema, at least `minLength` characters long if given.
    public static func string(minLength: Int? = nil) -> Schema {
        var s = Schema(type: .string)
        s.minLength = minLength
        return s
    }

    /// This schema with a `description` annotation.
    public func described(_ text: String) -> Schema {
        var s = self
        s.description = text
        return s
    }

    /// This schema with a `default` annotation (documentation only: validation does not apply it).
    public func defaulting(to value: JSONValue) -> Schema {
        var s = self
        s.defaultValue = value
        return s
    }

    /// This schema restricted to `values` (`enum`).
    public func oneOf(_ values: [JSONValue]) -> Schema {
        var s = self
        s.enumValues = values
        return s
    }
}
