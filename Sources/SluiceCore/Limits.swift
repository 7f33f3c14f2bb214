/// Every limit a client's input meets, named in one place.
///
/// The checks read these constants (the core's own, the steps', the engine's and the server's
/// defaults), `docs/limits.md` lists them in one table, and `LimitDocumentTests` holds the table
/// to `Limits.table`, so that the checks, the documentation and the edge tests cannot drift
/// apart. They live in the core, the bottom of the dependency graph, because every target reads
/// them and none of them needs anything but a number: the engine, the server and the command
/// line take the configurable ones as their defaults (`Engine.Limits`, `ServerConfiguration`,
/// `sluice serve`'s flags), which an operator can change.
public enum Limits {
    // MARK: Requests and connections (the server)

    /// The largest request body, in bytes (`--max-body-size`, at least 1024); larger is `413`.
    public static let defaultMaxBodyBytes = 1 << 20
    /// The smallest `--max-body-size` accepted.
    public static let minMaxBodyBytes = 1024
    /// How deeply arrays and objects may nest in a JSON body; deeper is `400 invalid_json`.
    public static let jsonDepth = 256
    /// The bytes of a request's head that the HTTP parser reads: the target (path and query),
    /// every header name and value, separators not counted. More is `400` and the connection
    /// is closed.
    public static let headerBytes = 80 * 1024
    /// The most header fields in a request.
    public static let headerCount = 1000
    /// How long a connection may stay idle (no request under way, or a request's head or body
    /// not advancing) before the server closes it (`--idle-timeout`).
    public static let defaultIdleTimeoutSeconds = 75
    /// The longest `?wait` on an execution or `wait` of a claim, in seconds (`--max-wait-seconds`,
    /// which cannot go above it).
    public static let maxWaitSeconds = 60
    /// A list's page size when `limit` is not given.
    public static let defaultPageSize = 50
    /// The largest `limit` of a list.
    public static let maxPageSize = 500
    /// The longest `Idempotency-Key`, in code points.
    public static let idempotencyKeyCharacters = 255
    /// The most event streams (`GET …/events` with `Accept: text/event-stream`) open at once
    /// (`--max-streams`); one more is `503 overloaded`.
    public static let defaultMaxStreams = 1000
    /// The most event streams one client (its account, or its address without auth) holds open
    /// (`--max-streams-per-client`); one more is `429`.
    public static let defaultMaxStreamsPerClient = 100
    /// The most claims (`POST /queues/{queue}/claim`, long-polled with `wait`) under way at once
    /// (`--max-long-polls`); one more is `503 overloaded`.
    public static let defaultMaxLongPolls = 10_000
    /// The most claims one client has under way (`--max-long-polls-per-client`); one more is
    /// `429`.
    public static let defaultMaxLongPollsPerClient = 1000
    /// The `Retry-After` of a refusal at one of these limits, in seconds.
    public static let retryAfterSeconds = 1

    // MARK: What a node holds (the engine)

    /// The most executions driven at once (`--max-active-executions`).
    public static let defaultMaxActiveExecutions = 100_000
    /// The most requests waiting on executions at once (`--max-waiters`).
    public static let defaultMaxWaiters = 10_000
    /// The most writes queued for the store (`--max-queued-writes`).
    public static let defaultMaxQueuedWrites = 20_000
    /// The most programs — containers and `Process` tasks — run at once (`--max-processes`);
    /// the others wait for a slot.
    public static let defaultMaxProcesses = 32

    // MARK: Workflow definitions

