extension TypeChecker {
    /// Checks task `i`'s `map`: `over` names a list reachable from the task, and the item type
    /// flows through the task's step and every step of `then`. Returns the plan and the task's
    /// input (the list) and output (the list of results) shapes, or `nil` after reporting.
    func checkMap(
        _ spec: MapSpec, task i: Int, tasks: [WorkflowDefinition.Task], step: StepType, parameters: JSONValue?, output: StepOutput?,
        scope: ReferenceScope, shapes: [Shape?], issues: inout [ValidationIssue]
    ) -> (MapPlan, (input: Shape, output: Shape))? {
        let path = IssuePath.member(tasks[i].path, "map")
        let before = issues.count
        let listType: ValueType
        switch scope.type(of: spec.over, from: i, shapes: shapes) {
        case .success(let t): listType = t
        case .failure(let problem):
            issues.append(.init(path: IssuePath.member(path, "over"), code: "invalid_reference", message: "\(spec.over): \(problem.message)"))
            return nil
        }
        let element: ValueType
        switch listType {
        case .list(let e): element = e
        case _ where listType.isUnknown: element = .unknown
        default:
            issues.append(.init(path: IssuePath.member(path, "over"), code: "type_mismatch", message: "map goes over a list, but \(spec.over) is \(listType)"))
            return nil
        }
        var itemType: DataType
        switch element {
        case .text: itemType = .text
        case .number: itemType = .number
        case .boolean: itemType = .boolean
        default:
            if case .value(let t) = step.input { itemType = t } else { itemType = .json }
        }
        // The chain each item goes through: the task's own step, then `then`.
        var chain: [(StepType, JSONValue?, StepOutput?, String)] = [(step, parameters, output, IssuePath.member(tasks[i].path, "type"))]
        for sub in spec.then {
            guard let s = registry[sub.type] else {
                let typePath = IssuePath.member(sub.path, "type")
                if sub.type.isEmpty {
                    issues.append(.init(path: typePath, code: "required", message: "required field is missing; expected a step type name"))
                } else if registry.unavailable[sub.type] != nil {
                    issues.append(registry.problem(withUnknown: sub.type, path: typePath))
                } else {
                    let hint = registry.suggestion(for: sub.type).map { "did you mean \"\($0)\"? " } ?? ""
                    issues.append(.init(path: typePath, code: "unknown_step_type", message: "unknown step type \"\(sub.type)\"; \(hint)GET /step-types lists them"))
                }
                continue
            }
            let p = checkParameters(sub, step: s, issues: &issues)
            chain.append((s, p, resolveOutput(sub, step: s, parameters: p, issues: &issues), IssuePath.member(sub.path, "type")))
        }
        guard issues.count == before else { return nil }
        var current = itemType
        for (k, (s, _, out, p)) in chain.enumerated() {
            switch s.implementation {
            case .timer:
                issues.append(.init(path: p, code: "not_mappable", message: "\(s.name) is a durable timer and cannot run per item; put it before or after the mapped task"))
                return nil
            case .subworkflow:
                issues.append(.init(path: p, code: "not_mappable", message: "\(s.name) cannot run per item yet; map inside the other workflow instead"))
                return nil
            case .external:
                issues.append(.init(path: p, code: "not_mappable", message: "\(s.name) is claimed as one task (by a worker or a person) and cannot run per item; give it the whole list instead"))
                return nil
            default: break
            }
            switch s.input {
            case .none:
                issues.append(.init(path: p, code: "not_mappable", message: "\(s.name) takes no input, so it cannot run per item"))
                return nil
            case .value(let t) where t != current:
                let from = k == 0 ? "each item of \(spec.over) is \(current)" : "the step before it produces \(current)"
                issues.append(.init(path: p, code: "type_mismatch", message: "\(s.name) expects \(t) input, but \(from); \(current) is not \(t)"))
                return nil
            default: break
            }
            switch out {
            case .value(let u)?, .named(_, let u)?: current = u
            case .sameAsInput?: break
            case nil: return nil
            }
        }
        let plan = MapPlan(over: spec.over, concurrency: spec.concurrency, steps: chain.map { ($0.0, $0.1) }, itemType: itemType, resultType: current)
        return (plan, (Shape(fields: [.list(itemType)]), Shape(fields: [.list(current)])))
    }
}
