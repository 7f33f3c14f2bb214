import SluiceCore

/// One problem with an Argo Workflow, at its path in the object that was sent
/// (`spec.templates[1].dag.tasks[2].dependencies`).
public struct ArgoIssue: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, as Argo's lint prints it.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Every problem found in one Argo Workflow; nothing of it is stored or run.
public struct ArgoFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var issues: [ArgoIssue]

    public init(_ issues: [ArgoIssue]) { self.issues = issues }

    /// The issues joined by `; `, the first one first: what Argo's `message` carries.
    public var description: String { issues.map(\.description).joined(separator: "; ") }
}

extension JSONValue {
    /// The JSON type's name for messages (`a string`, `an object`).
    var argoKind: String { kindName }
}
