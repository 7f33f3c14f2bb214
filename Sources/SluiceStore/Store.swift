import ServiceLifecycle
import SluiceCore

/// One write the store applies inside a batch.
public enum Mutation: Sendable {
    /// Stores a new workflow as version 1 (its head and its first `WorkflowVersionRecord`; the
    /// record's `version` and `updatedAt` are not used); `idConflict` if its id is taken.
    case insertWorkflow(WorkflowRecord)
    /// Stores the next version of a workflow and makes it the head (name, description,
    /// definition, version, `updatedAt` = the version's `createdAt`). Optimistic concurrency:
    /// applied only if the workflow's latest version is still `expectedVersion`, and the record
    /// is stored as version `expectedVersion + 1` (its own `version` is not used);
    /// `versionConflict(current:)` with the latest version otherwise, `stale` if there is no
    /// such workflow. Nothing is applied unless the outcome is `applied`.
    case insertWorkflowVersion(WorkflowVersionRecord, expectedVersion: Int)
    /// Stores a new execution and its tasks, and `events` after it, in order; `idConflict` if its
    /// id is taken, `duplicate` if its workflow already has an execution with the same idempotency
    /// key, `stale` (nothing applied) if its workflow does not exist (it was deleted after the
    /// caller read it). `Mutation.insertExecution(_:)` gives it its creation event; an execution
    /// stored already run (its pure steps ran before it was stored) has the events of that run.
    case insertExecution(ExecutionDetail, events: [EventDraft])
    /// Applies a transition and writes its `events`; `stale` (and nothing applied or written) if a
    /// task is no longer in an expected status.
    case transition(ExecutionTransition)
    /// Appends lines to task logs; each line gets the next `seq` of its task. Always `applied`
    /// (lines of an execution that does not exist are dropped).
    case appendLogs([TaskLogLine])
    /// Queues an attempt of a `Worker.Task` or `Human.Task` (as `Store.enqueue`): `applied`, or
    /// `idConflict` if that attempt was queued already (the row stored first stands).
    case enqueue(QueuedTaskRecord)
    /// Stores the answer of queued task `id` of execution `executionID` (as
    /// `Store.answerQueued`): `applied`, or `stale` (nothing changed) if the rule refuses it;
    /// `Store.answerQueued` then says why.
    case answerQueued(executionID: String, id: String, token: String?, result: QueuedTaskResult, at: Int64)
    /// Suspends (`suspended` true) or resumes execution `executionID`
    /// (`ExecutionRecord.suspended`); `stale` (nothing changed) if it does not exist or has finished.
    case suspendExecution(executionID: String, suspended: Bool)

    /// Stores a webhook subscription; its `fromEventSeq` becomes the last event committed so far.
    /// `idConflict` if its id is taken.
    case insertSubscription(SubscriptionRecord)
    /// Deletes subscription `id` of workflow `workflowID` and cancels its pending deliveries;
    /// `stale` if there is no such subscription.
    case deleteSubscription(workflowID: String, id: String, at: Int64)
    /// Replaces a subscription's secret; the old one keeps signing until `previousExpiresAt`.
    /// `stale` if there is no such subscription.
    case rotateSubscriptionSecret(workflowID: String, id: String, secret: String, previousExpiresAt: Int64)
    /// Stops a subscription for good and cancels its pending deliveries (`stale` if it does not
    /// exist or is already disabled).
    case disableSubscription(id: String, at: Int64, reason: String)
    /// Records the fan-out of the events after `after` through `through`: moves the fan-out
    /// cursor and stores their deliveries. `stale` (nothing applied) unless the cursor is still
    /// `after`, so events are fanned out exactly once.
    case fanOut(after: Int64, through: Int64, deliveries: [DeliveryRecord])
    /// Stores a new delivery (a delivery sent again by hand); `idConflict` if its id is taken.
    case insertDelivery(DeliveryRecord)
    /// Records one attempt of a pending delivery and what follows it: `status` (still `pending`
    /// with `nextAttemptAt`, or an end). `stale` if the delivery is no longer pending.
    case recordDeliveryAttempt(id: String, attempt: JSONValue, status: DeliveryStatus, nextAttemptAt: Int64?, at: Int64)
    /// Cancels the pending deliveries of one execution to its own `webhook_url` (its receiver
    /// answered 410 Gone). Always `applied`.
    case cancelExecutionDeliveries(executionID: String, at: Int64)

