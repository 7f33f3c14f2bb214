import PostgresNIO
import SluiceCore
import SluiceStore

/// Queued `Worker.Task` attempts. A claim is one statement (`FOR UPDATE SKIP LOCKED`): any node
/// may claim, and two claims never take one task; a heartbeat or an answer locks its row.
extension PostgresStore {
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

    static func queued(_ row: PostgresRandomAccessRow) throws -> QueuedTaskRecord {
        let token = try row[12].decode(String?.self)
        let claim = try token.map {
            QueueClaim(
                token: $0, worker: try row[13].decode(String.self), claimedAt: try row[14].decode(Int64.self),
                heartbeatAt: try row[15].decode(Int64.self), leaseUntil: try row[16].decode(Int64.self)
            )
        }
        return QueuedTaskRecord(
            id: try row[0].decode(String.self), executionID: try row[1].decode(String.self), workflowID: try row[2].decode(String.self),
            namespace: try row[3].decode(String.self), index: Int(try row[4].decode(Int64.self)), stepID: try row[5].decode(String.self),
            attempt: Int(try row[6].decode(Int64.self)), queue: try row[7].decode(String.self), input: json(try row[8].decode(String.self)) ?? .null,
            outputType: try row[9].decode(String.self), leaseMilliseconds: try row[10].decode(Int64.self), createdAt: try row[11].decode(Int64.self),
            claim: claim, result: json(try row[17].decode(String?.self)).flatMap(QueuedTaskResult.init(json:)),
            human: json(try row[18].decode(String?.self)).flatMap(HumanTask.Spec.init(json:)), dueAt: try row[19].decode(Int64?.self),
            answeredAt: try row[20].decode(Int64?.self),
            phase: Int(try row[21].decode(Int64.self))
        )
    }

    /// The insert of a queued task, unless that phase of its attempt is queued already. A task
    /// may be stored claimed (a person it is assigned to from the start) or answered (an
    /// algorithm's output).
    static func insertQueued(_ task: QueuedTaskRecord) -> PostgresQuery {
        """
        INSERT INTO queued_tasks (id, execution_id, workflow_id, namespace, idx, step_id, attempt, queue, input, output_type, lease_ms, created_at, human, assignees, due_at,
            phase, claim_token, worker, claimed_at, heartbeat_at, lease_until, result, pool, answered_at)
        VALUES (\(task.id), \(task.executionID), \(task.workflowID), \(task.namespace), \(Int64(task.index)), \(task.stepID), \(Int64(task.attempt)),
                \(task.queue), \(task.input.jsonString), \(task.outputType), \(task.leaseMilliseconds), \(task.createdAt), \(task.human?.json.jsonString), \(task.assigneesColumn), \(task.dueAt),
                \(Int64(task.phase)), \(task.claim?.token), \(task.claim?.worker), \(task.claim?.claimedAt), \(task.claim?.heartbeatAt), \(task.claim?.leaseUntil), \(task.result?.json.jsonString), \(task.pool.map(Int64.init)), \(task.answeredAt))
        ON CONFLICT (execution_id, idx, attempt, phase) DO NOTHING
        """
    }

    public func enqueue(_ task: QueuedTaskRecord) async throws -> QueuedTaskRecord {
        // The insert, then the row that stands (this one, or the one queued before it): two
        // statements, as one statement's SELECT would not see its own insert. Used when the
        // group committer's insert found the phase queued already (a restart).
        _ = try await rows(Self.insertQueued(task))
        let rows = try await rows("""
            SELECT \(unescaped: Self.queuedColumns) FROM queued_tasks q
            WHERE q.execution_id = \(task.executionID) AND q.idx = \(Int64(task.index)) AND q.attempt = \(Int64(task.attempt)) AND q.phase = \(Int64(task.phase))
            """)
        // On a cluster, the claims waiting on the queue on every node look again: announced
        // once the insert has committed.
        if let node = cluster.withLock({ $0.nodeID }) {
            let notice = ClusterNotification(nodeID: node, work: false, changed: [], finished: [], queues: [task.queue]).payload
            _ = try await self.rows("SELECT pg_notify(\(channel), \(notice))")
        }
        return try rows.first.map(Self.queued) ?? task
    }

