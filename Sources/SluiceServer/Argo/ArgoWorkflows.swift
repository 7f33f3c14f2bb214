import SluiceArgo
import SluiceCore
import SluiceEngine
import SluiceStore
import Synchronization

/// Argo workflows kept as Sluice workflows: one Sluice workflow per Argo workflow (its name the
/// Argo name, its namespace the Argo namespace, the Argo object's `metadata` and `spec` in the
/// definition's `origin.argo`) and one execution of it. Nothing is stored besides what Sluice
/// stores for any workflow, so every store driver holds them as they are. The workflows a
/// CronWorkflow started are the executions of its Sluice workflow (`origin.argoCron`), each named
/// `<cron>-<scheduled unix seconds>` as Argo names them (ArgoController+Cron.swift).
struct ArgoWorkflows: Sendable {
    let engine: Engine
    var nodePlans = ArgoNodePlans()

    /// One Argo workflow as stored.
    struct Stored: Sendable {
        var record: WorkflowRecord
        var metadata: JSONObject
        var spec: JSONValue
        /// For a CronWorkflow's run: its execution (the record is the CronWorkflow's).
        var executionID: String?
        var createdAt: Int64
        var name: String { metadata["name"]?.stringValue ?? record.name }

        /// The Argo workflow a Sluice workflow stands for, if it stands for one.
        static func of(_ record: WorkflowRecord) -> Stored? { ArgoWorkflows.stored(record) }
    }

    /// The Argo workflows of `namespace`, newest first.
    func all(in namespace: String) async throws -> [Stored] {
        var out: [Stored] = []
        var before: Int64?
        repeat {
            let page = try await engine.store.workflows(limit: 500, before: before, namespaces: [namespace])
            for record in page.items {
                if let stored = Self.stored(record) { out.append(stored) }
                out += try await runs(of: record)
            }
            before = page.nextCursor
        } while before != nil
        // Runs of a CronWorkflow are as new as their executions: newest first overall.
        return out.enumerated().sorted { ($0.element.createdAt, -$0.offset) > ($1.element.createdAt, -$1.offset) }.map(\.element)
    }

    /// The workflows a CronWorkflow (`record`, kept with `origin.argoCron`) started: one per
    /// execution of it, named `<cron>-<scheduled unix seconds>`, labelled with the cron's name,
    /// with its `workflowMetadata`.
    func runs(of record: WorkflowRecord) async throws -> [Stored] {
        guard case .object(let cron)? = record.definition["origin"]?["argoCron"] else { return [] }
        let spec = cron["spec"]?["workflowSpec"] ?? .object(JSONObject())
        let extra = cron["spec"]?["workflowMetadata"]?.objectValue ?? JSONObject()
        var out: [Stored] = []
        var before: Int64?
        repeat {
            let page = try await engine.store.executions(workflowID: record.id, status: nil, limit: 500, before: before)
            for execution in page.items {
                let scheduled = Self.scheduledTime(execution)
                var labels = extra["labels"]?.objectValue ?? JSONObject()
                labels.set("workflows.argoproj.io/cron-workflow", .string(record.name))
                var annotations = extra["annotations"]?.objectValue ?? JSONObject()
                annotations.set("workflows.argoproj.io/scheduled-time", .string(ArgoStatus.time(scheduled)))
                var metadata = JSONObject()
                metadata.append("name", .string("\(record.name)-\(scheduled / 1000)"))
                metadata.append("namespace", .string(record.namespace))
                metadata.append("uid", .string(execution.id))
                metadata.append("creationTimestamp", .string(ArgoStatus.time(execution.createdAt)))
                metadata.append("labels", .object(labels))
                metadata.append("annotations", .object(annotations))
                out.append(Stored(record: record, metadata: metadata, spec: spec, executionID: execution.id, createdAt: execution.createdAt))
            }
            before = page.nextCursor
        } while before != nil
        return out
    }

    /// When a CronWorkflow's run was due: the fire time in its idempotency key
    /// (`schedule:<id>:<milliseconds>`), else its creation.
    static func scheduledTime(_ execution: ExecutionRecord) -> Int64 {
        if let key = execution.idempotencyKey, key.hasPrefix("schedule:"), let ms = key.split(separator: ":").last.flatMap({ Int64($0) }) { return ms }
        return execution.createdAt
    }

    /// The Argo workflow `name` of `namespace`, if there is one.
    /// The Argo workflow `name` of `namespace`: a stored Workflow of that name, or the run of a
    /// CronWorkflow (`<cron>-<unix seconds>`). Reads only workflows of those names, not the
    /// namespace's every workflow (which made each submit and read cost as much as the namespace
    /// held).
    func find(_ name: String, in namespace: String) async throws -> Stored? {
        for record in try await engine.store.workflows(named: name, namespace: namespace) {
            if let stored = Self.stored(record) { return stored }
        }
        if let dash = name.lastIndex(of: "-"), Int64(name[name.index(after: dash)...]) != nil {
            for record in try await engine.store.workflows(named: String(name[..<dash]), namespace: namespace) where record.definition["origin"]?["argoCron"] != nil {
                if let run = try await runs(of: record).first(where: { $0.name == name }) { return run }
            }
        }
        return nil
    }

    static func stored(_ record: WorkflowRecord) -> Stored? {
        guard case .object(let argo)? = record.definition["origin"]?["argo"], case .object(let metadata)? = argo["metadata"], let spec = argo["spec"] else { return nil }
        return Stored(record: record, metadata: metadata, spec: spec, createdAt: record.createdAt)
    }

