/// The subset of JSON Schema that Sluice understands: `type`, `properties`, `required`, `items`,
/// `enum`, `minimum`, `maximum`, `minLength`, `maxLength`, `additionalProperties`, plus the
/// annotations `title`, `description` and `default`.
public struct Schema: Sendable, Hashable {
    /// The JSON types a schema can require.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case object, array, string, number, integer, boolean, null
    }

    public var type: Kind?
    public var title: String?
    public var description: String?
    /// The declared properties, in order.
    public var properties: [(name: String, schema: Schema)] {
        get { declared }
        set {
            declared = newValue
            propertyIndex = Self.index(newValue)
        }
    }
    public var required: [String] = []
    public var items: Box?
    /// The allowed values (`enum`).
    public var enumValues: [JSONValue]? {
        get { allowed }
        set {
            allowed = newValue
            allowedSet = newValue.map(Set.init)
            allowedText = newValue.map { values in TypeChecker.list(values.prefix(TypeChecker.maxListed).map(\.preview), total: values.count) } ?? ""
        }
    }
    public var minimum: Double?
    public var maximum: Double?
    public var minLength: Int?
    public var maxLength: Int?
    /// `nil` allows any extra property; `.allowed(false)` forbids them; `.schema` constrains them.
    public var additionalProperties: Additional?
    public var defaultValue: JSONValue?

    /// What `additionalProperties` says.
    public indirect enum Additional: Sendable, Hashable {
        case allowed(Bool)
        case schema(Schema)
    }

    /// Holds a nested schema (`items`).
    public final class Box: Sendable, Hashable {
        public let schema: Schema
        public init(_ schema: Schema) { self.schema = schema }
        public static func == (l: Box, r: Box) -> Bool { l.schema == r.schema }
        public func hash(into h: inout Hasher) { h.combine(schema) }
    }

    /// `properties`, and where each name is in it (the first time), so that looking a property
    /// up does not scan them: a schema of many properties checks an object in linear time.
    private var declared: [(name: String, schema: Schema)] = []
    private var propertyIndex: [String: Int] = [:]
    /// `enumValues`, and the same as a set for membership tests.
    private var allowed: [JSONValue]?
    private var allowedSet: Set<JSONValue>?
    /// The allowed values as a message lists them (the first `TypeChecker.maxListed`).
    private(set) var allowedText = ""

    public init(type: Kind? = nil) { self.type = type }

    public static func == (l: Schema, r: Schema) -> Bool { l.json == r.json }
    public func hash(into h: inout Hasher) { h.combine(json) }

    /// The schema of property `name`, if declared.
    public func property(_ name: String) -> Schema? { propertyIndex[name].map { declared[$0].schema } }

    /// Whether `value` is one of `enumValues` (`true` when there is no `enum`).
    func allows(_ value: JSONValue) -> Bool { allowedSet?.contains(value) ?? true }

    /// Declares or replaces property `name`.
    public mutating func setProperty(_ name: String, _ schema: Schema) {
        if let i = propertyIndex[name] {
            declared[i].schema = schema
        } else {
            propertyIndex[name] = declared.count
            declared.append((name, schema))
        }
    }

    static func index(_ properties: [(name: String, schema: Schema)]) -> [String: Int] {
        var index: [String: Int] = [:]
        for (i, p) in properties.enumerated() where index[p.name] == nil { index[p.name] = i }
        return index
    }

    static let keywords: Set<String> = [
        "type", "title", "description", "properties", "required", "items", "enum", "minimum",
        "maximum", "minLength", "maxLength", "additionalProperties", "default", "$schema",
    ]
}

extension Schema {
    /// Reads a schema a user wrote, reporting every keyword Sluice does not support or that is malformed.
    public static func parse(_ value: JSONValue, path: String) -> (Schema?, [ValidationIssue]) {
        var issues: [ValidationIssue] = []
        let schema = parse(value, path: path, issues: &issues)
        return (issues.isEmpty ? schema : nil, issues)
    }

