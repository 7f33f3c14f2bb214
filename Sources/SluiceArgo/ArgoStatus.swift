import SluiceCore

/// A Sluice execution's state as Argo's `status`: `phase` (never empty: `Running` until the
/// execution ends, then `Succeeded`, `Failed` or `Error`), `startedAt`/`finishedAt` (RFC 3339,
/// UTC, `Z`), `progress` (`"N/M"`: containers finished of those that run), `message`, and
/// `nodes` keyed by node id, laid out as the translation planned them. Pure.
public enum ArgoStatus {
    /// The workflow's phase for an execution status.
    public static func phase(_ status: ExecutionStatus) -> String {
        switch status {
        case .pending, .running: return "Running"
        case .completed: return "Succeeded"
        case .failed: return "Failed"
        case .cancelled: return "Failed"
        }
    }

    /// RFC 3339 in UTC with `Z`, to the second, as Kubernetes writes times.
    public static func time(_ milliseconds: Int64) -> String {
        let full = Timestamp.format(milliseconds: milliseconds)
        // `2026-12-03T01:02:03.456Z` → `2026-12-03T01:02:03Z`
        if let dot = full.firstIndex(of: ".") { return String(full[..<dot]) + "Z" }
        return full
    }

    /// A Pod node's phase and message for its task.
    static func podPhase(_ task: ArgoExecutionState.Task?, executionFinished: Bool) -> (phase: String, message: String?, kind: ArgoNodePlan.Kind?) {
        guard let task else { return (executionFinished ? "Omitted" : "Pending", nil, nil) }
        switch task.status {
        case .pending: return ("Pending", nil, nil)
        case .running, .retrying: return ("Running", nil, nil)
        case .completed: return ("Succeeded", nil, nil)
        case .failed: return ("Failed", task.error?["message"]?.stringValue, nil)
        case .cancelled: return ("Failed", "Stopped: the workflow was stopped or deleted", nil)
        case .skipped:
            let code = task.error?["code"]?.stringValue
            let message = task.error?["message"]?.stringValue
            // A `when` that was false: Argo's Skipped node; one left out after a failure: Omitted.
            if code == "condition_false" {
                let prefix = "skipped: its condition was false: "
                return ("Skipped", message.map { "when " + ($0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0) + " evaluated false" }, .skipped)
            }
            return ("Omitted", message, .skipped)
        }
    }

    /// The exit code a finished task's container gave: from its output, or from the failure
    /// message (`… exited with code 3; …`).
    static func exitCode(_ task: ArgoExecutionState.Task) -> String? {
        if let n = task.output?["json"]?["exit_code"]?.numberValue { return String(Int(n)) }
        guard let message = task.error?["message"]?.stringValue, let r = message.firstRange(of: "exited with code ") else { return nil }
        let digits = message[r.upperBound...].prefix { $0.isNumber || $0 == "-" }
        return digits.isEmpty ? nil : String(digits)
    }

