import Logging
import ServiceLifecycle
import PostgresNIO
import SluiceCore
import SluiceStore
import Synchronization

/// The PostgreSQL driver: the same semantics as `SQLiteStore` (its conformance suite runs against
/// both), on a pool of connections (`PostgresClient`).
///
/// Every `apply` batch is one transaction: one statement for a batch of new executions and
/// transitions only (migration 017), `BEGIN` … `COMMIT` for the others. Just before
/// it writes its events (or reads the last event seq) it takes `pg_advisory_xact_lock(eventLock)`,
/// held until it commits: event seqs (the last seq + 1, assigned under the lock) are in commit
/// order, so a reader of "events after seq N" never misses one that commits later with a smaller
/// seq, while the rest of the batch (the row updates, most of its round trips) runs alongside
/// other nodes' batches. Reads take no lock.
///
/// Several nodes share one database through `ClusterStore` (PostgresStore+Cluster.swift).
public final class PostgresStore: ClusterStore {
    let client: PostgresClient
    /// The pool, when `connect` started it; `nil` when it runs in `run()`.
    let runner: Task<Void, Never>?
    public let configuration: PostgresConfiguration
    public let instanceID: String
    let logger: Logger
    let clock: @Sendable () -> Int64
    /// This node's part in a cluster, once it has joined one.
    let cluster = Mutex(ClusterState())
    let noticeStream: AsyncStream<ClusterNotification>
    let noticeContinuation: AsyncStream<ClusterNotification>.Continuation
    /// The advisory lock keys and the NOTIFY channel of this store's schema: deployments in other
    /// schemas of the same database do not contend with it.
    let eventLock: Int64
    let leaderLock: Int64
    let channel: String
    /// Whether the database looked unreachable at the last lease (PostgresStore+Connections).
    let health = Mutex(PostgresHealth())
    /// Transactions begun (`BEGIN` … `COMMIT`), for the tests: a batch of new executions and
    /// transitions only takes none when every element applies.
    let transactionsBegun = Atomic<Int>(0)

    /// Connects, applies pending migrations (safe when several nodes start at once) and returns
    /// the store; `close()` releases the pool.
    ///
    /// With `runsPool` (tests, the benchmark's own connection) the connection pool runs from now
    /// until `close()`. Without it (a server) the pool runs in `run()`, the store's service, which
    /// the server runs in its `ServiceGroup`: nothing of the store outlives the group.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger = Logger(label: "sluice.postgres"), clock: @escaping @Sendable () -> Int64 = MemoryStore.wallClock, runsPool: Bool = true) async throws -> PostgresStore {
        // The pool starts now (if it is ours to run); it has long been running by the time the
        // migrations are done.
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        let runner = runsPool ? Task { await client.run() } : nil
        do {
            // Migrations run on a connection of their own: if the server cannot be reached, this
            // fails at once with the reason (the pool would keep retrying in the background).
            let connection = try await PostgresConnection.connect(configuration: try configuration.connectionConfiguration(), id: 0, logger: logger)
            let instance: String
            do {
                try await PostgresMigrations.migrate(connection, schema: configuration.schema, logger: logger)
                instance = try await connection.checkedQuery("SELECT value FROM meta WHERE key = 'instance'", logger: logger).decode(String.self).first { _ in true } ?? "0"
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
            return PostgresStore(client: client, runner: runner, configuration: configuration, instanceID: instance, logger: logger, clock: clock)
        } catch {
            runner?.cancel()
            await runner?.value
            throw StoreError(message: "cannot open the PostgreSQL database at \(configuration.description): \(Self.describe(error))")
        }
    }

