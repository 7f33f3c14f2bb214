extension StepRegistry {
    /// `Workflow.Run`: runs another stored workflow as one task, typed by that workflow's plan.
    static let subworkflow = StepType(
        name: "Workflow.Run",
        summary: "Runs another stored workflow with this task's input and produces its output; typed from that workflow when this one is created.",
        input: .any, output: .sameAsInput,
        parameters: {
            var id = Schema(type: .string)
            id.description = "The id of the workflow to run (wf-…)."
            var schema = Schema(type: .object)
            schema.setProperty("workflow_id", id)
            schema.required = ["workflow_id"]
            schema.additionalProperties = .allowed(false)
            return schema
        }(),
        parametersRequired: true,
        implementation: .subworkflow
    )

    /// The workflow ids that the `Workflow.Run` tasks of a definition (as sent) refer to, so that
    /// their plans can be loaded before the definition is checked; none for a list of more
    /// steps or tasks than a definition may have (it is refused for that alone).
    public static func subworkflowIDs(in definition: JSONValue, maxTasks: Int = DefinitionParser.maxTasks) -> [String] {
        var ids: [String] = []
        var seen = Set<String>()
        for form in ["steps", "tasks"] {
            let tasks = definition[form]?.arrayValue ?? []
            guard tasks.count <= maxTasks else { continue }
            for task in tasks where task["type"]?.stringValue == subworkflow.name {
                if let id = task["input"]?["workflow_id"]?.stringValue, seen.insert(id).inserted { ids.append(id) }
            }
        }
        return ids
    }
}
