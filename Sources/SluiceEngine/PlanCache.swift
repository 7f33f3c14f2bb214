import SluiceCore

/// Checked plans by (workflow id, version), and each workflow's latest version with its plan,
/// so that starting an execution of the latest version needs no store read. Versions never
/// change once stored, so a cached plan never goes stale; only "which version is the latest"
/// does, and the engine moves it forward when it stores a new version.
struct PlanCache: Sendable {
    struct Key: Hashable, Sendable {
        var workflowID: String
        var version: Int
    }

    struct Latest: Sendable {
        var version: Int
        var plan: WorkflowPlan
    }

    private var plans: [Key: WorkflowPlan] = [:]
    private var latest: [String: Latest] = [:]

    /// The latest version of `workflowID` known to this engine, and its plan.
    func latest(_ workflowID: String) -> Latest? {
        latest[workflowID]
    }

    /// The plan of version `version` of `workflowID`, if cached.
    func plan(_ workflowID: String, version: Int) -> WorkflowPlan? {
        if let l = latest[workflowID], l.version == version { return l.plan }
        return plans[Key(workflowID: workflowID, version: version)]
    }

    /// Caches the plan of a version. With `isLatest`, it also becomes the workflow's latest
    /// version, unless a newer one is already known (two updates may finish out of order).
    mutating func insert(_ plan: WorkflowPlan, workflowID: String, version: Int, isLatest: Bool) {
        plans[Key(workflowID: workflowID, version: version)] = plan
        if isLatest, (latest[workflowID]?.version ?? 0) <= version {
            latest[workflowID] = Latest(version: version, plan: plan)
        }
    }

    /// Forgets every plan of a deleted workflow.
    mutating func remove(workflowID: String) {
        latest[workflowID] = nil
        plans = plans.filter { $0.key.workflowID != workflowID }
    }
}