    init(client: PostgresClient, runner: Task<Void, Never>?, configuration: PostgresConfiguration, instanceID: String, logger: Logger, clock: @escaping @Sendable () -> Int64) {
        self.client = client
        self.runner = runner
        self.configuration = configuration
        self.instanceID = instanceID
        self.logger = logger
        self.clock = clock
        (noticeStream, noticeContinuation) = AsyncStream.makeStream(of: ClusterNotification.self, bufferingPolicy: .unbounded)
        let keys = PostgresMigrations.keys(schema: configuration.schema)
        eventLock = keys.event
        leaderLock = keys.leader
        channel = keys.channel
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
        for row in try await collect("SELECT name FROM sluice_migrations ORDER BY name") {
            names.append(try row.decode(String.self))
        }
        return names
    }

    /// Drops the schema the store was opened with (`configuration.schema`), with everything in
    /// it. For tests, which give each store a schema of its own.
    public func dropSchema() async throws {
        guard let schema = configuration.schema else { throw StoreError(message: "the store has no schema of its own to drop") }
        _ = try await collect(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(PostgresMigrations.quoteIdentifier(schema)) CASCADE"))
    }

    /// Concurrent batches overlap their round trips; half the pool leaves room for reads. Each
    /// execution's writes stay in order (the group committer keeps them so).
    public var commitConcurrency: Int { max(1, configuration.maximumConnections / 2) }

    public func close() async throws {
        await stopClusterConnections()
        noticeContinuation.finish()
        await awaitProbe()
        runner?.cancel()
        await runner?.value
    }

    /// Runs the connection pool until the graceful shutdown (when `connect` did not start it),
    /// then closes the store. The server runs it first in its `ServiceGroup`, so it stops last.
    public func run() async throws {
        guard runner == nil else {
            try? await gracefulShutdown()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            try? await gracefulShutdown()
            await stopClusterConnections()
            noticeContinuation.finish()
            group.cancelAll()
        }
    }

    // MARK: Writes

    public func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        let now = clock()
        let logger = self.logger
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await applyBatch(mutations, now: now, logger: logger)
            } catch let error as PSQLError {
                // Nodes lock rows in no common order (a cancel of another node's execution), so
                // PostgreSQL may end a batch as a deadlock victim: nothing of it was applied,
                // and running it again is safe.
                if attempt < 4, let state = error.serverInfo?[.sqlState], state == "40P01" || state == "40001" {
                    logger.debug("batch was a deadlock victim; applying it again", metadata: ["attempt": "\(attempt)"])
                    continue
                }
                // Unreachable stays what it is (the engine answers 503); anything else is a
                // store failure, in the server's words.
                if error.storeIsUnavailable { throw error }
                throw StoreError(message: "PostgreSQL: \(Self.describe(error))")
            }
        }
    }

    func applyBatch(_ mutations: [Mutation], now: Int64, logger: Logger) async throws -> [MutationOutcome] {
        let node = cluster.withLock { $0.nodeID }
        // A batch of new executions and transitions only (what `POST …/execute` and steps
        // starting and finishing commit): one statement, when every element applies.
        if let outcomes = try await applyAtOnce(mutations, now: now, node: node) { return outcomes }
        return try await transaction { [self] connection in
            var batch = Batch(connection: connection, logger: logger, now: now, eventLock: eventLock, node: node)
            var outcomes: [MutationOutcome] = []
            outcomes.reserveCapacity(mutations.count)
            var i = 0
            while i < mutations.count {
                // A run of transitions goes in one call (one round trip); one that changes a task
                // twice takes the statement-by-statement path, which sees its own first change.
                var run: [ExecutionTransition] = []
                while i < mutations.count, case .transition(let t) = mutations[i], Set(t.tasks.map(\.index)).count == t.tasks.count {
                    run.append(t)
                    i += 1
                }
                if !run.isEmpty {
                    outcomes += try await batch.applyTransitions(run)
                    continue
                }
                // So does a run of new executions (one call of `sluice_insert_executions`).
                var inserts: [(ExecutionDetail, [EventDraft])] = []
                while i < mutations.count, case .insertExecution(let detail, let events) = mutations[i] {
                    inserts.append((detail, events))
                    i += 1
                }
                if !inserts.isEmpty {
                    outcomes += try await batch.insertExecutions(inserts)
                    continue
                }
                outcomes.append(try await batch.apply(mutations[i]))
                i += 1
            }
            // Announced first (delivered at COMMIT all the same): the event lock, taken by the
            // events' write, is then held only for that write and the COMMIT.
            if let node { try await batch.announce(node: node, channel: channel) }
            try await batch.flushEvents()
            return outcomes
        }
    }

    /// Applies `mutations` (a whole batch) with its events and announcement in one statement,
    /// `sluice_apply_at_once` (migration 017), which PostgreSQL commits when it ends — if the
    /// batch holds new executions and transitions only. `nil` when it holds anything else, or when
    /// an element did not apply (an execution not inserted, a stale transition): then nothing of
    /// it was, and the caller applies the batch in a transaction, where each gets its own outcome.
    func applyAtOnce(_ mutations: [Mutation], now: Int64, node: String?) async throws -> [MutationOutcome]? {
        guard !mutations.isEmpty else { return nil }
        // Runs of one kind, in order; what `Batch` would announce and write if every one applies.
        var kinds: [String] = []
        var runs: [String] = []
        var inserts: [(detail: ExecutionDetail, events: [EventDraft])] = []
        var transitions: [ExecutionTransition] = []
        var events: [[EventDraft]] = []
        var changed: [String] = []
        var finished: [String] = []
        var work = false
        func flush() {
            if !inserts.isEmpty {
                kinds.append("insert")
                runs.append(Batch.insertPayload(inserts))
                inserts.removeAll()
            }
            if !transitions.isEmpty {
                kinds.append("transition")
                runs.append(Batch.transitionsPayload(transitions))
                transitions.removeAll()
            }
        }
        for mutation in mutations {
            switch mutation {
            case .insertExecution(let detail, let drafts):
                if !transitions.isEmpty { flush() }
                inserts.append((detail, drafts))
                events.append(drafts)
                changed.append(detail.execution.id)
                if detail.execution.status.isTerminal { finished.append(detail.execution.id) } else { work = true }
            // One that changes a task twice goes statement by statement (the transaction's way).
            case .transition(let t) where Set(t.tasks.map(\.index)).count == t.tasks.count:
                if !inserts.isEmpty { flush() }
                transitions.append(t)
                events.append(t.events)
                changed.append(t.executionID)
                if t.execution?.status.isTerminal == true { finished.append(t.executionID) }
            default:
                return nil
            }
        }
        flush()
        let columns = Self.eventColumns(events)
        let payloads = node.map { ClusterNotification(nodeID: $0, work: work, changed: changed, finished: finished).payloads() } ?? []
        let rows: [PostgresRow]
        do {
            rows = try await collect("""
                SELECT sluice_apply_at_once(\(eventLock), \(now), \(kinds)::text[], \(runs)::text[], \(node)::text, \(columns.owners)::int[], \(columns.types)::text[], \(columns.data)::text[], \(channel), \(payloads)::text[])
                """)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "SL001" {
            return nil
        }
        guard rows.count == mutations.count else { throw StoreError(message: "sluice_apply_at_once answered \(rows.count) rows for \(mutations.count) mutations") }
        return Array(repeating: .applied, count: mutations.count)
    }

    /// The events of a batch's elements as the columns `sluice_apply_at_once` takes: each
    /// event's element (1-based), type and data.
    static func eventColumns(_ elements: [[EventDraft]]) -> (owners: [Int32], types: [String], data: [String]) {
        var columns: (owners: [Int32], types: [String], data: [String]) = ([], [], [])
        for (k, events) in elements.enumerated() {
            for draft in events {
                columns.owners.append(Int32(k + 1))
                columns.types.append(draft.type)
                columns.data.append(draft.data)
            }
        }
        return columns
    }

    /// The largest event seq ever committed: the largest left, or the floor a deletion recorded.
    /// (`sluice_append_events`, migration 015, computes it the same way.)
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
        let eventLock: Int64
        /// This node, once it has joined a cluster: transitions need the execution's lease.
        let node: String?
        var events: [(executionSeq: Int64, workflowID: String, type: String, data: String)] = []
        var locked = false
        /// What the batch did, for the other nodes (`announce`).
        var changed: [String] = []
        var finished: [String] = []
        var work = false
        /// Queues that got a task (the claims waiting on other nodes look again).
        var queues: [String] = []

        init(connection: PostgresConnection, logger: Logger, now: Int64, eventLock: Int64, node: String? = nil) {
            self.connection = connection
            self.logger = logger
            self.now = now
            self.eventLock = eventLock
            self.node = node
        }

        /// Takes the event lock (once per transaction; held until it ends).
        mutating func lock() async throws {
            guard !locked else { return }
            try await connection.checkedQuery("SELECT pg_advisory_xact_lock(\(eventLock))", logger: logger)
            locked = true
        }

        /// Tells the other nodes what this batch changed; delivered when it commits.
        func announce(node: String, channel: String) async throws {
            guard work || !changed.isEmpty || !finished.isEmpty || !queues.isEmpty else { return }
            let payloads = ClusterNotification(nodeID: node, work: work, changed: changed, finished: finished, queues: queues).payloads()
            try await run("SELECT pg_notify(\(channel), p) FROM unnest(\(payloads)::text[]) AS p")
        }

        @discardableResult
        func run(_ query: PostgresQuery) async throws -> [PostgresRow] {
            try await connection.checkedQuery(query, logger: logger).collect()
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
            if locked {
                try await run("""
                    INSERT INTO events (seq, execution_seq, workflow_id, type, at, data)
                    SELECT b.last + t.o, t.e, t.w, t.ty, \(now), t.d
                    FROM (SELECT \(unescaped: PostgresStore.lastEventSeqSQL) AS last) b,
                        unnest(\(executions)::bigint[], \(workflows)::text[], \(types)::text[], \(data)::text[]) WITH ORDINALITY AS t(e, w, ty, d, o)
                    """)
            } else {
                // The lock and the insert in one round trip (migration 015): every transaction
                // writing events queues on this lock, so each round trip it is held costs them all.
                try await run("SELECT sluice_append_events(\(eventLock), \(now), \(executions)::bigint[], \(workflows)::text[], \(types)::text[], \(data)::text[])")
                locked = true
            }
        }

        mutating func apply(_ mutation: Mutation) async throws -> MutationOutcome {
            switch mutation {
            case .insertWorkflow(let w):
                let definition = w.definition.jsonString
                let rows = try await run("""
                    WITH w AS (
                        INSERT INTO workflows (id, name, description, definition, created_at, version, updated_at, namespace)
                        VALUES (\(w.id), \(w.name), \(w.description), \(definition), \(w.createdAt), 1, \(w.createdAt), \(w.namespace))
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
            case .insertExecution(let detail, let events):
                return try await insertExecutions([(detail, events)])[0]
            case .enqueue(let task):
                var insert = PostgresStore.insertQueued(task)
                insert.sql += " RETURNING 1"
                let rows = try await run(insert)
                if rows.isEmpty { return .idConflict }
                if node != nil { queues.append(task.queue) }
                return .applied
            case .answerQueued(let executionID, let id, let token, let result, let at):
                let found = try await PostgresStore.lockQueued(id, token: token, now: at, connection, logger: logger)
                guard case .applied = found else { return .stale }
                try await run("UPDATE queued_tasks SET result = \(result.json.jsonString), answered_at = \(at) WHERE id = \(id)")
                if node != nil { changed.append(executionID) }
                return .applied
            case .suspendExecution(let executionID, let suspended):
                let rows = try await run("UPDATE executions SET suspended = \(suspended) WHERE id = \(executionID) AND status IN ('PENDING', 'RUNNING') RETURNING 1")
                if rows.isEmpty { return .stale }
                if node != nil { changed.append(executionID) }
                return .applied
            case .appendLogs(let lines):
                guard !lines.isEmpty else { return .applied }
                if node != nil { changed += Set(lines.map(\.executionID)) }
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
                let outcome: MutationOutcome
                if t.tasks.count <= 1 {
                    outcome = try await applyTransition(t)
                } else {
                    try await run("SAVEPOINT transition")
                    outcome = try await applyTransition(t)
                    if outcome == .applied {
                        try await run("RELEASE SAVEPOINT transition")
                    } else {
                        try await run("ROLLBACK TO SAVEPOINT transition")
                        try await run("RELEASE SAVEPOINT transition")
                        events.removeSubrange(eventCount...)
                    }
                }
                if outcome == .applied { applied(t) }
                return outcome
            case .insertAccount, .deleteAccount, .insertToken, .revokeToken, .touchToken, .insertGrant, .deleteGrant, .appendAudit,
                 .insertGroup, .deleteGroup, .addGroupMember, .removeGroupMember:
                return try await applyAccessMutation(mutation)
            case .insertSchedule, .updateSchedule, .deleteSchedule:
                return try await applyScheduleMutation(mutation)
            default:
                return try await applyWebhookMutation(mutation)
            }
        }

        /// Inserts a run of new executions and their tasks in one call of
        /// `sluice_insert_executions` (migration 016): each is inserted only if its workflow
        /// exists and its idempotency key is unused (earlier ones of the run included).
        mutating func insertExecutions(_ run: [(detail: ExecutionDetail, events: [EventDraft])]) async throws -> [MutationOutcome] {
            let payload = Self.insertPayload(run)
            let rows = try await self.run("SELECT o_found, o_existing, o_seq FROM sluice_insert_executions(\(payload))")
            guard rows.count == run.count else { throw StoreError(message: "sluice_insert_executions answered \(rows.count) rows for \(run.count) executions") }
            var outcomes: [MutationOutcome] = []
            outcomes.reserveCapacity(run.count)
            for (k, item) in run.enumerated() {
                let e = item.detail.execution
                let (found, existing, inserted) = try rows[k].decode((Bool, String?, Int64?).self)
                guard found else {
                    outcomes.append(.stale)
                    continue
                }
                if e.idempotencyKey != nil, let existing {
                    outcomes.append(.duplicate(executionID: existing))
                    continue
                }
                guard let seq = inserted else {
                    outcomes.append(.idConflict)
                    continue
                }
                if node != nil {
                    // Stored unheld: whichever node claims it first runs it (unless its pure steps
                    // already ran it to its end).
                    changed.append(e.id)
                    if e.status.isTerminal { finished.append(e.id) } else { work = true }
                }
                for draft in item.events { event(executionSeq: seq, workflowID: e.workflowID, type: draft.type, data: draft.data) }
                outcomes.append(.applied)
            }
            return outcomes
        }

        /// A run of new executions and their tasks as `sluice_insert_executions` reads them.
        /// Values travel as JSON strings (columns may be NULL, which arrays of text cannot carry).
        static func insertPayload(_ run: [(detail: ExecutionDetail, events: [EventDraft])]) -> String {
            JSONValue.array(run.map { item in
                let e = item.detail.execution
                let tasks = JSONValue.array(item.detail.tasks.map { t in
                    .object(JSONObject([
                        ("idx", .string(String(t.index))), ("task_id", .string(t.taskID)), ("step_id", .string(t.stepID)), ("type", .string(t.type)),
                        ("status", .string(t.status.rawValue)), ("input", Self.text(t.input?.jsonString)), ("output", Self.text(t.output?.jsonString)),
                        ("error", Self.text(t.error?.jsonString)), ("started_at", Self.number(t.startedAt)), ("completed_at", Self.number(t.completedAt)),
                        ("attempt", .string(String(t.attempt))), ("attempts", Self.text(t.attempts.isEmpty ? nil : JSONValue.array(t.attempts).jsonString)),
                        ("wake_at", Self.number(t.wakeAt)), ("attempt_base", .string(String(t.attemptBase))),
                    ]))
                })
                return .object(JSONObject([
                    ("id", .string(e.id)), ("workflow_id", .string(e.workflowID)), ("status", .string(e.status.rawValue)),
                    ("input", .string(e.input.jsonString)), ("output", Self.text(e.output?.jsonString)), ("error", Self.text(e.error?.jsonString)),
                    ("webhook_url", Self.text(e.webhookURL)), ("idempotency_key", Self.text(e.idempotencyKey)),
                    ("created_at", Self.number(e.createdAt)), ("started_at", Self.number(e.startedAt)), ("completed_at", Self.number(e.completedAt)),
                    ("deadline_at", Self.number(e.deadlineAt)), ("workflow_version", .string(String(e.workflowVersion))),
                    ("webhook_secret", Self.text(e.webhookSecret)), ("trace_context", Self.text(e.traceContext)), ("tasks", tasks),
                ]))
            }).jsonString
        }

        static func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        static func number(_ n: Int64?) -> JSONValue { n.map { .string(String($0)) } ?? .null }

        /// Whether a node may apply `t` to an execution it does not hold: any node may cancel,
        /// and the node that retries (reopens) a finished execution becomes its holder.
        static func exempt(_ t: ExecutionTransition) -> Bool {
            t.execution?.reopen == true || t.execution?.status == .cancelled
        }

        /// Applies a run of transitions in one call of `sluice_transitions` (migration 003).
        mutating func applyTransitions(_ run: [ExecutionTransition]) async throws -> [MutationOutcome] {
            let payload = Self.transitionsPayload(run)
            let rows = try await self.run("SELECT sluice_transitions(\(payload), \(node)::text)")
            guard rows.count == run.count else { throw StoreError(message: "sluice_transitions answered \(rows.count) rows for \(run.count) transitions") }
            var outcomes: [MutationOutcome] = []
            outcomes.reserveCapacity(run.count)
            for (k, t) in run.enumerated() {
                let result = try JSONParser.parse(try rows[k].decode(String.self))
                guard result["ok"] == .bool(true) else {
                    outcomes.append(.stale)
                    continue
                }
                let seq = Int64(result["seq"]?.numberValue ?? 0)
                let workflowID = result["workflow_id"]?.stringValue ?? ""
                for draft in t.events { event(executionSeq: seq, workflowID: workflowID, type: draft.type, data: draft.data) }
                applied(t)
                outcomes.append(.applied)
            }
            return outcomes
        }

        /// A run of transitions as `sluice_transitions` reads them.
        static func transitionsPayload(_ run: [ExecutionTransition]) -> String {
            JSONValue.array(run.map { t in
                let tasks = JSONValue.array(t.tasks.map { c in
                    let texts = (c.input?.jsonString, c.output?.jsonString, c.error?.jsonString)
                    return .object(JSONObject([
                        ("idx", .string(String(c.index))), ("expected", .array(c.expected.map { .string($0.rawValue) })), ("status", .string(c.status.rawValue)),
                        ("input", Self.text(texts.0)), ("output", Self.text(texts.1)), ("error", Self.text(texts.2)),
                        ("started_at", Self.number(c.startedAt)), ("completed_at", Self.number(c.completedAt)), ("attempt", Self.number(c.attempt.map(Int64.init))),
                        ("failed", Self.text(c.failedAttempt?.jsonString)), ("wake_at", Self.number(c.wakeAt)), ("reset", .bool(c.reset)),
                        ("attempt_base", Self.number(c.attemptBase.map(Int64.init))),
                    ]))
                })
                var o = JSONObject([("id", .string(t.executionID)), ("exempt", .bool(Self.exempt(t))), ("tasks", tasks)])
                if let e = t.execution {
                    o.append("x", .object(JSONObject([
                        ("status", .string(e.status.rawValue)), ("output", Self.text(e.output?.jsonString)), ("error", Self.text(e.error?.jsonString)),
                        ("started_at", Self.number(e.startedAt)), ("completed_at", Self.number(e.completedAt)), ("reopen", .bool(e.reopen)),
                        ("deadline_at", Self.number(e.deadlineAt)),
                    ])))
                }
                return .object(o)
            }).jsonString
        }

        /// Notes an applied transition for the other nodes.
        mutating func applied(_ t: ExecutionTransition) {
            guard node != nil else { return }
            changed.append(t.executionID)
            if let status = t.execution?.status, status.isTerminal { finished.append(t.executionID) }
        }

        /// Applies one transition statement by statement (one that changes a task twice).
        mutating func applyTransition(_ t: ExecutionTransition) async throws -> MutationOutcome {
            // The row lock keeps the holder check true until the commit: a rescue that would
            // hand the execution to another node waits for this batch.
            guard let row = try await run("""
                SELECT seq, workflow_id, owner FROM executions WHERE id = \(t.executionID) FOR NO KEY UPDATE
                """).first else { return .stale }
            let (seq, workflowID, owner) = try row.decode((Int64, String, String?).self)
            if let node, owner != node, !Self.exempt(t) { return .stale }
            for c in t.tasks {
                let index = Int64(c.index)
                if c.reset {
                    try await run("""
                        UPDATE tasks SET input = NULL, output = NULL, error = NULL, started_at = NULL, completed_at = NULL, wake_at = NULL
                        WHERE execution_seq = \(seq) AND idx = \(index)
                        """)
                }
                let failed = c.failedAttempt?.jsonString
                let text = (input: c.input?.jsonString, output: c.output?.jsonString, error: c.error?.jsonString)
                guard try await !run("""
                    UPDATE tasks SET status = \(c.status.rawValue), input = COALESCE(\(text.input)::text, input),
                        output = COALESCE(\(text.output)::text, output), error = COALESCE(\(text.error)::text, error),
                        started_at = COALESCE(\(c.startedAt)::bigint, started_at), completed_at = COALESCE(\(c.completedAt)::bigint, completed_at),
                        attempt = COALESCE(\(c.attempt.map(Int64.init))::bigint, attempt),
                        attempts = CASE WHEN \(failed)::text IS NULL THEN attempts
                            WHEN attempts IS NULL OR attempts = '[]' THEN '[' || \(failed)::text || ']'
                            ELSE left(attempts, -1) || ',' || \(failed)::text || ']' END,
                        wake_at = \(c.wakeAt)::bigint,
                        attempt_base = COALESCE(\(c.attemptBase.map(Int64.init))::bigint, attempt_base)
                    WHERE execution_seq = \(seq) AND idx = \(index) AND status = ANY(\(c.expected.map(\.rawValue))::text[])
                    RETURNING 1
                    """).isEmpty else { return .stale }
            }
            if let e = t.execution {
                let reopens = e.reopen
                guard try await !run("""
                    UPDATE executions SET status = \(e.status.rawValue),
                        output = CASE WHEN \(reopens) THEN NULL ELSE COALESCE(\(e.output?.jsonString)::text, output) END,
                        error = CASE WHEN \(reopens) THEN NULL ELSE COALESCE(\(e.error?.jsonString)::text, error) END,
                        started_at = COALESCE(\(e.startedAt)::bigint, started_at),
                        completed_at = CASE WHEN \(reopens) THEN NULL ELSE COALESCE(\(e.completedAt)::bigint, completed_at) END,
                        deadline_at = COALESCE(\(e.deadlineAt)::bigint, deadline_at),
                        owner = CASE WHEN \(reopens) THEN \(node)::text ELSE owner END
                    WHERE seq = \(seq)
                    RETURNING 1
                    """).isEmpty else { return .stale }
            }
            for draft in t.events { event(executionSeq: seq, workflowID: workflowID, type: draft.type, data: draft.data) }
            return .applied
        }
    }
}
