import Logging
import PostgresNIO
import SluiceCore
import SluiceStore

/// Workflows, executions, tasks and logs: reads, and deleting a workflow.
extension PostgresStore {
    static func json(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return try? JSONParser.parse(text)
    }

    static let workflowColumns = "seq, id, name, description, definition, created_at, version, updated_at, namespace"
    static let versionColumns = "workflow_id, version, name, description, definition, created_at"
    static let executionColumns = "x.seq, x.id, x.workflow_id, x.status, x.input, x.output, x.error, x.webhook_url, x.idempotency_key, x.created_at, x.started_at, x.completed_at, x.deadline_at, x.workflow_version, x.webhook_secret, x.trace_context, x.suspended"
    static let taskColumns = "t.idx, t.task_id, t.step_id, t.type, t.status, t.input, t.output, t.error, t.started_at, t.completed_at, t.attempt, t.attempts, t.wake_at, t.attempt_base"

    static func workflow(_ row: PostgresRandomAccessRow) throws -> WorkflowRecord {
        WorkflowRecord(
            seq: try row[0].decode(Int64.self), id: try row[1].decode(String.self), name: try row[2].decode(String.self),
            description: try row[3].decode(String?.self), definition: json(try row[4].decode(String.self)) ?? .null,
            createdAt: try row[5].decode(Int64.self), version: try row[6].decode(Int.self), updatedAt: try row[7].decode(Int64.self),
            namespace: try row[8].decode(String.self)
        )
    }

    static func version(_ row: PostgresRandomAccessRow) throws -> WorkflowVersionRecord {
        WorkflowVersionRecord(
            workflowID: try row[0].decode(String.self), version: try row[1].decode(Int.self), name: try row[2].decode(String.self),
            description: try row[3].decode(String?.self), definition: json(try row[4].decode(String.self)) ?? .null, createdAt: try row[5].decode(Int64.self)
        )
    }

    static func execution(_ row: PostgresRandomAccessRow) throws -> ExecutionRecord {
        let status = try row[3].decode(String.self)
        guard let s = ExecutionStatus(rawValue: status) else { throw StoreError(message: "unknown execution status \(status) in the database") }
        return ExecutionRecord(
            seq: try row[0].decode(Int64.self), id: try row[1].decode(String.self), workflowID: try row[2].decode(String.self),
            workflowVersion: try row[13].decode(Int.self), status: s, input: json(try row[4].decode(String.self)) ?? .null,
            output: json(try row[5].decode(String?.self)), error: json(try row[6].decode(String?.self)), webhookURL: try row[7].decode(String?.self),
            webhookSecret: try row[14].decode(String?.self), idempotencyKey: try row[8].decode(String?.self),
            createdAt: try row[9].decode(Int64.self), startedAt: try row[10].decode(Int64?.self), completedAt: try row[11].decode(Int64?.self),
            deadlineAt: try row[12].decode(Int64?.self), traceContext: try row[15].decode(String?.self), suspended: try row[16].decode(Bool.self)
        )
    }

    static func task(_ row: PostgresRandomAccessRow, offset o: Int) throws -> TaskRecord {
        let status = try row[o + 4].decode(String.self)
        guard let s = TaskStatus(rawValue: status) else { throw StoreError(message: "unknown task status \(status) in the database") }
        return TaskRecord(
            index: try row[o].decode(Int.self), taskID: try row[o + 1].decode(String.self), stepID: try row[o + 2].decode(String.self),
            type: try row[o + 3].decode(String.self), status: s,
            input: json(try row[o + 5].decode(String?.self)), output: json(try row[o + 6].decode(String?.self)), error: json(try row[o + 7].decode(String?.self)),
            startedAt: try row[o + 8].decode(Int64?.self), completedAt: try row[o + 9].decode(Int64?.self), attempt: try row[o + 10].decode(Int.self),
            attempts: json(try row[o + 11].decode(String?.self))?.arrayValue ?? [], wakeAt: try row[o + 12].decode(Int64?.self),
            attemptBase: try row[o + 13].decode(Int.self)
        )
    }

    /// Executions with their tasks from rows of `executionColumns, taskColumns` (a LEFT JOIN)
    /// ordered by execution, then task: one statement, so one snapshot.
    static func details(_ rows: [PostgresRandomAccessRow]) throws -> [ExecutionDetail] {
        var details: [ExecutionDetail] = []
        for row in rows {
            let seq = try row[0].decode(Int64.self)
            if details.last?.execution.seq != seq {
                details.append(ExecutionDetail(execution: try execution(row), tasks: []))
            }
            if try row[17].decode(Int?.self) != nil {
                details[details.count - 1].tasks.append(try task(row, offset: 17))
            }
        }
        return details
    }

