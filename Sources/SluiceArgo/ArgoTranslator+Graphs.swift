import SluiceCore

extension ArgoTranslator {
    /// One DAG task or step as written: its name, template, arguments and fan-out.
    struct Call {
        var name: String
        var template: String
        var object: JSONObject
        var path: String
        var dependencies: [String] = []
        /// A `depends` expression that is more than a conjunction of successes: the task runs
        /// once its dependencies have finished however they ended, if it holds.
        var depends: ArgoDepends?
    }

    /// Both conditions (either may be absent).
    static func both(_ a: String?, _ b: String?) -> String? {
        switch (a, b) {
        case (nil, nil): return nil
        case (let x?, nil), (nil, let x?): return x
        case (let x?, let y?): return "(\(x)) && (\(y))"
        }
    }

    /// Reads the common part of a DAG task or a step: `name` and `template`.
    mutating func call(_ raw: JSONValue, path: String, allowed: [String]) -> Call? {
        guard case .object(let o) = raw else { problem(path, "expected an object with name and template, found \(raw.kindName)"); return nil }
        rejectUnknown(o, allowed: allowed, path: path)
        guard let name = o["name"]?.stringValue, !name.isEmpty else { problem(IssuePath.member(path, "name"), "required field is missing; expected a name"); return nil }
        guard let template = o["template"]?.stringValue else {
            problem(IssuePath.member(path, "template"), o["templateRef"] != nil ? "templateRef names a WorkflowTemplate's template, which the server copies in before translating (this translation did not have the WorkflowTemplates)" : "required field is missing; expected the name of a template")
            return nil
        }
        return Call(name: name, template: template, object: o, path: path)
    }

    /// Expands one call with its `arguments`, `when` and `withItems`/`withParam`: one node, or a
    /// TaskGroup node with one child per item.
    mutating func expandCall(_ c: Call, nodeName: String, scope: ArgoScope, boundaryID: String, after: [String], condition: String?, stack: [String]) -> Expansion? {
        var items: [JSONValue]?
        if let raw = c.object["withItems"] {
            guard case .array(let list) = raw else { problem(IssuePath.member(c.path, "withItems"), "expected an array, found \(raw.kindName)"); return nil }
            items = list
        }
        if let raw = c.object["withParam"] {
            if items != nil { problem(IssuePath.member(c.path, "withParam"), "give either withItems or withParam, not both"); return nil }
            let p = IssuePath.member(c.path, "withParam")
            guard let text = raw.stringValue else { problem(p, "expected a string holding a JSON array, found \(raw.kindName)"); return nil }
            var runtime: [Reference] = []
            let substituted: String
            switch scope.substitute(text, path: p, runtime: { runtime.append($0); return "{{\($0)}}" }) {
            case .success(let s): substituted = s
            case .failure(let issue): issues.append(issue); return nil
            }
            if !runtime.isEmpty {
                return expandRuntimeItems(c, list: runtime, text: substituted, path: p, nodeName: nodeName, scope: scope, boundaryID: boundaryID, after: after, condition: condition, stack: stack)
            }
            guard case .array(let list)? = try? JSONParser.parse(substituted) else { problem(p, "expected a JSON array, found \(substituted.prefix(80))"); return nil }
            items = list
        }
        guard let items else {
            return expandOne(c, nodeName: nodeName, displayName: c.name, scope: scope, boundaryID: boundaryID, after: after, condition: condition, stack: stack)
        }
        let groupID = ArgoNodePlan.id(workflow: workflowName, name: nodeName)
        let groupIndex = nodes.count
        nodes.append(ArgoNodePlan(id: groupID, name: nodeName, displayName: c.name, kind: .taskGroup, templateName: c.template, boundaryID: boundaryID))
        var exits: [String] = []
        for (k, item) in items.enumerated() {
            var itemScope = scope
            itemScope.item = item
            let label = "\(c.name)(\(k):\(Template.text(for: item)))"
            let childName = nodeName.dropLast(c.name.count) + label
            guard let e = expandOne(c, nodeName: String(childName), displayName: label, scope: itemScope, boundaryID: boundaryID, after: after, condition: condition, stack: stack) else { continue }
            nodes[groupIndex].children.append(e.nodeID)
            exits += e.exits
        }
        if items.isEmpty { problem(IssuePath.member(c.path, c.object["withItems"] != nil ? "withItems" : "withParam"), "the list is empty; Sluice needs at least one item") }
        return Expansion(exits: exits, nodeID: groupID, single: nil)
    }

