import SluiceCore

extension Schema {
    /// A schema of `type` with the given annotations and bounds (for declaring parameters).
    static func of(
        _ type: Kind?, _ description: String, default defaultValue: JSONValue? = nil,
        enum enumValues: [JSONValue]? = nil, minimum: Double? = nil, maximum: Double? = nil,
        minLength: Int? = nil, items: Schema? = nil, additional: Additional? = nil
    ) -> Schema {
        var s = Schema(type: type)
        s.description = description
        s.defaultValue = defaultValue
        s.enumValues = enumValues
        s.minimum = minimum
        s.maximum = maximum
        s.minLength = minLength
        s.items = items.map(Box.init)
        s.additionalProperties = additional
        return s
    }

    /// An object schema with `properties`, of which `required` must be present, and no others.
    static func object(_ description: String, required: [String], _ properties: [(String, Schema)]) -> Schema {
        var s = Schema(type: .object)
        s.description = description
        for (name, schema) in properties { s.setProperty(name, schema) }
        s.required = required
        s.additionalProperties = .allowed(false)
        return s
    }
}

extension JSONValue {
    /// The value as an `Int` if it is a whole number that fits.
    var intValue: Int? {
        guard case .number(let n) = self, n.rounded() == n, abs(n) < 1e15 else { return nil }
        return Int(n)
    }
}
