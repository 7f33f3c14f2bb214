import GRDB
import SluiceCore
import SluiceStore

/// Schedules and their fire records.
extension SQLiteStore {
    static func applyScheduleMutation(_ mutation: Mutation, _ db: Database) throws -> MutationOutcome {
        switch mutation {
        case .insertSchedule(let r):
            guard try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM workflows WHERE id = ?"), arguments: [r.workflowID]) != nil else { return .stale }
            let s = r.schedule
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO schedules (id, workflow_id, spec, paused, created_at, updated_at, revision, last_due, queued_due, next_fire_at, last_error, created_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [r.id, r.workflowID, r.specColumn, s.spec.paused, s.createdAt, r.updatedAt, r.revision, s.lastDue, s.queuedDue, r.nextFireAt, r.lastError, r.createdBy])
            return db.changesCount == 0 ? .idConflict : .applied
        case .updateSchedule(let r, let expected, let fires):
            let s = r.schedule
            try db.cachedStatement(sql: """
                UPDATE schedules SET spec = ?, paused = ?, updated_at = ?, revision = ?, last_due = ?, queued_due = ?, next_fire_at = ?, last_error = ?
                WHERE id = ? AND workflow_id = ? AND revision = ?
                """).execute(arguments: [r.specColumn, s.spec.paused, r.updatedAt, expected + 1, s.lastDue, s.queuedDue, r.nextFireAt, r.lastError, r.id, r.workflowID, expected])
            guard db.changesCount > 0 else { return .stale }
            let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO schedule_fires (schedule_id, due, at, outcome, execution_id, reason) VALUES (?, ?, ?, ?, ?, ?)")
            for f in fires {
                try insert.execute(arguments: [r.id, f.due, f.at, f.outcome.rawValue, f.executionID, f.reason])
            }
            return .applied
        case .deleteSchedule(let workflowID, let id):
            // Its fire records go with it (ON DELETE CASCADE).
            try db.cachedStatement(sql: "DELETE FROM schedules WHERE id = ? AND workflow_id = ?").execute(arguments: [id, workflowID])
            return db.changesCount == 0 ? .stale : .applied
        default:
            preconditionFailure("not a schedule mutation: \(mutation)")
        }
    }

    static let scheduleColumns = "id, workflow_id, spec, created_at, updated_at, revision, last_due, queued_due, next_fire_at, last_error, created_by"

    static func schedule(_ row: Row) throws -> ScheduleRecord {
        let id: String = row[0]
        guard let record = ScheduleRecord.from(
            id: id, workflowID: row[1], spec: row[2], createdAt: row[3], updatedAt: row[4], revision: row[5], lastDue: row[6], queuedDue: row[7],
            nextFireAt: row[8], lastError: row[9], createdBy: row[10])
        else { throw StoreError(message: "schedule \(id) is stored with a spec that does not parse") }
        return record
    }

    public func schedule(id: String) async throws -> ScheduleRecord? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.scheduleColumns) FROM schedules WHERE id = ?"), arguments: [id]).map(Self.schedule)
        }
    }

    public func schedules(workflowID: String) async throws -> [ScheduleRecord] {
        try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.scheduleColumns) FROM schedules WHERE workflow_id = ? ORDER BY created_at, id"), arguments: [workflowID])
                .map(Self.schedule)
        }
    }

    public func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord] {
        try readNow { db in
            // Two index ranges (the due ones, the queued ones), merged.
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.scheduleColumns) FROM schedules WHERE id IN (
                    SELECT id FROM schedules WHERE paused = 0 AND next_fire_at IS NOT NULL AND next_fire_at <= ?
                    UNION SELECT id FROM schedules WHERE paused = 0 AND queued_due IS NOT NULL)
                ORDER BY next_fire_at, id LIMIT ?
                """), arguments: [now, limit]).map(Self.schedule)
        }
    }

    public func nextScheduleFireAt() async throws -> Int64? {
        try readNow { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(next_fire_at) FROM schedules WHERE paused = 0 AND next_fire_at IS NOT NULL"))
        }
    }

    public func scheduleFires(scheduleID: String, limit: Int, before: Int64?) async throws -> Page<ScheduleFireRecord> {
        try readNow { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT schedule_id, due, at, outcome, execution_id, reason FROM schedule_fires WHERE schedule_id = ? AND due < ? ORDER BY due DESC LIMIT ?
                """), arguments: [scheduleID, before ?? Int64.max, limit + 1])
            let items = try rows.prefix(limit).map { row -> ScheduleFireRecord in
                let outcome: String = row[3]
                guard let o = ScheduleFireRecord.Outcome(rawValue: outcome) else { throw StoreError(message: "unknown schedule fire outcome \(outcome)") }
                return ScheduleFireRecord(scheduleID: row[0], due: row[1], at: row[2], outcome: o, executionID: row[4], reason: row[5])
            }
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.due : nil)
        }
    }

    public func runningExecutions(scheduleID: String) async throws -> Int {
        try readNow { db in
            // Through the workflow's unfinished executions (few), not the schedule's fires (many).
            try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COUNT(*) FROM schedules s JOIN executions e ON e.workflow_id = s.workflow_id AND e.status IN ('PENDING', 'RUNNING')
                WHERE s.id = ? AND EXISTS (SELECT 1 FROM schedule_fires f WHERE f.execution_id = e.id AND f.schedule_id = s.id)
                """), arguments: [scheduleID]) ?? 0
        }
    }
}