    public func claimQueued(queue: String, namespaces: Set<String>?, worker: String, now: Int64, tokens: [String]) async throws -> [QueuedTaskRecord] {
        guard !tokens.isEmpty else { return [] }
        if let namespaces, namespaces.isEmpty { return [] }
        let all = namespaces == nil
        let names = (namespaces ?? []).sorted()
        let node = cluster.withLock { $0.nodeID }
        return try await transaction { [self] connection in
          let rows = try await connection.checkedQuery("""
            WITH c AS (
                SELECT q.id, q.created_at FROM queued_tasks q
                WHERE q.queue = \(queue) AND q.claim_token IS NULL AND q.result IS NULL
                  AND (\(all) OR q.namespace = ANY(\(names)::text[])) AND \(unescaped: Self.queuedIsCurrent)
                ORDER BY q.created_at, q.id LIMIT \(Int64(tokens.count))
                FOR UPDATE OF q SKIP LOCKED),
            n AS (SELECT c.id, (row_number() OVER (ORDER BY c.created_at, c.id))::int AS n FROM c),
            u AS (
                UPDATE queued_tasks q SET claim_token = (\(tokens)::text[])[n.n], worker = \(worker), claimed_at = \(now), heartbeat_at = \(now),
                    lease_until = \(now) + q.lease_ms
                FROM n WHERE q.id = n.id RETURNING q.*)
            SELECT \(unescaped: Self.queuedColumns), e.seq, t.task_id, t.type FROM u q
            JOIN executions e ON e.id = q.execution_id JOIN tasks t ON t.execution_seq = e.seq AND t.idx = q.idx
            ORDER BY q.created_at, q.id
            """, logger: self.logger).collect().map { $0.makeRandomAccess() }
          var batch = Batch(connection: connection, logger: self.logger, now: now, eventLock: self.eventLock, node: node)
          let claimed = try rows.map { row in
              let q = try Self.queued(row)
              let w = Self.queuedWidth
              try Self.holderEvent(q, before: nil, executionSeq: try row[w].decode(Int64.self), taskID: try row[w + 1].decode(String.self), type: try row[w + 2].decode(String.self), &batch)
              return q
          }
          // Announced before the events' write takes the event lock (delivered at COMMIT).
          if let node { try await batch.announce(node: node, channel: self.channel) }
          try await batch.flushEvents()
          return claimed
        }
    }

    /// Tells the other nodes that execution `id`'s queued task changed (delivered on commit).
    static func announceChanged(_ id: String, node: String, channel: String, _ connection: PostgresConnection, logger: Logger) async throws {
        let payload = ClusterNotification(nodeID: node, work: false, changed: [id], finished: []).payload
        try await connection.checkedQuery("SELECT pg_notify(\(channel), \(payload))", logger: logger)
    }

    /// Adds the event of a change of `task`'s holder (from `before`), if it emits one
    /// (`QueueEvents`), to `batch`, written when it flushes (in the change's transaction).
    static func holderEvent(_ task: QueuedTaskRecord, before: QueueClaim?, executionSeq: Int64, taskID: String, type: String, _ batch: inout Batch) throws {
        guard let event = QueueEvents.type(from: before, to: task) else { return }
        batch.event(executionSeq: executionSeq, workflowID: task.workflowID, type: event, data: QueueEvents.data(task, taskID: taskID, type: type))
        batch.changed.append(task.executionID)
    }

    public func queuedTask(id: String) async throws -> QueuedTaskRecord? {
        try await rows("SELECT \(unescaped: Self.queuedColumns) FROM queued_tasks q WHERE q.id = \(id)").first.map(Self.queued)
    }

    /// Locks row `id` and says whether a call with `token` may change it at `now`: `.applied`
    /// with the row, or why not.
    static func lockQueued(_ id: String, token: String?, now: Int64, _ connection: PostgresConnection, logger: Logger) async throws -> QueueCallOutcome {
        let rows = try await connection.checkedQuery("""
            SELECT \(unescaped: queuedColumns), \(unescaped: queuedIsCurrent) FROM queued_tasks q WHERE q.id = \(id) FOR UPDATE OF q
            """, logger: logger).collect().map { $0.makeRandomAccess() }
        guard let row = rows.first else { return .notFound }
        let q = try queued(row)
        return q.refusal(current: try row[queuedWidth].decode(Bool.self), token: token, now: now) ?? .applied(q)
    }