    /// The Pod nodes of a TaskGroup whose items are known at run time (`plan.runtimeItems`), from
    /// its mapped task: the items of the list it was given, `name(k:item)` as Argo names them.
    /// The map commits its results together, so while it runs every item shows Running; once it
    /// has completed each shows its result; when an item failed (`item 3: …`) that one is Failed
    /// and the others, stopped with it, Omitted.
    static func itemNodes(_ plan: ArgoNodePlan, _ task: ArgoExecutionState.Task, workflow: String, base: (ArgoNodePlan, ArgoNodePlan.Kind) -> JSONObject) -> [(id: String, phase: String, node: JSONObject)] {
        guard case .array(let items)? = task.input?["list"] else { return [] }
        let results: [JSONValue]? = { if case .array(let r)? = task.output?["list"] { return r } else { return nil } }()
        let message = task.error?["message"]?.stringValue
        var failedItem: Int?
        if task.status == .failed, let message, message.hasPrefix("item ") {
            failedItem = Int(message.dropFirst(5).prefix { $0.isNumber })
        }
        var out: [(id: String, phase: String, node: JSONObject)] = []
        out.reserveCapacity(items.count)
        for (k, item) in items.enumerated() {
            let itemPlan = itemNode(plan, k, item, workflow: workflow)
            var o = base(itemPlan, .pod)
            let phase: String
            var itemMessage: String?
            switch task.status {
            case .completed: phase = "Succeeded"
            case .failed:
                if let failedItem { phase = k == failedItem ? "Failed" : "Omitted" } else { phase = "Failed" }
                itemMessage = phase == "Failed" ? message : "stopped when item \(failedItem ?? 0) failed"
            case .cancelled: phase = "Failed"; itemMessage = "Stopped: the workflow was stopped or deleted"
            case .running, .retrying, .pending: phase = "Running"
            case .skipped: phase = "Omitted"
            }
            o.append("phase", .string(phase))
            if let s = task.startedAt { o.append("startedAt", .string(time(s))) }
            if let c = task.completedAt, task.status.isTerminal { o.append("finishedAt", .string(time(c))) }
            if let itemMessage { o.append("message", .string(itemMessage)) }
            if let results, k < results.count {
                var outputs = JSONObject()
                if let r = results[k]["result"] { outputs.append("result", r) }
                if let n = results[k]["exit_code"]?.numberValue { outputs.append("exitCode", .string(String(Int(n)))) }
                if case .object(let files)? = results[k]["files"], !files.keys.isEmpty {
                    outputs.append("parameters", .array(files.map { .object(JSONObject([("name", .string($0.key)), ("value", $0.value)])) }))
                }
                if !outputs.keys.isEmpty { o.append("outputs", .object(outputs)) }
            }
            if phase != "Omitted" { o.append("progress", .string(phase == "Succeeded" || phase == "Failed" ? "1/1" : "0/1")) }
            if !plan.children.isEmpty { o.append("children", .array(plan.children.map(JSONValue.string))) }
            out.append((itemPlan.id, phase, o))
        }
        return out
    }

    /// Item `k` of the TaskGroup `plan` of a run-time withParam: a Pod node `name(k:item)`, as
    /// Argo names the items of a loop, with its inputs filled in with the item.
    public static func itemNode(_ plan: ArgoNodePlan, _ k: Int, _ item: JSONValue, workflow: String) -> ArgoNodePlan {
        let label = "(\(k):\(Template.text(for: item)))"
        var itemPlan = ArgoNodePlan(id: ArgoNodePlan.id(workflow: workflow, name: plan.name + label), name: plan.name + label, displayName: plan.displayName + label, kind: .pod, templateName: plan.templateName, boundaryID: plan.boundaryID)
        itemPlan.inputs = plan.inputs.map { p in p.value.contains("{{item") ? (p.name, fillItem(p.value, item, workflow: workflow)) : p }
        return itemPlan
    }

    /// `text` with its `{{item}}` and `{{item.key}}` placeholders filled in with `item`; other
    /// placeholders (results known at run time) are left as they are.
    static func fillItem(_ text: String, _ item: JSONValue, workflow: String) -> String {
        var scope = ArgoScope(workflowName: workflow, namespace: "", uid: "", workflowParameters: [:])
        scope.item = item
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            let inside = rest[open.upperBound...]
            guard let close = inside.firstRange(of: "}}") else { return out + rest[open.lowerBound...] }
            let name = String(inside[..<close.lowerBound]).trimmingCharacters(in: " ")
            if name == "item" || name.hasPrefix("item."), case .success(let v) = scope.value(of: name, runtime: { "{{\($0)}}" }) {
                out += v
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = inside[close.upperBound...]
        }
        return out + rest
    }

