import SluiceCore

/// What `{{…}}` placeholders can name where a template is expanded: the workflow's parameters and
/// name, the template's input parameters, the current item of `withItems`/`withParam`, and the
/// tasks (or steps) of the enclosing DAG (or steps template) whose `outputs.result` is known
/// only when they have run.
struct ArgoScope {
    var workflowName: String
    var namespace: String
    var uid: String
    var workflowParameters: [String: String]
    var inputs: [String: String] = [:]
    var item: JSONValue?
    /// Inside a `withParam` over a result known only at run time: `{{item}}` becomes the Sluice
    /// placeholder of the mapped task's current item (`{{item}}`, `{{item.key}}`).
    var runtimeItem = false
    /// In the exit handler (and the templates it calls): the Sluice values `{{workflow.status}}`
    /// (`Succeeded` or `Failed`, the text of a task that reads it when the handler starts) and
    /// `{{workflow.failures}}` stand for; `nil` elsewhere, where they are refused.
    var workflowStatus: Reference?
    var workflowFailures: Reference?
    /// Sibling tasks (`tasks.X`) or steps (`steps.X`) by Argo name: the native task that runs
    /// them, when it is a single container.
    var tasks: [String: String] = [:]
    var steps: [String: String] = [:]
    /// The output parameters each of those declares, by `tasks.X` or `steps.X`.
    var outputParameters: [String: [String]] = [:]
    /// The output parameters of the dag or steps templates those call (`valueFrom.parameter`),
    /// by `tasks.X` or `steps.X`: the reference each stands for.
    var graphOutputs: [String: [String: Reference]] = [:]
    /// The output artifacts each of those declares, by `tasks.X` or `steps.X`.
    var outputArtifacts: [String: [String]] = [:]