    public func renewClaim(id: String, token: String, now: Int64) async throws -> QueueCallOutcome {
        try await transaction { [self] connection in
            let found = try await Self.lockQueued(id, token: token, now: now, connection, logger: self.logger)
            guard case .applied(var q) = found else { return found }
            q.claim!.heartbeatAt = now
            q.claim!.leaseUntil = max(q.claim!.leaseUntil, now + q.leaseMilliseconds)
            try await connection.checkedQuery("UPDATE queued_tasks SET heartbeat_at = \(now), lease_until = \(q.claim!.leaseUntil) WHERE id = \(id)", logger: self.logger)
            return .applied(q)
        }
    }

    public func answerQueued(id: String, token: String?, result: QueuedTaskResult, now: Int64) async throws -> QueueCallOutcome {
        let text = result.json.jsonString
        let node = cluster.withLock { $0.nodeID }
        return try await transaction { [self] connection in
            let found = try await Self.lockQueued(id, token: token, now: now, connection, logger: self.logger)
            guard case .applied(var q) = found else { return found }
            try await connection.checkedQuery("UPDATE queued_tasks SET result = \(text), answered_at = \(now) WHERE id = \(id)", logger: self.logger)
            // The node running the task learns of the answer when this commits.
            if let node { try await Self.announceChanged(q.executionID, node: node, channel: self.channel, connection, logger: self.logger) }
            q.result = result
            q.answeredAt = now
            return .applied(q)
        }
    }

    public func queueSummaries(namespaces: Set<String>?, now: Int64) async throws -> [QueueSummary] {
        if let namespaces, namespaces.isEmpty { return [] }
        let all = namespaces == nil
        let names = (namespaces ?? []).sorted()
        let seenSince = now - QueueSummary.workersWindow
        let claimsSince = now - QueueSummary.claimsWindow
        // `waits`: not answered, and its task still RUNNING at the attempt.
        return try await rows("""
            SELECT queue, count(*) FILTER (WHERE waits AND claim_token IS NULL), count(*) FILTER (WHERE waits AND claim_token IS NOT NULL),
                min(created_at) FILTER (WHERE waits AND claim_token IS NULL),
                count(DISTINCT worker) FILTER (WHERE claimed_at >= \(seenSince)), count(*) FILTER (WHERE claimed_at >= \(claimsSince))
            FROM (SELECT q.queue, q.claim_token, q.created_at, q.worker, q.claimed_at, (q.result IS NULL AND \(unescaped: Self.queuedIsCurrent)) AS waits
                  FROM queued_tasks q WHERE (q.result IS NULL OR q.claimed_at >= \(seenSince)) AND q.queue <> \(HumanTask.queue) AND (\(all) OR q.namespace = ANY(\(names)::text[]))) s
            GROUP BY queue HAVING bool_or(waits) OR count(*) FILTER (WHERE claimed_at >= \(seenSince)) > 0 ORDER BY queue
            """).map { row in
            QueueSummary(
                queue: try row[0].decode(String.self), waiting: Int(try row[1].decode(Int64.self)), claimed: Int(try row[2].decode(Int64.self)),
                oldestWaitingSince: try row[3].decode(Int64?.self), workersSeen: Int(try row[4].decode(Int64.self)),
                claimsLastMinute: Int(try row[5].decode(Int64.self))
            )
        }
    }

    // MARK: Human tasks