    /// Stores a new account; `idConflict` if its id or its name is taken.
    case insertAccount(AccountRecord)
    /// Deletes account `id` with its tokens and grants (audit entries naming it stay); `stale`
    /// if there is no such account.
    case deleteAccount(id: String)
    /// Stores a token; `stale` if its account does not exist, `idConflict` if its id or hash is
    /// taken.
    case insertToken(TokenRecord)
    /// Revokes token `id`; `stale` if there is no such token or it is revoked already.
    case revokeToken(id: String, at: Int64)
    /// Records that token `id` was used at `at` (kept only when later than the time recorded).
    /// Always `applied`.
    case touchToken(id: String, at: Int64)
    /// Stores a grant; `stale` if its account does not exist, `idConflict` if its id is taken or
    /// the account has this role in this namespace already.
    case insertGrant(GrantRecord)
    /// Deletes grant `id`; `stale` if there is no such grant.
    case deleteGrant(id: String)
    /// Appends entries to the audit log, in order, each with the next `seq`. Always `applied`.
    case appendAudit([AuditRecord])
    /// Stores a new group; `idConflict` if its id or its name is taken.
    case insertGroup(GroupRecord)
    /// Deletes group `id` with its memberships; `stale` if there is no such group.
    case deleteGroup(id: String)
    /// Makes account `accountID` a member of group `groupID`; `stale` if either does not exist,
    /// `idConflict` if it is a member already.
    case addGroupMember(groupID: String, accountID: String, at: Int64)
    /// Takes account `accountID` out of group `groupID`; `stale` if it is not a member.
    case removeGroupMember(groupID: String, accountID: String)

    /// Stores a new schedule (its `revision` as given, 1); `idConflict` if its id is taken,
    /// `stale` if its workflow does not exist.
    case insertSchedule(ScheduleRecord)
    /// Replaces a schedule's state with `record` (stored with revision `expectedRevision + 1`;
    /// `createdBy` is kept) and records `fires` (one record per fire time: a later one for the
    /// same time, a queued time that fired, replaces it), only if its stored revision is still
    /// `expectedRevision`: `stale` (nothing applied) otherwise or if it is gone.
    case updateSchedule(ScheduleRecord, expectedRevision: Int64, fires: [ScheduleFireRecord])
    /// Deletes schedule `id` of workflow `workflowID` with its fire history (the executions it
    /// started stay); `stale` if there is no such schedule.
    case deleteSchedule(workflowID: String, id: String)
}

/// What became of one `Mutation`.
public enum MutationOutcome: Sendable, Hashable {
    case applied
    case idConflict
    case duplicate(executionID: String)
    case stale
    /// The workflow's latest version is `current`, not the one the write expected.
    case versionConflict(current: Int)
}

/// What one `Store.purgeFinished` call did.
public struct PurgeResult: Sendable, Hashable {
    /// The ids of the executions deleted.
    public var deletedIDs: [String]
    /// How many executions were deleted.
    public var deleted: Int { deletedIDs.count }
    /// The seq of the last execution looked at (the next call's `after` when nothing was deleted).
    public var lastExamined: Int64?
    /// Whether the window was full: executions after `lastExamined` were not looked at.
    public var windowFull: Bool

    public init(deletedIDs: [String], lastExamined: Int64?, windowFull: Bool) {
        self.deletedIDs = deletedIDs
        self.lastExamined = lastExamined
        self.windowFull = windowFull
    }
}

/// What `Store.deleteWorkflow(id:)` did.
public enum WorkflowDeletion: Sendable, Hashable {
    /// The workflow and everything that belonged to it are gone.
    case deleted
    /// There is no workflow with this id.
    case notFound
    /// Nothing was deleted: the workflow is still in use.
    case inUse(WorkflowUse)
}

