import SluiceCore

/// An Argo Workflow translated: the Sluice definition that runs it, and the Argo node tree its
/// status is reported in.
public struct ArgoTranslation: Sendable {
    /// The Sluice workflow definition (`tasks`, each a `Container.Run`, with `depends_on`,
    /// `when`, `retry` and `render_input`), ready for `POST /workflows`'s checks.
    public var definition: JSONValue
    /// The nodes, the root (the entrypoint's) first.
    public var nodes: [ArgoNodePlan]
    /// The Argo path each Sluice task comes from, by task index (`spec.templates[1].container`),
    /// so that a problem the Sluice checker finds is reported where the user wrote it.
    public var taskPaths: [String]
    /// The workflow's parameters after defaults (`spec.arguments.parameters`).
    public var parameters: [(name: String, value: String)]

    /// A Sluice checker's path (`tasks[3].input.command`) as an Argo path (`spec.templates[1].container.command`).
    public func argoPath(_ nativePath: String) -> String {
        guard nativePath.hasPrefix("tasks["), let close = nativePath.firstIndex(of: "]"),
              let index = Int(nativePath[nativePath.index(nativePath.startIndex, offsetBy: 6)..<close]), index < taskPaths.count
        else { return nativePath.isEmpty ? "spec" : "spec (\(nativePath))" }
        var rest = String(nativePath[nativePath.index(after: close)...])
        for (native, argo) in [(".input.working_dir", ".workingDir"), (".input.source", ".source"), (".input.", "."), (".input", ""), (".when", ""), (".retry", "")] where rest.hasPrefix(native) {
            rest = argo + rest.dropFirst(native.count)
            break
        }
        return taskPaths[index] + rest
    }
}
