import PostgresNIO
import SluiceCore
import SluiceStore

/// Deleting finished executions past their workflow's retention (PostgreSQL's autovacuum gives
/// the space back to the tables).
extension PostgresStore {
    public func purgeFinished(workflowID: String, completedBefore: Int64?, keepLast: Int?, after: Int64, window: Int, limit: Int) async throws -> PurgeResult {
        let logger = self.logger
        return try await transaction { [self] connection in
            let batch = Batch(connection: connection, logger: logger, now: 0, eventLock: eventLock)
            var keepBoundary: Int64 = 0
            if let keepLast {
                keepBoundary = try await batch.run("""
                    SELECT seq FROM executions WHERE workflow_id = \(workflowID) AND status IN ('COMPLETED', 'FAILED', 'CANCELLED')
                    ORDER BY seq DESC OFFSET \(Int64(keepLast - 1)) LIMIT 1
                    """).first?.decode(Int64.self) ?? 0
            }
            let examined = try await batch.run("""
                SELECT MAX(seq), COUNT(*) FROM (SELECT seq FROM executions WHERE workflow_id = \(workflowID) AND seq > \(after) ORDER BY seq LIMIT \(Int64(window))) w
                """).first.map { try $0.decode((Int64?, Int64).self) } ?? (nil, Int64(0))
            // Locked, so that a retry of one of them waits and then finds it gone; the status is
            // checked again on the locked row.
            let doomed = try await batch.run("""
                SELECT e.seq, e.id FROM executions e
                WHERE e.seq IN (SELECT seq FROM executions WHERE workflow_id = \(workflowID) AND seq > \(after) ORDER BY seq LIMIT \(Int64(window)))
                  AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
                  AND (e.completed_at < \(completedBefore ?? Int64.min) OR e.seq < \(keepBoundary))
                  AND COALESCE((SELECT MAX(v.seq) FROM events v WHERE v.execution_seq = e.seq), 0)
                      <= (SELECT value::bigint FROM meta WHERE key = 'webhook_fanout_after')
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.execution_seq = e.seq AND d.status = 'PENDING')
                ORDER BY e.seq LIMIT \(Int64(limit))
                FOR UPDATE OF e SKIP LOCKED
                """).map { try $0.decode((Int64, String).self) }
            if !doomed.isEmpty {
                let seqs = doomed.map(\.0)
                let ids = doomed.map(\.1)
                // Later events keep seqs above the deleted ones: the floor covers them.
                try await batch.run("""
                    INSERT INTO meta (key, value)
                    SELECT 'event_seq_floor', (SELECT MAX(seq) FROM events WHERE execution_seq = ANY(\(seqs)))::text
                    WHERE EXISTS (SELECT 1 FROM events WHERE execution_seq = ANY(\(seqs)))
                    ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value::bigint, excluded.value::bigint)::text
                    """)
                try await batch.run("DELETE FROM webhook_deliveries WHERE execution_seq = ANY(\(seqs))")
                try await batch.run("DELETE FROM events WHERE execution_seq = ANY(\(seqs))")
                try await batch.run("DELETE FROM task_logs WHERE execution_seq = ANY(\(seqs))")
                try await batch.run("DELETE FROM tasks WHERE execution_seq = ANY(\(seqs))")
                try await batch.run("DELETE FROM queued_tasks WHERE execution_id = ANY(\(ids))")
                try await batch.run("DELETE FROM schedule_fires WHERE execution_id = ANY(\(ids))")
                try await batch.run("DELETE FROM executions WHERE seq = ANY(\(seqs))")
            }
            return PurgeResult(deletedIDs: doomed.map(\.1), lastExamined: examined.0, windowFull: examined.1 == Int64(window))
        }
    }
}
