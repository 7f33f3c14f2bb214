import SluiceCore
import SluiceStore

/// How stored records look on the wire.
enum Representation {
    static func execution(_ detail: ExecutionDetail, queued: [QueuedTaskRecord] = []) -> JSONValue {
        let e = detail.execution
        var o = JSONObject()
        o.append("execution_id", .string(e.id))
        o.append("workflow_id", .string(e.workflowID))
        o.append("workflow_version", .number(Double(e.workflowVersion)))
        o.append("status", .string(e.status.rawValue))
        if e.suspended && !e.status.isTerminal { o.append("suspended", true) }
        o.append("created_at", Optional(e.createdAt).timestamp)
        o.append("started_at", e.startedAt.timestamp)
        o.append("completed_at", e.completedAt.timestamp)
        o.append("input", e.input)
        o.append("output", e.output ?? .null)
        if let error = e.error { o.append("error", error) }
        let done = detail.tasks.filter { $0.status.isTerminal }.count
        o.append("progress", ["completed": .number(Double(done)), "total": .number(Double(detail.tasks.count))])
        if queued.isEmpty {
            o.append("tasks", .array(detail.tasks.map { task($0) }))
        } else {
            o.append("tasks", .array(detail.tasks.enumerated().map { i, t in
                task(t, queued: t.status == .running ? queued.first { $0.index == i && $0.attempt == t.attempt } : nil)
            }))
        }
        return .object(o)
    }

    /// Whether a task of `detail` waits for a worker or a person: then its representation says
    /// who holds it (`unansweredQueuedTasks`).
    static func waitsOutside(_ detail: ExecutionDetail) -> Bool {
        detail.tasks.contains { $0.status == .running && ($0.type == HumanTask.stepType || $0.type == "Worker.Task") }
    }

    /// What a running `Worker.Task` or `Human.Task` waits for: its queued attempt and who holds it.
    static func queued(_ q: QueuedTaskRecord) -> JSONValue {
        var o = JSONObject()
        if q.human != nil {
            o.append("human_task_id", .string(q.id))
        } else {
            o.append("queue", .string(q.queue))
            o.append("queued_task_id", .string(q.id))
        }
        o.append("queued_at", Optional(q.createdAt).timestamp)
        o.append("holder", q.claim.map { .string($0.worker) } ?? .null)
        o.append("claimed_at", q.claim.map(\.claimedAt).timestamp)
        if q.human == nil {
            o.append("lease_expires_at", q.claim.map(\.leaseUntil).timestamp)
        } else {
            o.append("due_at", q.dueAt.timestamp)
        }
        return .object(o)
    }

    static func task(_ t: TaskRecord, queued: QueuedTaskRecord? = nil) -> JSONValue {
        var o = JSONObject()
        o.append("task_id", .string(t.taskID))
        o.append("step_id", .string(t.stepID))
        o.append("type", .string(t.type))
        o.append("status", .string(t.status.rawValue))
        if let v = t.input { o.append("input", v) }
        if let v = t.output { o.append("output", v) }
        if let v = t.error { o.append("error", v) }
        if let v = t.startedAt { o.append("started_at", Optional(v).timestamp) }
        if let v = t.completedAt { o.append("completed_at", Optional(v).timestamp) }
        if t.attempt > 0 { o.append("attempt", .number(Double(t.attempt))) }
        if !t.attempts.isEmpty { o.append("attempts", .array(t.attempts)) }
        if let v = t.wakeAt {
            // When a RETRYING task runs again, or a waiting Delay ends.
            o.append(t.status == .retrying ? "next_attempt_at" : "wakes_at", Optional(v).timestamp)
        }
        if let queued { o.append("queued", Self.queued(queued)) }
        return .object(o)
    }

    static func executionSummary(_ e: ExecutionRecord) -> JSONValue {
        var o = JSONObject()
        o.append("execution_id", .string(e.id))
        o.append("workflow_version", .number(Double(e.workflowVersion)))
        o.append("status", .string(e.status.rawValue))
        o.append("created_at", Optional(e.createdAt).timestamp)
        o.append("started_at", e.startedAt.timestamp)
        o.append("completed_at", e.completedAt.timestamp)
        return .object(o)
    }

    static func workflowSummary(_ w: WorkflowRecord) -> JSONValue {
        var o = JSONObject()
        o.append("workflow_id", .string(w.id))
        o.append("version", .number(Double(w.version)))
        o.append("name", .string(w.name))
        o.append("namespace", .string(w.namespace))
        o.append("description", w.description.map(JSONValue.string) ?? .null)
        o.append("created_at", Optional(w.createdAt).timestamp)
        o.append("updated_at", Optional(w.updatedAt).timestamp)
        return .object(o)
    }

    /// A workflow as `GET /workflows/{id}` shows it: its latest version.
    static func workflow(_ w: WorkflowRecord, plan: WorkflowPlan) -> JSONValue {
        guard case .object(var o) = workflowSummary(w) else { return .null }
        appendDefinition(w.definition, plan: plan, to: &o)
        return .object(o)
    }

    /// An item of `GET /workflows/{id}/versions`.
    static func versionSummary(_ v: WorkflowVersionRecord) -> JSONValue {
        var o = JSONObject()
        o.append("version", .number(Double(v.version)))
        o.append("name", .string(v.name))
        o.append("description", v.description.map(JSONValue.string) ?? .null)
        o.append("created_at", Optional(v.createdAt).timestamp)
        return .object(o)
    }

    /// One version, in the shape of `GET /workflows/{id}`; `created_at` is when it was stored.
    static func workflowVersion(_ v: WorkflowVersionRecord, plan: WorkflowPlan) -> JSONValue {
        var o = JSONObject()
        o.append("workflow_id", .string(v.workflowID))
        o.append("version", .number(Double(v.version)))
        o.append("name", .string(v.name))
        o.append("description", v.description.map(JSONValue.string) ?? .null)
        o.append("created_at", Optional(v.createdAt).timestamp)
        appendDefinition(v.definition, plan: plan, to: &o)
        return .object(o)
    }

    /// The definition's `steps` or `tasks` and its `timeout_seconds` (when it has one), the
    /// effective input schema, the checked graph, and the whole `definition` as it was sent (the
    /// body a `PUT` can send again: its own `input_schema`, not the effective one).
    static func appendDefinition(_ definition: JSONValue, plan: WorkflowPlan, to o: inout JSONObject) {
        let form = plan.definition.form.rawValue
        o.append(form, definition[form] ?? .array([]))
        if let timeout = definition["timeout_seconds"], timeout != .null { o.append("timeout_seconds", timeout) }
        o.append("input_schema", plan.inputSchema.json)
        o.append("graph", graph(plan))
        o.append("definition", definition)
    }

    /// The checked graph: every task with its types, and every edge with the type along it.
    static func graph(_ plan: WorkflowPlan) -> JSONValue {
        var graph = JSONObject()
        graph.append("tasks", .array(plan.nodes.map { node in
            var t = JSONObject()
            t.append("id", .string(node.id))
            t.append("type", .string(node.step.name))
            t.append("depends_on", .array(node.dependencies.map { .string(plan.nodes[$0].id) }))
            t.append("input_type", .string(node.step.input == .none ? "none" : node.inputShape.description))
            t.append("output_type", .string(node.outputShape.description))
            return .object(t)
        }))
        graph.append("edges", .array(plan.edges.map { ["from": .string($0.from), "to": .string($0.to), "type": .string($0.type)] }))
        return .object(graph)
    }
}
