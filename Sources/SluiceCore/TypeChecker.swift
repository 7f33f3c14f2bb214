/// Checks a definition against the step registry: every type exists, parameters are valid, the
/// graph is acyclic and each task's input type accepts what flows into it. Reports every problem.
public struct TypeChecker: Sendable {
    public var registry: StepRegistry

    public init(registry: StepRegistry = .builtin) { self.registry = registry }

    /// Parses and checks a JSON definition in one go.
    public func check(json: JSONValue) -> Result<WorkflowPlan, ValidationFailure> {
        let (definition, issues) = DefinitionParser.parseLeniently(json)
        guard let definition else { return .failure(.init(title: "Invalid workflow definition", issues: issues)) }
        if issues.isEmpty { return check(definition) }
        // Report the checker's findings too, except on tasks whose own shape was already wrong.
        let broken = Set(issues.map { $0.path })
        var extra: [ValidationIssue] = []
        if case .failure(let more) = check(definition) {
            extra = more.issues.filter { issue in !broken.contains(where: { !$0.isEmpty && (issue.path == $0 || issue.path.hasPrefix($0 + ".")) }) }
        }
        return .failure(.init(title: "Invalid workflow definition", issues: issues + extra))
    }

    /// Checks a parsed definition.
    public func check(_ definition: WorkflowDefinition) -> Result<WorkflowPlan, ValidationFailure> {
        var issues: [ValidationIssue] = []
        let tasks = definition.tasks
        let chain = definition.form == .steps
        var indexByID: [String: Int] = [:]
        for (i, t) in tasks.enumerated() where indexByID[t.id] == nil { indexByID[t.id] = i }

        // Step types and parameters.
        var steps: [StepType?] = []
        var parameters: [JSONValue?] = []
        for task in tasks {
            let typePath = IssuePath.member(task.path, "type")
            guard let step = registry[task.type] else {
                if task.type.isEmpty {
                    issues.append(.init(path: typePath, code: "required", message: "required field is missing; expected a step type name such as \"TextOperation.Reverse\" (GET /step-types lists them)"))
                } else {
                    let hint = registry.suggestion(for: task.type).map { "did you mean \"\($0)\"? " } ?? ""
                    issues.append(.init(path: typePath, code: "unknown_step_type", message: "unknown step type \"\(task.type)\"; \(hint)known types: \(registry.names.joined(separator: ", "))"))
                }
                steps.append(nil)
                parameters.append(nil)
                continue
            }
            steps.append(step)
            parameters.append(checkParameters(task, step: step, issues: &issues))
        }

        // Dependencies.
        var dependencies: [[Int]] = Array(repeating: [], count: tasks.count)
        var structural = false
        for (i, task) in tasks.enumerated() {
            for (j, dep) in task.dependsOn.enumerated() {
                let p = IssuePath.index(IssuePath.member(task.path, "depends_on"), j)
                if dep == task.id {
                    issues.append(.init(path: p, code: "cycle", message: "task \"\(task.id)\" depends on itself"))
                    structural = true
                } else if let k = indexByID[dep] {
                    dependencies[i].append(k)
                } else {
                    let known = tasks.map(\.id).filter { $0 != task.id && !$0.isEmpty }
                    issues.append(.init(path: p, code: "unknown_dependency", message: "unknown task \"\(dep)\"; expected one of: \(known.isEmpty ? "(no other tasks)" : known.joined(separator: ", "))"))
                    structural = true
                }
            }
            if let step = steps[i], step.input == .none, !task.dependsOn.isEmpty {
                let message = chain
                    ? "\(step.name) takes no input (it produces its value from its parameters), so it must be the first step; found it at position \(i + 1)"
                    : "\(step.name) takes no input (it produces its value from its parameters), so it must be an entry task without depends_on"
                issues.append(.init(path: task.path, code: "source_not_at_entry", message: message))
            }
        }
        var dependents: [[Int]] = Array(repeating: [], count: tasks.count)
        for (i, deps) in dependencies.enumerated() { for d in deps { dependents[d].append(i) } }

        guard !structural else { return .failure(.init(title: "Invalid workflow definition", issues: issues)) }
        guard let order = topologicalOrder(dependencies: dependencies, dependents: dependents) else {
            issues.append(cycleIssue(tasks: tasks, dependencies: dependencies))
            return .failure(.init(title: "Invalid workflow definition", issues: issues))
        }

        // Types along the edges.
        var inputShapes = [Shape?](repeating: nil, count: tasks.count)
        var outputShapes = [Shape?](repeating: nil, count: tasks.count)
        var required: [(DataType, String, Bool)] = []  // what the execution input may or must carry, which task needs it, and whether it is required
        for i in order {
            guard let step = steps[i] else { continue }
            let deps = dependencies[i]
            if deps.contains(where: { outputShapes[$0] == nil }) { continue }  // an upstream error was reported
            var merged = deps.isEmpty ? Shape(fields: [], includesExecutionInput: true) : Shape(fields: [])
            for d in deps {
                for f in outputShapes[d]!.fields where !merged.fields.contains(f) { merged.fields.append(f) }
                if outputShapes[d]!.includesExecutionInput { merged.includesExecutionInput = true }
            }
            switch step.input {
            case .none:
                inputShapes[i] = Shape(fields: [])
            case .value(let t):
                inputShapes[i] = Shape(fields: [t])
                // Dependencies merge in depends_on order, the first to carry a member winning. A
                // dependency that passes the execution input through may carry it: then the input's
                // member must have this type (and is required if nothing after it provides one).
                let sources = deps.isEmpty ? [Shape(fields: [], includesExecutionInput: true)] : deps.map { outputShapes[$0]! }
                var satisfied = false
                for shape in sources {
                    if shape.fields.contains(t) { satisfied = true; break }
                    if shape.includesExecutionInput {
                        let later = sources.drop(while: { $0 != shape }).dropFirst().contains { $0.fields.contains(t) }
                        if let k = required.firstIndex(where: { $0.0 == t }) {
                            if !later { required[k].2 = true }
                        } else {
                            required.append((t, tasks[i].path, !later))
                        }
                        satisfied = true
                        break
                    }
                }
                if !satisfied {
                    issues.append(mismatch(task: i, tasks: tasks, steps: steps, wanted: t, got: merged, deps: deps, chain: chain))
                    continue
                }
            case .any:
                inputShapes[i] = merged
            }
            switch step.output {
            case .value(let t): outputShapes[i] = Shape(fields: [t])
            case .sameAsInput: outputShapes[i] = inputShapes[i]
            }
        }

        let inputSchema = deriveInputSchema(required: required, userSchema: definition.inputSchema, issues: &issues)
        guard issues.isEmpty, !steps.contains(where: { $0 == nil }), !inputShapes.contains(where: { $0 == nil }) else {
            if issues.isEmpty { issues.append(.init(path: "", code: "invalid_body", message: "the definition could not be checked")) }
            return .failure(.init(title: "Invalid workflow definition", issues: issues))
        }

        let nodes = tasks.indices.map { i in
            WorkflowPlan.Node(
                index: i, id: tasks[i].id, step: steps[i]!, parameters: parameters[i],
                dependencies: dependencies[i], dependents: dependents[i],
                inputShape: inputShapes[i]!, outputShape: outputShapes[i]!, path: tasks[i].path
            )
        }
        var outputNodes = nodes.filter { $0.step.isOutput }.map(\.index)
        if outputNodes.isEmpty { outputNodes = nodes.filter { $0.dependents.isEmpty }.map(\.index) }
        return .success(WorkflowPlan(definition: definition, nodes: nodes, inputSchema: inputSchema, outputNodes: outputNodes))
    }