/// Why a workflow cannot be deleted: unfinished executions, or other workflows that run it.
public struct WorkflowUse: Sendable, Hashable {
    /// How many executions of the workflow are PENDING or RUNNING.
    public var unfinishedCount: Int
    /// The oldest of them, if any.
    public var unfinishedExample: String?
    /// Workflows whose latest version runs this one with a `Workflow.Run` step, in creation order.
    public var callers: [String]
    /// Unfinished executions of other workflows whose version (maybe not the latest) runs this
    /// one with `Workflow.Run`, oldest first: they would fail, or could not be resumed after a
    /// restart, without it.
    public var callingExecutions: [String]

    public init(unfinishedCount: Int, unfinishedExample: String?, callers: [String], callingExecutions: [String] = []) {
        self.unfinishedCount = unfinishedCount
        self.unfinishedExample = unfinishedExample
        self.callers = callers
        self.callingExecutions = callingExecutions
    }

    /// Whether anything stands in the way of the deletion.
    public var isInUse: Bool { unfinishedCount > 0 || !callers.isEmpty || !callingExecutions.isEmpty }
}

/// A page of a newest-first list, and the cursor of the next (older) page if there is one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: Int64?

    public init(items: [Item], nextCursor: Int64?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Where Sluice keeps workflows, executions and tasks. Every driver passes the same conformance
/// suite (`StoreConformance` in the tests).
///
/// A store is a `Service`: a server runs it first in its `ServiceGroup`, so that it shuts down
/// last, after the engine has committed everything it acknowledged. A store with background
/// work (PostgreSQL's connection pool) does it in `run()`; the others wait for the shutdown.
public protocol Store: Service, AnnotationStore, ScheduleStore {
    /// Applies `mutations` in order in one transaction and reports the outcome of each. When it
    /// returns, the transaction is durable (for a durable driver). A thrown error means nothing
    /// was applied.
    func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome]

    func workflow(id: String) async throws -> WorkflowRecord?
    /// Deletes workflow `id` with all its versions, its executions with their tasks, task logs,
    /// events and idempotency keys, its webhook subscriptions and deliveries, and its schedules
    /// with their fire histories, in one
    /// transaction. Refuses (`inUse`, nothing deleted) when, inside that transaction, the workflow
    /// has PENDING or RUNNING executions, another workflow's latest version runs it with
    /// `Workflow.Run`, or an unfinished execution of another workflow runs a version that does.
    /// Event seqs of later events stay above those of the deleted ones.
    func deleteWorkflow(id: String) async throws -> WorkflowDeletion
    /// Workflows newest first, `limit` at most, older than cursor `before` if given, only those
    /// in `namespaces` if given.
    func workflows(limit: Int, before: Int64?, namespaces: Set<String>?) async throws -> Page<WorkflowRecord>
    /// The workflows of `namespace` named `name`, newest first: a lookup by name (the Argo API's
    /// workflows and templates are found by their name) that reads only those.
    func workflows(named name: String, namespace: String) async throws -> [WorkflowRecord]
    /// Version `version` of workflow `id`, or `nil` if either does not exist.
    func workflowVersion(id: String, version: Int) async throws -> WorkflowVersionRecord?
    /// A workflow's versions newest first, `limit` at most, below version `before` if given (the
    /// cursor is a version number). Empty for an unknown workflow.
    func workflowVersions(id: String, limit: Int, before: Int64?) async throws -> Page<WorkflowVersionRecord>

    func execution(id: String) async throws -> ExecutionDetail?
    /// The execution of workflow `workflowID` started with idempotency key `key`, if any.
    func executionID(workflowID: String, idempotencyKey key: String) async throws -> String?
    /// A workflow's executions newest first, optionally only those with `status`.
    func executions(workflowID: String, status: ExecutionStatus?, limit: Int, before: Int64?) async throws -> Page<ExecutionRecord>
    /// Every execution not yet COMPLETED or FAILED, with its tasks, oldest first: what the engine
    /// resumes after a restart.
    func unfinishedExecutions() async throws -> [ExecutionDetail]

    /// Log lines of task `index` of execution `executionID` with `seq` greater than `after`, in
    /// order, at most `limit`.
    func logs(executionID: String, index: Int, after: Int64, limit: Int) async throws -> [TaskLogLine]

    /// A random id chosen when the database was created; part of every event id.
    var instanceID: String { get }

    /// An execution's events after seq `after`, oldest first, at most `limit`.
    func events(executionID: String, after: Int64, limit: Int) async throws -> [EventRecord]
    /// Events of every execution (of workflow `workflowID` if given) after seq `after`, oldest
    /// first, at most `limit`.
    func events(workflowID: String?, after: Int64, limit: Int) async throws -> [EventRecord]
    /// The seq of the last event committed, 0 if none.
    func lastEventSeq() async throws -> Int64

    func subscription(id: String) async throws -> SubscriptionRecord?
    /// A workflow's subscriptions, oldest first.
    func subscriptions(workflowID: String) async throws -> [SubscriptionRecord]
    /// Every subscription that is not disabled, oldest first (for fan-out).
    func activeSubscriptions() async throws -> [SubscriptionRecord]

    /// The seq of the last event fanned out to deliveries, 0 if none.
    func fanOutCursor() async throws -> Int64
    /// Events after `after` with their executions' webhook settings, oldest first, at most
    /// `limit`. Their `data` may be left empty (fan-out does not need it; the delivery reads it).
    func fanOutEvents(after: Int64, limit: Int) async throws -> [FanOutEvent]
    /// Pending deliveries due at `now` that are first in their lane (no earlier pending delivery
    /// of the same execution to the same receiver), earliest due first, at most `limit`.
    func dueDeliveries(now: Int64, limit: Int) async throws -> [DueDelivery]
    /// When the next pending delivery is due, `nil` if none is pending.
    func nextDeliveryAt() async throws -> Int64?
    /// An execution's deliveries, oldest first, at most `limit`, after delivery seq `after`.
    func deliveries(executionID: String, after: Int64, limit: Int) async throws -> [DeliveryRecord]
    func delivery(id: String) async throws -> DeliveryRecord?

    func account(id: String) async throws -> AccountRecord?
    func account(name: String) async throws -> AccountRecord?
    /// Accounts newest first, `limit` at most, older than cursor `before` if given.
    func accounts(limit: Int, before: Int64?) async throws -> Page<AccountRecord>
    /// The token whose hash is `tokenHash` (revoked or expired ones too) with its account and the
    /// account's grants, or `nil`.
    func credential(tokenHash: String) async throws -> Credential?
    func token(id: String) async throws -> TokenRecord?
    /// An account's tokens, oldest first.
    func tokens(accountID: String) async throws -> [TokenRecord]
    func grant(id: String) async throws -> Grant?
    /// Grants oldest first, of account `accountID` and in namespace `namespace` (exactly: `*`
    /// matches only grants on `*`) when given.
    func grants(accountID: String?, namespace: String?) async throws -> [Grant]
    /// Audit entries matching `filter`, newest first, `limit` at most, below seq `before` if given.
    func audit(_ filter: AuditFilter, limit: Int, before: Int64?) async throws -> Page<AuditRecord>
    func group(name: String) async throws -> GroupRecord?
    /// Groups newest first, `limit` at most, older than cursor `before` if given.
    func groups(limit: Int, before: Int64?) async throws -> Page<GroupRecord>
    /// The members of group `groupID`, by account name (empty for an unknown group).
    func groupMembers(groupID: String) async throws -> [AccountRecord]
    /// The names of the groups account `account` (by name) is a member of, by name; empty for
    /// an unknown account. The membership lookup of everything that assigns work to groups.
    func groupNames(account: String) async throws -> [String]

    /// Queues attempt `task.attempt` of a `Worker.Task`; answers the row stored for that
    /// (execution, index, attempt), which is an earlier one when it was queued already (a
    /// restarted server queues its running tasks again and finds their claims and answers).
    func enqueue(_ task: QueuedTaskRecord) async throws -> QueuedTaskRecord
    /// Claims up to `tokens.count` claimable tasks of `queue` (in `namespaces`, every namespace
    /// when `nil`), the longest waiting first, for `worker`: each gets the next of `tokens` and
    /// a lease of its `leaseMilliseconds` from `now`. One statement: two callers never get one task.
    func claimQueued(queue: String, namespaces: Set<String>?, worker: String, now: Int64, tokens: [String]) async throws -> [QueuedTaskRecord]
    func queuedTask(id: String) async throws -> QueuedTaskRecord?
    /// Extends the lease of task `id` to `now` plus its lease (a heartbeat) if `token` holds it
    /// and it still waits for an answer.
    func renewClaim(id: String, token: String, now: Int64) async throws -> QueueCallOutcome
    /// Stores the answer of task `id` if `token` holds it (`nil`: the engine's own answer, such
    /// as a lease that ran out, which applies only while the lease is past at `now`) and it
    /// still waits for one.
    func answerQueued(id: String, token: String?, result: QueuedTaskResult, now: Int64) async throws -> QueueCallOutcome
    /// Every queue (in `namespaces`, all when `nil`) with tasks waiting or held, or claimed
    /// from in the last five minutes (before `now`), by name.
    func queueSummaries(namespaces: Set<String>?, now: Int64) async throws -> [QueueSummary]
    /// Applies `action` to human task `id` as `QueuedTaskRecord.applying(_:current:now:)`
    /// decides, in one transaction: `notFound` if there is no such human task.
    func updateHumanTask(id: String, action: HumanTaskAction, now: Int64) async throws -> QueueCallOutcome
    /// Human tasks that still wait for an answer (their task RUNNING at their attempt) in
    /// `namespaces` (all when `nil`), as `filter` picks them, the longest waiting first, at most
    /// `limit`, after the task `after` (a cursor: its id) if given.
    /// The queued attempts of execution `executionID` that have no answer yet (what its running
    /// `Worker.Task` and `Human.Task` steps wait for), by task index.
    func unansweredQueuedTasks(executionID: String) async throws -> [QueuedTaskRecord]
    func humanTasks(_ filter: HumanTaskFilter, namespaces: Set<String>?, after: String?, limit: Int) async throws -> [QueuedTaskRecord]

    /// Deletes, in one transaction, at most `limit` of the finished (COMPLETED, FAILED,
    /// CANCELLED) executions of workflow `workflowID` among the oldest `window` with seq above
    /// `after` that retention lets go — completed before `completedBefore`, or older than the
    /// newest `keepLast` finished ones — with their tasks, logs, events, deliveries, queued
    /// tasks and schedule fire records. An execution whose events are not all fanned out to
    /// webhooks yet, or that has a pending delivery, stays (for a later round). Event seqs of
    /// later events stay above those of the deleted ones.
    func purgeFinished(workflowID: String, completedBefore: Int64?, keepLast: Int?, after: Int64, window: Int, limit: Int) async throws -> PurgeResult
    /// Gives the space of deleted rows back, at most `pages` pages at a time (SQLite's
    /// incremental vacuum); nothing for stores that do it themselves.
    func compact(pages: Int) async throws

    /// Releases the store's resources.
    func close() async throws

    /// How many `apply` transactions may run at once (the group committer's limit): 1 for a
    /// single-writer store.
    var commitConcurrency: Int { get }
}

extension Store {
    /// Workflows of every namespace.
    public func workflows(limit: Int, before: Int64?) async throws -> Page<WorkflowRecord> {
        try await workflows(limit: limit, before: before, namespaces: nil)
    }

    public func close() async throws {}
    public func compact(pages: Int) async throws {}
    public var commitConcurrency: Int { 1 }

    /// Waits for the graceful shutdown (or cancellation); nothing runs in the background.
    public func run() async throws {
        try? await gracefulShutdown()
    }
}
