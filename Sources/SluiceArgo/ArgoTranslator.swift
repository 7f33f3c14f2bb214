import SluiceCore

/// Translates an Argo `Workflow` (argoproj.io/v1alpha1, as JSON) into a Sluice workflow
/// definition and the Argo node tree its status is shown in. Pure: no I/O, no clock.
///
/// Every container or script a template runs becomes one `Container.Run` task; `dag`s and
/// `steps` are expanded into those tasks' `depends_on` (a step group waits for the whole group
/// before it); nested templates are expanded in place. Values known at submission
/// (`{{workflow.parameters.x}}`, `{{inputs.parameters.x}}`, `{{item}}`) are substituted here;
/// results known only at run time (`{{tasks.A.outputs.result}}`) become Sluice placeholders
/// (`render_input`) or condition references. Kubernetes placement fields are accepted and
/// ignored; any other field Sluice does not run is refused with its path.
public struct ArgoTranslator {
    /// Fields of `spec` read by the translation.
    static let specFields = ["entrypoint", "arguments", "templates", "activeDeadlineSeconds", "onExit"]
    /// Kubernetes placement fields, accepted and ignored (there are no nodes or service accounts).
    public static let ignoredSpecFields = ["serviceAccountName", "nodeSelector", "tolerations", "affinity", "podMetadata", "automountServiceAccountToken", "priorityClassName", "schedulerName", "securityContext", "imagePullSecrets", "podGC", "ttlStrategy", "workflowMetadata"]
    static let templateFields = ["name", "container", "script", "dag", "steps", "suspend", "inputs", "outputs", "retryStrategy", "activeDeadlineSeconds", "metadata"]
    public static let ignoredTemplateFields = ["serviceAccountName", "nodeSelector", "tolerations", "affinity", "podSpecPatch", "securityContext", "automountServiceAccountToken", "priorityClassName", "schedulerName"]
    static let containerFields = ["image", "command", "args", "env", "workingDir", "resources", "imagePullPolicy", "name"]
    static let ignoredContainerFields = ["securityContext", "volumeMounts", "ports", "livenessProbe", "readinessProbe", "terminationMessagePath", "terminationMessagePolicy"]
    static let taskFields = ["name", "template", "arguments", "dependencies", "depends", "when", "withItems", "withParam"]
    static let stepFields = ["name", "template", "arguments", "when", "withItems", "withParam"]
    /// How deep templates may call templates (a template calling itself is refused sooner).
    static let maxDepth = Limits.argoTemplateDepth

    let workflowName: String
    let namespace: String
    let uid: String
    var templates: [String: (index: Int, value: JSONObject)] = [:]
    var issues: [ArgoIssue] = []
    var tasks: [JSONValue] = []
    var taskIDs = Set<String>()
    var taskPaths: [String] = []
    var nodes: [ArgoNodePlan] = []
    /// `link`'s look-ups, so that linking costs the same whatever the number of nodes: each
    /// node's index by id (of `nodes[..<indexedNodes]`), and each linked node's children as a
    /// set (of its first `count` children; `nodes` and children are only appended to).
    var nodeIndex: [String: Int] = [:]
    var indexedNodes = 0
    var childSets: [Int: (count: Int, ids: Set<String>)] = [:]
    var workflowParameters: [(name: String, value: String)] = []
    /// The conditions that hold a `depends` expression (which may let a task run after a
    /// dependency failed), and every condition made with one of them (`both`): a task gated by
    /// one runs once its dependencies finish however they ended (`"trigger": "all_finished"`).
    /// A set looked up exactly, not a substring search over every such condition for each task
    /// (quadratic in big DAGs).
    var failureConditions = Set<String>()
    /// Whether the expansion was stopped at `Limits.maxTranslatedTasks` (said once).
    var expandedTooMuch = false

    /// Translates `workflow`, the object of a `POST /api/v1/workflows/{namespace}` (its
    /// `metadata` already has the final `name`). `nil` `uid` for a lint.
    public static func translate(_ workflow: JSONValue, name: String, namespace: String, uid: String) -> Result<ArgoTranslation, ArgoFailure> {
        var translator = ArgoTranslator(workflowName: name, namespace: namespace, uid: uid)
        let result = translator.run(workflow)
        if !translator.issues.isEmpty { return .failure(ArgoFailure(translator.issues)) }
        guard let result else { return .failure(ArgoFailure([ArgoIssue(path: "spec", message: "the workflow could not be translated")])) }
        return .success(result)
    }

    mutating func problem(_ path: String, _ message: String) { issues.append(ArgoIssue(path: path, message: message)) }

    /// Refuses the members of `object` that are neither read nor ignored.
    mutating func rejectUnknown(_ object: JSONObject, allowed: [String], ignored: [String] = [], path: String) {
        for key in object.keys where !allowed.contains(key) && !ignored.contains(key) {
            problem(IssuePath.member(path, key), "\"\(key)\" is not supported by Sluice (supported here: \((allowed + ignored).joined(separator: ", ")))")
        }
    }