    public func workflow(id: String) async throws -> WorkflowRecord? {
        try await rows("SELECT \(unescaped: Self.workflowColumns) FROM workflows WHERE id = \(id)").first.map(Self.workflow)
    }

    public func workflows(limit: Int, before: Int64?, namespaces: Set<String>?) async throws -> Page<WorkflowRecord> {
        let rows: [PostgresRandomAccessRow]
        if let namespaces {
            if namespaces.isEmpty { return Page(items: [], nextCursor: nil) }
            rows = try await self.rows("""
                SELECT \(unescaped: Self.workflowColumns) FROM workflows WHERE namespace = ANY(\(namespaces.sorted())::text[]) AND seq < \(before ?? Int64.max)
                ORDER BY seq DESC LIMIT \(Int64(limit + 1))
                """)
        } else {
            rows = try await self.rows("SELECT \(unescaped: Self.workflowColumns) FROM workflows WHERE seq < \(before ?? Int64.max) ORDER BY seq DESC LIMIT \(Int64(limit + 1))")
        }
        let items = try rows.prefix(limit).map(Self.workflow)
        return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
    }

    public func workflows(named name: String, namespace: String) async throws -> [WorkflowRecord] {
        try await rows("SELECT \(unescaped: Self.workflowColumns) FROM workflows WHERE namespace = \(namespace) AND name = \(name) ORDER BY seq DESC").map(Self.workflow)
    }

    public func workflowVersion(id: String, version: Int) async throws -> WorkflowVersionRecord? {
        try await rows("SELECT \(unescaped: Self.versionColumns) FROM workflow_versions WHERE workflow_id = \(id) AND version = \(Int64(version))").first.map(Self.version)
    }

    public func workflowVersions(id: String, limit: Int, before: Int64?) async throws -> Page<WorkflowVersionRecord> {
        let rows = try await rows("""
            SELECT \(unescaped: Self.versionColumns) FROM workflow_versions WHERE workflow_id = \(id) AND version < \(before ?? Int64.max)
            ORDER BY version DESC LIMIT \(Int64(limit + 1))
            """)
        let items = try rows.prefix(limit).map(Self.version)
        return Page(items: items, nextCursor: rows.count > limit ? items.last.map { Int64($0.version) } : nil)
    }

    public func executionID(workflowID: String, idempotencyKey key: String) async throws -> String? {
        try await rows("SELECT id FROM executions WHERE workflow_id = \(workflowID) AND idempotency_key = \(key)").first.map { try $0[0].decode(String.self) }
    }

    public func execution(id: String) async throws -> ExecutionDetail? {
        try Self.details(try await rows("""
            SELECT \(unescaped: Self.executionColumns), \(unescaped: Self.taskColumns)
            FROM executions x LEFT JOIN tasks t ON t.execution_seq = x.seq WHERE x.id = \(id) ORDER BY t.idx
            """)).first
    }

    public func executions(workflowID: String, status: ExecutionStatus?, limit: Int, before: Int64?) async throws -> Page<ExecutionRecord> {
        let rows: [PostgresRandomAccessRow]
        if let status {
            rows = try await self.rows("""
                SELECT \(unescaped: Self.executionColumns) FROM executions x WHERE workflow_id = \(workflowID) AND status = \(status.rawValue) AND seq < \(before ?? Int64.max)
                ORDER BY seq DESC LIMIT \(Int64(limit + 1))
                """)
        } else {
            rows = try await self.rows("""
                SELECT \(unescaped: Self.executionColumns) FROM executions x WHERE workflow_id = \(workflowID) AND seq < \(before ?? Int64.max)
                ORDER BY seq DESC LIMIT \(Int64(limit + 1))
                """)
        }
        let items = try rows.prefix(limit).map(Self.execution)
        return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
    }

    public func unfinishedExecutions() async throws -> [ExecutionDetail] {
        try Self.details(try await rows("""
            SELECT \(unescaped: Self.executionColumns), \(unescaped: Self.taskColumns)
            FROM executions x LEFT JOIN tasks t ON t.execution_seq = x.seq WHERE x.status IN ('PENDING', 'RUNNING') ORDER BY x.seq, t.idx
            """))
    }