    func checkParameters(_ task: WorkflowDefinition.Task, step: StepType, issues: inout [ValidationIssue]) -> JSONValue? {
        let p = IssuePath.member(task.path, "input")
        var value = task.parameters
        if value == .null { value = nil }
        // A source's parameters may be written in wire form: {"text": "..."}.
        if step.input == .none, case .value(let t) = step.output, case .object(let o)? = value, o.count == 1, let inner = o[t.field] {
            value = inner
        }
        guard let schema = step.parameters else {
            if let value {
                issues.append(.init(path: p, code: "unexpected_parameters", message: "\(step.name) takes no parameters; its input comes from the step before it or the execution input. Remove \"input\" (found \(value.preview))"))
            }
            return nil
        }
        guard let value else {
            if step.parametersRequired {
                let expected = schema.type.map { Schema.article($0) } ?? "a value"
                let example = step.name == "StaticTextInput" ? " such as \"input\": \"Hello, world!\"" : ""
                issues.append(.init(path: p, code: "missing_parameters", message: "\(step.name) requires \"input\": expected \(expected)\(example)"))
            }
            return nil
        }
        let schemaIssues = schema.validate(value, path: p)
        issues += schemaIssues
        if schemaIssues.isEmpty, let check = step.checkParameters { issues += check(value, p) }
        return value
    }

