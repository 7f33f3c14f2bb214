import Logging
import PostgresNIO
import SluiceCore
import SluiceStore

/// The PostgreSQL driver: the same semantics as `SQLiteStore` (its conformance suite runs against
/// both), on a pool of connections (`PostgresClient`).
///
/// Every `apply` batch is one transaction that first takes `pg_advisory_xact_lock(eventLock)`:
/// writes are serialized as on SQLite, so event seqs (the last seq + 1, assigned inside the
/// transaction) are in commit order and a reader of "events after seq N" never misses one that
/// commits later with a smaller seq. Reads take no lock. Several nodes that claim work
/// concurrently will want a narrower lock (taken only by transactions that write events, just
/// before they write them); see the README.
public final class PostgresStore: Store {
    let client: PostgresClient
    let runner: Task<Void, Never>
    public let configuration: PostgresConfiguration
    public let instanceID: String
    let logger: Logger
    let clock: @Sendable () -> Int64

    /// Connects, applies pending migrations (safe when several nodes start at once) and returns
    /// the store; `close()` releases the pool.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger = Logger(label: "sluice.postgres"), clock: @escaping @Sendable () -> Int64 = MemoryStore.wallClock) async throws -> PostgresStore {
        // The pool starts now; it has long been running by the time the migrations are done.
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        do {
            // Migrations run on a connection of their own: if the server cannot be reached, this
            // fails at once with the reason (the pool would keep retrying in the background).
            let connection = try await PostgresConnection.connect(configuration: try configuration.connectionConfiguration(), id: 0, logger: logger)
            let instance: String
            do {
                try await PostgresMigrations.migrate(connection, schema: configuration.schema, logger: logger)
                instance = try await connection.query("SELECT value FROM meta WHERE key = 'instance'", logger: logger).decode(String.self).first { _ in true } ?? "0"
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
            return PostgresStore(client: client, runner: runner, configuration: configuration, instanceID: instance, logger: logger, clock: clock)
        } catch {
            runner.cancel()
            await runner.value
            throw StoreError(message: "cannot open the PostgreSQL database at \(configuration.description): \(Self.describe(error))")
        }
    }

    init(client: PostgresClient, runner: Task<Void, Never>, configuration: PostgresConfiguration, instanceID: String, logger: Logger, clock: @escaping @Sendable () -> Int64) {
        self.client = client
        self.runner = runner
        self.configuration = configuration
        self.instanceID = instanceID
        self.logger = logger
        self.clock = clock
    }

    /// PSQLError hides the server's message from `description`; this shows it.
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            return "\(e.code)" + (e.underlying.map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }

    /// The migrations applied to this database, in order.
    public func appliedMigrations() async throws -> [String] {
        var names: [String] = []
        for try await name in try await client.query("SELECT name FROM sluice_migrations ORDER BY name", logger: logger).decode(String.self) {
            names.append(name)
        }
        return names
    }

    /// Drops the schema the store was opened with (`configuration.schema`), with everything in
    /// it. For tests, which give each store a schema of its own.
    public func dropSchema() async throws {
        guard let schema = configuration.schema else { throw StoreError(message: "the store has no schema of its own to drop") }
        try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(PostgresMigrations.quoteIdentifier(schema)) CASCADE"), logger: logger)
    }

    public func close() async throws {
        runner.cancel()
        await runner.value
    }

    // MARK: Writes