    static func parse(_ value: JSONValue, path: String, issues: inout [ValidationIssue]) -> Schema {
        var schema = Schema()
        guard case .object(let object) = value else {
            issues.append(.init(path: path, code: "invalid_schema", message: "expected a JSON Schema object, found \(value.kindName)"))
            return schema
        }
        for member in object {
            let p = IssuePath.member(path, member.key)
            let v = member.value
            switch member.key {
            case "type":
                if let s = v.stringValue, let kind = Kind(rawValue: s) {
                    schema.type = kind
                } else {
                    issues.append(.init(path: p, code: "invalid_schema", message: "expected one of \(Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \(v.preview)"))
                }
            case "title", "description":
                guard let s = v.stringValue else {
                    issues.append(.init(path: p, code: "invalid_schema", message: "expected a string, found \(v.kindName)"))
                    continue
                }
                if member.key == "title" { schema.title = s } else { schema.description = s }
            case "$schema": break
            case "default": schema.defaultValue = v
            case "properties":
                guard case .object(let props) = v else {
                    issues.append(.init(path: p, code: "invalid_schema", message: "expected an object mapping property names to schemas, found \(v.kindName)"))
                    continue
                }
                for prop in props {
                    schema.setProperty(prop.key, parse(prop.value, path: IssuePath.member(p, prop.key), issues: &issues))
                }
            case "required":
                guard case .array(let items) = v else {
                    issues.append(.init(path: p, code: "invalid_schema", message: "expected an array of property names, found \(v.kindName)"))
                    continue
                }
                for (i, item) in items.enumerated() {
                    if let s = item.stringValue { schema.required.append(s) } else {
                        issues.append(.init(path: IssuePath.index(p, i), code: "invalid_schema", message: "expected a property name (string), found \(item.kindName)"))
                    }
                }
            case "items":
                schema.items = Box(parse(v, path: p, issues: &issues))
            case "enum":
                guard case .array(let items) = v, !items.isEmpty else {
                    issues.append(.init(path: p, code: "invalid_schema", message: "expected a non-empty array of allowed values, found \(v.preview)"))
                    continue
                }
                schema.enumValues = items
            case "minimum", "maximum":
                guard let n = v.numberValue else {
                    issues.append(.init(path: p, code: "invalid_schema", message: "expected a number, found \(v.kindName)"))
                    continue
                }
                if member.key == "minimum" { schema.minimum = n } else { schema.maximum = n }
            case "minLength", "maxLength":
                guard let n = v.numberValue, n >= 0, n.rounded() == n, n < 1e15 else {
                    issues.append(.init(path: p, code: "invalid_schema", message: "expected a non-negative integer, found \(v.preview)"))
                    continue
                }
                if member.key == "minLength" { schema.minLength = Int(n) } else { schema.maxLength = Int(n) }
            case "additionalProperties":
                if case .bool(let b) = v { schema.additionalProperties = .allowed(b) } else {
                    schema.additionalProperties = .schema(parse(v, path: p, issues: &issues))
                }
            default:
                issues.append(.init(path: p, code: "unsupported_schema_keyword", message: "unsupported JSON Schema keyword \"\(member.key)\"; supported: \(keywords.sorted().joined(separator: ", "))"))
            }
        }
        if let min = schema.minimum, let max = schema.maximum, min > max {
            issues.append(.init(path: IssuePath.member(path, "minimum"), code: "invalid_schema", message: "minimum \(JSONValue.number(min).jsonString) is greater than maximum \(JSONValue.number(max).jsonString)"))
        }
        if let min = schema.minLength, let max = schema.maxLength, min > max {
            issues.append(.init(path: IssuePath.member(path, "minLength"), code: "invalid_schema", message: "minLength \(min) is greater than maxLength \(max)"))
        }
        let closed = schema.additionalProperties == .allowed(false)
        for (i, name) in schema.required.enumerated() where closed && schema.property(name) == nil {
            issues.append(.init(path: IssuePath.index(IssuePath.member(path, "required"), i), code: "invalid_schema", message: "required property \"\(name)\" is not declared in properties, and additionalProperties is false, so no value can satisfy this schema"))
        }
        return schema
    }

    /// This schema as JSON, in the order JSON Schema readers expect.
    public var json: JSONValue {
        var o = JSONObject()
        if let type { o.append("type", .string(type.rawValue)) }
        if let title { o.append("title", .string(title)) }
        if let description { o.append("description", .string(description)) }
        if !properties.isEmpty {
            var props = JSONObject()
            for p in properties { props.append(p.name, p.schema.json) }
            o.append("properties", .object(props))
        }
        if !required.isEmpty { o.append("required", .array(required.map(JSONValue.string))) }
        if let items { o.append("items", items.schema.json) }
        if let enumValues { o.append("enum", .array(enumValues)) }
        if let minimum { o.append("minimum", .number(minimum)) }
        if let maximum { o.append("maximum", .number(maximum)) }
        if let minLength { o.append("minLength", .number(Double(minLength))) }
        if let maxLength { o.append("maxLength", .number(Double(maxLength))) }
        switch additionalProperties {
        case .allowed(let b): o.append("additionalProperties", .bool(b))
        case .schema(let s): o.append("additionalProperties", s.json)
        case nil: break
        }
        if let defaultValue { o.append("default", defaultValue) }
        return .object(o)
    }
}
