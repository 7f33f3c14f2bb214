/// Reads the members of an annotation API body with their JSON types checked, each problem at
/// its path. A member that is `null` counts as left out (the clients of such APIs send `null`
/// for what they do not set).
public struct AnnotationFields {
    public var object: JSONObject
    public var path: String

    public init(object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// The problems of members not in `allowed`, with the members that are.
    public static func unknownMembers(_ object: JSONObject, allowed: [String], path: String) -> [ValidationIssue] {
        object.members.compactMap { member in
            allowed.contains(member.key) ? nil : ValidationIssue(
                path: IssuePath.member(path, member.key), code: "unknown_member",
                message: "\"\(member.key)\" is not a member here; expected only \(allowed.joined(separator: ", "))"
            )
        }
    }

    public func value(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    public func integer(_ key: String, required: Bool = false, issues: inout [ValidationIssue]) -> Int64? {
        let at = IssuePath.member(path, key)
        guard let value = value(key) else {
            if required { issues.append(.init(path: at, code: "required", message: "expected \(key), an integer")) }
            return nil
        }
        guard value.kindName == "integer", let n = value.numberValue else {
            issues.append(.init(path: at, code: "type_mismatch", message: "expected an integer, found \(value.described)"))
            return nil
        }
        return Int64(n)
    }

    public func number(_ key: String, issues: inout [ValidationIssue]) -> Double? {
        guard let value = value(key) else { return nil }
        guard let n = value.numberValue else {
            issues.append(.init(path: IssuePath.member(path, key), code: "type_mismatch", message: "expected a number, found \(value.described)"))
            return nil
        }
        return n
    }

    public func string(_ key: String, required: Bool = false, maxLength: Int, issues: inout [ValidationIssue]) -> String? {
        let at = IssuePath.member(path, key)
        guard let value = value(key) else {
            if required { issues.append(.init(path: at, code: "required", message: "expected \(key), a string")) }
            return nil
        }
        guard let s = value.stringValue else {
            issues.append(.init(path: at, code: "type_mismatch", message: "expected a string, found \(value.described)"))
            return nil
        }
        let count = s.unicodeScalars.count
        if required, s.trimmingSpaces.isEmpty {
            issues.append(.init(path: at, code: "empty", message: "expected a non-empty \(key)"))
            return nil
        }
        if count > maxLength {
            issues.append(.init(path: at, code: "too_long", message: "expected at most \(maxLength) characters, found \(count)"))
            return nil
        }
        return s
    }

    /// An array of names, each checked by `problem`, none twice.
    public func names(_ key: String, max: Int, what: String, problem: (String) -> String?, issues: inout [ValidationIssue]) -> [String]? {
        let at = IssuePath.member(path, key)
        guard let value = value(key) else { return nil }
        guard let list = value.arrayValue else {
            issues.append(.init(path: at, code: "type_mismatch", message: "expected an array of \(what) names, found \(value.described)"))
            return nil
        }
        if list.count > max {
            issues.append(.init(path: at, code: "too_many", message: "expected at most \(max) \(what)s, found \(list.count)"))
            return nil
        }
        var names: [String] = []
        var seen = Set<String>()
        var ok = true
        for (i, item) in list.enumerated() {
            let itemPath = IssuePath.index(at, i)
            guard let name = item.stringValue else {
                issues.append(.init(path: itemPath, code: "type_mismatch", message: "expected the name of an \(what) (a string), found \(item.described)"))
                ok = false
                continue
            }
            if let why = problem(name) {
                issues.append(.init(path: itemPath, code: "invalid_name", message: why))
                ok = false
            } else if !seen.insert(name).inserted {
                issues.append(.init(path: itemPath, code: "duplicate", message: "\(what) \"\(name)\" is listed twice"))
                ok = false
            }
            names.append(name)
        }
        return ok ? names : nil
    }
}
