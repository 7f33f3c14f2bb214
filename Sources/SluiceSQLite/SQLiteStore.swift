import GRDB
import SluiceCore
import SluiceStore

/// The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so a commit
/// survives a machine crash, not only a process crash. Group commit (`GroupCommitter`) keeps that fast.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError(message: "cannot open the SQLite database at \(path): \(error)")
        }
        // DatabasePool sets synchronous=NORMAL on its writer itself; insist on FULL.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try SQLiteMigrations.migrator.migrate(pool)
    }

    /// The `synchronous` setting of the writer connection (2 is FULL).
    public func synchronousMode() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// The migrations applied to this database, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try SQLiteMigrations.migrator.appliedMigrations(db) }
    }

    public func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        try await pool.write { db in
            try mutations.map { try Self.apply($0, db) }
        }
    }

    static func apply(_ mutation: Mutation, _ db: Database) throws -> MutationOutcome {
        switch mutation {
        case .insertWorkflow(let w):
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO workflows (id, name, description, definition, created_at) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [w.id, w.name, w.description, w.definition.jsonString, w.createdAt])
            return db.changesCount == 0 ? .idConflict : .applied
        case .insertExecution(let detail):
            let e = detail.execution
            if let key = e.idempotencyKey,
                let existing = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM executions WHERE workflow_id = ? AND idempotency_key = ?"), arguments: [e.workflowID, key])
            {
                return .duplicate(executionID: existing)
            }
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO executions (id, workflow_id, status, input, output, error, webhook_url, idempotency_key, created_at, started_at, completed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [e.id, e.workflowID, e.status.rawValue, e.input.jsonString, e.output?.jsonString, e.error?.jsonString, e.webhookURL, e.idempotencyKey, e.createdAt, e.startedAt, e.completedAt])
            if db.changesCount == 0 { return .idConflict }
            let insertTask = try db.cachedStatement(sql: """
                INSERT INTO tasks (execution_id, idx, task_id, step_id, type, status, input, output, error, started_at, completed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for t in detail.tasks {
                try insertTask.execute(arguments: [e.id, t.index, t.taskID, t.stepID, t.type, t.status.rawValue, t.input?.jsonString, t.output?.jsonString, t.error?.jsonString, t.startedAt, t.completedAt])
            }
            return .applied
        case .transition(let t):
            if t.tasks.count <= 1 { return try applyTransition(t, db) }
            var outcome = MutationOutcome.applied
            try db.inSavepoint {
                outcome = try applyTransition(t, db)
                return outcome == .applied ? .commit : .rollback
            }
            return outcome
        }
    }

    static func applyTransition(_ t: ExecutionTransition, _ db: Database) throws -> MutationOutcome {
        let update = try db.cachedStatement(sql: """
            UPDATE tasks SET status = ?, input = COALESCE(?, input), output = COALESCE(?, output), error = COALESCE(?, error),
                started_at = COALESCE(?, started_at), completed_at = COALESCE(?, completed_at)
            WHERE execution_id = ? AND idx = ? AND status IN (?, ?, ?)
            """)
        for c in t.tasks {
            let expected = c.expected.map(\.rawValue)
            let padded = (0..<3).map { expected.isEmpty ? "" : expected[min($0, expected.count - 1)] }
            try update.execute(arguments: [c.status.rawValue, c.input?.jsonString, c.output?.jsonString, c.error?.jsonString, c.startedAt, c.completedAt, t.executionID, c.index, padded[0], padded[1], padded[2]])
            if db.changesCount == 0 { return .stale }
        }
        if let e = t.execution {
            try db.cachedStatement(sql: """
                UPDATE executions SET status = ?, output = COALESCE(?, output), error = COALESCE(?, error),
                    started_at = COALESCE(?, started_at), completed_at = COALESCE(?, completed_at)
                WHERE id = ?
                """).execute(arguments: [e.status.rawValue, e.output?.jsonString, e.error?.jsonString, e.startedAt, e.completedAt, t.executionID])
            if db.changesCount == 0 { return .stale }
        }
        return .applied
    }

    public func workflow(id: String) async throws -> WorkflowRecord? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM workflows WHERE id = ?"), arguments: [id]).map(Self.workflow)
        }
    }

    public func workflows(limit: Int, before: Int64?) async throws -> Page<WorkflowRecord> {
        try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM workflows WHERE seq < ? ORDER BY seq DESC LIMIT ?", arguments: [before ?? Int64.max, limit + 1])
            let items = rows.prefix(limit).map(Self.workflow)
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
        }
    }

    public func execution(id: String) async throws -> ExecutionDetail? {
        try await pool.read { db in try Self.detail(id: id, db) }
    }

    public func executions(workflowID: String, status: ExecutionStatus?, limit: Int, before: Int64?) async throws -> Page<ExecutionRecord> {
        try await pool.read { db in
            let rows: [Row]
            if let status {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM executions WHERE workflow_id = ? AND status = ? AND seq < ? ORDER BY seq DESC LIMIT ?", arguments: [workflowID, status.rawValue, before ?? Int64.max, limit + 1])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM executions WHERE workflow_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?", arguments: [workflowID, before ?? Int64.max, limit + 1])
            }
            let items = try rows.prefix(limit).map(Self.execution)
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
        }
    }

    public func unfinishedExecutions() async throws -> [ExecutionDetail] {
        try await pool.read { db in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM executions WHERE status IN ('PENDING', 'RUNNING') ORDER BY seq")
            return try ids.compactMap { try Self.detail(id: $0, db) }
        }
    }

    public func close() async throws {
        try pool.close()
    }

    static func detail(id: String, _ db: Database) throws -> ExecutionDetail? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM executions WHERE id = ?"), arguments: [id]) else { return nil }
        let tasks = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM tasks WHERE execution_id = ? ORDER BY idx"), arguments: [id]).map(Self.task)
        return ExecutionDetail(execution: try execution(row), tasks: try tasks)
    }

    static func json(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return try? JSONParser.parse(text)
    }

    static func workflow(_ row: Row) -> WorkflowRecord {
        WorkflowRecord(seq: row["seq"], id: row["id"], name: row["name"], description: row["description"], definition: json(row["definition"]) ?? .null, createdAt: row["created_at"])
    }

    static func execution(_ row: Row) throws -> ExecutionRecord {
        let status: String = row["status"]
        guard let s = ExecutionStatus(rawValue: status) else { throw StoreError(message: "unknown execution status \(status) in the database") }
        return ExecutionRecord(
            seq: row["seq"], id: row["id"], workflowID: row["workflow_id"], status: s, input: json(row["input"]) ?? .null,
            output: json(row["output"]), error: json(row["error"]), webhookURL: row["webhook_url"], idempotencyKey: row["idempotency_key"],
            createdAt: row["created_at"], startedAt: row["started_at"], completedAt: row["completed_at"]
        )
    }

    static func task(_ row: Row) throws -> TaskRecord {
        let status: String = row["status"]
        guard let s = TaskStatus(rawValue: status) else { throw StoreError(message: "unknown task status \(status) in the database") }
        return TaskRecord(
            index: row["idx"], taskID: row["task_id"], stepID: row["step_id"], type: row["type"], status: s,
            input: json(row["input"]), output: json(row["output"]), error: json(row["error"]),
            startedAt: row["started_at"], completedAt: row["completed_at"]
        )
    }
}
