extension Schema {
    /// Checks `value` against this schema and returns every problem, each with its path under `path`.
    public func validate(_ value: JSONValue, path: String) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        validate(value, path: path, into: &issues)
        return issues
    }

    /// "1 character", "3 characters".
    func characters(_ n: Int) -> String { n == 1 ? "1 character" : "\(n) characters" }

    func validate(_ value: JSONValue, path: String, into issues: inout [ValidationIssue]) {
        if let type, !Schema.matches(value, type) {
            issues.append(.init(path: path, code: "type_mismatch", message: "expected \(Schema.article(type)), found \(value.kindName) \(value.preview)"))
            return
        }
        if !allows(value) {
            issues.append(.init(path: path, code: "not_in_enum", message: "expected one of \(allowedText), found \(value.preview)"))
        }
        switch value {
        case .number(let n):
            if let minimum, n < minimum {
                issues.append(.init(path: path, code: "below_minimum", message: "expected a number >= \(JSONValue.number(minimum).jsonString), found \(value.jsonString)"))
            }
            if let maximum, n > maximum {
                issues.append(.init(path: path, code: "above_maximum", message: "expected a number <= \(JSONValue.number(maximum).jsonString), found \(value.jsonString)"))
            }
        case .string(let s):
            if minLength != nil || maxLength != nil {
                let length = s.unicodeScalars.count
                if let minLength, length < minLength {
                    issues.append(.init(path: path, code: "too_short", message: "expected at least \(characters(minLength)), found \(length)"))
                }
                if let maxLength, length > maxLength {
                    issues.append(.init(path: path, code: "too_long", message: "expected at most \(characters(maxLength)), found \(length)"))
                }
            }
        case .array(let items):
            if let items_ = self.items?.schema {
                for (i, item) in items.enumerated() { items_.validate(item, path: IssuePath.index(path, i), into: &issues) }
            }
        case .object(let object):
            for name in required where object[name] == nil {
                let expected = property(name).flatMap { $0.type.map { " (\(Schema.article($0)))" } } ?? ""
                issues.append(.init(path: IssuePath.member(path, name), code: "required", message: "required property is missing; expected a value\(expected)"))
            }
            for member in object {
                let p = IssuePath.member(path, member.key)
                if let schema = property(member.key) {
                    schema.validate(member.value, path: p, into: &issues)
                } else {
                    switch additionalProperties {
                    case .allowed(false):
                        let known = properties.prefix(TypeChecker.maxListed).map(\.name)
                        let hint = known.isEmpty ? "no properties are allowed" : "allowed: \(TypeChecker.list(known, total: properties.count))"
                        issues.append(.init(path: p, code: "unknown_property", message: "unexpected property; \(hint)"))
                    case .schema(let s): s.validate(member.value, path: p, into: &issues)
                    default: break
                    }
                }
            }
        default: break
        }
    }

    static func matches(_ value: JSONValue, _ kind: Kind) -> Bool {
        switch (kind, value) {
        case (.object, .object), (.array, .array), (.string, .string), (.number, .number), (.boolean, .bool), (.null, .null): return true
        case (.integer, .number(let n)): return n.rounded() == n
        default: return false
        }
    }

    static func article(_ kind: Kind) -> String {
        switch kind {
        case .object, .array, .integer: return "an \(kind.rawValue)"
        case .null: return "null"
        default: return "a \(kind.rawValue)"
        }
    }
}
