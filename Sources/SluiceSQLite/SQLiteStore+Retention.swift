import GRDB
import SluiceCore
import SluiceStore

/// Deleting finished executions past their workflow's retention, and giving the space back.
extension SQLiteStore {
    public func purgeFinished(workflowID: String, completedBefore: Int64?, keepLast: Int?, after: Int64, window: Int, limit: Int) async throws -> PurgeResult {
        try await pool.write { db in
            // The seq below which finished executions are past `keepLast` (the newest first,
            // through the (workflow_id, seq) index, stopping at the keepLast-th).
            var keepBoundary: Int64 = 0
            if let keepLast {
                keepBoundary = try Int64.fetchOne(db, sql: """
                    SELECT seq FROM executions INDEXED BY executions_by_workflow
                    WHERE workflow_id = ? AND status IN ('COMPLETED', 'FAILED', 'CANCELLED') ORDER BY seq DESC LIMIT 1 OFFSET ?
                    """, arguments: [workflowID, keepLast - 1]) ?? 0
            }
            let fannedOut = Int64(try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'webhook_fanout_after'") ?? "0") ?? 0
            // The oldest `window` executions after `after`, through the (workflow_id, seq) index.
            let rows = try Row.fetchAll(db, sql: """
                SELECT seq, id, status, completed_at FROM executions INDEXED BY executions_by_workflow
                WHERE workflow_id = ? AND seq > ? ORDER BY seq LIMIT ?
                """, arguments: [workflowID, after, window])
            var doomed: [(seq: Int64, id: String)] = []
            for row in rows where doomed.count < limit {
                let status: String = row[2]
                guard ["COMPLETED", "FAILED", "CANCELLED"].contains(status) else { continue }
                let seq: Int64 = row[0]
                let completedAt: Int64? = row[3]
                let expired = (completedBefore.map { (completedAt ?? .max) < $0 } ?? false) || seq < keepBoundary
                guard expired else { continue }
                // Its events fanned out, and no delivery of them still pending.
                let lastEvent = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM events WHERE execution_seq = ?"), arguments: [seq]) ?? 0
                guard lastEvent <= fannedOut else { continue }
                let pending = try Int64.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM webhook_deliveries WHERE execution_seq = ? AND status = 'PENDING' LIMIT 1"), arguments: [seq])
                guard pending == nil else { continue }
                doomed.append((seq, row[1]))
            }
            if !doomed.isEmpty {
                let lastBefore = try Self.lastEventSeq(db)
                let seqs = doomed.map { String($0.seq) }.joined(separator: ",")
                let ids = doomed.map(\.id)
                let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
                try db.execute(sql: "DELETE FROM webhook_deliveries WHERE execution_seq IN (\(seqs))")
                try db.execute(sql: "DELETE FROM events WHERE execution_seq IN (\(seqs))")
                try db.execute(sql: "DELETE FROM task_logs WHERE execution_seq IN (\(seqs))")
                try db.execute(sql: "DELETE FROM tasks WHERE execution_seq IN (\(seqs))")
                try db.execute(sql: "DELETE FROM queued_tasks WHERE execution_id IN (\(marks))", arguments: StatementArguments(ids))
                try db.execute(sql: "DELETE FROM schedule_fires WHERE execution_id IN (\(marks))", arguments: StatementArguments(ids))
                try db.execute(sql: "DELETE FROM executions WHERE seq IN (\(seqs))")
                // As `deleteWorkflow`: later events keep seqs above the deleted ones.
                if try Self.lastEventSeq(db) < lastBefore {
                    try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('event_seq_floor', ?)", arguments: [String(lastBefore)])
                }
            }
            let last: Int64? = rows.last?[0]
            return PurgeResult(deletedIDs: doomed.map(\.id), lastExamined: last, windowFull: rows.count == window)
        }
    }

    /// Gives freed pages back to the file system, at most `pages` at a time (a database created
    /// by this version uses incremental auto-vacuum; an older one reuses its free pages instead).
    public func compact(pages: Int) async throws {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA incremental_vacuum(\(max(1, pages)))")
        }
    }

    /// Pages in the database file, and how many of them are free.
    public func pageCounts() throws -> (pages: Int, free: Int) {
        try pool.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0, try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
        }
    }

    /// The database's `auto_vacuum` mode (2: incremental).
    public func autoVacuumMode() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0 }
    }
}