    /// The most steps of a chain, or tasks of a DAG, in a definition a client sends.
    public static let maxTasks = 1000
    /// The most `output_files` of a `Container.Run`, and the most bytes one may hold.
    public static let containerOutputFiles = 32
    public static let containerOutputFileBytes = 256 * 1024
    /// The most `input_artifacts` and the most `output_artifacts` of a `Container.Run` (each),
    /// and the most bytes one artifact (a file, or a directory's files together) may hold in
    /// the local artifact store.
    public static let containerArtifacts = 32
    public static let containerArtifactBytes = 1 << 30
    /// The most tasks of a definition the server writes itself from a smaller one: an Argo
    /// Workflow, whose `withItems`, `withParam` and templates called from several places expand
    /// into many tasks (its body is bounded by `body_bytes`, and the expansion stops at this).
    public static let maxTranslatedTasks = 10_000
    /// The longest workflow name, in code points.
    public static let workflowNameCharacters = 200
    /// The longest task id.
    public static let taskIDCharacters = 64
    /// The longest `timeout_seconds` of a task or a workflow: 30 days.
    public static let maxTimeoutSeconds = 30 * 86_400
    /// The most attempts of a retry policy (the first included).
    public static let maxRetryAttempts = 100
    /// The longest `initial_seconds` and `max_seconds` of a retry backoff.
    public static let maxBackoffSeconds = 86_400
    /// The largest `multiplier` of a retry backoff.
    public static let maxBackoffMultiplier = 10
    /// The largest `map.concurrency`.
    public static let maxMapConcurrency = 1000
    /// How deeply `Workflow.Run` may nest workflows.
    public static let workflowRunDepth = 16
    /// How deeply `list<…>` may nest in a type name.
    public static let listTypeNesting = 32
    /// How deeply a `when` condition may nest (parentheses, `not`).
    public static let conditionDepth = 64
    /// The longest `Delay`: 30 days.
    public static let maxDelaySeconds = 30 * 86_400
    /// The shortest and longest lease of a `Worker.Task`, in seconds.
    public static let minLeaseSeconds = 1
    public static let maxLeaseSeconds = 3600
    /// The longest queue name, in bytes.
    public static let queueNameBytes = 64
    /// A `Human.Task`'s title and instructions, in characters; its assignees; its longest due
    /// time (366 days), in seconds.
    public static let humanTitleCharacters = 200
    public static let humanInstructionsCharacters = 20_000
    public static let humanAssignees = 100
    public static let humanDueSeconds = 366 * 86_400

    // MARK: Argo Workflows

    /// How deeply Argo templates may call templates: the templates of one chain of calls, the
    /// entrypoint included (a template calling itself is refused sooner).
    public static let argoTemplateDepth = 10
    /// The most templates the `templateRef`s of one Argo workflow may copy into it.
    public static let argoReferencedTemplates = 200

    // MARK: Schedules and retention

    /// The longest cron expression of a schedule, in characters.
    public static let cronExpressionCharacters = 256
    /// The longest time zone name of a schedule, in bytes (the IANA names are far shorter).
    public static let timeZoneCharacters = 64
    /// The longest catch-up window of a schedule (`catchup_seconds`): 7 days.
    public static let scheduleCatchupSeconds = 7 * 86_400
    /// The most missed fire times one catch-up of an `allow` schedule starts (the newest ones).
    public static let scheduleCatchupFires = 100
    /// The longest a retention policy keeps finished executions, in days (10 years).
    public static let retentionDays = 3650
    /// The most finished executions a retention policy's `keep_last` keeps.
    public static let retentionKeepLast = 100_000_000

    // MARK: Annotation

    /// The most pools an annotation workflow has.
    public static let annotationPools = 20
    /// The most accounts a pool names in `workers`.
    public static let annotationPoolWorkers = 100
    /// The most algorithms an algorithm pool lists.
    public static let annotationAlgorithmsPerPool = 20
    /// The longest project, pool or label name, in characters.
    public static let annotationNameCharacters = 200
    /// The longest project description, in characters.
    public static let annotationDescriptionCharacters = 20_000
    /// The most labels a project's label config has.
    public static let annotationLabels = 1000
    /// The most items one upload carries.
    public static let annotationItemsPerUpload = 1000

    // MARK: Answers

    /// The most problems a `400` lists; then one more says how many others were found.
    public static let problemsListed = 100
    /// The most names a message lists (tasks, properties, `enum` values) before "and N more".
    public static let namesListed = 20

    // MARK: Executions and webhooks

    /// The longest `webhook_url` or subscription `url`, in code points.
    public static let webhookURLCharacters = 2048
    /// The longest description of a webhook subscription, in code points.
    public static let webhookDescriptionCharacters = 1000
    /// The largest signing key of a `webhook_secret`, in bytes (the Standard Webhooks range is
    /// 24 to 64; `WebhookSecret.keyLengths` holds it, and a test holds it to this).
    public static let webhookSecretBytes = 64
    /// The most webhook subscriptions of one workflow; one more is `409`.
    public static let webhooksPerWorkflow = 100
    /// The most schedules of one workflow; one more is `409`.
    public static let schedulesPerWorkflow = 100

