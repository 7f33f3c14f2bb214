import Foundation
import GRDB
import GRDBSQLite
import SluiceCore
import SluiceStore

/// The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so a commit
/// survives a machine crash, not only a process crash. Group commit (`GroupCommitter`) keeps that fast.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    public let path: String
    public let instanceID: String
    let clock: @Sendable () -> Int64

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String, clock: @escaping @Sendable () -> Int64 = MemoryStore.wallClock) throws {
        self.path = path
        self.clock = clock
        try Self.refuseForeignFile(path)
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
        // DatabasePool sets synchronous=NORMAL on its writer itself; insist on FULL. Checkpoint
        // the WAL every 8,192 pages (32 MiB) rather than 1,000: fewer, larger checkpoints write
        // a page that changed many times once.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
            // A new database gives the space of deleted rows back to the file system, a little
            // at a time (retention's purge then runs `incremental_vacuum`). Only possible before
            // the first table exists.
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") == 0 {
                // The mode is in the file's header, which opening in WAL mode wrote already:
                // VACUUM rewrites it (instant on an empty database).
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute(sql: "VACUUM")
            }
        }
        try SQLiteMigrations.migrator.migrate(pool)
        instanceID = try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance'") } ?? "0"
    }

    /// Refuses, before anything is written, a file at `path` that is not a SQLite database or is
    /// another program's (tables, but none of Sluice's migrations): opening would turn it to WAL
    /// and add Sluice's tables to it. A new or empty file, or a Sluice database, passes.
    static func refuseForeignFile(_ path: String) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { return }
        var configuration = Configuration()
        configuration.readonly = true
        let tables: [String]
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            tables = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") }
        } catch {
            throw StoreError(message: "\(path) is not a SQLite database Sluice can open (\(error)); it was not changed. Give --database sqlite:PATH a new file, or a Sluice database")
        }
        if !tables.isEmpty, !tables.contains("grdb_migrations") {
            let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", …" : "")
            throw StoreError(message: "\(path) is another program's SQLite database (its tables: \(shown)), not a Sluice one; it was not changed. Give --database sqlite:PATH a new file, or a Sluice database")
        }
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
        let now = clock()
        // JSON columns are serialized here, before the single writer takes the batch, and freed
        // here after it: the writer only binds and steps.
        let encoded = mutations.map(Encoded.init)
        let outcomes = try await pool.write { db in
            let events = EventSequence()
            return try zip(mutations, encoded).map { try Self.apply($0, db, now: now, events: events, encoded: $1) }
        }
        withExtendedLifetime(encoded) {}
        return outcomes
    }

    /// The JSON text of a mutation's columns.
    struct Encoded: Sendable {
        /// An execution's input, output, error.
        var execution: (input: String?, output: String?, error: String?) = (nil, nil, nil)
        /// Each task's (or task change's) input, output, error, failed attempts.
        var tasks: [(input: String?, output: String?, error: String?, attempts: String?)] = []

        init(_ mutation: Mutation) {
            switch mutation {
            case .insertExecution(let d, _):
                execution = (d.execution.input.jsonString, d.execution.output?.jsonString, d.execution.error?.jsonString)
                tasks = d.tasks.map { t in
                    (t.input?.jsonString, t.output?.jsonString, t.error?.jsonString, t.attempts.isEmpty ? nil : JSONValue.array(t.attempts).jsonString)
                }
            case .transition(let t):
                execution = (nil, t.execution?.output?.jsonString, t.execution?.error?.jsonString)
                tasks = t.tasks.map { c in (c.input?.jsonString, c.output?.jsonString, c.error?.jsonString, c.failedAttempt?.jsonString) }
            default:
                break
            }
        }
    }

    /// The seq of the last event written in a transaction, read once per transaction.
    final class EventSequence {
        var last: Int64?
    }

    static func apply(_ mutation: Mutation, _ db: Database, now: Int64, events sequence: EventSequence = EventSequence(), encoded: Encoded? = nil) throws -> MutationOutcome {
        let encoded = encoded ?? Encoded(mutation)
        switch mutation {
        case .insertWorkflow(let w):
            let definition = w.definition.jsonString
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO workflows (id, name, description, definition, created_at, version, updated_at, namespace) VALUES (?, ?, ?, ?, ?, 1, ?, ?)")
                .execute(arguments: [w.id, w.name, w.description, definition, w.createdAt, w.createdAt, w.namespace])
            if db.changesCount == 0 { return .idConflict }
            try insertVersion(workflowID: w.id, version: 1, name: w.name, description: w.description, definition: definition, createdAt: w.createdAt, db)
            return .applied
        case .insertWorkflowVersion(let v, let expected):
            let definition = v.definition.jsonString
            try db.cachedStatement(sql: "UPDATE workflows SET name = ?, description = ?, definition = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?")
                .execute(arguments: [v.name, v.description, definition, expected + 1, v.createdAt, v.workflowID, expected])
            if db.changesCount == 0 {
                guard let current = try Int.fetchOne(db.cachedStatement(sql: "SELECT version FROM workflows WHERE id = ?"), arguments: [v.workflowID]) else { return .stale }
                return .versionConflict(current: current)
            }
            try insertVersion(workflowID: v.workflowID, version: expected + 1, name: v.name, description: v.description, definition: definition, createdAt: v.createdAt, db)
            return .applied
        case .insertExecution(let detail, let events):
            let e = detail.execution
            let workflow = RawStatement(try db.cachedStatement(sql: "SELECT seq FROM workflows WHERE id = ?"), db)
            workflow.bind(1, e.workflowID)
            guard try workflow.int64() != nil else { return .stale }
            if let key = e.idempotencyKey {
                let lookup = RawStatement(try db.cachedStatement(sql: "SELECT id FROM executions WHERE workflow_id = ? AND idempotency_key = ?"), db)
                lookup.bind(1, e.workflowID)
                lookup.bind(2, key)
                if let existing = try lookup.text() { return .duplicate(executionID: existing) }
            }
            let insert = RawStatement(try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO executions (id, workflow_id, status, input, output, error, webhook_url, idempotency_key, created_at, started_at, completed_at, deadline_at, workflow_version, webhook_secret, trace_context)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """), db)
            insert.bind(1, e.id)
            insert.bind(2, e.workflowID)
            insert.bind(3, e.status.rawValue)
            insert.bind(4, encoded.execution.input)
            insert.bind(5, encoded.execution.output)
            insert.bind(6, encoded.execution.error)
            insert.bind(7, e.webhookURL)
            insert.bind(8, e.idempotencyKey)
            insert.bind(9, e.createdAt)
            insert.bind(10, e.startedAt)
            insert.bind(11, e.completedAt)
            insert.bind(12, e.deadlineAt)
            insert.bind(13, e.workflowVersion)
            insert.bind(14, e.webhookSecret)
            insert.bind(15, e.traceContext)
            try insert.run()
            if db.changesCount == 0 { return .idConflict }
            let seq = db.lastInsertedRowID
            try insertEvents(events, executionSeq: seq, workflowID: e.workflowID, at: now, db, sequence)
            let statement = try db.cachedStatement(sql: """
                INSERT INTO tasks (execution_seq, idx, task_id, step_id, type, status, input, output, error, started_at, completed_at, attempt, attempts, wake_at, attempt_base)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (t, text) in zip(detail.tasks, encoded.tasks) {
                let task = RawStatement(statement, db)
                task.bind(1, seq)
                task.bind(2, t.index)
                task.bind(3, t.taskID)
                task.bind(4, t.stepID)
                task.bind(5, t.type)
                task.bind(6, t.status.rawValue)
                task.bind(7, text.input)
                task.bind(8, text.output)
                task.bind(9, text.error)
                task.bind(10, t.startedAt)
                task.bind(11, t.completedAt)
                task.bind(12, t.attempt)
                task.bind(13, text.attempts)
                task.bind(14, t.wakeAt)
                task.bind(15, t.attemptBase)
                try task.run()
            }
            return .applied
        case .enqueue(let task):
            return try insertQueued(task, db) ? .applied : .idConflict
        case .answerQueued(_, let id, let token, let result, let at):
            if case .applied = try answerQueued(id: id, token: token, result: result, now: at, db) { return .applied }
            return .stale
        case .suspendExecution(let executionID, let suspended):
            let u = RawStatement(try db.cachedStatement(sql: "UPDATE executions SET suspended = ? WHERE id = ? AND status IN ('PENDING', 'RUNNING')"), db)
            u.bind(1, suspended)
            u.bind(2, executionID)
            try u.run()
            return db.changesCount == 0 ? .stale : .applied
        case .appendLogs(let lines):
            let insert = try db.cachedStatement(sql: """
                INSERT INTO task_logs (execution_seq, idx, seq, at, attempt, source, line)
                SELECT e.seq, ?, COALESCE((SELECT MAX(l.seq) FROM task_logs l WHERE l.execution_seq = e.seq AND l.idx = ?), 0) + 1, ?, ?, ?, ?
                FROM executions e WHERE e.id = ?
                """)
            for l in lines {
                try insert.execute(arguments: [l.index, l.index, l.at, l.attempt, l.source, l.line, l.executionID])
            }
            return .applied
        case .transition(let t):
            // With one task change nothing is written before the check that can fail (the
            // execution row exists once its seq is found); with more, a later change can find its
            // task moved on after earlier ones and their events were written: a savepoint undoes them.
            if t.tasks.count <= 1 { return try applyTransition(t, db, now: now, sequence, encoded) }
            var outcome = MutationOutcome.applied
            try db.inSavepoint {
                outcome = try applyTransition(t, db, now: now, sequence, encoded)
                return outcome == .applied ? .commit : .rollback
            }
            return outcome
        case .insertAccount, .deleteAccount, .insertToken, .revokeToken, .touchToken, .insertGrant, .deleteGrant, .appendAudit,
             .insertGroup, .deleteGroup, .addGroupMember, .removeGroupMember:
            return try applyAccessMutation(mutation, db, now: now)
        case .insertSchedule, .updateSchedule, .deleteSchedule:
            return try applyScheduleMutation(mutation, db)
        default:
            return try applyWebhookMutation(mutation, db, now: now)
        }
    }

    static func insertEvents(_ events: [EventDraft], executionSeq: Int64, workflowID: String, at: Int64, _ db: Database, _ sequence: EventSequence) throws {
        guard !events.isEmpty else { return }
        // Seqs are given rather than left to SQLite, so that they stay above the seqs of deleted
        // events (see `deleteWorkflow`).
        var seq = try sequence.last ?? lastEventSeq(db)
        let statement = try db.cachedStatement(sql: "INSERT INTO events (seq, execution_seq, workflow_id, type, at, data) VALUES (?, ?, ?, ?, ?, ?)")
        for event in events {
            seq += 1
            let insert = RawStatement(statement, db)
            insert.bind(1, seq)
            insert.bind(2, executionSeq)
            insert.bind(3, workflowID)
            insert.bind(4, event.type)
            insert.bind(5, at)
            insert.bind(6, event.data)
            try insert.run()
        }
        sequence.last = seq
    }

    static func insertVersion(workflowID: String, version: Int, name: String, description: String?, definition: String, createdAt: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO workflow_versions (workflow_id, version, name, description, definition, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [workflowID, version, name, description, definition, createdAt])
    }

    static func applyTransition(_ t: ExecutionTransition, _ db: Database, now: Int64, _ sequence: EventSequence, _ encoded: Encoded) throws -> MutationOutcome {
        let head = RawStatement(try db.cachedStatement(sql: "SELECT seq FROM executions WHERE id = ?"), db)
        head.bind(1, t.executionID)
        guard let seq = try head.int64() else { return .stale }
        let update = try db.cachedStatement(sql: """
            UPDATE tasks SET status = ?, input = COALESCE(?, input), output = COALESCE(?, output), error = COALESCE(?, error),
                started_at = COALESCE(?, started_at), completed_at = COALESCE(?, completed_at), attempt = COALESCE(?, attempt),
                attempts = CASE WHEN ? IS NULL THEN attempts ELSE json_insert(COALESCE(attempts, '[]'), '$[#]', json(?)) END, wake_at = ?,
                attempt_base = COALESCE(?, attempt_base)
            WHERE execution_seq = ? AND idx = ? AND status IN (?, ?, ?, ?)
            """)
        for (c, text) in zip(t.tasks, encoded.tasks) {
            let expected = c.expected.map(\.rawValue)
            if c.reset {
                try db.cachedStatement(sql: """
                    UPDATE tasks SET input = NULL, output = NULL, error = NULL, started_at = NULL, completed_at = NULL, wake_at = NULL
                    WHERE execution_seq = ? AND idx = ?
                    """).execute(arguments: [seq, c.index])
            }
            let failed = text.attempts
            let u = RawStatement(update, db)
            u.bind(1, c.status.rawValue)
            u.bind(2, text.input)
            u.bind(3, text.output)
            u.bind(4, text.error)
            u.bind(5, c.startedAt)
            u.bind(6, c.completedAt)
            u.bind(7, c.attempt)
            u.bind(8, failed)
            u.bind(9, failed)
            u.bind(10, c.wakeAt)
            u.bind(11, c.attemptBase)
            u.bind(12, seq)
            u.bind(13, c.index)
            for k in 0..<4 { u.bind(Int32(14 + k), expected.isEmpty ? "" : expected[min(k, expected.count - 1)]) }
            try u.run()
            if db.changesCount == 0 { return .stale }
        }
        if let e = t.execution {
            let u = RawStatement(try db.cachedStatement(sql: """
                UPDATE executions SET status = ?, output = CASE WHEN ? THEN NULL ELSE COALESCE(?, output) END,
                    error = CASE WHEN ? THEN NULL ELSE COALESCE(?, error) END,
                    started_at = COALESCE(?, started_at), completed_at = CASE WHEN ? THEN NULL ELSE COALESCE(?, completed_at) END,
                    deadline_at = COALESCE(?, deadline_at)
                WHERE seq = ?
                """), db)
            u.bind(1, e.status.rawValue)
            u.bind(2, e.reopen)
            u.bind(3, encoded.execution.output)
            u.bind(4, e.reopen)
            u.bind(5, encoded.execution.error)
            u.bind(6, e.startedAt)
            u.bind(7, e.reopen)
            u.bind(8, e.completedAt)
            u.bind(9, e.deadlineAt)
            u.bind(10, seq)
            try u.run()
            if db.changesCount == 0 { return .stale }
        }
        let workflow = RawStatement(try db.cachedStatement(sql: "SELECT workflow_id FROM executions WHERE seq = ?"), db)
        if !t.events.isEmpty {
            workflow.bind(1, seq)
            try insertEvents(t.events, executionSeq: seq, workflowID: try workflow.text() ?? "", at: now, db, sequence)
        }
        return .applied
    }

    /// Reads on the calling thread: these are short, CPU-bound reads from the page cache, and a
    /// hop to GRDB's reader queue and back costs more than the read itself.
    func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    public func workflow(id: String) async throws -> WorkflowRecord? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.workflowColumns) FROM workflows WHERE id = ?"), arguments: [id]).map(Self.workflow)
        }
    }

    public func workflows(limit: Int, before: Int64?, namespaces: Set<String>?) async throws -> Page<WorkflowRecord> {
        try readNow { db in
            let rows: [Row]
            if let namespaces {
                if namespaces.isEmpty { return Page(items: [], nextCursor: nil) }
                let marks = Array(repeating: "?", count: namespaces.count).joined(separator: ", ")
                var arguments = StatementArguments(namespaces.sorted())
                arguments += [before ?? Int64.max, limit + 1]
                rows = try Row.fetchAll(db, sql: "SELECT \(Self.workflowColumns) FROM workflows WHERE namespace IN (\(marks)) AND seq < ? ORDER BY seq DESC LIMIT ?", arguments: arguments)
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT \(Self.workflowColumns) FROM workflows WHERE seq < ? ORDER BY seq DESC LIMIT ?", arguments: [before ?? Int64.max, limit + 1])
            }
            let items = rows.prefix(limit).map(Self.workflow)
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
        }
    }

    public func workflows(named name: String, namespace: String) async throws -> [WorkflowRecord] {
        try readNow { db in
            // workflows_by_name (013): only the rows of that name in that namespace are read.
            try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.workflowColumns) FROM workflows WHERE namespace = ? AND name = ? ORDER BY seq DESC"), arguments: [namespace, name]).map(Self.workflow)
        }
    }

    public func workflowVersion(id: String, version: Int) async throws -> WorkflowVersionRecord? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.versionColumns) FROM workflow_versions WHERE workflow_id = ? AND version = ?"), arguments: [id, version]).map(Self.version)
        }
    }

    public func workflowVersions(id: String, limit: Int, before: Int64?) async throws -> Page<WorkflowVersionRecord> {
        try readNow { db in
            let rows = try Row.fetchAll(db, sql: "SELECT \(Self.versionColumns) FROM workflow_versions WHERE workflow_id = ? AND version < ? ORDER BY version DESC LIMIT ?", arguments: [id, before ?? Int64.max, limit + 1])
            let items = rows.prefix(limit).map(Self.version)
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { Int64($0.version) } : nil)
        }
    }

    public func executionID(workflowID: String, idempotencyKey key: String) async throws -> String? {
        try readNow { db in try String.fetchOne(db, sql: "SELECT id FROM executions WHERE workflow_id = ? AND idempotency_key = ?", arguments: [workflowID, key]) }
    }

    public func execution(id: String) async throws -> ExecutionDetail? {
        try readNow { db in try Self.detail(id: id, db) }
    }

    public func executions(workflowID: String, status: ExecutionStatus?, limit: Int, before: Int64?) async throws -> Page<ExecutionRecord> {
        try readNow { db in
            let rows: [Row]
            if let status {
                rows = try Row.fetchAll(db, sql: "SELECT \(Self.executionColumns) FROM executions WHERE workflow_id = ? AND status = ? AND seq < ? ORDER BY seq DESC LIMIT ?", arguments: [workflowID, status.rawValue, before ?? Int64.max, limit + 1])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT \(Self.executionColumns) FROM executions WHERE workflow_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?", arguments: [workflowID, before ?? Int64.max, limit + 1])
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

    public func logs(executionID: String, index: Int, after: Int64, limit: Int) async throws -> [TaskLogLine] {
        try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT l.seq, l.at, l.attempt, l.source, l.line FROM task_logs l JOIN executions e ON e.seq = l.execution_seq
                WHERE e.id = ? AND l.idx = ? AND l.seq > ? ORDER BY l.seq LIMIT ?
                """), arguments: [executionID, index, after, limit]).map { row in
                TaskLogLine(executionID: executionID, index: index, seq: row[0], at: row[1], attempt: row[2], source: row[3], line: row[4])
            }
        }
    }

    public func close() async throws {
        try pool.close()
    }

    static func detail(id: String, _ db: Database) throws -> ExecutionDetail? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.executionColumns) FROM executions WHERE id = ?"), arguments: [id]) else { return nil }
        let execution = try execution(row)
        let tasks = try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.taskColumns) FROM tasks WHERE execution_seq = ? ORDER BY idx"), arguments: [execution.seq]).map(Self.task)
        return ExecutionDetail(execution: execution, tasks: tasks)
    }

    static func json(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return try? JSONParser.parse(text)
    }

    // Rows are read by position (GRDB's lookup by name compares case-insensitively, which
    // showed in profiles); the column lists below fix the positions.
    static let workflowColumns = "seq, id, name, description, definition, created_at, version, COALESCE(updated_at, created_at), namespace"
    static let versionColumns = "workflow_id, version, name, description, definition, created_at"
    static let executionColumns = "seq, id, workflow_id, status, input, output, error, webhook_url, idempotency_key, created_at, started_at, completed_at, deadline_at, workflow_version, webhook_secret, trace_context, suspended"
    static let taskColumns = "idx, task_id, step_id, type, status, input, output, error, started_at, completed_at, attempt, attempts, wake_at, attempt_base"

    static func workflow(_ row: Row) -> WorkflowRecord {
        WorkflowRecord(seq: row[0], id: row[1], name: row[2], description: row[3], definition: json(row[4]) ?? .null, createdAt: row[5], version: row[6], updatedAt: row[7], namespace: row[8])
    }

    static func version(_ row: Row) -> WorkflowVersionRecord {
        WorkflowVersionRecord(workflowID: row[0], version: row[1], name: row[2], description: row[3], definition: json(row[4]) ?? .null, createdAt: row[5])
    }

    static func execution(_ row: Row) throws -> ExecutionRecord {
        let status: String = row[3]
        guard let s = ExecutionStatus(rawValue: status) else { throw StoreError(message: "unknown execution status \(status) in the database") }
        return ExecutionRecord(
            seq: row[0], id: row[1], workflowID: row[2], workflowVersion: row[13], status: s, input: json(row[4]) ?? .null,
            output: json(row[5]), error: json(row[6]), webhookURL: row[7], webhookSecret: row[14], idempotencyKey: row[8],
            createdAt: row[9], startedAt: row[10], completedAt: row[11], deadlineAt: row[12], traceContext: row[15], suspended: row[16]
        )
    }

    static func task(_ row: Row) throws -> TaskRecord {
        let o = 0
        let status: String = row[o + 4]
        guard let s = TaskStatus(rawValue: status) else { throw StoreError(message: "unknown task status \(status) in the database") }
        return TaskRecord(
            index: row[o], taskID: row[o + 1], stepID: row[o + 2], type: row[o + 3], status: s,
            input: json(row[o + 5]), output: json(row[o + 6]), error: json(row[o + 7]),
            startedAt: row[o + 8], completedAt: row[o + 9], attempt: row[o + 10],
            attempts: json(row[o + 11])?.arrayValue ?? [], wakeAt: row[o + 12], attemptBase: row[o + 13]
        )
    }
}
