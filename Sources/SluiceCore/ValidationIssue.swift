/// One problem found in something a user sent: where it is, what kind it is, and what was
/// expected instead.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is, as a path into the request body (`steps[2].type`, `input.text`);
    /// empty for the body itself.
    public var path: String
    /// A stable, machine-readable kind (`unknown_step_type`, `type_mismatch`, …).
    public var code: String
    /// A sentence a person can act on: what was expected and what was found.
    public var message: String

    public init(path: String, code: String, message: String) {
        self.path = path
        self.code = code
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Thrown when a request carries one or more `ValidationIssue`s; all of them are reported at once.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    /// A one-line summary of what was being validated ("Invalid workflow definition").
    public var title: String
    public var issues: [ValidationIssue]

    public init(title: String, issues: [ValidationIssue]) {
        self.title = title
        self.issues = issues
    }

    public var description: String { "\(title): " + issues.map(\.description).joined(separator: "; ") }
}

/// Builds the paths that `ValidationIssue` uses: `a.b[2].c`.
public enum IssuePath {
    public static func member(_ base: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        if !plain { return base + "[\(JSONValue.string(key).jsonString)]" }
        return base.isEmpty ? key : "\(base).\(key)"
    }

    public static func index(_ base: String, _ i: Int) -> String { "\(base)[\(i)]" }
}