    // MARK: Workers (`/queues`)

    /// The most tasks one claim takes (`limit`).
    public static let maxClaim = 100
    /// The most log lines one heartbeat carries.
    public static let maxLogLines = 100
    /// The longest log line a heartbeat carries, in bytes.
    public static let maxLogLineBytes = 4096
    /// The longest failure message, in bytes.
    public static let maxMessageBytes = 4096
    /// The longest worker name a claim gives, in bytes.
    public static let maxWorkerNameBytes = 128

    // MARK: Accounts and tokens

    /// The longest namespace name.
    public static let namespaceCharacters = 63
    /// The longest account name.
    public static let accountNameCharacters = 64
    /// The longest display name of an account or name of a token, in code points.
    public static let accountTextCharacters = 200
    /// The most queues a `worker` grant names (none: every queue of its namespace).
    public static let grantQueues = 100
    /// Failed sign-ins from one address in one minute before it is refused with `429`.
    public static let signInFailuresPerMinute = 20

    // MARK: Steps with I/O

    /// The longest `timeout_seconds` of an `HTTP.Request`.
    public static let httpMaxTimeoutSeconds = 300
    /// The largest `max_response_bytes` of an `HTTP.Request`: 100 MiB.
    public static let httpMaxResponseBytes = 100 << 20
    /// The most redirects an `HTTP.Request` follows.
    public static let httpMaxRedirects = 5
    /// The longest `timeout_seconds` of a `Process`: a day.
    public static let processMaxTimeoutSeconds = 86_400
    /// The largest `max_output_bytes` of a `Process`: 64 MiB.
    public static let processMaxOutputBytes = 64 << 20
    /// The longest `kill_grace_seconds` of a `Process`.
    public static let processMaxKillGraceSeconds = 300
    /// The most standard-error lines of a `Process` kept in the task's log.
    public static let processLoggedLines = 1000
    /// The longest standard-error line kept, in bytes (longer ones are cut).
    public static let processLineBytes = 2000
    /// The longest `timeout_seconds` of a `Container.Run`: a day.
    public static let containerMaxTimeoutSeconds = 86_400
    /// The largest `max_output_bytes` of a `Container.Run`: 64 MiB.
    public static let containerMaxOutputBytes = 64 << 20
    /// The longest `kill_grace_seconds` of a `Container.Run`.
    public static let containerMaxKillGraceSeconds = 300
    /// The most lines of each output stream of a `Container.Run` kept in the task's log.
    public static let containerLoggedLines = 10_000
    /// The longest output line of a `Container.Run` kept in the log, in bytes (longer ones are cut).
    public static let containerLineBytes = 2000

    // MARK: The table

    /// One limit as `docs/limits.md` lists it.
    public struct Entry: Sendable, Equatable {
        /// Its name in the table (`body_bytes`).
        public var name: String
        /// Its value (for a configurable one, the default).
        public var value: Int

        public init(_ name: String, _ value: Int) {
            self.name = name
            self.value = value
        }
    }

