import GRDB
import SluiceCore
import SluiceStore

/// Queued `Worker.Task` attempts: claims, heartbeats and answers, each one write transaction
/// of the single writer (so two claims never take one task).
extension SQLiteStore {
    static let queuedColumns = """
        q.id, q.execution_id, q.workflow_id, q.namespace, q.idx, q.step_id, q.attempt, q.queue, q.input, q.output_type, q.lease_ms, q.created_at,
        q.claim_token, q.worker, q.claimed_at, q.heartbeat_at, q.lease_until, q.result, q.human, q.due_at, q.answered_at, q.phase
        """
    /// How many columns `queuedColumns` are: what a query selects after them starts here.
    static let queuedWidth = 22
    /// Whether the row's task is still RUNNING at the row's attempt.
    static let queuedIsCurrent = """
        EXISTS (SELECT 1 FROM executions e JOIN tasks t ON t.execution_seq = e.seq
                WHERE e.id = q.execution_id AND t.idx = q.idx AND t.status = 'RUNNING' AND t.attempt = q.attempt)
        """

    static func queued(_ row: Row) -> QueuedTaskRecord {
        let token: String? = row[12]
        let claim = token.map { QueueClaim(token: $0, worker: row[13], claimedAt: row[14], heartbeatAt: row[15], leaseUntil: row[16]) }
        return QueuedTaskRecord(
            id: row[0], executionID: row[1], workflowID: row[2], namespace: row[3], index: row[4], stepID: row[5], attempt: row[6],
            queue: row[7], input: json(row[8]) ?? .null, outputType: row[9], leaseMilliseconds: row[10], createdAt: row[11],
            claim: claim, result: json(row[17]).flatMap(QueuedTaskResult.init(json:)),
            human: json(row[18]).flatMap(HumanTask.Spec.init(json:)), dueAt: row[19], answeredAt: row[20], phase: row[21]
        )
    }