    /// `status` for `nodes` run by `execution` (`nil` before the execution exists: Pending nodes).
    public static func status(workflow: String, nodes plans: [ArgoNodePlan], execution: ArgoExecutionState?) -> JSONValue {
        let finished = execution?.status.isTerminal ?? false
        var nodeValues: [String: JSONObject] = [:]
        var phases: [String: String] = [:]
        var times: [String: (Int64?, Int64?)] = [:]
        var podsTotal = 0
        var podsDone = 0
        var extra: [(String, JSONObject)] = []
        let byID = Dictionary(plans.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

        func base(_ plan: ArgoNodePlan, kind: ArgoNodePlan.Kind) -> JSONObject {
            var o = JSONObject()
            o.append("id", .string(plan.id))
            o.append("name", .string(plan.name))
            o.append("displayName", .string(plan.displayName))
            o.append("type", .string(kind.rawValue))
            if let t = plan.templateName { o.append("templateName", .string(t)); o.append("templateScope", .string("local/\(workflow)")) }
            if let b = plan.boundaryID { o.append("boundaryID", .string(b)) }
            if !plan.inputs.isEmpty || !plan.inputArtifacts.isEmpty {
                var inputs = JSONObject()
                if !plan.inputs.isEmpty { inputs.append("parameters", .array(plan.inputs.map { ["name": .string($0.name), "value": .string($0.value)] })) }
                if !plan.inputArtifacts.isEmpty { inputs.append("artifacts", .array(plan.inputArtifacts.map { ["name": .string($0.name), "path": .string($0.path)] })) }
                o.append("inputs", .object(inputs))
            }
            return o
        }

        // Leaves first (Pods, Retries and their attempts), then the nodes that hold them.
        for plan in plans where plan.task != nil {
            let task = execution?.tasks[plan.task!]
            let (phase, message, override) = podPhase(task, executionFinished: finished)
            if plan.runtimeItems {
                // A withParam over a run-time result: a Pod per item of the mapped task's list.
                var group = plan
                group.inputs = []
                var o = base(group, kind: override ?? .taskGroup)
                o.append("phase", .string(phase))
                if let s = task?.startedAt { o.append("startedAt", .string(time(s))) }
                if let c = task?.completedAt, task?.status.isTerminal == true { o.append("finishedAt", .string(time(c))) }
                if let message { o.append("message", .string(message)) }
                let items = task.map { itemNodes(plan, $0, workflow: workflow, base: base) } ?? []
                for item in items {
                    extra.append((item.id, item.node))
                    if item.phase != "Omitted" {
                        podsTotal += 1
                        if item.phase == "Succeeded" || item.phase == "Failed" { podsDone += 1 }
                    }
                }
                let done = items.filter { $0.phase == "Succeeded" || $0.phase == "Failed" }.count
                o.append("progress", .string("\(done)/\(items.filter { $0.phase != "Omitted" }.count)"))
                let children = items.isEmpty ? plan.children : items.map(\.id)
                if !children.isEmpty { o.append("children", .array(children.map(JSONValue.string))) }
                nodeValues[plan.id] = o
                phases[plan.id] = phase
                times[plan.id] = (task?.startedAt, task?.status.isTerminal == true ? task?.completedAt : nil)
                continue
            }
            var o = base(plan, kind: override ?? plan.kind)
            o.append("phase", .string(phase))
            if let s = task?.startedAt { o.append("startedAt", .string(time(s))) }
            if let c = task?.completedAt, task?.status.isTerminal == true { o.append("finishedAt", .string(time(c))) }
            if let message { o.append("message", .string(message)) }
            if plan.kind != .suspend, let task, task.status == .completed || task.status == .failed {
                var outputs = JSONObject()
                if let r = task.output?["json"]?["result"] { outputs.append("result", r) }
                if let code = exitCode(task) { outputs.append("exitCode", .string(code)) }
                // Output parameters (`valueFrom.path`): the files the container wrote, in the
                // order the template declares them.
                if case .object(let files)? = task.output?["json"]?["files"], !files.keys.isEmpty {
                    outputs.append("parameters", .array(files.map { .object(JSONObject([("name", .string($0.key)), ("value", $0.value)])) }))
                }
                // Output artifacts saved into the local store: name and path, as Argo shows an
                // artifact (no repository key: it is downloaded from this server).
                if case .object(let saved)? = task.output?["json"]?["artifacts"], !saved.keys.isEmpty {
                    outputs.append("artifacts", .array(saved.map { .object(JSONObject([("name", .string($0.key)), ("path", $0.value["path"] ?? .string(""))])) }))
                }
                if !outputs.keys.isEmpty { o.append("outputs", .object(outputs)) }
            }
            if phase != "Skipped" && phase != "Omitted" && plan.kind != .suspend {
                podsTotal += 1
                if phase == "Succeeded" || phase == "Failed" { podsDone += 1 }
                o.append("progress", .string(phase == "Succeeded" || phase == "Failed" ? "1/1" : "0/1"))
            }
            if plan.kind == .retry && override == nil {
                // One Pod child per attempt: the failed ones from the history, then the current.
                var children: [String] = []
                var failed = task?.failedAttempts ?? []
                // A task that failed for good has its last attempt in the history too: it is
                // the current child, not one more (CI on podman: 4 children for 3 attempts).
                if let task, task.status == .failed, let attempt = task.attempt, failed.last?["attempt"]?.numberValue == Double(attempt) { failed.removeLast() }
                for (k, attempt) in failed.enumerated() {
                    let childName = "\(plan.name)(\(k))"
                    let childID = ArgoNodePlan.id(workflow: workflow, name: childName)
                    var c = base(ArgoNodePlan(id: childID, name: childName, displayName: "\(plan.displayName)(\(k))", kind: .pod, templateName: plan.templateName, boundaryID: plan.boundaryID), kind: .pod)
                    c.append("phase", "Failed")
                    if let s = attempt["started_at"]?.stringValue { c.append("startedAt", .string(s.split(separator: ".").first.map { $0 + "Z" } ?? s)) }
                    if let f = attempt["completed_at"]?.stringValue { c.append("finishedAt", .string(f.split(separator: ".").first.map { $0 + "Z" } ?? f)) }
                    if let m = attempt["error"]?["message"]?.stringValue { c.append("message", .string(m)) }
                    children.append(childID)
                    extra.append((childID, c))
                }
                if let task, task.status != .pending, task.status != .retrying {
                    let k = failed.count
                    let childName = "\(plan.name)(\(k))"
                    let childID = ArgoNodePlan.id(workflow: workflow, name: childName)
                    var c = base(ArgoNodePlan(id: childID, name: childName, displayName: "\(plan.displayName)(\(k))", kind: .pod, templateName: plan.templateName, boundaryID: plan.boundaryID), kind: .pod)
                    c.append("phase", .string(phase))
                    if let s = task.startedAt { c.append("startedAt", .string(time(s))) }
                    if let f = task.completedAt, task.status.isTerminal { c.append("finishedAt", .string(time(f))) }
                    if let message { c.append("message", .string(message)) }
                    if let outputs = o["outputs"] { c.append("outputs", outputs) }
                    children.append(childID)
                    extra.append((childID, c))
                }
                o.append("children", .array((children + plan.children).map(JSONValue.string)))
            } else if !plan.children.isEmpty {
                o.append("children", .array(plan.children.map(JSONValue.string)))
            }
            nodeValues[plan.id] = o
            phases[plan.id] = phase
            times[plan.id] = (task?.startedAt, task?.status.isTerminal == true ? task?.completedAt : nil)
        }
        // Holders (DAG, Steps, StepGroup, TaskGroup): from the leaves below them. The leaves inside
        // each DAG or Steps node are gathered in one pass up each leaf's chain of boundaries (a
        // scan of every plan per holder made a read of a withItems over a DAG template quadratic:
        // 3 s for 3,000 items).
        var inside: [String: [String]] = [:]
        for plan in plans where plan.task != nil {
            var b = plan.boundaryID
            var hops = 0
            while let id = b, hops < 64 {
                inside[id, default: []].append(plan.id)
                b = byID[id]?.boundaryID
                hops += 1
            }
        }
        func leaves(of id: String, depth: Int = 0) -> [String] {
            guard let plan = byID[id], depth < 64 else { return [] }
            if plan.task != nil { return [id] }
            switch plan.kind {
            case .dag, .steps: return inside[id] ?? []
            default: return plan.children.flatMap { leaves(of: $0, depth: depth + 1) }
            }
        }
        for plan in plans where plan.task == nil {
            let below = leaves(of: plan.id)
            let ps = below.compactMap { phases[$0] }
            var phase: String
            if ps.isEmpty { phase = finished ? "Omitted" : "Pending" }
            else if ps.contains("Running") || (ps.contains("Pending") && !finished) { phase = "Running" }
            else if ps.contains("Failed") || ps.contains("Error") { phase = "Failed" }
            else if ps.allSatisfy({ $0 == "Skipped" || $0 == "Omitted" }) { phase = "Skipped" }
            else { phase = "Succeeded" }
            var o = base(plan, kind: plan.kind)
            // The root follows the workflow once it has ended (a failure a `depends` handled
            // does not fail it, as Argo decides a DAG by its last tasks).
            if plan.id == workflow, let execution, execution.status.isTerminal { phase = Self.phase(execution.status) }
            o.append("phase", .string(phase))
            let starts = below.compactMap { times[$0]?.0 }
            let ends = below.compactMap { times[$0]?.1 }
            if let s = starts.min() { o.append("startedAt", .string(time(s))) } else if plan.boundaryID == nil, let s = execution?.startedAt ?? execution?.createdAt { o.append("startedAt", .string(time(s))) }
            if phase != "Running" && phase != "Pending", let e = ends.max() { o.append("finishedAt", .string(time(e))) }
            if !plan.children.isEmpty { o.append("children", .array(plan.children.map(JSONValue.string))) }
            // A dag's or steps' output parameters: the task outputs they name, once made.
            let values = plan.outputRefs.compactMap { out -> JSONValue? in
                guard let id = out.reference.taskID, let output = execution?.tasks[id]?.output, let v = out.reference.resolve(in: output) else { return nil }
                return .object(JSONObject([("name", .string(out.name)), ("value", .string(Template.text(for: v)))]))
            }
            if !values.isEmpty { o.append("outputs", ["parameters": .array(values)]) }
            let done = below.filter { phases[$0] == "Succeeded" || phases[$0] == "Failed" }.count
            let total = below.filter { phases[$0] != "Skipped" && phases[$0] != "Omitted" }.count
            o.append("progress", .string("\(done)/\(total)"))
            nodeValues[plan.id] = o
            phases[plan.id] = phase
            times[plan.id] = (starts.min(), ends.max())
        }

        var nodes = JSONObject()
        for plan in plans { if let o = nodeValues[plan.id] { nodes.append(plan.id, .object(o)) } }
        for (id, o) in extra { nodes.append(id, .object(o)) }

        var status = JSONObject()
        let phase = execution.map { Self.phase($0.status) } ?? "Running"
        status.append("phase", .string(phase))
        if let execution {
            status.append("startedAt", .string(time(execution.startedAt ?? execution.createdAt)))
            if execution.status.isTerminal { status.append("finishedAt", .string(time(execution.completedAt ?? execution.startedAt ?? execution.createdAt))) }
        }
        status.append("progress", .string("\(podsDone)/\(podsTotal)"))
        if let execution, execution.status == .failed || execution.status == .cancelled {
            status.append("message", .string(execution.message ?? (execution.status == .cancelled ? "Stopped" : "Failed")))
        }
        status.append("nodes", .object(nodes))
        return .object(status)
    }
}