    /// Every limit, by the name `docs/limits.md` gives it.
    public static let table: [Entry] = [
        .init("body_bytes", defaultMaxBodyBytes),
        .init("json_depth", jsonDepth),
        .init("header_bytes", headerBytes),
        .init("header_count", headerCount),
        .init("idle_timeout_seconds", defaultIdleTimeoutSeconds),
        .init("wait_seconds", maxWaitSeconds),
        .init("page_size_default", defaultPageSize),
        .init("page_size", maxPageSize),
        .init("idempotency_key_characters", idempotencyKeyCharacters),
        .init("streams", defaultMaxStreams),
        .init("streams_per_client", defaultMaxStreamsPerClient),
        .init("long_polls", defaultMaxLongPolls),
        .init("long_polls_per_client", defaultMaxLongPollsPerClient),
        .init("retry_after_seconds", retryAfterSeconds),
        .init("active_executions", defaultMaxActiveExecutions),
        .init("waiters", defaultMaxWaiters),
        .init("queued_writes", defaultMaxQueuedWrites),
        .init("processes", defaultMaxProcesses),
        .init("definition_tasks", maxTasks),
        .init("translated_tasks", maxTranslatedTasks),
        .init("container_output_files", containerOutputFiles),
        .init("container_output_file_bytes", containerOutputFileBytes),
        .init("container_artifacts", containerArtifacts),
        .init("container_artifact_bytes", containerArtifactBytes),
        .init("workflow_name_characters", workflowNameCharacters),
        .init("task_id_characters", taskIDCharacters),
        .init("timeout_seconds", maxTimeoutSeconds),
        .init("retry_attempts", maxRetryAttempts),
        .init("backoff_seconds", maxBackoffSeconds),
        .init("backoff_multiplier", maxBackoffMultiplier),
        .init("map_concurrency", maxMapConcurrency),
        .init("workflow_run_depth", workflowRunDepth),
        .init("list_type_nesting", listTypeNesting),
        .init("condition_depth", conditionDepth),
        .init("delay_seconds", maxDelaySeconds),
        .init("lease_seconds", maxLeaseSeconds),
        .init("queue_name_bytes", queueNameBytes),
        .init("human_title_characters", humanTitleCharacters),
        .init("human_instructions_characters", humanInstructionsCharacters),
        .init("human_assignees", humanAssignees),
        .init("human_due_seconds", humanDueSeconds),
        .init("argo_template_depth", argoTemplateDepth),
        .init("argo_referenced_templates", argoReferencedTemplates),
        .init("cron_expression_characters", cronExpressionCharacters),
        .init("time_zone_characters", timeZoneCharacters),
        .init("schedule_catchup_seconds", scheduleCatchupSeconds),
        .init("schedule_catchup_fires", scheduleCatchupFires),
        .init("retention_days", retentionDays),
        .init("retention_keep_last", retentionKeepLast),
        .init("annotation_pools", annotationPools),
        .init("annotation_pool_workers", annotationPoolWorkers),
        .init("annotation_algorithms_per_pool", annotationAlgorithmsPerPool),
        .init("annotation_name_characters", annotationNameCharacters),
        .init("annotation_description_characters", annotationDescriptionCharacters),
        .init("annotation_labels", annotationLabels),
        .init("annotation_items_per_upload", annotationItemsPerUpload),
        .init("problems_listed", problemsListed),
        .init("names_listed", namesListed),
        .init("webhook_url_characters", webhookURLCharacters),
        .init("webhook_description_characters", webhookDescriptionCharacters),
        .init("webhook_secret_bytes", webhookSecretBytes),
        .init("webhooks_per_workflow", webhooksPerWorkflow),
        .init("schedules_per_workflow", schedulesPerWorkflow),
        .init("claim_tasks", maxClaim),
        .init("heartbeat_log_lines", maxLogLines),
        .init("log_line_bytes", maxLogLineBytes),
        .init("failure_message_bytes", maxMessageBytes),
        .init("worker_name_bytes", maxWorkerNameBytes),
        .init("namespace_characters", namespaceCharacters),
        .init("account_name_characters", accountNameCharacters),
        .init("account_text_characters", accountTextCharacters),
        .init("grant_queues", grantQueues),
        .init("sign_in_failures_per_minute", signInFailuresPerMinute),
        .init("http_timeout_seconds", httpMaxTimeoutSeconds),
        .init("http_response_bytes", httpMaxResponseBytes),
        .init("http_redirects", httpMaxRedirects),
        .init("process_timeout_seconds", processMaxTimeoutSeconds),
        .init("process_output_bytes", processMaxOutputBytes),
        .init("process_kill_grace_seconds", processMaxKillGraceSeconds),
        .init("process_log_lines", processLoggedLines),
        .init("process_log_line_bytes", processLineBytes),
        .init("container_timeout_seconds", containerMaxTimeoutSeconds),
        .init("container_output_bytes", containerMaxOutputBytes),
        .init("container_kill_grace_seconds", containerMaxKillGraceSeconds),
        .init("container_log_lines", containerLoggedLines),
        .init("container_log_line_bytes", containerLineBytes),
    ]
}