    /// The execution that runs `stored` (the newest, should there be several).
    func execution(of stored: Stored) async throws -> ExecutionDetail? {
        if let id = stored.executionID { return try await engine.execution(id: id) }
        let page = try await engine.store.executions(workflowID: stored.record.id, status: nil, limit: 1, before: nil)
        guard let first = page.items.first else { return nil }
        return try await engine.execution(id: first.id)
    }

    /// The execution state the status mapping reads.
    static func state(_ detail: ExecutionDetail) -> ArgoExecutionState {
        var tasks: [String: ArgoExecutionState.Task] = [:]
        for t in detail.tasks {
            tasks[t.stepID] = ArgoExecutionState.Task(status: t.status, output: t.output, error: t.error, startedAt: t.startedAt, completedAt: t.completedAt, failedAttempts: t.attempts, attempt: t.attempt, input: t.input)
        }
        let e = detail.execution
        return ArgoExecutionState(status: e.status, createdAt: e.createdAt, startedAt: e.startedAt, completedAt: e.completedAt, message: e.error?["message"]?.stringValue, tasks: tasks)
    }

    /// The Argo object of `stored` with its status now: metadata (with the phase label kept
    /// current and a `resourceVersion` that changes whenever the execution does), spec, status.
    func object(_ stored: Stored) async throws -> JSONValue {
        let detail = try await execution(of: stored)
        let namespace = stored.record.namespace
        let uid = stored.metadata["uid"]?.stringValue ?? ""
        var status: JSONValue = ["phase": "Running"]
        // The spec of a stored version never changes: it is translated once, not on every read
        // (a poll of a 10,000-task workflow translated it each time).
        let key = ArgoNodePlans.Key(workflowID: stored.record.id, version: stored.record.version, name: stored.name, namespace: namespace, uid: uid)
        let nodes = nodePlans.nodes(for: key) {
            guard case .success(let translation) = ArgoTranslator.translate(.object(JSONObject([("spec", stored.spec)])), name: stored.name, namespace: namespace, uid: uid) else { return nil }
            return translation.nodes
        }
        if let nodes {
            status = ArgoStatus.status(workflow: stored.name, nodes: nodes, execution: detail.map(Self.state))
        }
        var version = stored.createdAt
        if let detail {
            for t in [detail.execution.startedAt, detail.execution.completedAt].compactMap({ $0 }) { version = max(version, t) }
            for task in detail.tasks { for t in [task.startedAt, task.completedAt].compactMap({ $0 }) { version = max(version, t) } }
            version = max(version, Int64(detail.tasks.filter { $0.status.isTerminal }.count) + stored.createdAt)
        }
        var spec = stored.spec
        if let detail, detail.execution.suspended, !detail.execution.status.isTerminal, case .object(var o) = spec {
            // Suspended (PUT …/suspend): Argo shows it as `spec.suspend: true`, phase Running.
            o.set("suspend", true)
            spec = .object(o)
            version += 1
        }
        return Self.object(metadata: stored.metadata, spec: spec, status: status, resourceVersion: String(version))
    }

    static func object(metadata: JSONObject, spec: JSONValue, status: JSONValue, resourceVersion: String) -> JSONValue {
        var meta = metadata
        meta.set("resourceVersion", .string(resourceVersion))
        let phase = status["phase"]?.stringValue ?? "Running"
        var labels = meta["labels"]?.objectValue ?? JSONObject()
        labels.set("workflows.argoproj.io/phase", .string(phase))
        labels.set("workflows.argoproj.io/completed", .string(phase == "Running" || phase == "Pending" ? "false" : "true"))
        meta.set("labels", .object(labels))
        var o = JSONObject()
        o.append("apiVersion", "argoproj.io/v1alpha1")
        o.append("kind", "Workflow")
        o.append("metadata", .object(meta))
        o.append("spec", spec)
        o.append("status", status)
        return .object(o)
    }
}

extension JSONObject {
    /// Replaces member `key`, or appends it.
    mutating func set(_ key: String, _ value: JSONValue) {
        var pairs = map { ($0.key, $0.value) }
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
        self = JSONObject(pairs)
    }
}

/// The node plans of translated workflows, by workflow version (and the name and uid a Cron
/// run is translated under), so that reading a workflow does not translate its spec again: at
/// most `limit` plans or `maxNodes` nodes, the least recently used going first.
final class ArgoNodePlans: Sendable {
    struct Key: Hashable, Sendable {
        var workflowID: String
        var version: Int
        var name: String
        var namespace: String
        var uid: String
    }

    struct State {
        var plans: [Key: (nodes: [ArgoNodePlan], used: UInt64)] = [:]
        var nodes = 0
        var clock: UInt64 = 0
    }

    let limit: Int
    let maxNodes: Int
    private let state = Mutex(State())

    init(limit: Int = 256, maxNodes: Int = 200_000) {
        self.limit = limit
        self.maxNodes = maxNodes
    }

    /// The plan of `key`, made by `make` when it is not kept (`nil` from `make` is not kept).
    func nodes(for key: Key, make: () -> [ArgoNodePlan]?) -> [ArgoNodePlan]? {
        let kept: [ArgoNodePlan]? = state.withLock { s in
            guard let entry = s.plans[key] else { return nil }
            s.clock += 1
            s.plans[key]?.used = s.clock
            return entry.nodes
        }
        if let kept { return kept }
        guard let made = make() else { return nil }
        state.withLock { s in
            guard s.plans[key] == nil else { return }
            s.clock += 1
            s.plans[key] = (made, s.clock)
            s.nodes += made.count
            while s.plans.count > limit || (s.nodes > maxNodes && s.plans.count > 1) {
                guard let oldest = s.plans.min(by: { $0.value.used < $1.value.used }) else { break }
                s.plans.removeValue(forKey: oldest.key)
                s.nodes -= oldest.value.nodes.count
            }
        }
        return made
    }
}
