import SluiceCore

/// One node of an Argo workflow's `status.nodes` as the translation laid it out: the tree of
/// DAG, Steps, StepGroup, TaskGroup and Pod (or Retry) nodes Argo would make, each Pod tied to
/// the Sluice task that runs it. The status mapping fills in phases and times from the execution.
public struct ArgoNodePlan: Sendable, Hashable {
    /// Argo's node types.
    public enum Kind: String, Sendable, Hashable {
        case dag = "DAG"
        case steps = "Steps"
        case stepGroup = "StepGroup"
        case taskGroup = "TaskGroup"
        case pod = "Pod"
        case retry = "Retry"
        case suspend = "Suspend"
        case skipped = "Skipped"
    }

    /// `<workflow>` for the root, `<workflow>-<FNV-1a of name>` below it.
    public var id: String
    /// `hello`, `hello.A`, `hello[0].step`, `hello.A(0:x)`.
    public var name: String
    public var displayName: String
    public var kind: Kind
    public var templateName: String?
    /// The id of the DAG or Steps node the node belongs to.
    public var boundaryID: String?
    public var children: [String] = []
    /// The Sluice task id that runs it (a Pod, or the Pods of a Retry).
    public var task: String?
    /// The template's input parameters, as Argo shows them (`inputs.parameters`).
    public var inputs: [(name: String, value: String)] = []
    /// A TaskGroup of a `withParam` over a result known only at run time: its task is a Sluice
    /// `map`, and a Pod node per item is made from that task once the list is known. Its
    /// `children` are then the nodes each item leads to.
    public var runtimeItems = false
    /// The output parameters of a DAG or Steps node (`valueFrom.parameter`): each the value
    /// of a task's output it names.
    public var outputRefs: [(name: String, reference: Reference)] = []
    /// The input artifacts of a Pod node: name and path in the container.
    public var inputArtifacts: [(name: String, path: String)] = []

    public static func == (a: Self, b: Self) -> Bool {
        a.id == b.id && a.name == b.name && a.kind == b.kind && a.children == b.children && a.task == b.task && a.templateName == b.templateName && a.boundaryID == b.boundaryID && a.runtimeItems == b.runtimeItems
    }

    public func hash(into h: inout Hasher) { h.combine(id) }

    /// Argo's node id for a node name: the workflow name, a dash and the 32-bit FNV-1a hash of
    /// the node name (the root node's id is the workflow name).
    public static func id(workflow: String, name: String) -> String {
        guard name != workflow else { return workflow }
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return "\(workflow)-\(hash)"
    }
}
