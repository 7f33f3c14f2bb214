import GRDB
import Foundation
import SluiceStore

/// The SQLite schema as numbered migrations. Applied in order on open; each runs once. Never
/// edit a released migration: add the next number.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001_workflows_executions_tasks") { db in
            try db.execute(sql: """
                CREATE TABLE workflows (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    description TEXT,
                    definition TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE executions (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    workflow_id TEXT NOT NULL REFERENCES workflows(id),
                    status TEXT NOT NULL,
                    input TEXT NOT NULL,
                    output TEXT,
                    error TEXT,
                    webhook_url TEXT,
                    idempotency_key TEXT,
                    created_at INTEGER NOT NULL,
                    started_at INTEGER,
                    completed_at INTEGER
                );
                CREATE INDEX executions_by_workflow ON executions (workflow_id, seq);
                CREATE INDEX executions_by_workflow_status ON executions (workflow_id, status, seq);
                CREATE UNIQUE INDEX executions_idempotency ON executions (workflow_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE INDEX executions_unfinished ON executions (seq) WHERE status IN ('PENDING', 'RUNNING');
                -- Keyed by the execution's seq, not its random id: a new execution's tasks land
                -- at the end of the tree, so a commit dirties few pages.
                CREATE TABLE tasks (
                    execution_seq INTEGER NOT NULL REFERENCES executions(seq),
                    idx INTEGER NOT NULL,
                    task_id TEXT NOT NULL,
                    step_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    status TEXT NOT NULL,
                    input TEXT,
                    output TEXT,
                    error TEXT,
                    started_at INTEGER,
                    completed_at INTEGER,
                    PRIMARY KEY (execution_seq, idx)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("002_attempts_timers_logs") { db in
            try db.execute(sql: """
                ALTER TABLE tasks ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
                -- Failed attempts, oldest first, as a JSON array.
                ALTER TABLE tasks ADD COLUMN attempts TEXT;
                -- When a RETRYING task runs again or a running Delay ends.
                ALTER TABLE tasks ADD COLUMN wake_at INTEGER;
                ALTER TABLE executions ADD COLUMN deadline_at INTEGER;
                CREATE TABLE task_logs (
                    execution_seq INTEGER NOT NULL REFERENCES executions(seq),
                    idx INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    attempt INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    line TEXT NOT NULL,
                    PRIMARY KEY (execution_seq, idx, seq)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("003_workflow_versions") { db in
            try db.execute(sql: """
                -- The workflows row is the head: it mirrors the latest version (name, description,
                -- definition, so that the latest is one read) and keeps the first version's
                -- created_at; updated_at is when the latest version was stored.
                ALTER TABLE workflows ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE workflows ADD COLUMN updated_at INTEGER;
                UPDATE workflows SET updated_at = created_at;
                -- Every version, the first included; never changed once stored.
                CREATE TABLE workflow_versions (
                    workflow_id TEXT NOT NULL REFERENCES workflows(id),
                    version INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT,
                    definition TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (workflow_id, version)
                );
                -- Existing workflows become version 1.
                INSERT INTO workflow_versions (workflow_id, version, name, description, definition, created_at)
                    SELECT id, 1, name, description, definition, created_at FROM workflows;
                -- The version an execution runs; existing executions ran version 1.
                ALTER TABLE executions ADD COLUMN workflow_version INTEGER NOT NULL DEFAULT 1;
                """)
        }
        migrator.registerMigration("004_events_webhooks") { db in
            try db.execute(sql: """
                -- Settings of this database; 'instance' is a random id that makes event ids
                -- unique across databases, 'webhook_fanout_after' the last event fanned out.
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                -- The outbox: one row per status change, written in the transaction of the change.
                -- seq is the rowid without AUTOINCREMENT (which would update sqlite_sequence on
                -- every insert): it still only grows, as long as the newest event is never deleted.
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY,
                    execution_seq INTEGER NOT NULL REFERENCES executions(seq),
                    workflow_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    data TEXT NOT NULL
                );
                CREATE INDEX events_by_execution ON events (execution_seq, seq);
                CREATE INDEX events_by_workflow ON events (workflow_id, seq);
                ALTER TABLE executions ADD COLUMN webhook_secret TEXT;
                CREATE TABLE webhook_subscriptions (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    workflow_id TEXT NOT NULL REFERENCES workflows(id),
                    url TEXT NOT NULL,
                    event_types TEXT NOT NULL,
                    description TEXT,
                    secret TEXT NOT NULL,
                    previous_secret TEXT,
                    previous_secret_expires_at INTEGER,
                    created_at INTEGER NOT NULL,
                    from_event_seq INTEGER NOT NULL,
                    disabled_at INTEGER,
                    disabled_reason TEXT
                );
                CREATE INDEX webhook_subscriptions_by_workflow ON webhook_subscriptions (workflow_id, seq);
                CREATE TABLE webhook_deliveries (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    execution_seq INTEGER NOT NULL REFERENCES executions(seq),
                    event_seq INTEGER NOT NULL REFERENCES events(seq),
                    -- NULL: the execution's own webhook_url.
                    subscription_id TEXT,
                    url TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts TEXT NOT NULL DEFAULT '[]',
                    next_attempt_at INTEGER,
                    created_at INTEGER NOT NULL,
                    completed_at INTEGER
                );
                CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
                CREATE INDEX webhook_deliveries_lane ON webhook_deliveries (execution_seq, subscription_id, seq) WHERE status = 'PENDING';
                CREATE INDEX webhook_deliveries_by_execution ON webhook_deliveries (execution_seq, seq);
                CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id) WHERE status = 'PENDING';
                """)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('instance', ?), ('webhook_fanout_after', '0')", arguments: [EventID.newInstance()])
        }
        migrator.registerMigration("005_attempt_base") { db in
            try db.execute(sql: """
                -- Attempts a task made before its current run: a retry of the execution runs its
                -- unfinished tasks again as new attempts (numbers go on) with a fresh retry budget.
                ALTER TABLE tasks ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
                """)
        }
        migrator.registerMigration("006_access") { db in
            try db.execute(sql: """
                -- Every workflow belongs to a namespace; existing ones to 'default'. The index
                -- serves the list filtered by namespaces, newest first.
                ALTER TABLE workflows ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
                CREATE INDEX workflows_by_namespace ON workflows (namespace, seq);
                -- People and machines; seq orders the list (newest first) and is its cursor.
                CREATE TABLE accounts (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    display_name TEXT,
                    created_at INTEGER NOT NULL
                );
                -- Never a token's value: hash is the lowercase hex SHA-256 of it.
                CREATE TABLE tokens (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    last_used_at INTEGER,
                    revoked_at INTEGER
                );
                CREATE INDEX tokens_by_account ON tokens (account_id, created_at, id);
                -- namespace is a namespace or '*' (every namespace).
                CREATE TABLE grants (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    namespace TEXT NOT NULL,
                    role TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (account_id, namespace, role)
                );
                CREATE INDEX grants_by_namespace ON grants (namespace, created_at, id);
                -- Append-only; names accounts by name, so entries outlive the accounts they name.
                -- AUTOINCREMENT: seqs (the list's cursor) are never reused, even if old entries
                -- are pruned.
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    actor TEXT,
                    action TEXT NOT NULL,
                    object TEXT,
                    namespace TEXT,
                    status INTEGER NOT NULL,
                    address TEXT,
                    request TEXT NOT NULL
                );
                CREATE INDEX audit_log_by_actor ON audit_log (actor, seq);
                CREATE INDEX audit_log_by_object ON audit_log (object, seq);
                CREATE INDEX audit_log_by_at ON audit_log (at);
                """)
        }
        migrator.registerMigration("007_queues") { db in
            try db.execute(sql: """
                -- One row per attempt of a Worker.Task: waiting for a worker (no claim), held by
                -- one (claim_token, lease_until), or answered (result, read by the engine).
                CREATE TABLE queued_tasks (
                    id TEXT PRIMARY KEY,
                    execution_id TEXT NOT NULL,
                    workflow_id TEXT NOT NULL,
                    namespace TEXT NOT NULL,
                    idx INTEGER NOT NULL,
                    step_id TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    queue TEXT NOT NULL,
                    input TEXT NOT NULL,
                    output_type TEXT NOT NULL,
                    lease_ms INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    claim_token TEXT,
                    worker TEXT,
                    claimed_at INTEGER,
                    heartbeat_at INTEGER,
                    lease_until INTEGER,
                    result TEXT,
                    UNIQUE (execution_id, idx, attempt)
                );
                CREATE INDEX queued_tasks_claimable ON queued_tasks (queue, created_at, id) WHERE claim_token IS NULL AND result IS NULL;
                CREATE INDEX queued_tasks_by_workflow ON queued_tasks (workflow_id);
                """)
        }
        migrator.registerMigration("008_human_tasks") { db in
            try db.execute(sql: """
                -- Human.Task attempts wait in queue '@human': what the person sees (human), who
                -- may claim them (assignees as ',alice,bob,'; NULL: anyone) and when they are due.
                ALTER TABLE queued_tasks ADD COLUMN human TEXT;
                ALTER TABLE queued_tasks ADD COLUMN assignees TEXT;
                ALTER TABLE queued_tasks ADD COLUMN due_at INTEGER;
                CREATE INDEX queued_tasks_held ON queued_tasks (worker, created_at, id) WHERE claim_token IS NOT NULL AND result IS NULL;
                """)
        }
        migrator.registerMigration("009_groups_and_queue_grants") { db in
            try db.execute(sql: """
                -- Named groups of accounts (Human.Task assignees "group:NAME"); seq orders the
                -- list (newest first) and is its cursor. Not "groups": a keyword in SQL.
                CREATE TABLE account_groups (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL UNIQUE,
                    description TEXT,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE account_group_members (
                    group_id TEXT NOT NULL REFERENCES account_groups(id) ON DELETE CASCADE,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    added_at INTEGER NOT NULL,
                    PRIMARY KEY (group_id, account_id)
                );
                CREATE INDEX account_group_members_by_account ON account_group_members (account_id);
                -- A worker grant's queues as a JSON array of names; NULL: every queue.
                ALTER TABLE grants ADD COLUMN queues TEXT;
                -- When a queued task's answer was stored.
                ALTER TABLE queued_tasks ADD COLUMN answered_at INTEGER;
                """)
        }
        migrator.registerMigration("010_annotation") { db in
            try db.execute(sql: """
                -- Annotation projects and their workflows (pipelines of pools) take the ids the
                -- annotation API shows (longs); algorithms are named per namespace.
                CREATE TABLE annotation_projects (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    namespace TEXT NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    label_config TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX annotation_projects_by_namespace ON annotation_projects (namespace, id);
                CREATE TABLE annotation_workflows (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    project_id INTEGER NOT NULL REFERENCES annotation_projects(id),
                    pipeline TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    runs_as TEXT NOT NULL
                );
                CREATE INDEX annotation_workflows_by_project ON annotation_workflows (project_id, id);
                CREATE TABLE annotation_algorithms (
                    namespace TEXT NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    spec TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (namespace, name)
                );
                -- An item's execution is recorded once started (NULL: a crash came between).
                CREATE TABLE annotation_items (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    workflow_id INTEGER NOT NULL REFERENCES annotation_workflows(id),
                    number INTEGER NOT NULL,
                    external_id TEXT,
                    data TEXT NOT NULL,
                    execution_id TEXT,
                    created_at INTEGER NOT NULL,
                    UNIQUE (workflow_id, external_id)
                );
                CREATE INDEX annotation_items_by_workflow ON annotation_items (workflow_id, id);
                CREATE INDEX annotation_items_unstarted ON annotation_items (id) WHERE execution_id IS NULL;
                -- A step may queue several tasks in one attempt, one after the other (an item's
                -- way through its pools): phase tells them apart. SQLite cannot change a table's
                -- UNIQUE constraint, so the table is copied into its new shape.
                CREATE TABLE queued_tasks_new (
                    id TEXT PRIMARY KEY,
                    execution_id TEXT NOT NULL,
                    workflow_id TEXT NOT NULL,
                    namespace TEXT NOT NULL,
                    idx INTEGER NOT NULL,
                    step_id TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    queue TEXT NOT NULL,
                    input TEXT NOT NULL,
                    output_type TEXT NOT NULL,
                    lease_ms INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    claim_token TEXT,
                    worker TEXT,
                    claimed_at INTEGER,
                    heartbeat_at INTEGER,
                    lease_until INTEGER,
                    result TEXT,
                    human TEXT,
                    assignees TEXT,
                    due_at INTEGER,
                    answered_at INTEGER,
                    phase INTEGER NOT NULL DEFAULT 0,
                    pool INTEGER,
                    UNIQUE (execution_id, idx, attempt, phase)
                );
                INSERT INTO queued_tasks_new (id, execution_id, workflow_id, namespace, idx, step_id, attempt, queue, input, output_type, lease_ms, created_at,
                    claim_token, worker, claimed_at, heartbeat_at, lease_until, result, human, assignees, due_at, answered_at)
                SELECT id, execution_id, workflow_id, namespace, idx, step_id, attempt, queue, input, output_type, lease_ms, created_at,
                    claim_token, worker, claimed_at, heartbeat_at, lease_until, result, human, assignees, due_at, answered_at FROM queued_tasks;
                DROP TABLE queued_tasks;
                ALTER TABLE queued_tasks_new RENAME TO queued_tasks;
                CREATE INDEX queued_tasks_claimable ON queued_tasks (queue, created_at, id) WHERE claim_token IS NULL AND result IS NULL;
                CREATE INDEX queued_tasks_by_workflow ON queued_tasks (workflow_id);
                CREATE INDEX queued_tasks_held ON queued_tasks (worker, created_at, id) WHERE claim_token IS NOT NULL AND result IS NULL;
                CREATE INDEX queued_tasks_pool ON queued_tasks (workflow_id, pool, created_at, id) WHERE pool IS NOT NULL AND claim_token IS NULL AND result IS NULL;
                """)
        }
        migrator.registerMigration("011_schedules") { db in
            try db.execute(sql: """
                -- A workflow's schedules; the spec (cron or interval, time zone, input, overlap,
                -- catch-up, paused) is JSON, paused is a column too for the leader's index.
                CREATE TABLE schedules (
                    id TEXT PRIMARY KEY,
                    workflow_id TEXT NOT NULL REFERENCES workflows(id),
                    spec TEXT NOT NULL,
                    paused INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    revision INTEGER NOT NULL,
                    last_due INTEGER,
                    queued_due INTEGER,
                    next_fire_at INTEGER,
                    last_error TEXT,
                    created_by TEXT
                );
                CREATE INDEX schedules_by_workflow ON schedules (workflow_id, created_at, id);
                CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE paused = 0 AND next_fire_at IS NOT NULL;
                CREATE INDEX schedules_queued ON schedules (queued_due) WHERE paused = 0 AND queued_due IS NOT NULL;
                -- What each fire time did: one row per (schedule, fire time).
                CREATE TABLE schedule_fires (
                    schedule_id TEXT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
                    due INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    execution_id TEXT,
                    reason TEXT,
                    PRIMARY KEY (schedule_id, due)
                ) WITHOUT ROWID;
                CREATE INDEX schedule_fires_by_execution ON schedule_fires (execution_id) WHERE execution_id IS NOT NULL;
                """)
        }
        migrator.registerMigration("012_trace_context") { db in
            // The propagation headers of the span that started an execution (tracing on), so its
            // tasks' spans join one trace across restarts and nodes.
            try db.execute(sql: "ALTER TABLE executions ADD COLUMN trace_context TEXT")
        }
        migrator.registerMigration("013_workflow_names") { db in
            // A workflow found by its name in its namespace (the Argo API finds its workflows,
            // templates and cron workflows so) reads the rows of that name only.
            try db.execute(sql: "CREATE INDEX workflows_by_name ON workflows (namespace, name, seq)")
        }
        migrator.registerMigration("014_execution_suspended") { db in
            // An execution suspended (Argo's PUT …/suspend, POST /executions/{id}/suspend)
            // starts no task until it is resumed; kept across restarts.
            try db.execute(sql: "ALTER TABLE executions ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("015_annotation_item_filters") { db in
            // `GET /annotation/item/list?state=&pool=`: an item found by its execution (the
            // executions in a state come from executions_by_workflow_status), the tasks open in
            // a pool, claimed or not (queued_tasks_pool has the unclaimed ones only), and the
            // pending items of one workflow.
            try db.execute(sql: """
                CREATE INDEX annotation_items_by_execution ON annotation_items (execution_id) WHERE execution_id IS NOT NULL;
                CREATE INDEX queued_tasks_open_in_pool ON queued_tasks (workflow_id, pool, execution_id) WHERE pool IS NOT NULL AND result IS NULL;
                CREATE INDEX annotation_items_unstarted_by_workflow ON annotation_items (workflow_id, id) WHERE execution_id IS NULL;
                """)
        }
        return migrator
    }
}

extension SQLiteStore {
    /// The migrations opening the database at `path` would apply, in order; nothing is changed
    /// (`sluice migrate --dry-run`). A database that does not exist yet would get them all.
    public static func pendingMigrations(path: String) throws -> [String] {
        let all = SQLiteMigrations.migrator.migrations
        guard FileManager.default.fileExists(atPath: path) else { return all }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        let applied = try queue.read { db in try SQLiteMigrations.migrator.appliedIdentifiers(db) }
        return all.filter { !applied.contains($0) }
    }
}
