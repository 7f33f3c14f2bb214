import Foundation
import SluiceCore
import SluiceStore

/// Retention: the maintenance leader deletes finished executions once their workflow's policy
/// (`"retention"` in its definition, else the server's `Configuration.retention`) lets them go,
/// in small batches so that commits of running executions keep going between them.
extension Engine {
    /// Executions deleted per transaction.
    static let purgeBatch = 200
    /// Executions looked at per transaction.
    static let purgeWindow = 2_000
    /// Pages given back to the file system after a round that deleted something (SQLite).
    static let compactPages = 4_096

    /// The policy that applies to the executions of `record`: its own, else the server's. The
    /// server's does not apply to workflows other front doors made (annotation items need their
    /// executions for as long as their project lives; an Argo workflow is its execution, deleted
    /// with it): they keep their executions unless their definition names a policy.
    public func retentionPolicy(of record: WorkflowRecord) -> RetentionPolicy? {
        if let raw = record.definition["retention"], raw != .null {
            return RetentionPolicy.parse(raw, path: "retention").0
        }
        guard let policy = configuration.retention else { return nil }
        if let origin = record.definition["origin"], origin != .null { return nil }
        let steps = record.definition["steps"]?.arrayValue ?? record.definition["tasks"]?.arrayValue ?? []
        if steps.contains(where: { $0["type"]?.stringValue == AnnotationItem.stepType }) { return nil }
        return policy
    }

    /// One round: every workflow's finished executions that its policy lets go at the engine's
    /// clock are deleted. Returns how many.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        let now = clock.now()
        var total = 0
        var cursor: Int64?
        repeat {
            let page = try await store.workflows(limit: 100, before: cursor)
            for record in page.items {
                guard let policy = retentionPolicy(of: record) else { continue }
                total += try await purge(workflowID: record.id, policy: policy, now: now)
                if isStopping || Task.isCancelled { return total }
            }
            cursor = page.nextCursor
        } while cursor != nil
        if total > 0 { try await store.compact(pages: Self.compactPages) }
        return total
    }

    func purge(workflowID: String, policy: RetentionPolicy, now: Int64) async throws -> Int {
        var total = 0
        var after: Int64 = 0
        while !isStopping, !Task.isCancelled {
            let result = try await store.purgeFinished(
                workflowID: workflowID, completedBefore: policy.completedBefore(now: now), keepLast: policy.keepLast,
                after: after, window: Self.purgeWindow, limit: Self.purgeBatch)
            total += result.deleted
            metrics.retentionDeleted(result.deleted)
            // Reads of them are answered from the store (not found) from now on.
            if !result.deletedIDs.isEmpty {
                finished.withLock { cache in for id in result.deletedIDs { cache.remove(id) } }
                for id in result.deletedIDs { removeArtifacts(executionID: id) }
            }
            if result.deleted > 0 {
                // The same window again (what it deleted is gone); others' commits go first.
                await Task.yield()
                continue
            }
            guard result.windowFull, let last = result.lastExamined else { break }
            // Nothing in this window may go yet (running, or waiting for webhooks): the next one.
            after = last
        }
        if total > 0 { logger.info("retention deleted finished executions", metadata: ["workflow.id": "\(workflowID)", "executions.count": "\(total)"]) }
        return total
    }

    /// Removes what execution `id` saved in the local artifact store (`artifactDirectory`), if
    /// anything: its files go with it.
    public func removeArtifacts(executionID id: String) {
        guard let root = configuration.artifactDirectory else { return }
        try? FileManager.default.removeItem(atPath: "\(root)/\(ArtifactKey.component(id))")
    }

    /// Removes the artifact directories of executions that no longer exist (their workflow
    /// was deleted: by the API, an Argo `DELETE`, or with its CronWorkflow). One look-up per
    /// execution that saved artifacts; run after a workflow is deleted.
    public func sweepArtifacts() async {
        guard let root = configuration.artifactDirectory,
              let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for id in entries where !id.hasPrefix(".") {
            do {
                if try await store.execution(id: id) == nil { removeArtifacts(executionID: id) }
            } catch {
                continue  // The store failed: keep it for the next sweep.
            }
        }
    }
}
