extension TypeChecker {
    /// Checks a `Workflow.Run` task: the workflow exists, what flows in gives it the input members
    /// it requires (with their types), and returns the shape of its output: its single output
    /// task's output, or `json` (an object keyed by task id) when it has several.
    func checkSubworkflow(_ task: WorkflowDefinition.Task, parameters: JSONValue?, input: Shape, issues: inout [ValidationIssue]) -> Shape? {
        guard let id = parameters?["workflow_id"]?.stringValue else { return nil }  // the schema reported it
        let path = IssuePath.member(IssuePath.member(task.path, "input"), "workflow_id")
        guard let child = workflows[id] else {
            issues.append(.init(path: path, code: "unknown_workflow", message: "no workflow with id \"\(id)\"; create it first (GET /workflows lists them)"))
            return nil
        }
        // Checked on the child's plan, so that the limit holds whether its plan was cached or
        // loaded (the engine's loading stops at the same depth).
        if child.nestingDepth + 1 > Limits.workflowRunDepth {
            issues.append(.init(path: path, code: "nesting_too_deep", message: "Workflow.Run nests more than \(Limits.workflowRunDepth) workflows deep (or they run each other in a cycle)"))
            return nil
        }
        let before = issues.count
        for name in child.inputSchema.required {
            let wanted = child.inputSchema.property(name).map(ValueType.init(schema:)) ?? .unknown
            if let member = input.member(name) {
                let got = ValueType(dataType: member)
                if !wanted.isUnknown && !got.isUnknown && wanted != got {
                    issues.append(.init(path: IssuePath.member(task.path, "type"), code: "type_mismatch", message: "workflow \(id) requires input.\(name) as \(wanted), but this task receives \(member)"))
                }
            } else if !input.includesExecutionInput {
                issues.append(.init(path: IssuePath.member(task.path, "type"), code: "type_mismatch", message: "workflow \(id) requires input.\(name) (\(wanted)), but this task receives \(input.description)"))
            }
        }
        guard issues.count == before else { return nil }
        guard child.outputNodes.count == 1 else { return Shape(fields: [.json]) }
        let produced = child.nodes[child.outputNodes[0]].outputShape
        guard produced.includesExecutionInput else { return Shape(fields: produced.fields) }
        // The child passes its input (this task's input) through.
        var shape = Shape(fields: produced.fields, includesExecutionInput: input.includesExecutionInput)
        for f in input.fields where shape.member(f.field) == nil { shape.fields.append(f) }
        return shape
    }
}
