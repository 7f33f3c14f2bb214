import GRDB
import SluiceCore
import SluiceStore

/// Deleting a workflow with everything that belongs to it.
extension SQLiteStore {
    public func deleteWorkflow(id: String) async throws -> WorkflowDeletion {
        try await pool.write { db in try Self.deleteWorkflow(id: id, db) }
    }

    static func deleteWorkflow(id: String, _ db: Database) throws -> WorkflowDeletion {
        guard try Int64.fetchOne(db, sql: "SELECT seq FROM workflows WHERE id = ?", arguments: [id]) != nil else { return .notFound }
        // The checks run in the write transaction: an execution started or a caller stored
        // concurrently is either seen here or refused afterwards (its workflow is gone).
        let unfinished = try String.fetchAll(db, sql: """
            SELECT id FROM executions WHERE workflow_id = ? AND status IN ('PENDING', 'RUNNING') ORDER BY seq
            """, arguments: [id])
        // Only definitions that mention the id are parsed.
        let candidates = try Row.fetchAll(db, sql: """
            SELECT id, definition FROM workflows WHERE id != ? AND instr(definition, ?) > 0 ORDER BY seq
            """, arguments: [id, id])
        let callers = candidates.compactMap { row -> String? in
            guard let definition = json(row[1]), StepRegistry.subworkflowIDs(in: definition, maxTasks: Limits.maxTranslatedTasks).contains(id) else { return nil }
            let caller: String = row[0]
            return caller
        }
        let running = try Row.fetchAll(db, sql: """
            SELECT e.id, v.definition FROM executions e
            JOIN workflow_versions v ON v.workflow_id = e.workflow_id AND v.version = e.workflow_version
            WHERE e.status IN ('PENDING', 'RUNNING') AND e.workflow_id != ? AND instr(v.definition, ?) > 0 ORDER BY e.seq
            """, arguments: [id, id])
        let calling = running.compactMap { row -> String? in
            guard let definition = json(row[1]), StepRegistry.subworkflowIDs(in: definition, maxTasks: Limits.maxTranslatedTasks).contains(id) else { return nil }
            let execution: String = row[0]
            return execution
        }
        let use = WorkflowUse(unfinishedCount: unfinished.count, unfinishedExample: unfinished.first, callers: callers, callingExecutions: calling)
        if use.isInUse { return .inUse(use) }

        let lastBefore = try lastEventSeq(db)
        let executions = "SELECT seq FROM executions WHERE workflow_id = ?"
        // Children before parents (foreign keys are enforced).
        try db.execute(sql: """
            DELETE FROM webhook_deliveries
            WHERE execution_seq IN (\(executions)) OR subscription_id IN (SELECT id FROM webhook_subscriptions WHERE workflow_id = ?)
            """, arguments: [id, id])
        try db.execute(sql: "DELETE FROM events WHERE execution_seq IN (\(executions))", arguments: [id])
        try db.execute(sql: "DELETE FROM task_logs WHERE execution_seq IN (\(executions))", arguments: [id])
        try db.execute(sql: "DELETE FROM tasks WHERE execution_seq IN (\(executions))", arguments: [id])
        try db.execute(sql: "DELETE FROM queued_tasks WHERE workflow_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM executions WHERE workflow_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM webhook_subscriptions WHERE workflow_id = ?", arguments: [id])
        // Their fire records go with them (ON DELETE CASCADE).
        try db.execute(sql: "DELETE FROM schedules WHERE workflow_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM workflow_versions WHERE workflow_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM workflows WHERE id = ?", arguments: [id])
        // Event seqs are rowids, which SQLite hands out from the largest one left: if the newest
        // events were deleted, remember the largest seq so that the next event gets a larger one
        // (stream cursors and the webhook fan-out cursor may already point at it).
        if try lastEventSeq(db) < lastBefore {
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('event_seq_floor', ?)", arguments: [String(lastBefore)])
        }
        return .deleted
    }

    /// The seq of the last event committed, counting events since deleted: the largest of the
    /// events left and the floor a deletion recorded.
    static let lastEventSeqSQL = """
        MAX(COALESCE((SELECT MAX(seq) FROM events), 0), COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'event_seq_floor'), 0))
        """

    static func lastEventSeq(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT \(lastEventSeqSQL)")) ?? 0
    }
}