    /// Writes the event of a change of `task`'s holder (from `before`), if it emits one
    /// (`QueueEvents`), in the change's transaction.
    static func holderEvent(_ task: QueuedTaskRecord, before: QueueClaim?, at now: Int64, _ db: Database, _ sequence: EventSequence) throws {
        guard let type = QueueEvents.type(from: before, to: task) else { return }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT e.seq, t.task_id, t.type FROM executions e JOIN tasks t ON t.execution_seq = e.seq WHERE e.id = ? AND t.idx = ?
            """), arguments: [task.executionID, task.index]) else { return }
        let draft = EventDraft(type: type, data: QueueEvents.data(task, taskID: row[1], type: row[2]))
        try insertEvents([draft], executionSeq: row[0], workflowID: task.workflowID, at: now, db, sequence)
    }

    static func queued(id: String, _ db: Database) throws -> (record: QueuedTaskRecord, current: Bool)? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(queuedColumns), \(queuedIsCurrent) FROM queued_tasks q WHERE q.id = ?"), arguments: [id])
            .map { (queued($0), $0[queuedWidth]) }
    }

    /// Inserts `task` unless its attempt is queued already; whether it did.
    @discardableResult
    static func insertQueued(_ task: QueuedTaskRecord, _ db: Database) throws -> Bool {
        try db.cachedStatement(sql: """
            INSERT INTO queued_tasks (id, execution_id, workflow_id, namespace, idx, step_id, attempt, queue, input, output_type, lease_ms, created_at, human, assignees, due_at,
                phase, claim_token, worker, claimed_at, heartbeat_at, lease_until, result, pool, answered_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (execution_id, idx, attempt, phase) DO NOTHING
            """).execute(arguments: insertArguments(task))
        return db.changesCount > 0
    }

    /// The values of `insertQueued`'s statement: a task may be stored claimed already (a person
    /// it is assigned to from the start) or answered (an algorithm's output).
    static func insertArguments(_ task: QueuedTaskRecord) -> StatementArguments {
        [
            task.id, task.executionID, task.workflowID, task.namespace, task.index, task.stepID, task.attempt,
            task.queue, task.input.jsonString, task.outputType, task.leaseMilliseconds, task.createdAt,
            task.human?.json.jsonString, task.assigneesColumn, task.dueAt,
            task.phase, task.claim?.token, task.claim?.worker, task.claim?.claimedAt, task.claim?.heartbeatAt, task.claim?.leaseUntil, task.result?.json.jsonString, task.pool, task.answeredAt,
        ]
    }

    /// Stores the answer of task `id` if the rule allows it: `.applied` with the task, or why not.
    static func answerQueued(id: String, token: String?, result: QueuedTaskResult, now: Int64, _ db: Database) throws -> QueueCallOutcome {
        guard let (q, current) = try queued(id: id, db) else { return .notFound }
        if let refusal = q.refusal(current: current, token: token, now: now) { return refusal }
        try db.cachedStatement(sql: "UPDATE queued_tasks SET result = ?, answered_at = ? WHERE id = ?").execute(arguments: [result.json.jsonString, now, id])
        var answered = q
        answered.result = result
        answered.answeredAt = now
        return .applied(answered)
    }

    public func enqueue(_ task: QueuedTaskRecord) async throws -> QueuedTaskRecord {
        return try await pool.write { db in
            try Self.insertQueued(task, db)
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.queuedColumns) FROM queued_tasks q WHERE q.execution_id = ? AND q.idx = ? AND q.attempt = ? AND q.phase = ?"),
                arguments: [task.executionID, task.index, task.attempt, task.phase])
            return row.map(Self.queued) ?? task
        }
    }

    public func claimQueued(queue: String, namespaces: Set<String>?, worker: String, now: Int64, tokens: [String]) async throws -> [QueuedTaskRecord] {
        guard !tokens.isEmpty else { return [] }
        if let namespaces, namespaces.isEmpty { return [] }
        return try await pool.write { db in
            var arguments: StatementArguments = [queue]
            var filter = ""
            if let namespaces {
                filter = " AND q.namespace IN (\(Array(repeating: "?", count: namespaces.count).joined(separator: ", ")))"
                for n in namespaces.sorted() { arguments += [n] }
            }
            arguments += [tokens.count]
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(Self.queuedColumns) FROM queued_tasks q
                WHERE q.queue = ? AND q.claim_token IS NULL AND q.result IS NULL\(filter) AND \(Self.queuedIsCurrent)
                ORDER BY q.created_at, q.id LIMIT ?
                """, arguments: arguments)
            let update = try db.cachedStatement(sql: """
                UPDATE queued_tasks SET claim_token = ?, worker = ?, claimed_at = ?, heartbeat_at = ?, lease_until = ? WHERE id = ?
                """)
            // One event sequence for the batch: the last seq is read once, not per task.
            let events = EventSequence()
            return try rows.enumerated().map { k, row in
                var q = Self.queued(row)
                let claim = QueueClaim(token: tokens[k], worker: worker, claimedAt: now, heartbeatAt: now, leaseUntil: now + q.leaseMilliseconds)
                try update.execute(arguments: [claim.token, claim.worker, claim.claimedAt, claim.heartbeatAt, claim.leaseUntil, q.id])
                q.claim = claim
                try Self.holderEvent(q, before: nil, at: now, db, events)
                return q
            }
        }
    }

    public func queuedTask(id: String) async throws -> QueuedTaskRecord? {
        try readNow { db in try Self.queued(id: id, db)?.record }
    }

    public func renewClaim(id: String, token: String, now: Int64) async throws -> QueueCallOutcome {
        try await pool.write { db in
            guard let (q, current) = try Self.queued(id: id, db) else { return .notFound }
            if let refusal = q.refusal(current: current, token: token, now: now) { return refusal }
            var renewed = q
            renewed.claim!.heartbeatAt = now
            renewed.claim!.leaseUntil = max(q.claim!.leaseUntil, now + q.leaseMilliseconds)
            try db.cachedStatement(sql: "UPDATE queued_tasks SET heartbeat_at = ?, lease_until = ? WHERE id = ?")
                .execute(arguments: [now, renewed.claim!.leaseUntil, id])
            return .applied(renewed)
        }
    }

    public func answerQueued(id: String, token: String?, result: QueuedTaskResult, now: Int64) async throws -> QueueCallOutcome {
        try await pool.write { db in try Self.answerQueued(id: id, token: token, result: result, now: now, db) }
    }

    public func queueSummaries(namespaces: Set<String>?, now: Int64) async throws -> [QueueSummary] {
        if let namespaces, namespaces.isEmpty { return [] }
        let seenSince = now - QueueSummary.workersWindow
        let claimsSince = now - QueueSummary.claimsWindow
        return try readNow { db in
            var filter = ""
            var names: StatementArguments = []
            if let namespaces {
                filter = " AND q.namespace IN (\(Array(repeating: "?", count: namespaces.count).joined(separator: ", ")))"
                for n in namespaces.sorted() { names += [n] }
            }
            let arguments: StatementArguments = [seenSince, claimsSince, seenSince] + names + [seenSince]
            // `waits`: not answered, and its task still RUNNING at the attempt.
            return try Row.fetchAll(db, sql: """
                SELECT queue, SUM(waits AND claim_token IS NULL), SUM(waits AND claim_token IS NOT NULL),
                    MIN(CASE WHEN waits AND claim_token IS NULL THEN created_at END),
                    COUNT(DISTINCT CASE WHEN claimed_at >= ? THEN worker END), SUM(claimed_at IS NOT NULL AND claimed_at >= ?)
                FROM (SELECT q.queue, q.claim_token, q.created_at, q.worker, q.claimed_at, (q.result IS NULL AND \(Self.queuedIsCurrent)) AS waits
                      FROM queued_tasks q WHERE (q.result IS NULL OR q.claimed_at >= ?) AND q.queue <> '\(HumanTask.queue)'\(filter))
                GROUP BY queue HAVING SUM(waits) > 0 OR SUM(claimed_at IS NOT NULL AND claimed_at >= ?) > 0 ORDER BY queue
                """, arguments: arguments).map { row in
                QueueSummary(queue: row[0], waiting: row[1], claimed: row[2], oldestWaitingSince: row[3], workersSeen: row[4], claimsLastMinute: row[5])
            }
        }
    }

    // MARK: Human tasks

    public func updateHumanTask(id: String, action: HumanTaskAction, now: Int64) async throws -> QueueCallOutcome {
        try await pool.write { db in
            guard let (q, current) = try Self.queued(id: id, db), q.human != nil else { return .notFound }
            // The acting account's groups, in this transaction: a member added a moment ago counts.
            let groups = try q.groupsNeeded(for: action).map { try Set(Self.groupNames(account: $0, db)) } ?? []
            switch q.applying(action, current: current, now: now, groups: groups) {
            case .refuse(let outcome): return outcome
            case .write(let next):
                if next != q {
                    try db.cachedStatement(sql: """
                        UPDATE queued_tasks SET claim_token = ?, worker = ?, claimed_at = ?, heartbeat_at = ?, lease_until = ?, result = ?, answered_at = ? WHERE id = ?
                        """).execute(arguments: [
                            next.claim?.token, next.claim?.worker, next.claim?.claimedAt, next.claim?.heartbeatAt, next.claim?.leaseUntil,
                            next.result?.json.jsonString, next.answeredAt, id,
                        ])
                    try Self.holderEvent(next, before: q.claim, at: now, db, EventSequence())
                }
                return .applied(next)
            }
        }
    }

    public func unansweredQueuedTasks(executionID: String) async throws -> [QueuedTaskRecord] {
        try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.queuedColumns) FROM queued_tasks q WHERE q.execution_id = ? AND q.result IS NULL ORDER BY q.idx, q.attempt"),
                arguments: [executionID]).map(Self.queued)
        }
    }

    public func humanTasks(_ filter: HumanTaskFilter, namespaces: Set<String>?, after: String?, limit: Int) async throws -> [QueuedTaskRecord] {
        if let namespaces, namespaces.isEmpty { return [] }
        return try readNow { db in
            var sql = "SELECT \(Self.queuedColumns) FROM queued_tasks q WHERE q.queue = ? AND q.result IS NULL"
            var arguments: StatementArguments = [HumanTask.queue]
            switch filter {
            case .heldBy(let account):
                sql += " AND q.claim_token IS NOT NULL AND q.worker = ?"
                arguments += [account]
            case .claimableBy(let account):
                // An assignee, or a member of an assigned group (read now, in this query).
                sql += """
                     AND q.claim_token IS NULL AND (q.assignees IS NULL OR instr(q.assignees, ?) > 0 OR EXISTS (
                        SELECT 1 FROM account_group_members m JOIN account_groups g ON g.id = m.group_id JOIN accounts a ON a.id = m.account_id
                        WHERE a.name = ? AND instr(q.assignees, ',\(GroupName.assigneePrefix)' || g.name || ',') > 0))
                    """
                arguments += ["," + account + ",", account]
            case .open: break
            }
            if let namespaces {
                sql += " AND q.namespace IN (\(Array(repeating: "?", count: namespaces.count).joined(separator: ", ")))"
                for n in namespaces.sorted() { arguments += [n] }
            }
            if let after {
                // A cursor naming no task: nothing after it (as on PostgreSQL).
                guard let cursor = try Row.fetchOne(db, sql: "SELECT created_at, id FROM queued_tasks WHERE id = ?", arguments: [after]) else { return [] }
                sql += " AND (q.created_at, q.id) > (?, ?)"
                arguments += [cursor[0] as Int64, cursor[1] as String]
            }
            sql += " AND \(Self.queuedIsCurrent) ORDER BY q.created_at, q.id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.queued)
        }
    }
}