    /// A `withParam` over a result known only at run time (`{{tasks.gen.outputs.result}}`): a
    /// Sluice task parses the result as JSON, and the called container or script is one task
    /// with `map` over that list, its input rendered per item (`{{item}}`). Its TaskGroup node
    /// gets a Pod (or Retry) node per item once the list is known.
    mutating func expandRuntimeItems(_ c: Call, list: [Reference], text: String, path p: String, nodeName: String, scope: ArgoScope, boundaryID: String, after: [String], condition: String?, stack: [String]) -> Expansion? {
        guard list.count == 1, text.trimmingCharacters(in: " ") == "{{\(list[0])}}" else {
            problem(p, "a withParam over a result known only at run time must be exactly one variable, such as \"{{tasks.gen.outputs.result}}\" (a JSON array); found \(JSONValue.string(text).preview)")
            return nil
        }
        guard let called = templates[c.template]?.value, called["container"] != nil || called["script"] != nil else {
            if templates[c.template] != nil {
                problem(IssuePath.member(c.path, "template"), "a withParam over a result known only at run time may call a container or script template (Sluice runs it once per item); template \"\(c.template)\" is not one: give the list in a parameter, or call a container that the DAG or steps are built around")
            } else {
                problem(IssuePath.member(c.path, "template"), "template \"\(c.template)\" does not exist; templates: \(templates.keys.sorted().joined(separator: ", "))")
            }
            return nil
        }
        if tasks.count + 2 > Limits.maxTranslatedTasks { problem(p, "the workflow expands to more than \(Limits.maxTranslatedTasks) containers, scripts and suspends"); return nil }
        // The list: the result, parsed (not JSON, or not an array, fails the workflow there).
        let parseID = taskID(for: "\(nodeName).items")
        var parse = JSONObject()
        parse.append("id", .string(parseID))
        parse.append("type", "JSON.Parse")
        parse.append("input_from", ["text": .string(list[0].description)])
        if !after.isEmpty { parse.append("depends_on", .array(after.map(JSONValue.string))) }
        if let condition {
            parse.append("when", .string(condition))
            if failureConditions.contains(condition) { parse.append("trigger", "all_finished") }
        }
        tasks.append(.object(parse))
        taskPaths.append(p)
        // The container, once per item: expanded with `{{item}}` left for the map to fill in.
        var itemScope = scope
        itemScope.runtimeItem = true
        let first = nodes.count
        guard let e = expandOne(c, nodeName: nodeName, displayName: c.name, scope: itemScope, boundaryID: boundaryID, after: [parseID], condition: nil, stack: stack),
              let mapped = e.single, nodes.count == first + 1, case .object(var task)? = tasks.last, task["id"]?.stringValue == mapped else { return nil }
        task.append("map", ["over": .string(Reference(root: .task(parseID), path: [.member("json")]).description), "concurrency": .number(Double(Limits.maxMapConcurrency))])
        if JSONValue.object(task).jsonString.contains("{{") && task["render_input"] == nil { task.append("render_input", true) }
        tasks[tasks.count - 1] = .object(task)
        nodes[first].kind = .taskGroup
        nodes[first].runtimeItems = true
        return Expansion(exits: [mapped], nodeID: e.nodeID, single: nil)
    }

    mutating func expandOne(_ c: Call, nodeName: String, displayName: String, scope: ArgoScope, boundaryID: String, after: [String], condition: String?, stack: [String]) -> Expansion? {
        var arguments: [(name: String, value: String)] = []
        var artifactArguments: [ArtifactDeclaration] = []
        let argumentsPath = IssuePath.member(c.path, "arguments")
        if let raw = c.object["arguments"], raw != .null {
            guard case .object(let a) = raw else { problem(argumentsPath, "expected an object with parameters, found \(raw.kindName)"); return nil }
            rejectUnknown(a, allowed: ["parameters", "artifacts"], path: argumentsPath)
            for (j, p) in readNamedValues(a["parameters"], path: IssuePath.member(argumentsPath, "parameters"), requireValue: true).enumerated() {
                arguments.append((p.name, substitute(p.value, scope: scope, path: "\(argumentsPath).parameters[\(j)].value")))
            }
            artifactArguments = readArtifacts(a["artifacts"], path: IssuePath.member(argumentsPath, "artifacts"), role: .argument, scope: scope)
        }
        var when: String?
        if let raw = c.object["when"] {
            guard let text = raw.stringValue else { problem(IssuePath.member(c.path, "when"), "expected a condition (string), found \(raw.kindName)"); return nil }
            switch ArgoWhen.translate(text, scope: scope, path: IssuePath.member(c.path, "when")) {
            case .success(let s): when = s
            case .failure(let issue): issues.append(issue); return nil
            }
        }
        let gate = Self.both(condition, when)
        if let gate, let condition, failureConditions.contains(condition) { failureConditions.insert(gate) }
        return expand(template: c.template, nodeName: nodeName, displayName: displayName, arguments: arguments, argumentsPath: argumentsPath, scope: scope, boundaryID: boundaryID, after: after, condition: gate, invocationPath: IssuePath.member(c.path, "template"), stack: stack, artifactArguments: artifactArguments)
    }

