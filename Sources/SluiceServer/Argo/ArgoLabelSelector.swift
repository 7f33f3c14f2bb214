import Hummingbird
import SluiceArgo
import SluiceCore

/// A Kubernetes label selector as `listOptions.labelSelector` carries it: requirements joined by
/// commas, each `key`, `!key`, `key=value`, `key==value`, `key!=value`, `key in (a,b)` or
/// `key notin (a,b)`.
struct ArgoLabelSelector: Sendable {
    enum Requirement: Sendable {
        case exists(String)
        case absent(String)
        case equals(String, String)
        case differs(String, String)
        case among(String, Set<String>)
        case notAmong(String, Set<String>)
    }

    var requirements: [Requirement] = []

    /// The selector of a list or watch request's `listOptions.labelSelector` (everything when
    /// absent); Argo's 400 for one that does not parse.
    static func of(_ query: Parameters) throws -> ArgoLabelSelector {
        switch parse(query["listOptions.labelSelector"].map(String.init) ?? "") {
        case .success(let selector): return selector
        case .failure(let issue): throw ArgoError.invalid(issue.description)
        }
    }

    static func parse(_ text: String) -> Result<ArgoLabelSelector, ArgoIssue> {
        var out = ArgoLabelSelector()
        // Commas inside parentheses belong to a set.
        var parts: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
            if c == "," && depth == 0 { parts.append(current); current = "" } else { current.append(c) }
        }
        parts.append(current)
        for raw in parts {
            let part = raw.trimmingCharacters(in: " ")
            if part.isEmpty { continue }
            for (op, make) in [(" notin ", Requirement.notAmong), (" in ", Requirement.among)] as [(String, (String, Set<String>) -> Requirement)] {
                if let r = part.firstRange(of: op) {
                    let key = String(part[..<r.lowerBound]).trimmingCharacters(in: " ")
                    var set = String(part[r.upperBound...]).trimmingCharacters(in: " ")
                    guard set.hasPrefix("("), set.hasSuffix(")") else { return .failure(ArgoIssue(path: "listOptions.labelSelector", message: "\"\(part)\": expected a set in parentheses")) }
                    set = String(set.dropFirst().dropLast())
                    out.requirements.append(make(key, Set(set.split(separator: ",").map { String($0).trimmingCharacters(in: " ") })))
                    break
                }
            }
            if part.contains(" in ") || part.contains(" notin ") { continue }
            if let r = part.firstRange(of: "!=") {
                out.requirements.append(.differs(String(part[..<r.lowerBound]).trimmingCharacters(in: " "), String(part[r.upperBound...]).trimmingCharacters(in: " ")))
            } else if let r = part.firstRange(of: "==") ?? part.firstRange(of: "=") {
                out.requirements.append(.equals(String(part[..<r.lowerBound]).trimmingCharacters(in: " "), String(part[r.upperBound...]).trimmingCharacters(in: " ")))
            } else if part.hasPrefix("!") {
                out.requirements.append(.absent(String(part.dropFirst()).trimmingCharacters(in: " ")))
            } else if part.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) {
                out.requirements.append(.exists(part))
            } else {
                return .failure(ArgoIssue(path: "listOptions.labelSelector", message: "\"\(part)\" is not a requirement (key, !key, key=value, key!=value, key in (…), key notin (…))"))
            }
        }
        return .success(out)
    }

    func matches(_ labels: JSONObject) -> Bool {
        requirements.allSatisfy { r in
            switch r {
            case .exists(let k): return labels[k] != nil
            case .absent(let k): return labels[k] == nil
            case .equals(let k, let v): return labels[k]?.stringValue == v
            case .differs(let k, let v): return labels[k]?.stringValue != v
            case .among(let k, let set): return labels[k]?.stringValue.map(set.contains) ?? false
            case .notAmong(let k, let set): return !(labels[k]?.stringValue.map(set.contains) ?? false)
            }
        }
    }
}

extension String {
    /// The string without `character` at either end.
    func trimmingCharacters(in character: Character) -> String {
        var s = Substring(self)
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return String(s)
    }
}