    public func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        let now = clock()
        let logger = self.logger
        do {
            return try await applyBatch(mutations, now: now, logger: logger)
        } catch let error as PSQLError {
            throw StoreError(message: "PostgreSQL: \(Self.describe(error))")
        }
    }

    func applyBatch(_ mutations: [Mutation], now: Int64, logger: Logger) async throws -> [MutationOutcome] {
        try await client.withTransaction(logger: logger) { connection in
            var batch = Batch(connection: connection, logger: logger, now: now)
            batch.lockKey = PostgresMigrations.eventLock(schema: self.configuration.schema)
            try await batch.lock()
            var outcomes: [MutationOutcome] = []
            outcomes.reserveCapacity(mutations.count)
            for m in mutations { outcomes.append(try await batch.apply(m)) }
            try await batch.flushEvents()
            return outcomes
        }
    }

    /// The largest event seq ever committed: the largest left, or the floor a deletion recorded.
    static let lastEventSeqSQL = """
        GREATEST(COALESCE((SELECT MAX(seq) FROM events), 0), COALESCE((SELECT value::bigint FROM meta WHERE key = 'event_seq_floor'), 0))
        """

    /// One `apply` transaction. Events are collected and written in one multi-row statement at
    /// the end (or before a mutation that reads event seqs), with consecutive seqs in the order
    /// they were made.
    struct Batch {
        let connection: PostgresConnection
        let logger: Logger
        let now: Int64
        var events: [(executionSeq: Int64, workflowID: String, type: String, data: String)] = []
        var lockKey = PostgresMigrations.eventLock

        init(connection: PostgresConnection, logger: Logger, now: Int64) {
            self.connection = connection
            self.logger = logger
            self.now = now
        }

        func lock() async throws {
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
        }

        @discardableResult
        func run(_ query: PostgresQuery) async throws -> [PostgresRow] {
            try await connection.query(query, logger: logger).collect()
        }

        mutating func event(executionSeq: Int64, workflowID: String, type: String, data: String) {
            events.append((executionSeq, workflowID, type, data))
        }

        mutating func flushEvents() async throws {
            guard !events.isEmpty else { return }
            let executions = events.map(\.executionSeq)
            let workflows = events.map(\.workflowID)
            let types = events.map(\.type)
            let data = events.map(\.data)
            events.removeAll(keepingCapacity: true)
            try await run("""
                INSERT INTO events (seq, execution_seq, workflow_id, type, at, data)
                SELECT b.last + t.o, t.e, t.w, t.ty, \(now), t.d
                FROM (SELECT \(unescaped: PostgresStore.lastEventSeqSQL) AS last) b,
                    unnest(\(executions)::bigint[], \(workflows)::text[], \(types)::text[], \(data)::text[]) WITH ORDINALITY AS t(e, w, ty, d, o)
                """)
        }

        mutating func apply(_ mutation: Mutation) async throws -> MutationOutcome {
            switch mutation {
            case .insertWorkflow(let w):
                let definition = w.definition.jsonString
                let rows = try await run("""
                    WITH w AS (
                        INSERT INTO workflows (id, name, description, definition, created_at, version, updated_at)
                        VALUES (\(w.id), \(w.name), \(w.description), \(definition), \(w.createdAt), 1, \(w.createdAt))
                        ON CONFLICT (id) DO NOTHING RETURNING id)
                    INSERT INTO workflow_versions (workflow_id, version, name, description, definition, created_at)
                    SELECT id, 1, \(w.name), \(w.description), \(definition), \(w.createdAt) FROM w RETURNING 1
                    """)
                return rows.isEmpty ? .idConflict : .applied
            case .insertWorkflowVersion(let v, let expected):
                let definition = v.definition.jsonString
                let next = expected + 1
                let rows = try await run("""
                    WITH w AS (
                        UPDATE workflows SET name = \(v.name), description = \(v.description), definition = \(definition), version = \(next), updated_at = \(v.createdAt)
                        WHERE id = \(v.workflowID) AND version = \(expected) RETURNING id)
                    INSERT INTO workflow_versions (workflow_id, version, name, description, definition, created_at)
                    SELECT id, \(next), \(v.name), \(v.description), \(definition), \(v.createdAt) FROM w RETURNING 1
                    """)
                if !rows.isEmpty { return .applied }
                guard let row = try await run("SELECT version FROM workflows WHERE id = \(v.workflowID)").first else { return .stale }
                return .versionConflict(current: try row.decode(Int.self))
            case .insertExecution(let detail):
                return try await insertExecution(detail)
            case .appendLogs(let lines):
                guard !lines.isEmpty else { return .applied }
                try await run("""
                    INSERT INTO task_logs (execution_seq, idx, seq, at, attempt, source, line)
                    SELECT e.seq, t.idx,
                        COALESCE((SELECT MAX(l.seq) FROM task_logs l WHERE l.execution_seq = e.seq AND l.idx = t.idx), 0)
                            + ROW_NUMBER() OVER (PARTITION BY e.seq, t.idx ORDER BY t.o),
                        t.at, t.attempt, t.source, t.line
                    FROM unnest(\(lines.map(\.executionID))::text[], \(lines.map { Int64($0.index) })::bigint[], \(lines.map(\.at))::bigint[],
                        \(lines.map { Int64($0.attempt) })::bigint[], \(lines.map(\.source))::text[], \(lines.map(\.line))::text[])
                        WITH ORDINALITY AS t(x, idx, at, attempt, source, line, o)
                    JOIN executions e ON e.id = t.x
                    """)
                return .applied
            case .transition(let t):
                // With one task change nothing is written before the check that can fail; with
                // more, a later change can find its task moved on after earlier ones were
                // written: a savepoint undoes them (and their events are dropped).
                let eventCount = events.count
                if t.tasks.count <= 1 { return try await applyTransition(t) }
                try await run("SAVEPOINT transition")
                let outcome = try await applyTransition(t)
                if outcome == .applied {
                    try await run("RELEASE SAVEPOINT transition")
                } else {
                    try await run("ROLLBACK TO SAVEPOINT transition")
                    try await run("RELEASE SAVEPOINT transition")
                    events.removeSubrange(eventCount...)
                }
                return outcome
            default:
                return try await applyWebhookMutation(mutation)
            }
        }

        mutating func insertExecution(_ detail: ExecutionDetail) async throws -> MutationOutcome {
            let e = detail.execution
            let outputJSON = e.output?.jsonString
            let errorJSON = e.error?.jsonString
            // The checks, the execution and its tasks in one statement (one round trip); the
            // tasks travel as one JSON array (columns may be NULL, which arrays of text cannot
            // carry). The insert happens only if the workflow exists and the key is unused.
            let tasks = JSONValue.array(detail.tasks.map { t in
                .object(JSONObject([
                    ("idx", .string(String(t.index))), ("task_id", .string(t.taskID)), ("step_id", .string(t.stepID)), ("type", .string(t.type)),
                    ("status", .string(t.status.rawValue)), ("input", Self.text(t.input?.jsonString)), ("output", Self.text(t.output?.jsonString)),
                    ("error", Self.text(t.error?.jsonString)), ("started_at", Self.number(t.startedAt)), ("completed_at", Self.number(t.completedAt)),
                    ("attempt", .string(String(t.attempt))), ("attempts", Self.text(t.attempts.isEmpty ? nil : JSONValue.array(t.attempts).jsonString)),
                    ("wake_at", Self.number(t.wakeAt)),
                ]))
            }).jsonString
            let rows = try await run("""
                WITH c AS (
                    SELECT EXISTS (SELECT 1 FROM workflows WHERE id = \(e.workflowID)) AS found,
                        (SELECT id FROM executions WHERE workflow_id = \(e.workflowID) AND idempotency_key = \(e.idempotencyKey)::text) AS existing),
                x AS (
                    INSERT INTO executions (id, workflow_id, status, input, output, error, webhook_url, idempotency_key, created_at, started_at, completed_at, deadline_at, workflow_version, webhook_secret)
                    SELECT \(e.id)::text, \(e.workflowID)::text, \(e.status.rawValue)::text, \(e.input.jsonString)::text, \(outputJSON)::text, \(errorJSON)::text,
                        \(e.webhookURL)::text, \(e.idempotencyKey)::text, \(e.createdAt)::bigint, \(e.startedAt)::bigint, \(e.completedAt)::bigint,
                        \(e.deadlineAt)::bigint, \(Int64(e.workflowVersion))::bigint, \(e.webhookSecret)::text
                    FROM c WHERE c.found AND c.existing IS NULL
                    ON CONFLICT DO NOTHING RETURNING seq),
                t AS (
                    INSERT INTO tasks (execution_seq, idx, task_id, step_id, type, status, input, output, error, started_at, completed_at, attempt, attempts, wake_at)
                    SELECT x.seq, r.idx::bigint, r.task_id, r.step_id, r.type, r.status, r.input, r.output, r.error, r.started_at::bigint, r.completed_at::bigint,
                        r.attempt::bigint, r.attempts, r.wake_at::bigint
                    FROM x, json_to_recordset(\(tasks)::json) AS r(idx text, task_id text, step_id text, type text, status text, input text, output text,
                        error text, started_at text, completed_at text, attempt text, attempts text, wake_at text))
                SELECT c.found, c.existing, (SELECT seq FROM x) FROM c
                """)
            guard let row = rows.first else { return .stale }
            let (found, existing, inserted) = try row.decode((Bool, String?, Int64?).self)
            guard found else { return .stale }
            if e.idempotencyKey != nil, let existing { return .duplicate(executionID: existing) }
            guard let seq = inserted else { return .idConflict }
            event(executionSeq: seq, workflowID: e.workflowID, type: EventType.execution(e.status), data: EventData.execution(
                id: e.id, workflowID: e.workflowID, workflowVersion: e.workflowVersion, status: e.status, createdAt: e.createdAt,
                startedAt: e.startedAt, completedAt: e.completedAt, outputJSON: outputJSON, errorJSON: errorJSON))
            return .applied
        }

        static func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        static func number(_ n: Int64?) -> JSONValue { n.map { .string(String($0)) } ?? .null }

        mutating func applyTransition(_ t: ExecutionTransition) async throws -> MutationOutcome {
            guard let head = try await run("""
                SELECT seq, workflow_id, workflow_version, created_at, status, started_at FROM executions WHERE id = \(t.executionID)
                """).first else { return .stale }
            let (seq, workflowID, workflowVersion, createdAt, status, startedAt) = try head.decode((Int64, String, Int, Int64, String, Int64?).self)
            // An execution that goes from PENDING to running and on within one commit (a run of
            // pure steps) still reports execution.running, before its tasks' events.
            let wasPending = status == ExecutionStatus.pending.rawValue
            let reportsStart = wasPending && t.execution.map { $0.status != .pending && $0.status != .cancelled } == true
            if reportsStart, let e = t.execution {
                event(executionSeq: seq, workflowID: workflowID, type: EventType.execution(.running), data: EventData.execution(
                    id: t.executionID, workflowID: workflowID, workflowVersion: workflowVersion, status: .running, createdAt: createdAt,
                    startedAt: e.startedAt ?? startedAt, completedAt: nil, outputJSON: nil, errorJSON: nil))
            }
            for c in t.tasks {
                let index = Int64(c.index)
                if c.reset {
                    try await run("""
                        UPDATE tasks SET input = NULL, output = NULL, error = NULL, started_at = NULL, completed_at = NULL, attempt = 0, wake_at = NULL
                        WHERE execution_seq = \(seq) AND idx = \(index)
                        """)
                }
                let failed = c.failedAttempt?.jsonString
                let output = c.output?.jsonString
                let error = c.error?.jsonString
                guard let row = try await run("""
                    UPDATE tasks SET status = \(c.status.rawValue), input = COALESCE(\(c.input?.jsonString)::text, input),
                        output = COALESCE(\(output)::text, output), error = COALESCE(\(error)::text, error),
                        started_at = COALESCE(\(c.startedAt)::bigint, started_at), completed_at = COALESCE(\(c.completedAt)::bigint, completed_at),
                        attempt = COALESCE(\(c.attempt.map(Int64.init))::bigint, attempt),
                        attempts = CASE WHEN \(failed)::text IS NULL THEN attempts
                            WHEN attempts IS NULL OR attempts = '[]' THEN '[' || \(failed)::text || ']'
                            ELSE left(attempts, -1) || ',' || \(failed)::text || ']' END,
                        wake_at = \(c.wakeAt)::bigint
                    WHERE execution_seq = \(seq) AND idx = \(index) AND status = ANY(\(c.expected.map(\.rawValue))::text[])
                    RETURNING task_id, step_id, type, attempt, started_at, completed_at
                    """).first else { return .stale }
                let (taskID, stepID, type, attempt, started, completed) = try row.decode((String, String, String, Int, Int64?, Int64?).self)
                event(executionSeq: seq, workflowID: workflowID, type: EventType.task(c.status), data: EventData.task(
                    executionID: t.executionID, workflowID: workflowID, taskID: taskID, stepID: stepID, type: type, status: c.status,
                    attempt: attempt, startedAt: started, completedAt: completed, wakeAt: c.wakeAt, outputJSON: output, errorJSON: error))
            }
            if let e = t.execution {
                let output = e.output?.jsonString
                let error = e.error?.jsonString
                guard let row = try await run("""
                    UPDATE executions SET status = \(e.status.rawValue),
                        output = CASE WHEN \(e.reopen) THEN NULL ELSE COALESCE(\(output)::text, output) END,
                        error = CASE WHEN \(e.reopen) THEN NULL ELSE COALESCE(\(error)::text, error) END,
                        started_at = COALESCE(\(e.startedAt)::bigint, started_at),
                        completed_at = CASE WHEN \(e.reopen) THEN NULL ELSE COALESCE(\(e.completedAt)::bigint, completed_at) END,
                        deadline_at = COALESCE(\(e.deadlineAt)::bigint, deadline_at)
                    WHERE seq = \(seq)
                    RETURNING started_at, completed_at
                    """).first else { return .stale }
                if reportsStart && e.status == .running { return .applied }
                let (started, completed) = try row.decode((Int64?, Int64?).self)
                event(executionSeq: seq, workflowID: workflowID, type: EventType.execution(e.status), data: EventData.execution(
                    id: t.executionID, workflowID: workflowID, workflowVersion: workflowVersion, status: e.status, createdAt: createdAt,
                    startedAt: started, completedAt: completed, outputJSON: output, errorJSON: error))
            }
            return .applied
        }
    }
}