    /// A `dag` template: its tasks in dependency order, each waiting for the Sluice tasks of
    /// those it depends on (the DAG's own first tasks wait for `after`).
    mutating func expandDAG(_ raw: JSONValue, name: String, path: String, nodeID: String, nodeName: String, displayName: String, inputs: [(name: String, value: String)], outputs: [GraphOutput] = [], scope: ArgoScope, boundaryID: String?, after: [String], condition: String?, stack: [String]) -> Expansion? {
        guard case .object(let dag) = raw else { problem(path, "expected an object with tasks, found \(raw.kindName)"); return nil }
        rejectUnknown(dag, allowed: ["tasks"], path: path)
        guard case .array(let list)? = dag["tasks"], !list.isEmpty else { problem(IssuePath.member(path, "tasks"), "expected a non-empty array of tasks"); return nil }
        var calls: [Call] = []
        var seen = Set<String>()
        for (i, raw) in list.enumerated() {
            let p = IssuePath.index(IssuePath.member(path, "tasks"), i)
            guard let c = call(raw, path: p, allowed: Self.taskFields) else { continue }
            if !seen.insert(c.name).inserted { problem(IssuePath.member(p, "name"), "task \"\(c.name)\" is defined twice") }
            calls.append(c)
        }
        let names = Set(calls.map(\.name))
        for i in calls.indices {
            let c = calls[i]
            if c.object["dependencies"] != nil && c.object["depends"] != nil {
                problem(IssuePath.member(c.path, "depends"), "give either dependencies or depends, not both")
                continue
            }
            if let raw = c.object["dependencies"] {
                let p = IssuePath.member(c.path, "dependencies")
                guard case .array(let deps) = raw else { problem(p, "expected an array of task names, found \(raw.kindName)"); continue }
                for (j, d) in deps.enumerated() {
                    guard let s = d.stringValue else { problem(IssuePath.index(p, j), "expected a task name, found \(d.kindName)"); continue }
                    if !names.contains(s) { problem(p, "task \"\(s)\" does not exist") } else if !calls[i].dependencies.contains(s) { calls[i].dependencies.append(s) }
                }
            }
            if let raw = c.object["depends"] {
                let p = IssuePath.member(c.path, "depends")
                guard let text = raw.stringValue else { problem(p, "expected an expression such as \"A && B.Succeeded\", found \(raw.kindName)"); continue }
                switch ArgoDepends.parse(text) {
                case .failure(let error): problem(p, "\(text): \(error.message)")
                case .success(let expression):
                    for n in expression.taskNames where !names.contains(n) { problem(p, "task \"\(n)\" does not exist") }
                    if let deps = expression.conjunctionOfSuccesses {
                        calls[i].dependencies = deps
                    } else {
                        calls[i].dependencies = expression.taskNames.filter(names.contains)
                        calls[i].depends = expression
                    }
                }
            }
        }
        // Dependency order; a cycle is refused.
        // Each time the first task (in the order written) whose dependencies are placed, as a
        // scan from the start each time did, but kept in a heap: a scan per task was quadratic.
        var order: [Int] = []
        var placed = Set<String>()
        var dependants: [String: [Int]] = [:]
        var waiting: [Int] = []
        var ready = MinHeap()
        for i in calls.indices {
            let unique = Set(calls[i].dependencies)
            waiting.append(unique.count)
            for d in unique { dependants[d, default: []].append(i) }
            if unique.isEmpty { ready.push(i) }
        }
        while let next = ready.pop() {
            // A name defined twice: only its first task counts, as the scan placed it.
            guard placed.insert(calls[next].name).inserted else { continue }
            order.append(next)
            for j in dependants[calls[next].name] ?? [] {
                waiting[j] -= 1
                if waiting[j] == 0 { ready.push(j) }
            }
        }
        if order.count < calls.count {
            let left = calls.filter { !placed.contains($0.name) }.map(\.name)
            if issues.isEmpty { problem(IssuePath.member(path, "tasks"), "the dependencies form a cycle among \(left.joined(separator: ", "))") }
            return nil
        }
        let index = nodes.count
        nodes.append(ArgoNodePlan(id: nodeID, name: nodeName, displayName: displayName, kind: .dag, templateName: name, boundaryID: boundaryID, inputs: inputs))
        var expansions: [String: Expansion] = [:]
        var exitsByName: [String: [String]] = [:]  // expansions' exits, kept rather than copied per `depends`
        var taskScope = scope
        for i in order {
            let c = calls[i]
            var waits: [String] = []
            var waited = Set<String>()
            for d in c.dependencies { for e in expansions[d]?.exits ?? [] where waited.insert(e).inserted { waits.append(e) } }
            let root = c.dependencies.isEmpty
            var gate = root ? condition : nil
            if let depends = c.depends {
                let native = Self.condition(depends, exits: exitsByName)
                failureConditions.insert(native)
                gate = native
            }
            guard let e = expandCall(c, nodeName: "\(nodeName).\(c.name)", scope: taskScope, boundaryID: nodeID, after: root ? after : waits, condition: gate, stack: stack) else { continue }
            expansions[c.name] = e
            exitsByName[c.name] = e.exits
            if !e.graphOutputs.isEmpty { taskScope.graphOutputs["tasks.\(c.name)"] = e.graphOutputs }
            if let single = e.single {
                taskScope.tasks[c.name] = single
                taskScope.outputParameters["tasks.\(c.name)"] = e.outputParameters
                taskScope.outputArtifacts["tasks.\(c.name)"] = e.outputArtifacts
            }
        }
        guard expansions.count == calls.count else { return nil }
        // Children as Argo links them: the DAG to its first tasks, each task to its dependants.
        for c in calls where c.dependencies.isEmpty { nodes[index].children.append(expansions[c.name]!.nodeID) }
        for c in calls {
            for d in c.dependencies {
                link(expansions[d]!.nodeID, to: expansions[c.name]!.nodeID)
            }
        }
        let depended = Set(calls.flatMap(\.dependencies))
        var exits: [String] = []
        for c in calls where !depended.contains(c.name) { exits += expansions[c.name]!.exits }
        return Expansion(exits: exits, nodeID: nodeID, single: nil, graphOutputs: resolveGraphOutputs(outputs, scope: taskScope, node: index))
    }

