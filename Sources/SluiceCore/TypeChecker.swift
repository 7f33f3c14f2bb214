/// Checks a definition against the step registry: every type exists, parameters are valid, the
/// graph is acyclic and each task's input type accepts what flows into it. Reports every problem.
public struct TypeChecker: Sendable {
    public var registry: StepRegistry
    /// The plans of the workflows that `Workflow.Run` tasks may run, by id (loaded by the caller).
    public var workflows: [String: WorkflowPlan]
    /// The most steps or tasks a definition may have: `Limits.maxTasks` for what a client sends,
    /// `Limits.maxTranslatedTasks` for what the server wrote itself (an Argo Workflow's tasks).
    public var maxTasks = Limits.maxTasks

    public init(registry: StepRegistry = .builtin, workflows: [String: WorkflowPlan] = [:]) {
        self.registry = registry
        self.workflows = workflows
    }

    /// Parses and checks a JSON definition in one go. A failure lists at most
    /// `ValidationFailure.maxIssues` problems (see `ValidationFailure.limited()`).
    public func check(json: JSONValue) -> Result<WorkflowPlan, ValidationFailure> {
        let (definition, issues) = DefinitionParser.parseLeniently(json, maxTasks: maxTasks)
        guard let definition else { return .failure(ValidationFailure(title: "Invalid workflow definition", issues: issues).limited()) }
        if issues.isEmpty { return checkAll(definition).mapError { $0.limited() } }
        // Report the checker's findings too, except on tasks whose own shape was already wrong.
        let broken = Set(issues.compactMap { $0.path.isEmpty ? nil : Substring($0.path) })
        var extra: [ValidationIssue] = []
        if case .failure(let more) = checkAll(definition) {
            extra = more.issues.filter { !Self.isUnder($0.path, anyOf: broken) }
        }
        return .failure(ValidationFailure(title: "Invalid workflow definition", issues: issues + extra).limited())
    }

    /// Whether `path` is one of `paths` or lies under one (`steps[1].input.x` under `steps[1]`
    /// or `steps[1].input`): a set lookup per `.` in the path, not a scan of `paths` per issue.
    static func isUnder(_ path: String, anyOf paths: Set<Substring>) -> Bool {
        let whole = Substring(path)
        if paths.contains(whole) { return true }
        for i in whole.indices where whole[i] == "." && paths.contains(whole[..<i]) { return true }
        return false
    }

    /// Checks a parsed definition. A failure lists at most `ValidationFailure.maxIssues` problems.
    public func check(_ definition: WorkflowDefinition) -> Result<WorkflowPlan, ValidationFailure> {
        checkAll(definition).mapError { $0.limited() }
    }

