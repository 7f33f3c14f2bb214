import SluiceCore
import SluiceStore

extension Engine {
    /// One stored version of a workflow and its checked plan.
    public struct LoadedWorkflowVersion: Sendable {
        public var record: WorkflowVersionRecord
        public var plan: WorkflowPlan
    }

    /// Checks `definition` and stores it as the next version of workflow `workflowID`, which
    /// becomes its latest: new executions run it, executions already started keep their own
    /// version. With `expectedVersion` (from `If-Match`), stores it only if the latest version
    /// is still that one, else throws `EngineError.versionConflict`; without it, stores it on
    /// top of whatever version is latest. Throws `workflowNotFound` for an unknown workflow and
    /// `invalid` with every problem of the definition; nothing is stored then. `maxTasks` as for
    /// `createWorkflow`.
    public func updateWorkflow(_ workflowID: String, definition: JSONValue, expectedVersion: Int? = nil, maxTasks: Int = SluiceCore.Limits.maxTasks) async throws -> LoadedWorkflow {
        guard let head = try await store.workflow(id: workflowID) else { throw EngineError.workflowNotFound(workflowID) }
        // An invalid definition is 400 whatever If-Match says: 412 only for a request that
        // would otherwise be stored.
        let plan = try await check(definition, maxTasks: maxTasks)
        if plan.definition.effectiveNamespace != head.namespace {
            throw EngineError.invalid(ValidationFailure(title: "Invalid workflow definition", issues: [
                .init(path: "namespace", code: "namespace_change", message: "workflow \(workflowID) belongs to namespace \"\(head.namespace)\"; a workflow's namespace never changes (create a new workflow in \"\(plan.definition.effectiveNamespace)\" instead)"),
            ]))
        }
        if let expectedVersion, expectedVersion != head.version {
            throw EngineError.versionConflict(workflowID: workflowID, expected: expectedVersion, current: head.version)
        }
        var base = expectedVersion ?? head.version
        for _ in 0..<8 {
            let version = WorkflowVersionRecord(
                workflowID: workflowID, version: base + 1, name: plan.definition.name, description: plan.definition.description,
                definition: definition, createdAt: clock.now()
            )
            switch try await commit(.insertWorkflowVersion(version, expectedVersion: base)) {
            case .applied:
                plans.withLock { $0.insert(plan, workflowID: workflowID, version: version.version, isLatest: true) }
                let record = WorkflowRecord(
                    seq: head.seq, id: workflowID, name: version.name, description: version.description, definition: definition,
                    createdAt: head.createdAt, version: version.version, updatedAt: version.createdAt, namespace: head.namespace
                )
                return LoadedWorkflow(record: record, plan: plan)
            case .versionConflict(let current):
                if let expectedVersion {
                    throw EngineError.versionConflict(workflowID: workflowID, expected: expectedVersion, current: current)
                }
                // Another update came first and nobody asked for a particular version: store
                // this one on top of it.
                base = current
            case .stale:
                throw EngineError.workflowNotFound(workflowID)
            case .idConflict, .duplicate:
                throw EngineError.unavailable("the store answered an unexpected outcome to a new workflow version")
            }
        }
        throw EngineError.unavailable("workflow \(workflowID) kept changing while its new version was being stored")
    }

    /// Version `version` of workflow `workflowID` with its plan, or `nil` if the workflow or
    /// that version does not exist. Reads the version from the store (the plan comes from the
    /// cache when possible).
    public func loadPlan(workflowID: String, version: Int) async throws -> LoadedWorkflowVersion? {
        guard let record = try await store.workflowVersion(id: workflowID, version: version) else { return nil }
        if let plan = plans.withLock({ $0.plan(workflowID, version: version) }) {
            return LoadedWorkflowVersion(record: record, plan: plan)
        }
        let plan = try await storedPlan(record)
        plans.withLock { $0.insert(plan, workflowID: workflowID, version: version, isLatest: false) }
        return LoadedWorkflowVersion(record: record, plan: plan)
    }

    /// The plan of version `version` of workflow `workflowID`, from the cache when possible;
    /// `nil` if the workflow or that version does not exist.
    func plan(workflowID: String, version: Int) async throws -> WorkflowPlan? {
        if let plan = plans.withLock({ $0.plan(workflowID, version: version) }) { return plan }
        return try await loadPlan(workflowID: workflowID, version: version)?.plan
    }

    /// The plan of the version an execution runs. Versions are never deleted, so a missing one
    /// means the store lost data.
    func plan(of execution: ExecutionRecord) async throws -> WorkflowPlan {
        if let plan = try await plan(workflowID: execution.workflowID, version: execution.workflowVersion) { return plan }
        if try await store.workflow(id: execution.workflowID) == nil { throw EngineError.workflowNotFound(execution.workflowID) }
        throw EngineError.unavailable("version \(execution.workflowVersion) of workflow \(execution.workflowID), which execution \(execution.id) runs, is missing from the store")
    }

    /// The plan of the version an execute request names: `workflowNotFound` for an unknown
    /// workflow, `invalid` (at `version`) for a version the workflow does not have.
    func requestedPlan(workflowID: String, version: Int) async throws -> WorkflowPlan {
        if let plan = try await plan(workflowID: workflowID, version: version) { return plan }
        guard let head = try await store.workflow(id: workflowID) else { throw EngineError.workflowNotFound(workflowID) }
        let expected = head.version == 1 ? "expected 1, its only version" : "expected a version from 1 to \(head.version)"
        throw EngineError.invalid(ValidationFailure(title: "Invalid execution request", issues: [
            ValidationIssue(path: "version", code: "invalid_value", message: "workflow \(workflowID) has no version \(version); \(expected)"),
        ]))
    }
}