    /// A `steps` template: its groups one after another, the steps of a group in parallel.
    mutating func expandSteps(_ raw: JSONValue, name: String, path: String, nodeID: String, nodeName: String, displayName: String, inputs: [(name: String, value: String)], outputs: [GraphOutput] = [], scope: ArgoScope, boundaryID: String?, after: [String], condition: String?, stack: [String]) -> Expansion? {
        guard case .array(let groups) = raw, !groups.isEmpty else { problem(path, "expected a non-empty array of step groups (each an array of steps)"); return nil }
        let index = nodes.count
        nodes.append(ArgoNodePlan(id: nodeID, name: nodeName, displayName: displayName, kind: .steps, templateName: name, boundaryID: boundaryID, inputs: inputs))
        var waits = after
        var stepScope = scope
        var previousGroup: Int?
        for (g, rawGroup) in groups.enumerated() {
            let gp = IssuePath.index(path, g)
            guard case .array(let steps) = rawGroup, !steps.isEmpty else { problem(gp, "expected a non-empty array of steps, found \(rawGroup.kindName)"); return nil }
            let groupName = "\(nodeName)[\(g)]"
            let groupID = ArgoNodePlan.id(workflow: workflowName, name: groupName)
            let groupIndex = nodes.count
            nodes.append(ArgoNodePlan(id: groupID, name: groupName, displayName: "[\(g)]", kind: .stepGroup, templateName: name, boundaryID: nodeID))
            if let previousGroup {
                for child in nodes[previousGroup].children { link(child, to: groupID) }
            } else {
                nodes[index].children.append(groupID)
            }
            var exits: [String] = []
            var singles: [(String, String)] = []
            var groupOutputs: [(String, [String: Reference])] = []
            var seen = Set<String>()
            for (s, rawStep) in steps.enumerated() {
                guard let c = call(rawStep, path: IssuePath.index(gp, s), allowed: Self.stepFields) else { continue }
                if !seen.insert(c.name).inserted { problem(IssuePath.member(c.path, "name"), "step \"\(c.name)\" is defined twice in this group") }
                guard let e = expandCall(c, nodeName: "\(groupName).\(c.name)", scope: stepScope, boundaryID: nodeID, after: waits, condition: g == 0 ? condition : nil, stack: stack) else { continue }
                nodes[groupIndex].children.append(e.nodeID)
                exits += e.exits
                if !e.graphOutputs.isEmpty { groupOutputs.append((c.name, e.graphOutputs)) }
                if let single = e.single {
                    singles.append((c.name, single))
                    stepScope.outputParameters["steps.\(c.name)"] = e.outputParameters
                    stepScope.outputArtifacts["steps.\(c.name)"] = e.outputArtifacts
                }
            }
            for (n, s) in singles { stepScope.steps[n] = s }
            for (n, o) in groupOutputs { stepScope.graphOutputs["steps.\(n)"] = o }
            waits = exits
            previousGroup = groupIndex
        }
        return Expansion(exits: waits, nodeID: nodeID, single: nil, graphOutputs: resolveGraphOutputs(outputs, scope: stepScope, node: index))
    }