    /// Checks a parsed definition and reports every problem.
    func checkAll(_ definition: WorkflowDefinition) -> Result<WorkflowPlan, ValidationFailure> {
        var issues: [ValidationIssue] = []
        let tasks = definition.tasks
        let chain = definition.form == .steps
        var indexByID: [String: Int] = [:]
        for (i, t) in tasks.enumerated() where indexByID[t.id] == nil { indexByID[t.id] = i }

        // Step types and parameters.
        var steps: [StepType?] = []
        var parameters: [JSONValue?] = []
        var outputs: [StepOutput?] = []  // resolved: never `.named`; nil when the type could not be resolved
        for task in tasks {
            let typePath = IssuePath.member(task.path, "type")
            guard let step = registry[task.type] else {
                if task.type.isEmpty {
                    issues.append(.init(path: typePath, code: "required", message: "required field is missing; expected a step type name such as \"TextOperation.Reverse\" (GET /step-types lists them)"))
                } else {
                    issues.append(registry.problem(withUnknown: task.type, path: typePath))
                }
                steps.append(nil)
                parameters.append(nil)
                outputs.append(nil)
                continue
            }
            steps.append(step)
            let p = checkParameters(task, step: step, issues: &issues)
            parameters.append(p)
            outputs.append(resolveOutput(task, step: step, parameters: p, issues: &issues))
        }

        // Dependencies.
        var dependencies: [[Int]] = Array(repeating: [], count: tasks.count)
        var structural = false
        var unknownDependencies = UnknownDependencies(tasks: tasks)
        for (i, task) in tasks.enumerated() {
            for (j, dep) in task.dependsOn.enumerated() {
                if dep == task.id {
                    issues.append(.init(path: task.dependencyPath(j), code: "cycle", message: "task \"\(task.id)\" depends on itself"))
                    structural = true
                } else if let k = indexByID[dep] {
                    dependencies[i].append(k)
                } else {
                    issues.append(.init(path: task.dependencyPath(j), code: "unknown_dependency", message: unknownDependencies.message(dep, task: i)))
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
        var required: [InputNeed] = []  // what the execution input may or must carry
        var maps = [MapPlan?](repeating: nil, count: tasks.count)
        let ancestors = Reachability(order: order, dependencies: dependencies)
        let declaredInput = ValueType(schema: definition.inputSchema ?? Schema(type: .object))
        let references = ReferenceScope(tasks: tasks, indexByID: indexByID, ancestors: ancestors, input: declaredInput)
        for i in order {
            guard let step = steps[i] else { continue }
            let deps = dependencies[i]
            if let spec = tasks[i].map {
                if let (plan, shapes) = checkMap(spec, task: i, tasks: tasks, step: step, parameters: parameters[i], output: outputs[i], scope: references, shapes: outputShapes, issues: &issues) {
                    maps[i] = plan
                    inputShapes[i] = shapes.input
                    outputShapes[i] = shapes.output
                }
                continue
            }
            if let selections = tasks[i].inputFrom {
                // The input is built from references, not from the dependencies' merged outputs.
                if let shape = references.selectionShape(i, selections, step: step, shapes: outputShapes, issues: &issues), let output = outputs[i] {
                    inputShapes[i] = shape
                    switch output {
                    case .value(let t), .named(_, let t): outputShapes[i] = Shape(fields: [t])
                    case .sameAsInput: outputShapes[i] = shape
                    }
                    if case .subworkflow = step.implementation {
                        outputShapes[i] = checkSubworkflow(tasks[i], parameters: parameters[i], input: shape, issues: &issues)
                    }
                }
                continue
            }
            if deps.contains(where: { outputShapes[$0] == nil }) { continue }  // an upstream error was reported
            var merged = deps.isEmpty ? Shape(fields: [], includesExecutionInput: true) : Shape(fields: [])
            for d in deps {
                // As at run time, the first dependency to carry a member wins, whatever its type.
                for f in outputShapes[d]!.fields where merged.member(f.field) == nil { merged.fields.append(f) }
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
                // A member of the right name but another type (list<number> for list<text>) wins
                // over later ones just the same, so it is a mismatch.
                let sources = deps.isEmpty ? [Shape(fields: [], includesExecutionInput: true)] : deps.map { outputShapes[$0]! }
                var satisfied = false
                for (k, shape) in sources.enumerated() {
                    if let present = shape.member(t.field) {
                        satisfied = present == t
                        break
                    }
                    if shape.includesExecutionInput {
                        let fallback = sources[(k + 1)...].lazy.compactMap { $0.member(t.field) }.first
                        let isRequired = fallback != t
                        if let n = required.firstIndex(where: { $0.type.field == t.field }) {
                            if required[n].type != t {
                                issues.append(inputConflict(task: tasks[i], step: step, wanted: t, other: required[n]))
                            } else if isRequired {
                                required[n].isRequired = true
                            }
                        } else {
                            required.append(InputNeed(type: t, neededBy: tasks[i].path, isRequired: isRequired))
                        }
                        satisfied = true
                        break
                    }
                }
                if !satisfied {
                    issues.append(mismatch(task: i, tasks: tasks, steps: steps, wanted: t, got: merged, deps: deps, shapes: outputShapes, chain: chain))
                    continue
                }
            case .any:
                inputShapes[i] = merged
            }
            if case .subworkflow = step.implementation {
                outputShapes[i] = checkSubworkflow(tasks[i], parameters: parameters[i], input: inputShapes[i]!, issues: &issues)
                continue
            }
            guard let output = outputs[i] else { continue }  // its parameters' problem was reported
            switch output {
            case .value(let t), .named(_, let t): outputShapes[i] = Shape(fields: [t])
            case .sameAsInput: outputShapes[i] = inputShapes[i]
            }
        }

        let inputSchema = deriveInputSchema(required: required, userSchema: definition.inputSchema, issues: &issues)
        let conditions = references.with(input: ValueType(schema: inputSchema))
        for i in tasks.indices {
            guard let condition = tasks[i].condition else { continue }
            conditions.checkCondition(condition, task: i, shapes: outputShapes, issues: &issues)
        }
        var parameterTemplates = [ParameterTemplate?](repeating: nil, count: tasks.count)
        for i in tasks.indices where tasks[i].renderInput {
            guard let raw = tasks[i].parameters else { continue }
            guard let template = ParameterTemplate.parse(raw, path: IssuePath.member(tasks[i].path, "input"), issues: &issues) else { continue }
            // A mapped task's input is rendered once per item: `{{item}}` is the item.
            var scope = conditions
            if let spec = tasks[i].map {
                if case .success(.list(let element)) = conditions.type(of: spec.over, from: i, shapes: outputShapes) { scope.item = element } else { scope.item = .unknown }
            }
            for (reference, path) in template.references {
                if case .failure(let problem) = scope.type(of: reference, from: i, shapes: outputShapes) {
                    issues.append(.init(path: path, code: "invalid_reference", message: "{{\(reference)}}: \(problem.message)"))
                }
            }
            parameterTemplates[i] = template
        }
        guard issues.isEmpty, !steps.contains(where: { $0 == nil }), !inputShapes.contains(where: { $0 == nil }), !outputShapes.contains(where: { $0 == nil }) else {
            if issues.isEmpty { issues.append(.init(path: "", code: "invalid_body", message: "the definition could not be checked")) }
            return .failure(.init(title: "Invalid workflow definition", issues: issues))
        }

        let nodes = tasks.indices.map { i in
            WorkflowPlan.Node(
                index: i, id: tasks[i].id, step: steps[i]!, parameters: parameters[i],
                dependencies: dependencies[i], dependents: dependents[i],
                inputShape: inputShapes[i]!, outputShape: outputShapes[i]!, path: tasks[i].path,
                retry: tasks[i].retry, timeoutSeconds: tasks[i].timeoutSeconds,
                condition: tasks[i].condition, inputFrom: tasks[i].inputFrom, map: maps[i],
                parameterTemplate: parameterTemplates[i], runsAfterFailure: tasks[i].runsAfterFailure, handlesFailures: tasks[i].handlesFailures
            )
        }
        var outputNodes = nodes.filter { $0.step.isOutput }.map(\.index)
        if outputNodes.isEmpty { outputNodes = nodes.filter { $0.dependents.isEmpty }.map(\.index) }
        var plan = WorkflowPlan(definition: definition, nodes: nodes, inputSchema: inputSchema, outputNodes: outputNodes, indexByID: indexByID)
        plan.nestingDepth = nodes.compactMap { node in
            node.step.name == StepRegistry.subworkflow.name ? node.parameters?["workflow_id"]?.stringValue.flatMap { workflows[$0] }.map { $0.nestingDepth + 1 } : nil
        }.max() ?? 0
        return .success(plan)
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
                var expected = schema.type.map { Schema.article($0) } ?? "a value"
                if schema.type == .object, !schema.required.isEmpty {
                    let members = schema.required.map { name in "\"\(name)\"" + (schema.property(name)?.type.map { " (\(Schema.article($0)))" } ?? "") }
                    expected += " with " + members.joined(separator: ", ")
                }
                let example = step.name == "StaticTextInput" ? " such as \"input\": \"Hello, world!\"" : ""
                issues.append(.init(path: p, code: "missing_parameters", message: "\(step.name) requires \"input\": expected \(expected)\(example)"))
            }
            return nil
        }
        let found = schema.validate(value, path: p)
        issues += found
        if found.isEmpty, let check = step.parameterCheck { issues += check(value, p) }
        return value
    }

    /// The output of `step` for a task with `parameters`, with `.named` resolved to `.value`;
    /// `nil` if the type could not be resolved (the problem is in `issues`, or was already
    /// reported by the schema).
    func resolveOutput(_ task: WorkflowDefinition.Task, step: StepType, parameters: JSONValue?, issues: inout [ValidationIssue]) -> StepOutput? {
        guard case .named(let name, let fallback) = step.output else { return step.output }
        switch parameters?[name] {
        case nil: return .value(fallback)
        case .string(let s)?:
            if let t = DataType(name: s) { return .value(t) }
            let path = IssuePath.member(IssuePath.member(task.path, "input"), name)
            issues.append(.init(path: path, code: "unknown_type", message: "unknown type \"\(s)\"; expected one of \(DataType.validNames)"))
            return nil
        case .some:
            // Not a string: the parameter schema reported it.
            return nil
        }
    }

    /// What the execution input may or must carry, for the input schema.
    struct InputNeed {
        var type: DataType
        /// The first task that takes it from the execution input (its path).
        var neededBy: String
        var isRequired: Bool
    }

    func inputConflict(task: WorkflowDefinition.Task, step: StepType, wanted: DataType, other: InputNeed) -> ValidationIssue {
        .init(
            path: IssuePath.member(task.path, "type"), code: "type_mismatch",
            message: "\(step.name) takes \(wanted.name) from the execution input's \"\(wanted.field)\" member, but \(other.neededBy) takes \(other.type.name) from it; the member cannot be both"
        )
    }

    func mismatch(task i: Int, tasks: [WorkflowDefinition.Task], steps: [StepType?], wanted: DataType, got: Shape, deps: [Int], shapes: [Shape?], chain: Bool) -> ValidationIssue {
        let name = steps[i]!.name
        let reason: String
        if got.fields.count == 1 && !got.includesExecutionInput {
            reason = "\(got.description) is not \(wanted.name)"
        } else if let clash = got.member(wanted.field) {
            reason = "its \(wanted.field) member is \(clash.name), not \(wanted.name)"
        } else {
            reason = "\(got.description) has no \(wanted.name) member"
        }
        var message: String
        if chain, let d = deps.first {
            message = "\(name) expects \(wanted.name) input, but the step before it (\(tasks[d].path), \(steps[d]!.name)) produces \(got.description); \(reason)"
        } else {
            let from = Self.list(deps.prefix(Self.maxListed).map { "\"\(tasks[$0].id)\" (\(steps[$0]!.name))" }, total: deps.count)
            message = "\(name) expects \(wanted.name) input, but its dependencies \(from) produce \(got.description); \(reason)"
            // A dependency with the right type lost the member to one listed before it.
            if let provider = deps.first(where: { shapes[$0]?.member(wanted.field) == wanted }),
               let winner = deps.first(where: { shapes[$0]?.member(wanted.field) != nil }), winner != provider {
                message += " (\"\(tasks[provider].id)\" produces \(wanted.name), but \"\(tasks[winner].id)\", listed before it in depends_on, also produces a \(wanted.field) member, and the first listed wins)"
            }
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
        // Walk dependencies depth first from each task (with a stack of its own, not recursion,
        // however long the chain) until a task on the current path comes again.
        var state = [Int](repeating: 0, count: tasks.count)  // 0 new, 1 on the path, 2 done
        func visit(_ start: Int) -> [Int]? {
            var path: [Int] = [start]
            var next: [Int] = [0]  // per task on the path: which of its dependencies comes next
            state[start] = 1
            while let n = path.last {
                let k = next[next.count - 1]
                guard k < dependencies[n].count else {
                    state[n] = 2
                    path.removeLast()
                    next.removeLast()
                    continue
                }
                next[next.count - 1] = k + 1
                let d = dependencies[n][k]
                if state[d] == 1 { return Array(path[path.firstIndex(of: d)!...]) + [d] }
                if state[d] == 0 {
                    state[d] = 1
                    path.append(d)
                    next.append(0)
                }
            }
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

    func deriveInputSchema(required: [InputNeed], userSchema: Schema?, issues: inout [ValidationIssue]) -> Schema {
        var schema = userSchema ?? Schema(type: .object)
        schema.type = .object
        for need in required {
            let field = need.type.field
            if let declared = schema.property(field) {
                let path = "input_schema.properties.\(field)"
                switch TypeChecker.merge(declared, need.type.schema, path: path) {
                case .success(let merged):
                    schema.setProperty(field, merged)
                case .failure(let conflict):
                    issues.append(.init(path: conflict.path + ".type", code: "schema_conflict", message: "\(need.neededBy) takes \(need.type.name) from input.\(field), so expected \"\(conflict.expected.rawValue)\", found \"\(conflict.found.rawValue)\""))
                    continue
                }
            } else {
                schema.setProperty(field, need.type.schema)
            }
            if need.isRequired && !schema.required.contains(field) { schema.required.append(field) }
        }
        return schema
    }

    /// Where a user's schema declares another JSON type than a step needs.
    struct SchemaConflict: Error {
        var path: String
        var expected: Schema.Kind
        var found: Schema.Kind
    }

    /// The user's `declared` schema for a member, with the types that `needed` (a data type's
    /// schema) requires filled in where it says nothing, down through list items. An integer
    /// satisfies a number.
    static func merge(_ declared: Schema, _ needed: Schema, path: String) -> Result<Schema, SchemaConflict> {
        var merged = declared
        if let want = needed.type {
            switch declared.type {
            case nil: merged.type = want
            case want?: break
            case .integer? where want == .number: break
            case let found?: return .failure(SchemaConflict(path: path, expected: want, found: found))
            }
        }
        if let neededItems = needed.items?.schema {
            if let declaredItems = declared.items?.schema {
                switch merge(declaredItems, neededItems, path: path + ".items") {
                case .success(let items): merged.items = Schema.Box(items)
                case .failure(let conflict): return .failure(conflict)
                }
            } else {
                merged.items = Schema.Box(neededItems)
            }
        }
        return .success(merged)
    }
}