    func mismatch(task i: Int, tasks: [WorkflowDefinition.Task], steps: [StepType?], wanted: DataType, got: Shape, deps: [Int], chain: Bool) -> ValidationIssue {
        let name = steps[i]!.name
        let message: String
        if chain, let d = deps.first {
            message = "\(name) expects \(wanted.rawValue) input, but the step before it (\(tasks[d].path), \(steps[d]!.name)) produces \(got.description); \(got.description) is not \(wanted.rawValue)"
        } else {
            let from = deps.map { "\"\(tasks[$0].id)\" (\(steps[$0]!.name))" }.joined(separator: ", ")
            message = "\(name) expects \(wanted.rawValue) input, but its dependencies \(from) produce \(got.description); \(got.description) is not \(wanted.rawValue)"
        }
        return .init(path: IssuePath.member(tasks[i].path, "type"), code: "type_mismatch", message: message)
    }

    func topologicalOrder(dependencies: [[Int]], dependents: [[Int]]) -> [Int]? {
        var remaining = dependencies.map(\.count)
        var queue = remaining.indices.filter { remaining[$0] == 0 }
        var order: [Int] = []
        var head = 0
        while head < queue.count {
            let n = queue[head]
            head += 1
            order.append(n)
            for m in dependents[n] {
                remaining[m] -= 1
                if remaining[m] == 0 { queue.append(m) }
            }
        }
        return order.count == dependencies.count ? order : nil
    }

    func cycleIssue(tasks: [WorkflowDefinition.Task], dependencies: [[Int]]) -> ValidationIssue {
        // Walk dependencies from a node on a cycle until one repeats.
        var state = [Int](repeating: 0, count: tasks.count)  // 0 new, 1 on stack, 2 done
        var stack: [Int] = []
        func visit(_ n: Int) -> [Int]? {
            state[n] = 1
            stack.append(n)
            for d in dependencies[n] {
                if state[d] == 1 { return Array(stack[stack.firstIndex(of: d)!...]) + [d] }
                if state[d] == 0, let c = visit(d) { return c }
            }
            stack.removeLast()
            state[n] = 2
            return nil
        }
        for n in tasks.indices where state[n] == 0 {
            if let cycle = visit(n) {
                let names = cycle.reversed().map { "\"\(tasks[$0].id)\"" }.joined(separator: " → ")
                let first = cycle[0]
                return .init(path: IssuePath.member(tasks[first].path, "depends_on"), code: "cycle", message: "dependency cycle: \(names); a workflow must be acyclic")
            }
        }
        return .init(path: "tasks", code: "cycle", message: "dependency cycle; a workflow must be acyclic")
    }

    func deriveInputSchema(required: [(DataType, String, Bool)], userSchema: Schema?, issues: inout [ValidationIssue]) -> Schema {
        var schema = userSchema ?? Schema(type: .object)
        schema.type = .object
        for (type, neededBy, isRequired) in required {
            if let declared = schema.property(type.field) {
                let compatible = declared.type == nil || declared.type == type.schema.type || (type == .number && declared.type == .integer)
                if !compatible {
                    issues.append(.init(path: "input_schema.properties.\(type.field).type", code: "schema_conflict", message: "\(neededBy) takes \(type.rawValue) from input.\(type.field), so expected \"\(type.schema.type!.rawValue)\", found \"\(declared.type!.rawValue)\""))
                    continue
                }
                if declared.type == nil {
                    var merged = declared
                    merged.type = type.schema.type
                    schema.setProperty(type.field, merged)
                }
            } else {
                schema.setProperty(type.field, type.schema)
            }
            if isRequired && !schema.required.contains(type.field) { schema.required.append(type.field) }
        }
        return schema
    }
}