    /// Makes `child` a child of node `parent` as Argo links what runs after it: a TaskGroup's
    /// items each lead to it.
    mutating func link(_ parent: String, to child: String) {
        while indexedNodes < nodes.count {
            if nodeIndex[nodes[indexedNodes].id] == nil { nodeIndex[nodes[indexedNodes].id] = indexedNodes }
            indexedNodes += 1
        }
        guard let k = nodeIndex[parent] else { return }
        if nodes[k].kind == .taskGroup, !nodes[k].runtimeItems {
            for item in nodes[k].children { link(item, to: child) }
            return
        }
        var known = childSets[k] ?? (0, [])
        if known.count < nodes[k].children.count {
            known.ids.formUnion(nodes[k].children[known.count...])
            known.count = nodes[k].children.count
        }
        if known.ids.insert(child).inserted {
            nodes[k].children.append(child)
            known.count += 1
        }
        childSets[k] = known
    }

    /// A `depends` expression as a Sluice condition over the statuses of the tasks that run the
    /// named ones (`A.Failed` → `status.A == "FAILED"`; a bare `A` is `A.Succeeded || A.Skipped`,
    /// as in Argo). A name that runs several tasks (items, a nested template) succeeded when all
    /// of them did and failed when any did. Sluice has no Error or Daemoned phase: `.Errored` and
    /// `.Daemoned` are false.
    static func condition(_ e: ArgoDepends, exits: [String: [String]]) -> String {
        switch e {
        case .not(let x): return "!(\(condition(x, exits: exits)))"
        case .and(let a, let b): return "(\(condition(a, exits: exits))) && (\(condition(b, exits: exits)))"
        case .or(let a, let b): return "(\(condition(a, exits: exits))) || (\(condition(b, exits: exits)))"
        case .task(let name, let result):
            let ids = exits[name] ?? []
            func status(_ id: String, _ values: [String]) -> String {
                let r = Reference(root: .status(id)).description
                return "(" + values.map { "\(r) == \"\($0)\"" }.joined(separator: " || ") + ")"
            }
            func all(_ values: [String]) -> String { ids.isEmpty ? "false" : ids.map { status($0, values) }.joined(separator: " && ") }
            func any(_ values: [String]) -> String { ids.isEmpty ? "false" : "(" + ids.map { status($0, values) }.joined(separator: " || ") + ")" }
            switch result {
            case nil: return all(["COMPLETED", "SKIPPED"])
            case "Succeeded"?: return all(["COMPLETED"])
            case "Failed"?: return any(["FAILED"])
            case "Skipped"?: return all(["SKIPPED"])
            case "Completed"?: return all(["COMPLETED", "FAILED"])
            case "AnySucceeded"?: return any(["COMPLETED"])
            case "AllFailed"?: return all(["FAILED"])
            default: return "false"
            }
        }
    }
}

/// The smallest of a set of indexes first (`expandDAG`'s order).
struct MinHeap {
    private var items: [Int] = []

    mutating func push(_ x: Int) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent] <= items[i] { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, items[l] < items[m] { m = l }
                if r < items.count, items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