    mutating func run(_ workflow: JSONValue) -> ArgoTranslation? {
        guard case .object(let object) = workflow else {
            problem("", "expected a Workflow object, found \(workflow.kindName)")
            return nil
        }
        if let api = object["apiVersion"], api.stringValue != "argoproj.io/v1alpha1" {
            problem("apiVersion", "expected \"argoproj.io/v1alpha1\", found \(api.preview)")
        }
        if let kind = object["kind"], kind.stringValue != "Workflow" {
            problem("kind", "expected \"Workflow\", found \(kind.preview)")
        }
        guard case .object(let spec)? = object["spec"] else {
            problem("spec", object["spec"] == nil ? "required field is missing" : "expected an object, found \(object["spec"]!.kindName)")
            return nil
        }
        rejectUnknown(spec, allowed: Self.specFields, ignored: Self.ignoredSpecFields, path: "spec")
        readParameters(spec["arguments"], path: "spec.arguments")
        guard case .array(let list)? = spec["templates"], !list.isEmpty else {
            problem("spec.templates", spec["templates"] == nil ? "required field is missing; expected at least one template" : "expected a non-empty array of templates")
            return nil
        }
        for (i, t) in list.enumerated() {
            let path = "spec.templates[\(i)]"
            guard case .object(let template) = t else { problem(path, "expected a template object, found \(t.kindName)"); continue }
            guard let name = template["name"]?.stringValue, !name.isEmpty else { problem(IssuePath.member(path, "name"), "required field is missing; expected the template's name"); continue }
            if templates[name] != nil { problem(IssuePath.member(path, "name"), "template \"\(name)\" is defined twice") }
            templates[name] = (i, template)
        }
        guard let entrypoint = spec["entrypoint"]?.stringValue else {
            problem("spec.entrypoint", spec["entrypoint"] == nil ? "required field is missing; expected the name of the template to run" : "expected a template name (string)")
            return nil
        }
        guard templates[entrypoint] != nil else {
            problem("spec.entrypoint", "template \"\(entrypoint)\" does not exist; templates: \(templates.keys.sorted().joined(separator: ", "))")
            return nil
        }
        var timeout: Double?
        if let raw = spec["activeDeadlineSeconds"] {
            if let n = raw.numberValue, n > 0 { timeout = n } else { problem("spec.activeDeadlineSeconds", "expected a positive number of seconds, found \(raw.preview)") }
        }
        let scope = ArgoScope(workflowName: workflowName, namespace: namespace, uid: uid, workflowParameters: Dictionary(workflowParameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
        let main = expand(template: entrypoint, nodeName: workflowName, displayName: workflowName, arguments: [], argumentsPath: "spec.arguments", scope: scope, boundaryID: nil, after: [], condition: nil, invocationPath: "spec.entrypoint", stack: [])
        if let raw = spec["onExit"] {
            // The exit handler runs once the entrypoint has finished however it ended; its own
            // failure fails the workflow, and it handles none before it (Sluice's "finally").
            guard let handler = raw.stringValue else { problem("spec.onExit", "expected a template name, found \(raw.kindName)"); return nil }
            // {{workflow.status}}: two pure Sluice tasks after the entrypoint — a table of the
            // names, and the name for `execution.failed` when the handler starts — so that the
            // handler reads "Succeeded" or "Failed" (and can compare it in a `when`).
            let table = taskID(for: "\(workflowName).onExit-status-names")
            let status = taskID(for: "\(workflowName).onExit-status")
            var names = JSONObject()
            names.append("id", .string(table))
            names.append("type", "JSON.Build")
            names.append("input", ["fields": ["true": "Failed", "false": "Succeeded"]])
            if let exits = main?.exits, !exits.isEmpty { names.append("depends_on", .array(exits.map(JSONValue.string))) }
            names.append("trigger", "finally")
            var pick = JSONObject()
            pick.append("id", .string(status))
            pick.append("type", "JSON.Get")
            pick.append("depends_on", [.string(table)])
            pick.append("render_input", true)
            pick.append("input", ["pointer": .string("/{{\(Reference(root: .execution, path: [.member("failed")]))}}"), "as": "text"])
            tasks.append(.object(names))
            taskPaths.append("spec.onExit")
            tasks.append(.object(pick))
            taskPaths.append("spec.onExit")
            var handlerScope = scope
            handlerScope.workflowStatus = Reference(root: .task(status), path: [.member("text")])
            handlerScope.workflowFailures = Reference(root: .execution, path: [.member("failures")])
            let first = tasks.count
            _ = expand(template: handler, nodeName: "\(workflowName).onExit", displayName: "\(workflowName).onExit", arguments: [], argumentsPath: "spec.onExit", scope: handlerScope, boundaryID: nil, after: main?.exits ?? [], condition: nil, invocationPath: "spec.onExit", stack: [])
            let exits = Set(main?.exits ?? [])
            // The handler's first tasks wait for the status too (it is read when they start).
            for k in first..<tasks.count {
                guard case .object(var t) = tasks[k], let deps = t["depends_on"]?.arrayValue, deps.contains(where: { exits.contains($0.stringValue ?? "") }) else { continue }
                t = JSONObject(t.map { ($0.key, $0.key == "depends_on" ? .array(deps + [.string(status)]) : $0.value) })
                tasks[k] = .object(t)
            }
            for k in first..<tasks.count {
                guard case .object(var t) = tasks[k], let deps = t["depends_on"]?.arrayValue, deps.contains(where: { exits.contains($0.stringValue ?? "") }) else { continue }
                t.append("trigger", "finally")
                tasks[k] = .object(t)
            }
        }
        guard issues.isEmpty else { return nil }
        if tasks.isEmpty { problem("spec.templates", "the entrypoint runs no container or script") }
        var definition = JSONObject()
        definition.append("name", .string(workflowName))
        definition.append("description", .string("Argo Workflow \(namespace)/\(workflowName)"))
        definition.append("namespace", .string(namespace))
        if let timeout { definition.append("timeout_seconds", .number(timeout)) }
        definition.append("tasks", .array(tasks))
        return ArgoTranslation(definition: .object(definition), nodes: nodes, taskPaths: taskPaths, parameters: workflowParameters)
    }

    /// Reads `arguments.parameters`: `[{"name", "value"}]` (a `value` that is not a string is
    /// written as JSON text, as Argo does).
    mutating func readParameters(_ value: JSONValue?, path: String) {
        guard let value else { return }
        guard case .object(let arguments) = value else { problem(path, "expected an object with parameters, found \(value.kindName)"); return }
        rejectUnknown(arguments, allowed: ["parameters"], path: path)
        workflowParameters = readNamedValues(arguments["parameters"], path: IssuePath.member(path, "parameters"), requireValue: true)
    }

    /// Reads a list of `{"name", "value"}` (`default` too when `requireValue` is false).
    mutating func readNamedValues(_ value: JSONValue?, path: String, requireValue: Bool) -> [(name: String, value: String)] {
        guard let value, value != .null else { return [] }
        guard case .array(let items) = value else { problem(path, "expected an array of {\"name\", \"value\"}, found \(value.kindName)"); return [] }
        var out: [(String, String)] = []
        for (j, item) in items.enumerated() {
            let p = IssuePath.index(path, j)
            guard case .object(let o) = item, let name = o["name"]?.stringValue else { problem(p, "expected {\"name\": …, \"value\": …}"); continue }
            rejectUnknown(o, allowed: ["name", "value", "default", "description", "enum"], path: p)
            if out.contains(where: { $0.0 == name }) { problem(IssuePath.member(p, "name"), "parameter \"\(name)\" is listed twice") }
            let raw = o["value"] ?? o["default"]
            switch raw {
            case .string(let s)?: out.append((name, s))
            case nil, .null?:
                if requireValue { problem(IssuePath.member(p, "value"), "parameter \"\(name)\" has no value") } else { out.append((name, "\u{0}")) }
            case .some(let v): out.append((name, v.jsonString))
            }
        }
        return out
    }

    /// What an expansion left for the tasks after it: the Sluice tasks to wait for, and the
    /// Argo node that stands for it.
    struct Expansion {
        var exits: [String]
        var nodeID: String
        /// The Sluice task of a single container (for `tasks.X.outputs.result`).
        var single: String?
        /// The output parameters that container declares (`tasks.X.outputs.parameters.NAME`).
        var outputParameters: [String] = []
        /// The output artifacts that container declares (`tasks.X.outputs.artifacts.NAME`).
        var outputArtifacts: [String] = []
        /// The output parameters of a dag or steps template (`valueFrom.parameter`): each the
        /// value it names inside, as a reference to the Sluice task that makes it.
        var graphOutputs: [String: Reference] = [:]
    }

    /// Expands one call of template `name` under node `nodeName`. `after`: the Sluice tasks its
    /// first tasks wait for; `condition`: the Sluice `when` of its first tasks.
    mutating func expand(template name: String, nodeName: String, displayName: String, arguments: [(name: String, value: String)], argumentsPath: String, scope outer: ArgoScope, boundaryID: String?, after: [String], condition: String?, invocationPath: String, stack: [String], artifactArguments: [ArtifactDeclaration] = []) -> Expansion? {
        guard let (index, template) = templates[name] else {
            problem(invocationPath, "template \"\(name)\" does not exist; templates: \(templates.keys.sorted().joined(separator: ", "))")
            return nil
        }
        // Every template run makes at least one task (a container, a script or a suspend), so
        // the expansion stops here once it has made as many as a workflow may have: nested
        // `withItems` must not cost more than the limit, whatever they multiply to.
        if tasks.count >= Limits.maxTranslatedTasks {
            if !expandedTooMuch {
                expandedTooMuch = true
                problem(invocationPath, "the workflow expands to more than \(Limits.maxTranslatedTasks) containers, scripts and suspends (withItems, withParam and templates called from several places multiply them); Sluice runs at most \(Limits.maxTranslatedTasks) in one workflow: split it into several")
            }
            return nil
        }
        let path = "spec.templates[\(index)]"
        if stack.contains(name) {
            problem(invocationPath, "template \"\(name)\" calls itself (\((stack + [name]).joined(separator: " → "))); recursion is not supported")
            return nil
        }
        if stack.count >= Self.maxDepth {
            problem(invocationPath, "templates call templates at most \(Self.maxDepth) deep, the entrypoint included; this call would be the \(stack.count + 1)th (\((stack + [name]).joined(separator: " → ")))")
            return nil
        }
        rejectUnknown(template, allowed: Self.templateFields, ignored: Self.ignoredTemplateFields, path: path)
        // Inputs: declared parameters, bound from the call's arguments or their defaults.
        var scope = ArgoScope(workflowName: outer.workflowName, namespace: outer.namespace, uid: outer.uid, workflowParameters: outer.workflowParameters)
        scope.workflowStatus = outer.workflowStatus
        scope.workflowFailures = outer.workflowFailures
        var inputs: [(name: String, value: String)] = []
        var inputArtifacts: [ArtifactDeclaration] = []
        let isContainer = template["container"] != nil || template["script"] != nil
        if let raw = template["inputs"] {
            if case .object(let o) = raw {
                rejectUnknown(o, allowed: ["parameters", "artifacts"], path: IssuePath.member(path, "inputs"))
                inputArtifacts = bindInputArtifacts(o["artifacts"], path: IssuePath.member(IssuePath.member(path, "inputs"), "artifacts"), name: name, container: isContainer, arguments: artifactArguments, argumentsPath: argumentsPath, scope: outer)
                let declared = readNamedValues(o["parameters"], path: IssuePath.member(path, "inputs.parameters"), requireValue: false)
                for (j, d) in declared.enumerated() {
                    if let given = arguments.first(where: { $0.name == d.name }) {
                        inputs.append((d.name, given.value))
                    } else if d.value != "\u{0}" {
                        switch outer.substitute(d.value, path: "\(path).inputs.parameters[\(j)].value") {
                        case .success(let v): inputs.append((d.name, v))
                        case .failure(let issue): issues.append(issue)
                        }
                    } else {
                        problem(argumentsPath, "template \"\(name)\" needs input parameter \"\(d.name)\" (\(path).inputs.parameters[\(j)]), and the call gives none")
                    }
                }
                for a in arguments where !declared.contains(where: { $0.name == a.name }) {
                    problem(argumentsPath, "template \"\(name)\" has no input parameter \"\(a.name)\"")
                }
            } else {
                problem(IssuePath.member(path, "inputs"), "expected an object, found \(raw.kindName)")
            }
        } else if let extra = arguments.first {
            problem(argumentsPath, "template \"\(name)\" has no input parameter \"\(extra.name)\" (it declares no inputs)")
        }
        if (template["inputs"]?.objectValue?["artifacts"] ?? .null) == .null, let extra = artifactArguments.first {
            problem(IssuePath.member(argumentsPath, "artifacts"), "template \"\(name)\" has no input artifact \"\(extra.name)\" (it declares no inputs.artifacts)")
        }
        scope.inputs = Dictionary(inputs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        scope.item = nil
        let id = ArgoNodePlan.id(workflow: workflowName, name: nodeName)
        let kinds = ["container", "script", "dag", "steps", "suspend"].filter { template[$0] != nil }
        let graph = kinds == ["dag"] || kinds == ["steps"]
        let outputs = graph ? [] : outputParameters(template["outputs"], path: IssuePath.member(path, "outputs"), container: kinds == ["container"] || kinds == ["script"], scope: scope)
        let graphOutputs = graph ? graphOutputParameters(template["outputs"], path: IssuePath.member(path, "outputs")) : []
        let artifactOutputs = outputArtifacts(template["outputs"]?.objectValue?["artifacts"], path: IssuePath.member(IssuePath.member(path, "outputs"), "artifacts"), container: kinds == ["container"] || kinds == ["script"], scope: scope)
        guard kinds.count == 1 else {
            problem(path, kinds.isEmpty ? "template \"\(name)\" has none of container, script, dag, steps, suspend (the kinds Sluice runs; resource, http, containerSet, data and plugin are not supported)" : "template \"\(name)\" has \(kinds.joined(separator: " and ")); expected exactly one")
            return nil
        }
        switch kinds[0] {
        case "suspend":
            return expandSuspend(template, name: name, path: path, nodeID: id, nodeName: nodeName, displayName: displayName, inputs: inputs, scope: scope, boundaryID: boundaryID, after: after, condition: condition)
        case "container", "script":
            return expandContainer(template, kind: kinds[0], name: name, path: path, nodeID: id, nodeName: nodeName, displayName: displayName, inputs: inputs, outputs: outputs, inputArtifacts: inputArtifacts, outputArtifacts: artifactOutputs, scope: scope, boundaryID: boundaryID, after: after, condition: condition)
        case "dag":
            return expandDAG(template["dag"]!, name: name, path: IssuePath.member(path, "dag"), nodeID: id, nodeName: nodeName, displayName: displayName, inputs: inputs, outputs: graphOutputs, scope: scope, boundaryID: boundaryID, after: after, condition: condition, stack: stack + [name])
        default:
            return expandSteps(template["steps"]!, name: name, path: IssuePath.member(path, "steps"), nodeID: id, nodeName: nodeName, displayName: displayName, inputs: inputs, outputs: graphOutputs, scope: scope, boundaryID: boundaryID, after: after, condition: condition, stack: stack + [name])
        }
    }

    /// A Sluice task id for node `nodeName`: its name below the workflow's, in the characters
    /// task ids allow, made unique.
    mutating func taskID(for nodeName: String) -> String {
        // `hello[1].step` → `1.step`: a step group's brackets dropped.
        var base = String(nodeName.dropFirst(workflowName.count).filter { $0 != "[" && $0 != "]" }.drop { $0 == "." })
        base = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") ? $0 : "_" })
        if base.isEmpty { base = "main" }
        if base.count > 56 { base = String(base.prefix(56)) }
        var id = base
        var n = 2
        while taskIDs.contains(id) { id = "\(base)-\(n)"; n += 1 }
        taskIDs.insert(id)
        return id
    }

    mutating func substitute(_ text: String, scope: ArgoScope, path: String) -> String {
        switch scope.substitute(text, path: path) {
        case .success(let s): return s
        case .failure(let issue): issues.append(issue); return text
        }
    }

    mutating func strings(_ value: JSONValue?, scope: ArgoScope, path: String) -> [String]? {
        guard let value, value != .null else { return nil }
        guard case .array(let items) = value else { problem(path, "expected an array of strings, found \(value.kindName)"); return nil }
        var out: [String] = []
        for (j, item) in items.enumerated() {
            guard let s = item.stringValue else { problem(IssuePath.index(path, j), "expected a string, found \(item.kindName)"); continue }
            out.append(substitute(s, scope: scope, path: IssuePath.index(path, j)))
        }
        return out
    }

    mutating func expandContainer(_ template: JSONObject, kind: String, name: String, path: String, nodeID: String, nodeName: String, displayName: String, inputs: [(name: String, value: String)], outputs: [OutputParameter] = [], inputArtifacts: [ArtifactDeclaration] = [], outputArtifacts: [ArtifactDeclaration] = [], scope: ArgoScope, boundaryID: String?, after: [String], condition: String?) -> Expansion? {
        let cpath = IssuePath.member(path, kind)
        guard case .object(let container)? = template[kind] else { problem(cpath, "expected an object"); return nil }
        rejectUnknown(container, allowed: Self.containerFields + (kind == "script" ? ["source"] : []), ignored: Self.ignoredContainerFields, path: cpath)
        var parameters = JSONObject()
        guard let image = container["image"]?.stringValue else { problem(IssuePath.member(cpath, "image"), "required field is missing; expected an image such as \"busybox\""); return nil }
        parameters.append("image", .string(substitute(image, scope: scope, path: IssuePath.member(cpath, "image"))))
        if let command = strings(container["command"], scope: scope, path: IssuePath.member(cpath, "command")) { parameters.append("command", .array(command.map(JSONValue.string))) }
        if let args = strings(container["args"], scope: scope, path: IssuePath.member(cpath, "args")) { parameters.append("args", .array(args.map(JSONValue.string))) }
        if let raw = container["env"], raw != .null {
            var env = JSONObject()
            if case .array(let items) = raw {
                for (j, item) in items.enumerated() {
                    let p = IssuePath.index(IssuePath.member(cpath, "env"), j)
                    guard case .object(let e) = item, let n = e["name"]?.stringValue else { problem(p, "expected {\"name\": …, \"value\": …}"); continue }
                    rejectUnknown(e, allowed: ["name", "value"], path: p)
                    env.append(n, .string(substitute(e["value"]?.stringValue ?? "", scope: scope, path: IssuePath.member(p, "value"))))
                }
            } else {
                problem(IssuePath.member(cpath, "env"), "expected an array of {\"name\", \"value\"}, found \(raw.kindName)")
            }
            if !env.keys.isEmpty { parameters.append("env", .object(env)) }
        }
        if let dir = container["workingDir"]?.stringValue { parameters.append("working_dir", .string(substitute(dir, scope: scope, path: IssuePath.member(cpath, "workingDir")))) }
        if kind == "script" {
            guard let source = container["source"]?.stringValue else { problem(IssuePath.member(cpath, "source"), "required field is missing; expected the script"); return nil }
            parameters.append("source", .string(substitute(source, scope: scope, path: IssuePath.member(cpath, "source"))))
        }
        if case .object(let resources)? = container["resources"] {
            rejectUnknown(resources, allowed: ["limits", "requests"], path: IssuePath.member(cpath, "resources"))
            if case .object(let limits)? = resources["limits"] {
                rejectUnknown(limits, allowed: ["cpu", "memory"], path: IssuePath.member(cpath, "resources.limits"))
                parameters.append("resources", ["limits": .object(limits)])
            }
        }
        if let policy = container["imagePullPolicy"]?.stringValue {
            switch policy {
            case "Always": parameters.append("pull", "always")
            case "IfNotPresent": parameters.append("pull", "missing")
            case "Never": parameters.append("pull", "never")
            default: problem(IssuePath.member(cpath, "imagePullPolicy"), "expected Always, IfNotPresent or Never, found \"\(policy)\"")
            }
        }
        if !outputs.isEmpty {
            parameters.append("output_files", .object(JSONObject(outputs.map { ($0.name, .string($0.path)) })))
            let defaults = outputs.compactMap { o in o.defaultValue.map { (o.name, JSONValue.string($0)) } }
            if !defaults.isEmpty { parameters.append("output_defaults", .object(JSONObject(defaults))) }
        }
        // Artifacts: placed from (or saved into) Sluice's local artifact store.
        if !inputArtifacts.isEmpty {
            parameters.append("input_artifacts", .object(JSONObject(inputArtifacts.map { a in
                var o = JSONObject()
                o.append("path", .string(a.path))
                switch a.source {
                case .raw(let text)?: o.append("raw", .string(text))
                case .from(let key)?: o.append("from", .string(key))
                case nil: o.append("from", "")
                }
                if a.optional { o.append("optional", true) }
                return (a.name, .object(o))
            })))
        }
        if !outputArtifacts.isEmpty {
            parameters.append("output_artifacts", .object(JSONObject(outputArtifacts.map { a in
                (a.name, a.optional ? ["path": .string(a.path), "optional": true] : ["path": .string(a.path)])
            })))
        }
        if let raw = template["activeDeadlineSeconds"] {
            if let n = raw.numberValue ?? raw.stringValue.flatMap(Double.init), n > 0 { parameters.append("timeout_seconds", .number(min(n, 86_400))) } else { problem(IssuePath.member(path, "activeDeadlineSeconds"), "expected a positive number of seconds, found \(raw.preview)") }
        }
        let id = taskID(for: nodeName)
        var task = JSONObject()
        task.append("id", .string(id))
        task.append("type", "Container.Run")
        task.append("input", .object(parameters))
        if !after.isEmpty { task.append("depends_on", .array(after.map(JSONValue.string))) }
        if let condition {
            task.append("when", .string(condition))
            if failureConditions.contains(condition) { task.append("trigger", "all_finished") }
        }
        if JSONValue.object(parameters).jsonString.contains("{{") { task.append("render_input", true) }
        var kindOfNode = ArgoNodePlan.Kind.pod
        if let raw = template["retryStrategy"] {
            if let retry = retryPolicy(raw, path: IssuePath.member(path, "retryStrategy")) {
                task.append("retry", retry)
                kindOfNode = .retry
                // OnError and OnTransientError retry errors (the runtime could not run the
                // container), not a container that exited with a failing code.
                if let policy = raw["retryPolicy"]?.stringValue, policy == "OnError" || policy == "OnTransientError", case .object(var input)? = task["input"] {
                    input.append("retryable_exit_codes", [])
                    task = JSONObject(task.map { ($0.key, $0.key == "input" ? .object(input) : $0.value) })
                }
            }
        }
        tasks.append(.object(task))
        taskPaths.append(cpath)
        nodes.append(ArgoNodePlan(id: nodeID, name: nodeName, displayName: displayName, kind: kindOfNode, templateName: name, boundaryID: boundaryID, task: id, inputs: inputs, inputArtifacts: inputArtifacts.map { ($0.name, $0.path) }))
        return Expansion(exits: [id], nodeID: nodeID, single: id, outputParameters: outputs.map(\.name), outputArtifacts: outputArtifacts.map(\.name))
    }

    /// An output parameter of a container or script: its value is the file at `path` once the
    /// container has exited (`defaultValue` when it wrote none).
    struct OutputParameter {
        var name: String
        var path: String
        var defaultValue: String?
    }

    /// Reads a template's `outputs`: `parameters` with `valueFrom.path` (and `default`) on a
    /// container or script. Artifacts, and outputs of DAG, steps and suspend templates, are
    /// refused as not supported yet.
    mutating func outputParameters(_ raw: JSONValue?, path: String, container: Bool, scope: ArgoScope) -> [OutputParameter] {
        guard let raw, raw != .null else { return [] }
        guard case .object(let o) = raw else { problem(path, "expected an object with parameters, found \(raw.kindName)"); return [] }
        if o.keys.isEmpty { return [] }
        rejectUnknown(o, allowed: ["parameters", "artifacts"], path: path)
        guard let list = o["parameters"], list != .null else { return [] }
        let ppath = IssuePath.member(path, "parameters")
        guard container else {
            problem(ppath, "output parameters of suspend templates are not supported yet (Sluice has no supplied values); read an output parameter of a container, script, dag or steps template instead")
            return []
        }
        guard case .array(let items) = list else { problem(ppath, "expected an array of {\"name\", \"valueFrom\": {\"path\"}}, found \(list.kindName)"); return [] }
        var out: [OutputParameter] = []
        for (name, from, vpath) in outputParameterEntries(items, path: ppath, valueFrom: ["path", "default"], example: "{\"path\": \"/tmp/file\"}", missing: "(the file the container writes)") {
            guard let file = from["path"]?.stringValue else {
                problem(IssuePath.member(vpath, "path"), "required field is missing; Sluice reads output parameters from a file the container writes (valueFrom.path)")
                continue
            }
            let filePath = substitute(file, scope: scope, path: IssuePath.member(vpath, "path"))
            var defaultValue: String?
            if let d = from["default"] {
                guard let text = d.stringValue else { problem(IssuePath.member(vpath, "default"), "expected a string, found \(d.kindName)"); continue }
                defaultValue = substitute(text, scope: scope, path: IssuePath.member(vpath, "default"))
            }
            out.append(OutputParameter(name: name, path: filePath, defaultValue: defaultValue))
        }
        return out
    }

    /// The entries of an `outputs.parameters` list that have a valid, unique `name` and a
    /// `valueFrom` object (whose members other than `valueFrom` are refused); each problem is
    /// reported at its path.
    mutating func outputParameterEntries(_ items: [JSONValue], path ppath: String, valueFrom allowed: [String], example: String, missing: String) -> [(name: String, from: JSONObject, path: String)] {
        var out: [(name: String, from: JSONObject, path: String)] = []
        for (i, item) in items.enumerated() {
            let p = IssuePath.index(ppath, i)
            guard case .object(let parameter) = item else { problem(p, "expected {\"name\", \"valueFrom\": \(example)}, found \(item.kindName)"); continue }
            rejectUnknown(parameter, allowed: ["name", "valueFrom", "description"], ignored: ["globalName"], path: p)
            guard let name = parameter["name"]?.stringValue, !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                problem(IssuePath.member(p, "name"), "expected a name of letters, digits, - and _, found \(parameter["name"]?.preview ?? "none")")
                continue
            }
            if out.contains(where: { $0.name == name }) { problem(IssuePath.member(p, "name"), "output parameter \"\(name)\" is declared twice"); continue }
            let vpath = IssuePath.member(p, "valueFrom")
            guard case .object(let from)? = parameter["valueFrom"] else {
                problem(vpath, parameter["valueFrom"] == nil ? "required field is missing; expected \(example) \(missing)" : "expected an object such as \(example)")
                continue
            }
            rejectUnknown(from, allowed: allowed, path: vpath)
            out.append((name, from, vpath))
        }
        return out
    }

    /// An output parameter of a dag or steps template: `valueFrom.parameter`, one output of a
    /// task or step inside it (resolved once they are expanded: `resolveGraphOutputs`).
    struct GraphOutput {
        var name: String
        var text: String
        var path: String
    }

    /// Reads a dag or steps template's `outputs.parameters` (`valueFrom.parameter`).
    mutating func graphOutputParameters(_ raw: JSONValue?, path: String) -> [GraphOutput] {
        guard let raw, raw != .null else { return [] }
        guard case .object(let o) = raw else { problem(path, "expected an object with parameters, found \(raw.kindName)"); return [] }
        rejectUnknown(o, allowed: ["parameters", "artifacts"], path: path)
        guard let list = o["parameters"], list != .null else { return [] }
        let ppath = IssuePath.member(path, "parameters")
        guard case .array(let items) = list else { problem(ppath, "expected an array of {\"name\", \"valueFrom\": {\"parameter\"}}, found \(list.kindName)"); return [] }
        var out: [GraphOutput] = []
        for (name, from, vpath) in outputParameterEntries(items, path: ppath, valueFrom: ["parameter"], example: "{\"parameter\": \"{{tasks.NAME.outputs.parameters.P}}\"}", missing: "(a dag's or steps' output is one of its tasks' or steps')") {
            guard let text = from["parameter"]?.stringValue else {
                problem(IssuePath.member(vpath, "parameter"), from["parameter"] == nil ? "required field is missing; a dag's or steps' output parameter names an output of one of its tasks or steps (valueFrom.parameter)" : "expected a string such as \"{{tasks.NAME.outputs.result}}\"")
                continue
            }
            out.append(GraphOutput(name: name, text: text, path: IssuePath.member(vpath, "parameter")))
        }
        return out
    }

    /// The outputs of a dag or steps template as references, with the scope of its tasks or
    /// steps once they are all expanded; set on its node (`index`) for its status too.
    mutating func resolveGraphOutputs(_ outputs: [GraphOutput], scope: ArgoScope, node index: Int) -> [String: Reference] {
        var refs: [String: Reference] = [:]
        for o in outputs {
            var found: [Reference] = []
            switch scope.substitute(o.text, path: o.path, runtime: { found.append($0); return "{{\($0)}}" }) {
            case .success(let s):
                guard found.count == 1, s.trimmingCharacters(in: " ") == "{{\(found[0])}}" else {
                    problem(o.path, "expected exactly one output of a task or step of this template, such as \"{{tasks.NAME.outputs.parameters.P}}\" or \"{{steps.NAME.outputs.result}}\", found \(JSONValue.string(o.text).preview)")
                    continue
                }
                refs[o.name] = found[0]
                nodes[index].outputRefs.append((o.name, found[0]))
            case .failure(let issue): issues.append(issue)
            }
        }
        return refs
    }

    /// `retryStrategy` as Sluice's `retry`: `limit` retries after the first attempt, Argo's
    /// `backoff` (`duration`, `factor`, `maxDuration`) as the waits. `nil` when it allows none.
    mutating func retryPolicy(_ raw: JSONValue, path: String) -> JSONValue? {
        guard case .object(let o) = raw else { problem(path, "expected an object, found \(raw.kindName)"); return nil }
        rejectUnknown(o, allowed: ["limit", "retryPolicy", "backoff"], path: path)
        var limit = 0
        switch o["limit"] {
        case nil: limit = 10  // Argo retries without a limit; Sluice needs one.
        case .number(let n)? where n >= 0 && n == n.rounded(): limit = Int(n)
        case .string(let s)? where Int(s).map({ $0 >= 0 }) == true: limit = Int(s)!
        case .some(let v): problem(IssuePath.member(path, "limit"), "expected a whole number of retries, found \(v.preview)")
        }
        if limit > 99 { problem(IssuePath.member(path, "limit"), "expected at most 99 retries, found \(limit)") }
        if let policy = o["retryPolicy"]?.stringValue, !["Always", "OnFailure", "OnError", "OnTransientError"].contains(policy) {
            problem(IssuePath.member(path, "retryPolicy"), "expected Always, OnFailure, OnError or OnTransientError, found \"\(policy)\"")
        }
        var backoff = JSONObject()
        backoff.append("initial_seconds", 0.001)
        backoff.append("multiplier", 1)
        backoff.append("max_seconds", 0.001)
        if case .object(let b)? = o["backoff"] {
            rejectUnknown(b, allowed: ["duration", "factor", "maxDuration"], path: IssuePath.member(path, "backoff"))
            let initial = b["duration"].flatMap { Self.seconds($0) } ?? 0.001
            let factor = b["factor"].flatMap { $0.numberValue ?? $0.stringValue.flatMap(Double.init) } ?? 1
            let most = b["maxDuration"].flatMap { Self.seconds($0) } ?? max(initial, 300)
            if b["duration"] != nil, Self.seconds(b["duration"]!) == nil { problem(IssuePath.member(path, "backoff.duration"), "expected a duration such as \"10s\", \"2m\" or a number of seconds") }
            backoff = JSONObject()
            backoff.append("initial_seconds", .number(max(initial, 0.001)))
            backoff.append("multiplier", .number(max(1, factor)))
            backoff.append("max_seconds", .number(max(most, initial, 0.001)))
        }
        guard limit > 0 else { return nil }
        return ["max_attempts": .number(Double(limit + 1)), "backoff": .object(backoff)]
    }

    /// A Go duration (`"30s"`, `"2m"`, `"1h30m"`, `"500ms"`) or a number of seconds.
    static func seconds(_ value: JSONValue) -> Double? {
        if let n = value.numberValue { return n }
        guard let s = value.stringValue else { return nil }
        if let n = Double(s) { return n }
        var total = 0.0
        var number = ""
        var rest = Substring(s)
        while let c = rest.first {
            if c.isNumber || c == "." { number.append(c); rest = rest.dropFirst(); continue }
            guard let n = Double(number) else { return nil }
            number = ""
            if rest.hasPrefix("ms") { total += n / 1000; rest = rest.dropFirst(2) }
            else if c == "h" { total += n * 3600; rest = rest.dropFirst() }
            else if c == "m" { total += n * 60; rest = rest.dropFirst() }
            else if c == "s" { total += n; rest = rest.dropFirst() }
            else { return nil }
        }
        return number.isEmpty ? total : nil
    }

    /// A `suspend` template: a Sluice `Suspend` task, which waits until the workflow is resumed
    /// (`PUT …/resume`) or, with a `duration`, until that time has passed (a durable timer).
    mutating func expandSuspend(_ template: JSONObject, name: String, path: String, nodeID: String, nodeName: String, displayName: String, inputs: [(name: String, value: String)], scope: ArgoScope, boundaryID: String?, after: [String], condition: String?) -> Expansion? {
        let spath = IssuePath.member(path, "suspend")
        guard case .object(let suspend)? = template["suspend"] else { problem(spath, "expected an object such as {\"duration\": \"10s\"}"); return nil }
        rejectUnknown(suspend, allowed: ["duration"], path: spath)
        var seconds: Double?
        if let raw = suspend["duration"] {
            let text = raw.stringValue.map { substitute($0, scope: scope, path: IssuePath.member(spath, "duration")) }
            guard let value = Self.seconds(text.map(JSONValue.string) ?? raw), value >= 0 else {
                problem(IssuePath.member(spath, "duration"), "expected a duration such as \"10s\", \"2m\" or a number of seconds, found \(raw.preview)")
                return nil
            }
            seconds = value
        }
        let id = taskID(for: nodeName)
        var task = JSONObject()
        task.append("id", .string(id))
        task.append("type", .string(StepRegistry.suspendName))
        if let seconds { task.append("input", ["seconds": .number(seconds)]) }
        if !after.isEmpty { task.append("depends_on", .array(after.map(JSONValue.string))) }
        if let condition {
            task.append("when", .string(condition))
            if failureConditions.contains(condition) { task.append("trigger", "all_finished") }
        }
        tasks.append(.object(task))
        taskPaths.append(spath)
        nodes.append(ArgoNodePlan(id: nodeID, name: nodeName, displayName: displayName, kind: .suspend, templateName: name, boundaryID: boundaryID, task: id, inputs: inputs))
        return Expansion(exits: [id], nodeID: nodeID, single: nil)
    }
}