    public func logs(executionID: String, index: Int, after: Int64, limit: Int) async throws -> [TaskLogLine] {
        try await rows("""
            SELECT l.seq, l.at, l.attempt, l.source, l.line FROM task_logs l JOIN executions e ON e.seq = l.execution_seq
            WHERE e.id = \(executionID) AND l.idx = \(Int64(index)) AND l.seq > \(after) ORDER BY l.seq LIMIT \(Int64(limit))
            """).map { row in
            TaskLogLine(
                executionID: executionID, index: index, seq: try row[0].decode(Int64.self), at: try row[1].decode(Int64.self),
                attempt: try row[2].decode(Int.self), source: try row[3].decode(String.self), line: try row[4].decode(String.self)
            )
        }
    }

    // MARK: Deleting a workflow

    public func deleteWorkflow(id: String) async throws -> WorkflowDeletion {
        let logger = self.logger
        return try await transaction { [self] connection in
            var batch = Batch(connection: connection, logger: logger, now: 0, eventLock: eventLock)
            // The event lock: no event is written while the floor is computed, and the checks see
            // every execution committed before (one started afterwards finds its workflow gone).
            try await batch.lock()
            let found = try await batch.run("SELECT 1 FROM workflows WHERE id = \(id) FOR UPDATE")
            guard !found.isEmpty else { return .notFound }
            let unfinished = try await batch.run("""
                SELECT id FROM executions WHERE workflow_id = \(id) AND status IN ('PENDING', 'RUNNING') ORDER BY seq
                """).map { try $0.decode(String.self) }
            // Only definitions that mention the id are parsed.
            let callers = try await batch.run("""
                SELECT id, definition FROM workflows WHERE id != \(id) AND strpos(definition, \(id)) > 0 ORDER BY seq
                """).compactMap { row -> String? in
                let (caller, text) = try row.decode((String, String).self)
                guard let definition = Self.json(text), StepRegistry.subworkflowIDs(in: definition, maxTasks: Limits.maxTranslatedTasks).contains(id) else { return nil }
                return caller
            }
            let calling = try await batch.run("""
                SELECT e.id, v.definition FROM executions e
                JOIN workflow_versions v ON v.workflow_id = e.workflow_id AND v.version = e.workflow_version
                WHERE e.status IN ('PENDING', 'RUNNING') AND e.workflow_id != \(id) AND strpos(v.definition, \(id)) > 0 ORDER BY e.seq
                """).compactMap { row -> String? in
                let (execution, text) = try row.decode((String, String).self)
                guard let definition = Self.json(text), StepRegistry.subworkflowIDs(in: definition, maxTasks: Limits.maxTranslatedTasks).contains(id) else { return nil }
                return execution
            }
            let use = WorkflowUse(unfinishedCount: unfinished.count, unfinishedExample: unfinished.first, callers: callers, callingExecutions: calling)
            if use.isInUse { return .inUse(use) }

            // Event seqs are MAX(seq) + 1: if the newest events go, remember the largest seq so
            // that the next event gets a larger one (stream and fan-out cursors may point at it).
            try await batch.run("""
                INSERT INTO meta (key, value) SELECT 'event_seq_floor', (\(unescaped: Self.lastEventSeqSQL))::text
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """)
            let executions = "SELECT seq FROM executions WHERE workflow_id = $1"
            // Children before parents (foreign keys).
            for sql in [
                "DELETE FROM webhook_deliveries WHERE execution_seq IN (\(executions)) OR subscription_id IN (SELECT id FROM webhook_subscriptions WHERE workflow_id = $1)",
                "DELETE FROM events WHERE execution_seq IN (\(executions))",
                "DELETE FROM task_logs WHERE execution_seq IN (\(executions))",
                "DELETE FROM tasks WHERE execution_seq IN (\(executions))",
                "DELETE FROM queued_tasks WHERE workflow_id = $1",
                "DELETE FROM executions WHERE workflow_id = $1",
                "DELETE FROM webhook_subscriptions WHERE workflow_id = $1",
                // Their fire records go with them (ON DELETE CASCADE).
                "DELETE FROM schedules WHERE workflow_id = $1",
                "DELETE FROM workflow_versions WHERE workflow_id = $1",
                "DELETE FROM workflows WHERE id = $1",
            ] {
                var binds = PostgresBindings()
                binds.append(id)
                try await batch.run(PostgresQuery(unsafeSQL: sql, binds: binds))
            }
            return .deleted
        }
    }
}