    /// `text` with every placeholder filled in. A result known only at run time
    /// (`{{tasks.A.outputs.result}}`) becomes `runtime(reference)`, so that the caller can write
    /// it as a Sluice placeholder (`{{tasks.a.json.result}}`) or a reference in a condition.
    func substitute(_ text: String, path: String, runtime: (Reference) -> String = { "{{\($0)}}" }) -> Result<String, ArgoIssue> {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            let inside = rest[open.upperBound...]
            guard let close = inside.firstRange(of: "}}") else {
                return .failure(ArgoIssue(path: path, message: "\"{{\" is never closed with \"}}\""))
            }
            let name = String(inside[..<close.lowerBound]).trimmingCharacters(in: " ")
            switch value(of: name, runtime: runtime) {
            case .success(let v): out += v
            case .failure(let issue): return .failure(ArgoIssue(path: path, message: issue.message))
            }
            rest = inside[close.upperBound...]
        }
        out += rest
        return .success(out)
    }

    /// What `{{name}}` stands for, or why it cannot be used here.
    func value(of name: String, runtime: (Reference) -> String) -> Result<String, ArgoIssue> {
        if name.hasPrefix("=") {
            return .failure(ArgoIssue(path: "", message: "expression templates ({{=…}}) are not supported; use plain {{…}} variables"))
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "workflow":
            if parts.count == 2 {
                switch parts[1] {
                case "name": return .success(workflowName)
                case "namespace": return .success(namespace)
                case "uid": return .success(uid)
                case "status", "failures":
                    if let reference = parts[1] == "status" ? workflowStatus : workflowFailures { return .success(runtime(reference)) }
                    return .failure(ArgoIssue(path: "", message: "{{\(name)}} is known in the exit handler (spec.onExit) and the templates it calls, once the entrypoint has ended; here the workflow is still running"))
                default: break
                }
            }
            if parts.count == 3, parts[1] == "parameters" {
                if let v = workflowParameters[parts[2]] { return .success(v) }
                return .failure(ArgoIssue(path: "", message: "{{\(name)}}: the workflow has no parameter \"\(parts[2])\" (spec.arguments.parameters)\(Self.known(workflowParameters.keys))"))
            }
        case "inputs":
            if parts.count == 3, parts[1] == "parameters" {
                if let v = inputs[parts[2]] { return .success(v) }
                return .failure(ArgoIssue(path: "", message: "{{\(name)}}: the template has no input parameter \"\(parts[2])\" (inputs.parameters)\(Self.known(inputs.keys))"))
            }
        case "item":
            if item == nil, runtimeItem {
                return .success(runtime(Reference(root: .item, path: parts.dropFirst().map { .member($0) })))
            }
            guard let item else { return .failure(ArgoIssue(path: "", message: "{{\(name)}} is used outside withItems or withParam")) }
            var v = item
            for member in parts.dropFirst() {
                guard let next = v[member] else { return .failure(ArgoIssue(path: "", message: "{{\(name)}}: the item \(item.jsonString) has no member \"\(member)\"")) }
                v = next
            }
            return .success(Template.text(for: v))
        case "tasks", "steps":
            let kind = parts[0]
            let siblings = kind == "tasks" ? tasks : steps
            guard parts.count >= 3 else { break }
            if let outputs = graphOutputs["\(kind).\(parts[1])"] {
                guard parts.count == 5, parts[2] == "outputs", parts[3] == "parameters" else {
                    return .failure(ArgoIssue(path: "", message: "{{\(name)}}: \(kind == "tasks" ? "task" : "step") \"\(parts[1])\" runs a dag or steps template; only its outputs.parameters.NAME can be read"))
                }
                guard let reference = outputs[parts[4]] else {
                    return .failure(ArgoIssue(path: "", message: "{{\(name)}}: \(kind == "tasks" ? "task" : "step") \"\(parts[1])\" declares no output parameter \"\(parts[4])\" (outputs.parameters); it declares: \(outputs.keys.sorted().joined(separator: ", "))"))
                }
                return .success(runtime(reference))
            }
            guard let native = siblings[parts[1]] else {
                let where_ = kind == "tasks" ? "the enclosing DAG" : "an earlier step group of the enclosing steps"
                return .failure(ArgoIssue(path: "", message: "{{\(name)}}: there is no \(kind == "tasks" ? "task" : "step") \"\(parts[1])\" in \(where_) that runs a container or script\(Self.known(siblings.keys))"))
            }
            let output = parts.dropFirst(2).joined(separator: ".")
            switch output {
            case "outputs.result": return .success(runtime(Reference(root: .task(native), path: [.member("json"), .member("result")])))
            case "outputs.exitCode": return .success(runtime(Reference(root: .task(native), path: [.member("json"), .member("exit_code")])))
            case _ where parts.count == 5 && parts[2] == "outputs" && parts[3] == "parameters":
                let declared = outputParameters["\(kind).\(parts[1])"] ?? []
                guard declared.contains(parts[4]) else {
                    return .failure(ArgoIssue(path: "", message: "{{\(name)}}: \(kind == "tasks" ? "task" : "step") \"\(parts[1])\" declares no output parameter \"\(parts[4])\" (outputs.parameters)\(declared.isEmpty ? "" : "; it declares: " + declared.joined(separator: ", "))"))
                }
                return .success(runtime(Reference(root: .task(native), path: [.member("json"), .member("files"), .member(parts[4])])))
            case _ where parts.count == 5 && parts[2] == "outputs" && parts[3] == "artifacts":
                let declared = outputArtifacts["\(kind).\(parts[1])"] ?? []
                guard declared.contains(parts[4]) else {
                    return .failure(ArgoIssue(path: "", message: "{{\(name)}}: \(kind == "tasks" ? "task" : "step") \"\(parts[1])\" outputs no artifact \"\(parts[4])\" (outputs.artifacts)\(declared.isEmpty ? "" : "; it outputs: " + declared.joined(separator: ", "))"))
                }
                // The store key of the artifact the task saved (empty when an optional one was not).
                return .success(runtime(Reference(root: .task(native), path: [.member("json"), .member("artifacts"), .member(parts[4]), .member("key")])))
            default:
                return .failure(ArgoIssue(path: "", message: "{{\(name)}}: only outputs.result, outputs.exitCode, outputs.parameters.NAME and outputs.artifacts.NAME of a \(kind == "tasks" ? "task" : "step") are supported"))
            }
        default: break
        }
        return .failure(ArgoIssue(path: "", message: "{{\(name)}} is not a supported variable; supported: inputs.parameters.NAME, workflow.parameters.NAME, workflow.name, workflow.namespace, workflow.uid, item, tasks.NAME.outputs.result, tasks.NAME.outputs.parameters.P, steps.NAME.outputs.result, steps.NAME.outputs.parameters.P"))
    }

    static func known(_ keys: Dictionary<String, String>.Keys) -> String {
        keys.isEmpty ? "" : "; known: " + keys.sorted().joined(separator: ", ")
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