    public func updateHumanTask(id: String, action: HumanTaskAction, now: Int64) async throws -> QueueCallOutcome {
        let node = cluster.withLock { $0.nodeID }
        return try await transaction { [self] connection in
            let rows = try await connection.checkedQuery("""
                SELECT \(unescaped: Self.queuedColumns), \(unescaped: Self.queuedIsCurrent), e.seq, t.task_id, t.type
                FROM queued_tasks q LEFT JOIN executions e ON e.id = q.execution_id LEFT JOIN tasks t ON t.execution_seq = e.seq AND t.idx = q.idx
                WHERE q.id = \(id) FOR UPDATE OF q
                """, logger: self.logger).collect().map { $0.makeRandomAccess() }
            guard let row = rows.first else { return .notFound }
            let q = try Self.queued(row)
            guard q.human != nil else { return .notFound }
            let w = Self.queuedWidth
            // The acting account's groups, in this transaction: a member added a moment ago counts.
            var groups = Set<String>()
            if let account = q.groupsNeeded(for: action) {
                for try await name in try await connection.checkedQuery(Self.groupNamesQuery(account: account), logger: self.logger).decode(String.self) {
                    groups.insert(name)
                }
            }
            switch q.applying(action, current: try row[w].decode(Bool.self), now: now, groups: groups) {
            case .refuse(let outcome): return outcome
            case .write(let next):
                if next != q {
                    let result = next.result?.json.jsonString
                    try await connection.checkedQuery("""
                        UPDATE queued_tasks SET claim_token = \(next.claim?.token), worker = \(next.claim?.worker), claimed_at = \(next.claim?.claimedAt),
                            heartbeat_at = \(next.claim?.heartbeatAt), lease_until = \(next.claim?.leaseUntil), result = \(result),
                            answered_at = \(next.answeredAt) WHERE id = \(id)
                        """, logger: self.logger)
                    if let seq = try row[w + 1].decode(Int64?.self) {
                        var batch = Batch(connection: connection, logger: self.logger, now: now, eventLock: self.eventLock, node: node)
                        try Self.holderEvent(next, before: q.claim, executionSeq: seq, taskID: try row[w + 2].decode(String.self), type: try row[w + 3].decode(String.self), &batch)
                        // Every change (an answer too) reaches the node running the task;
                        // announced before the events' write takes the event lock.
                        if let node {
                            if batch.changed.isEmpty { batch.changed.append(next.executionID) }
                            try await batch.announce(node: node, channel: self.channel)
                        }
                        try await batch.flushEvents()
                    }
                }
                return .applied(next)
            }
        }
    }

    public func unansweredQueuedTasks(executionID: String) async throws -> [QueuedTaskRecord] {
        try await rows("SELECT \(unescaped: Self.queuedColumns) FROM queued_tasks q WHERE q.execution_id = \(executionID) AND q.result IS NULL ORDER BY q.idx, q.attempt").map(Self.queued)
    }

    public func humanTasks(_ filter: HumanTaskFilter, namespaces: Set<String>?, after: String?, limit: Int) async throws -> [QueuedTaskRecord] {
        if let namespaces, namespaces.isEmpty { return [] }
        let all = namespaces == nil
        let names = (namespaces ?? []).sorted()
        var held: String?
        var claimable: String?
        var member: String?
        switch filter {
        case .heldBy(let account): held = account
        case .claimableBy(let account):
            claimable = "," + account + ","
            member = account
        case .open: break
        }
        return try await rows("""
            SELECT \(unescaped: Self.queuedColumns) FROM queued_tasks q
            WHERE q.queue = \(HumanTask.queue) AND q.result IS NULL
              AND (\(held)::text IS NULL OR (q.claim_token IS NOT NULL AND q.worker = \(held)::text))
              AND (\(claimable)::text IS NULL OR (q.claim_token IS NULL AND (q.assignees IS NULL OR strpos(q.assignees, \(claimable)::text) > 0 OR EXISTS (
                    SELECT 1 FROM account_group_members m JOIN account_groups g ON g.id = m.group_id JOIN accounts a ON a.id = m.account_id
                    WHERE a.name = \(member)::text AND strpos(q.assignees, ',\(unescaped: GroupName.assigneePrefix)' || g.name || ',') > 0))))
              AND (\(all) OR q.namespace = ANY(\(names)::text[]))
              AND (\(after)::text IS NULL OR (q.created_at, q.id) > (SELECT a.created_at, a.id FROM queued_tasks a WHERE a.id = \(after)::text))
              AND \(unescaped: Self.queuedIsCurrent)
            ORDER BY q.created_at, q.id LIMIT \(Int64(limit))
            """).map(Self.queued)
    }
}
