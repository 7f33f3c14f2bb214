import PostgresNIO
import SluiceCore
import SluiceStore

/// Schedules and their fire records: writes.
extension PostgresStore.Batch {
    mutating func applyScheduleMutation(_ mutation: Mutation) async throws -> MutationOutcome {
        switch mutation {
        case .insertSchedule(let r):
            let s = r.schedule
            // FOR KEY SHARE: a workflow deleted concurrently is either seen gone (stale) or kept
            // until this transaction ends, so the foreign key cannot fail.
            let rows = try await run("""
                WITH w AS (SELECT id FROM workflows WHERE id = \(r.workflowID) FOR KEY SHARE),
                i AS (
                    INSERT INTO schedules (id, workflow_id, spec, paused, created_at, updated_at, revision, last_due, queued_due, next_fire_at, last_error, created_by)
                    SELECT \(r.id), w.id, \(r.specColumn), \(s.spec.paused), \(s.createdAt), \(r.updatedAt), \(r.revision), \(s.lastDue)::bigint, \(s.queuedDue)::bigint,
                        \(r.nextFireAt)::bigint, \(r.lastError)::text, \(r.createdBy)::text
                    FROM w
                    ON CONFLICT DO NOTHING RETURNING 1)
                SELECT EXISTS (SELECT 1 FROM w), EXISTS (SELECT 1 FROM i)
                """)
            return try Self.insertOutcome(rows)
        case .updateSchedule(let r, let expected, let fires):
            let s = r.schedule
            let rows = try await run("""
                UPDATE schedules SET spec = \(r.specColumn), paused = \(s.spec.paused), updated_at = \(r.updatedAt), revision = \(expected + 1),
                    last_due = \(s.lastDue)::bigint, queued_due = \(s.queuedDue)::bigint, next_fire_at = \(r.nextFireAt)::bigint, last_error = \(r.lastError)::text
                WHERE id = \(r.id) AND workflow_id = \(r.workflowID) AND revision = \(expected)
                RETURNING 1
                """)
            guard !rows.isEmpty else { return .stale }
            for f in fires {
                try await run("""
                    INSERT INTO schedule_fires (schedule_id, due, at, outcome, execution_id, reason)
                    VALUES (\(r.id), \(f.due), \(f.at), \(f.outcome.rawValue), \(f.executionID)::text, \(f.reason)::text)
                    ON CONFLICT (schedule_id, due) DO UPDATE SET at = EXCLUDED.at, outcome = EXCLUDED.outcome, execution_id = EXCLUDED.execution_id, reason = EXCLUDED.reason
                    """)
            }
            return .applied
        case .deleteSchedule(let workflowID, let id):
            // Its fire records go with it (ON DELETE CASCADE).
            let rows = try await run("DELETE FROM schedules WHERE id = \(id) AND workflow_id = \(workflowID) RETURNING 1")
            return rows.isEmpty ? .stale : .applied
        default:
            preconditionFailure("not a schedule mutation: \(mutation)")
        }
    }
}

/// Schedules and their fire records: reads.
extension PostgresStore {
    static let scheduleColumns = "id, workflow_id, spec, created_at, updated_at, revision, last_due, queued_due, next_fire_at, last_error, created_by"

    static func schedule(_ row: PostgresRandomAccessRow) throws -> ScheduleRecord {
        let id = try row[0].decode(String.self)
        guard let record = ScheduleRecord.from(
            id: id, workflowID: try row[1].decode(String.self), spec: try row[2].decode(String.self), createdAt: try row[3].decode(Int64.self),
            updatedAt: try row[4].decode(Int64.self), revision: try row[5].decode(Int64.self), lastDue: try row[6].decode(Int64?.self),
            queuedDue: try row[7].decode(Int64?.self), nextFireAt: try row[8].decode(Int64?.self), lastError: try row[9].decode(String?.self),
            createdBy: try row[10].decode(String?.self))
        else { throw StoreError(message: "schedule \(id) is stored with a spec that does not parse") }
        return record
    }

    public func schedule(id: String) async throws -> ScheduleRecord? {
        try await rows("SELECT \(unescaped: Self.scheduleColumns) FROM schedules WHERE id = \(id)").first.map(Self.schedule)
    }

    public func schedules(workflowID: String) async throws -> [ScheduleRecord] {
        try await rows("SELECT \(unescaped: Self.scheduleColumns) FROM schedules WHERE workflow_id = \(workflowID) ORDER BY created_at, id COLLATE \"C\"")
            .map(Self.schedule)
    }

    public func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord] {
        try await rows("""
            SELECT \(unescaped: Self.scheduleColumns) FROM schedules WHERE id IN (
                SELECT id FROM schedules WHERE NOT paused AND next_fire_at IS NOT NULL AND next_fire_at <= \(now)
                UNION SELECT id FROM schedules WHERE NOT paused AND queued_due IS NOT NULL)
            ORDER BY next_fire_at, id COLLATE "C" LIMIT \(Int64(limit))
            """).map(Self.schedule)
    }

    public func nextScheduleFireAt() async throws -> Int64? {
        try await rows("SELECT MIN(next_fire_at) FROM schedules WHERE NOT paused AND next_fire_at IS NOT NULL").first?[0].decode(Int64?.self)
    }

    public func scheduleFires(scheduleID: String, limit: Int, before: Int64?) async throws -> Page<ScheduleFireRecord> {
        let rows = try await rows("""
            SELECT schedule_id, due, at, outcome, execution_id, reason FROM schedule_fires
            WHERE schedule_id = \(scheduleID) AND due < \(before ?? Int64.max) ORDER BY due DESC LIMIT \(Int64(limit + 1))
            """)
        let items = try rows.prefix(limit).map { row -> ScheduleFireRecord in
            let outcome = try row[3].decode(String.self)
            guard let o = ScheduleFireRecord.Outcome(rawValue: outcome) else { throw StoreError(message: "unknown schedule fire outcome \(outcome)") }
            return ScheduleFireRecord(
                scheduleID: try row[0].decode(String.self), due: try row[1].decode(Int64.self), at: try row[2].decode(Int64.self), outcome: o,
                executionID: try row[4].decode(String?.self), reason: try row[5].decode(String?.self))
        }
        return Page(items: items, nextCursor: rows.count > limit ? items.last?.due : nil)
    }

    public func runningExecutions(scheduleID: String) async throws -> Int {
        // Through the workflow's unfinished executions (few), not the schedule's fires (many).
        let count = try await rows("""
            SELECT COUNT(*) FROM schedules s JOIN executions e ON e.workflow_id = s.workflow_id AND e.status IN ('PENDING', 'RUNNING')
            WHERE s.id = \(scheduleID) AND EXISTS (SELECT 1 FROM schedule_fires f WHERE f.execution_id = e.id AND f.schedule_id = s.id)
            """).first?[0].decode(Int64.self) ?? 0
        return Int(count)
    }
}
