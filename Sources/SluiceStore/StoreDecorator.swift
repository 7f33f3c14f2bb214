import SluiceCore

/// A store that wraps another: every requirement it does not implement itself forwards to
/// `base`. For wrappers that count, delay or fail some calls (tests) or add caching.
public protocol StoreDecorator: Store {
    var base: any Store { get }
}

extension StoreDecorator {
    public func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] { try await base.apply(mutations) }
    public func workflow(id: String) async throws -> WorkflowRecord? { try await base.workflow(id: id) }
    public func deleteWorkflow(id: String) async throws -> WorkflowDeletion { try await base.deleteWorkflow(id: id) }
    public func workflows(limit: Int, before: Int64?, namespaces: Set<String>?) async throws -> Page<WorkflowRecord> { try await base.workflows(limit: limit, before: before, namespaces: namespaces) }
    public func workflows(named name: String, namespace: String) async throws -> [WorkflowRecord] { try await base.workflows(named: name, namespace: namespace) }
    public func workflowVersion(id: String, version: Int) async throws -> WorkflowVersionRecord? { try await base.workflowVersion(id: id, version: version) }
    public func workflowVersions(id: String, limit: Int, before: Int64?) async throws -> Page<WorkflowVersionRecord> { try await base.workflowVersions(id: id, limit: limit, before: before) }
    public func execution(id: String) async throws -> ExecutionDetail? { try await base.execution(id: id) }
    public func executionID(workflowID: String, idempotencyKey key: String) async throws -> String? { try await base.executionID(workflowID: workflowID, idempotencyKey: key) }
    public func executions(workflowID: String, status: ExecutionStatus?, limit: Int, before: Int64?) async throws -> Page<ExecutionRecord> { try await base.executions(workflowID: workflowID, status: status, limit: limit, before: before) }
    public func unfinishedExecutions() async throws -> [ExecutionDetail] { try await base.unfinishedExecutions() }
    public func logs(executionID: String, index: Int, after: Int64, limit: Int) async throws -> [TaskLogLine] { try await base.logs(executionID: executionID, index: index, after: after, limit: limit) }
    public var instanceID: String { base.instanceID }
    public func events(executionID: String, after: Int64, limit: Int) async throws -> [EventRecord] { try await base.events(executionID: executionID, after: after, limit: limit) }
    public func events(workflowID: String?, after: Int64, limit: Int) async throws -> [EventRecord] { try await base.events(workflowID: workflowID, after: after, limit: limit) }
    public func purgeFinished(workflowID: String, completedBefore: Int64?, keepLast: Int?, after: Int64, window: Int, limit: Int) async throws -> PurgeResult {
        try await base.purgeFinished(workflowID: workflowID, completedBefore: completedBefore, keepLast: keepLast, after: after, window: window, limit: limit)
    }
    public func compact(pages: Int) async throws { try await base.compact(pages: pages) }
    public func lastEventSeq() async throws -> Int64 { try await base.lastEventSeq() }
    public func subscription(id: String) async throws -> SubscriptionRecord? { try await base.subscription(id: id) }
    public func subscriptions(workflowID: String) async throws -> [SubscriptionRecord] { try await base.subscriptions(workflowID: workflowID) }
    public func activeSubscriptions() async throws -> [SubscriptionRecord] { try await base.activeSubscriptions() }
    public func fanOutCursor() async throws -> Int64 { try await base.fanOutCursor() }
    public func fanOutEvents(after: Int64, limit: Int) async throws -> [FanOutEvent] { try await base.fanOutEvents(after: after, limit: limit) }
    public func dueDeliveries(now: Int64, limit: Int) async throws -> [DueDelivery] { try await base.dueDeliveries(now: now, limit: limit) }
    public func nextDeliveryAt() async throws -> Int64? { try await base.nextDeliveryAt() }
    public func deliveries(executionID: String, after: Int64, limit: Int) async throws -> [DeliveryRecord] { try await base.deliveries(executionID: executionID, after: after, limit: limit) }
    public func delivery(id: String) async throws -> DeliveryRecord? { try await base.delivery(id: id) }
    public func account(id: String) async throws -> AccountRecord? { try await base.account(id: id) }
    public func account(name: String) async throws -> AccountRecord? { try await base.account(name: name) }
    public func accounts(limit: Int, before: Int64?) async throws -> Page<AccountRecord> { try await base.accounts(limit: limit, before: before) }
    public func credential(tokenHash: String) async throws -> Credential? { try await base.credential(tokenHash: tokenHash) }
    public func token(id: String) async throws -> TokenRecord? { try await base.token(id: id) }
    public func tokens(accountID: String) async throws -> [TokenRecord] { try await base.tokens(accountID: accountID) }
    public func grant(id: String) async throws -> Grant? { try await base.grant(id: id) }
    public func grants(accountID: String?, namespace: String?) async throws -> [Grant] { try await base.grants(accountID: accountID, namespace: namespace) }
    public func audit(_ filter: AuditFilter, limit: Int, before: Int64?) async throws -> Page<AuditRecord> { try await base.audit(filter, limit: limit, before: before) }
    public func group(name: String) async throws -> GroupRecord? { try await base.group(name: name) }
    public func groups(limit: Int, before: Int64?) async throws -> Page<GroupRecord> { try await base.groups(limit: limit, before: before) }
    public func groupMembers(groupID: String) async throws -> [AccountRecord] { try await base.groupMembers(groupID: groupID) }
    public func groupNames(account: String) async throws -> [String] { try await base.groupNames(account: account) }
    public func enqueue(_ task: QueuedTaskRecord) async throws -> QueuedTaskRecord { try await base.enqueue(task) }
    public func claimQueued(queue: String, namespaces: Set<String>?, worker: String, now: Int64, tokens: [String]) async throws -> [QueuedTaskRecord] {
        try await base.claimQueued(queue: queue, namespaces: namespaces, worker: worker, now: now, tokens: tokens)
    }
    public func queuedTask(id: String) async throws -> QueuedTaskRecord? { try await base.queuedTask(id: id) }
    public func renewClaim(id: String, token: String, now: Int64) async throws -> QueueCallOutcome { try await base.renewClaim(id: id, token: token, now: now) }
    public func answerQueued(id: String, token: String?, result: QueuedTaskResult, now: Int64) async throws -> QueueCallOutcome {
        try await base.answerQueued(id: id, token: token, result: result, now: now)
    }
    public func queueSummaries(namespaces: Set<String>?, now: Int64) async throws -> [QueueSummary] { try await base.queueSummaries(namespaces: namespaces, now: now) }
    public func updateHumanTask(id: String, action: HumanTaskAction, now: Int64) async throws -> QueueCallOutcome { try await base.updateHumanTask(id: id, action: action, now: now) }
    public func unansweredQueuedTasks(executionID: String) async throws -> [QueuedTaskRecord] { try await base.unansweredQueuedTasks(executionID: executionID) }
    public func humanTasks(_ filter: HumanTaskFilter, namespaces: Set<String>?, after: String?, limit: Int) async throws -> [QueuedTaskRecord] { try await base.humanTasks(filter, namespaces: namespaces, after: after, limit: limit) }
    public func close() async throws { try await base.close() }
    public var commitConcurrency: Int { base.commitConcurrency }
    public func run() async throws { try await base.run() }
}
