import Foundation
import SluiceCore
import Synchronization

/// A store that keeps everything in memory: for tests and `--database memory:`. Nothing survives
/// the process.
public final class MemoryStore: Store {
    struct State {
        var nextSeq: Int64 = 1
        var workflows: [String: WorkflowRecord] = [:]
        /// Each workflow's versions, version 1 first.
        var versions: [String: [WorkflowVersionRecord]] = [:]
        var executions: [String: ExecutionDetail] = [:]
        var idempotency: [String: String] = [:]  // "workflow\u{0}key" -> execution id
        var logs: [String: [Int: [TaskLogLine]]] = [:]
        var events: [EventRecord] = []
        /// Indexes into `events` by execution.
        var eventsByExecution: [String: [Int]] = [:]
        var subscriptions: [SubscriptionRecord] = []
        var fanOutCursor: Int64 = 0
        var deliveries: [DeliveryRecord] = []
        var nextDeliverySeq: Int64 = 1
        var nextSubscriptionSeq: Int64 = 1
        var accounts: [String: AccountRecord] = [:]
        var nextAccountSeq: Int64 = 1
        var tokens: [String: TokenRecord] = [:]
        var grants: [GrantRecord] = []
        var audit: [AuditRecord] = []
        var groups: [String: GroupRecord] = [:]
        var nextGroupSeq: Int64 = 1
        /// (group id, account id) pairs.
        var members: Set<[String]> = []
        /// Queued `Worker.Task` attempts by id, and their ids in the order they were queued.
        var queued: [String: QueuedTaskRecord] = [:]
        var queueOrder: [String] = []
        /// Queued ids by attempt (`queuedKey`): finding whether an attempt is queued already
        /// costs one lookup, not a scan of every queued task (an upload of 1000 annotation items
        /// enqueued 1000 tasks, each scanning all before it).
        var queuedByAttempt: [String: String] = [:]
        var schedules: [String: ScheduleRecord] = [:]
        /// Each schedule's fire records, in the order written.
        var scheduleFires: [String: [ScheduleFireRecord]] = [:]

        mutating func addEvent(executionID: String, workflowID: String, type: String, at: Int64, data: String) {
            let record = EventRecord(seq: Int64(events.count + 1), executionID: executionID, workflowID: workflowID, type: type, at: at, data: data)
            eventsByExecution[executionID, default: []].append(events.count)
            events.append(record)
        }

        /// Grants matching `include` as API values (naming their account), oldest first.
        func grantValues(_ include: (GrantRecord) -> Bool) -> [Grant] {
            grants.filter(include).compactMap { g in
                accounts[g.accountID].map { Grant(id: g.id, account: $0.name, namespace: g.namespace, role: g.role, createdAt: g.createdAt, queues: g.queues) }
            }
        }

        /// The names of the groups account `name` is a member of.
        func groupNames(account name: String) -> Set<String> {
            guard let account = accounts.values.first(where: { $0.name == name }) else { return [] }
            return Set(members.filter { $0[1] == account.id }.compactMap { groups[$0[0]]?.name })
        }

        mutating func cancelDeliveries(where matches: (DeliveryRecord) -> Bool, at: Int64) {
            for i in deliveries.indices where deliveries[i].status == .pending && matches(deliveries[i]) {
                deliveries[i].status = .cancelled
                deliveries[i].nextAttemptAt = nil
                deliveries[i].completedAt = at
            }
        }
    }

    let state = Mutex(State())
    /// Annotation projects, workflows and algorithms (MemoryStore+Annotation.swift).
    let annotation = Mutex(AnnotationState())
    public let instanceID = EventID.newInstance()
    let clock: @Sendable () -> Int64

    public init(clock: @escaping @Sendable () -> Int64 = MemoryStore.wallClock) {
        self.clock = clock
    }

    /// Milliseconds since the Unix epoch.
    public static let wallClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    public func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        let now = clock()
        return state.withLock { state in mutations.map { Self.apply($0, to: &state, now: now) } }
    }

    static func apply(_ mutation: Mutation, to state: inout State, now: Int64) -> MutationOutcome {
        switch mutation {
        case .insertWorkflow(var w):
            guard state.workflows[w.id] == nil else { return .idConflict }
            w.seq = state.nextSeq
            w.version = 1
            w.updatedAt = w.createdAt
            state.nextSeq += 1
            state.workflows[w.id] = w
            state.versions[w.id] = [w.latestVersion]
            return .applied
        case .insertWorkflowVersion(var v, let expected):
            guard var head = state.workflows[v.workflowID] else { return .stale }
            guard head.version == expected else { return .versionConflict(current: head.version) }
            v.version = expected + 1
            head.version = v.version
            head.name = v.name
            head.description = v.description
            head.definition = v.definition
            head.updatedAt = v.createdAt
            state.workflows[v.workflowID] = head
            state.versions[v.workflowID, default: []].append(v)
            return .applied
        case .insertExecution(var detail, let events):
            guard state.workflows[detail.execution.workflowID] != nil else { return .stale }
            let key = detail.execution.idempotencyKey.map { "\(detail.execution.workflowID)\u{0}\($0)" }
            if let key, let existing = state.idempotency[key] { return .duplicate(executionID: existing) }
            guard state.executions[detail.execution.id] == nil else { return .idConflict }
            detail.execution.seq = state.nextSeq
            state.nextSeq += 1
            state.executions[detail.execution.id] = detail
            if let key { state.idempotency[key] = detail.execution.id }
            for event in events {
                state.addEvent(executionID: detail.execution.id, workflowID: detail.execution.workflowID, type: event.type, at: now, data: event.data)
            }
            return .applied
        case .transition(let t):
            guard var detail = state.executions[t.executionID], detail.accepts(t) else { return .stale }
            for change in t.tasks { detail.tasks[change.index].apply(change) }
            if let change = t.execution { detail.execution.apply(change) }
            for event in t.events {
                state.addEvent(executionID: t.executionID, workflowID: detail.execution.workflowID, type: event.type, at: now, data: event.data)
            }
            state.executions[t.executionID] = detail
            return .applied
        case .enqueue(let task):
            if state.queuedAttempt(of: task) != nil { return .idConflict }
            state.addQueued(task)
            return .applied
        case .answerQueued(_, let id, let token, let result, let at):
            guard var q = state.queued[id], q.refusal(current: state.isCurrent(q), token: token, now: at) == nil else { return .stale }
            q.result = result
            q.answeredAt = at
            state.queued[id] = q
            return .applied
        case .suspendExecution(let executionID, let suspended):
            guard var detail = state.executions[executionID], !detail.execution.status.isTerminal else { return .stale }
            detail.execution.suspended = suspended
            state.executions[executionID] = detail
            return .applied
        case .appendLogs(let lines):
            for var line in lines where state.executions[line.executionID] != nil {
                var task = state.logs[line.executionID, default: [:]][line.index, default: []]
                line.seq = Int64(task.count + 1)
                task.append(line)
                state.logs[line.executionID, default: [:]][line.index] = task
            }
            return .applied
        case .insertSubscription(var sub):
            guard !state.subscriptions.contains(where: { $0.id == sub.id }) else { return .idConflict }
            sub.seq = state.nextSubscriptionSeq
            state.nextSubscriptionSeq += 1
            sub.fromEventSeq = Int64(state.events.count)
            state.subscriptions.append(sub)
            return .applied
        case .deleteSubscription(let workflowID, let id, let at):
            guard let i = state.subscriptions.firstIndex(where: { $0.id == id && $0.workflowID == workflowID }) else { return .stale }
            state.subscriptions.remove(at: i)
            state.cancelDeliveries(where: { $0.subscriptionID == id }, at: at)
            return .applied
        case .rotateSubscriptionSecret(let workflowID, let id, let secret, let until):
            guard let i = state.subscriptions.firstIndex(where: { $0.id == id && $0.workflowID == workflowID }) else { return .stale }
            state.subscriptions[i].previousSecret = state.subscriptions[i].secret
            state.subscriptions[i].previousSecretExpiresAt = until
            state.subscriptions[i].secret = secret
            return .applied
        case .disableSubscription(let id, let at, let reason):
            guard let i = state.subscriptions.firstIndex(where: { $0.id == id }), state.subscriptions[i].disabledAt == nil else { return .stale }
            state.subscriptions[i].disabledAt = at
            state.subscriptions[i].disabledReason = reason
            state.cancelDeliveries(where: { $0.subscriptionID == id }, at: at)
            return .applied
        case .fanOut(let after, let through, let deliveries):
            guard state.fanOutCursor == after else { return .stale }
            state.fanOutCursor = through
            // Deliveries of executions deleted meanwhile are dropped, as the SQLite store does; so
            // are those of subscriptions disabled since the sender read them (a 410 committed
            // while this fan-out was being prepared), which would otherwise be sent.
            let disabled = Set(state.subscriptions.filter { $0.disabledAt != nil }.map(\.id))
            for d in deliveries where state.executions[d.executionID] != nil && !(d.subscriptionID.map(disabled.contains) ?? false) {
                state.insertDelivery(d)
            }
            return .applied
        case .insertDelivery(let d):
            guard !state.deliveries.contains(where: { $0.id == d.id }), state.executions[d.executionID] != nil else { return .idConflict }
            state.insertDelivery(d)
            return .applied
        case .recordDeliveryAttempt(let id, let attempt, let status, let next, let at):
            guard let i = state.deliveries.firstIndex(where: { $0.id == id }), state.deliveries[i].status == .pending else { return .stale }
            state.deliveries[i].attempts.append(attempt)
            state.deliveries[i].status = status
            state.deliveries[i].nextAttemptAt = status == .pending ? next : nil
            if status != .pending { state.deliveries[i].completedAt = at }
            return .applied
        case .insertAccount(var account):
            guard state.accounts[account.id] == nil, !state.accounts.values.contains(where: { $0.name == account.name }) else { return .idConflict }
            account.seq = state.nextAccountSeq
            state.nextAccountSeq += 1
            state.accounts[account.id] = account
            return .applied
        case .deleteAccount(let id):
            guard state.accounts.removeValue(forKey: id) != nil else { return .stale }
            state.tokens = state.tokens.filter { $0.value.accountID != id }
            state.grants.removeAll { $0.accountID == id }
            state.members = state.members.filter { $0[1] != id }
            return .applied
        case .insertToken(let token):
            guard state.accounts[token.accountID] != nil else { return .stale }
            guard state.tokens[token.id] == nil, !state.tokens.values.contains(where: { $0.hash == token.hash }) else { return .idConflict }
            state.tokens[token.id] = token
            return .applied
        case .revokeToken(let id, let at):
            guard let token = state.tokens[id], token.revokedAt == nil else { return .stale }
            state.tokens[id]!.revokedAt = at
            return .applied
        case .touchToken(let id, let at):
            if let used = state.tokens[id]?.lastUsedAt, used >= at { return .applied }
            state.tokens[id]?.lastUsedAt = at
            return .applied
        case .insertGrant(let grant):
            guard state.accounts[grant.accountID] != nil else { return .stale }
            guard !state.grants.contains(where: { $0.id == grant.id || ($0.accountID == grant.accountID && $0.namespace == grant.namespace && $0.role == grant.role) }) else { return .idConflict }
            state.grants.append(grant)
            return .applied
        case .deleteGrant(let id):
            guard let i = state.grants.firstIndex(where: { $0.id == id }) else { return .stale }
            state.grants.remove(at: i)
            return .applied
        case .appendAudit(let entries):
            for var entry in entries {
                entry.seq = Int64(state.audit.count + 1)
                state.audit.append(entry)
            }
            return .applied
        case .insertGroup(var group):
            guard state.groups[group.id] == nil, !state.groups.values.contains(where: { $0.name == group.name }) else { return .idConflict }
            group.seq = state.nextGroupSeq
            state.nextGroupSeq += 1
            state.groups[group.id] = group
            return .applied
        case .deleteGroup(let id):
            guard state.groups.removeValue(forKey: id) != nil else { return .stale }
            state.members = state.members.filter { $0[0] != id }
            return .applied
        case .addGroupMember(let groupID, let accountID, _):
            guard state.groups[groupID] != nil, state.accounts[accountID] != nil else { return .stale }
            return state.members.insert([groupID, accountID]).inserted ? .applied : .idConflict
        case .removeGroupMember(let groupID, let accountID):
            return state.members.remove([groupID, accountID]) != nil ? .applied : .stale
        case .cancelExecutionDeliveries(let executionID, let at):
            state.cancelDeliveries(where: { $0.executionID == executionID && $0.subscriptionID == nil }, at: at)
            return .applied
        case .insertSchedule(let record):
            guard state.workflows[record.workflowID] != nil else { return .stale }
            guard state.schedules[record.id] == nil else { return .idConflict }
            state.schedules[record.id] = record
            return .applied
        case .updateSchedule(var record, let expected, let fires):
            guard let current = state.schedules[record.id], current.workflowID == record.workflowID, current.revision == expected else { return .stale }
            record.revision = expected + 1
            record.createdBy = current.createdBy
            state.schedules[record.id] = record
            for fire in fires {
                // One record per fire time: a queued one that fires later is replaced.
                state.scheduleFires[record.id, default: []].removeAll { $0.due == fire.due }
                state.scheduleFires[record.id, default: []].append(fire)
            }
            return .applied
        case .deleteSchedule(let workflowID, let id):
            guard state.schedules[id]?.workflowID == workflowID else { return .stale }
            state.schedules[id] = nil
            state.scheduleFires[id] = nil
            return .applied
        }
    }

    public func workflow(id: String) async throws -> WorkflowRecord? {
        state.withLock { $0.workflows[id] }
    }

    public func deleteWorkflow(id: String) async throws -> WorkflowDeletion {
        state.withLock { state in
            guard state.workflows[id] != nil else { return .notFound }
            let executions = state.executions.values.filter { $0.execution.workflowID == id }
            let unfinished = executions.filter { !$0.execution.status.isTerminal }.sorted { $0.execution.seq < $1.execution.seq }
            let callers = state.workflows.values
                .filter { $0.id != id && StepRegistry.subworkflowIDs(in: $0.definition, maxTasks: Limits.maxTranslatedTasks).contains(id) }
                .sorted { $0.seq < $1.seq }.map(\.id)
            let calling = state.executions.values.filter { detail in
                let e = detail.execution
                guard e.workflowID != id, !e.status.isTerminal, let versions = state.versions[e.workflowID],
                    e.workflowVersion >= 1, e.workflowVersion <= versions.count else { return false }
                return StepRegistry.subworkflowIDs(in: versions[e.workflowVersion - 1].definition, maxTasks: Limits.maxTranslatedTasks).contains(id)
            }.sorted { $0.execution.seq < $1.execution.seq }.map(\.execution.id)
            let use = WorkflowUse(unfinishedCount: unfinished.count, unfinishedExample: unfinished.first?.execution.id, callers: callers, callingExecutions: calling)
            if use.isInUse { return .inUse(use) }
            let executionIDs = Set(executions.map(\.execution.id))
            let subscriptionIDs = Set(state.subscriptions.filter { $0.workflowID == id }.map(\.id))
            state.workflows[id] = nil
            state.versions[id] = nil
            state.dropQueued { executionIDs.contains($0.executionID) }
            for e in executionIDs {
                state.executions[e] = nil
                state.logs[e] = nil
                // Events stay as tombstones: their seq is their index, and later seqs must not move.
                for i in state.eventsByExecution.removeValue(forKey: e) ?? [] {
                    state.events[i] = EventRecord(seq: state.events[i].seq, executionID: "", workflowID: "", type: "", at: 0, data: "")
                }
            }
            state.idempotency = state.idempotency.filter { !executionIDs.contains($0.value) }
            state.subscriptions.removeAll { subscriptionIDs.contains($0.id) }
            for schedule in state.schedules.values where schedule.workflowID == id {
                state.schedules[schedule.id] = nil
                state.scheduleFires[schedule.id] = nil
            }
            state.deliveries.removeAll { executionIDs.contains($0.executionID) || $0.subscriptionID.map(subscriptionIDs.contains) == true }
            return .deleted
        }
    }

    public func workflows(limit: Int, before: Int64?, namespaces: Set<String>?) async throws -> Page<WorkflowRecord> {
        let all = state.withLock { Array($0.workflows.values) }
        let shown = all.filter { (before == nil || $0.seq < before!) && (namespaces?.contains($0.namespace) ?? true) }
        return Self.page(shown.sorted { $0.seq > $1.seq }, limit: limit, seq: \.seq)
    }

    public func workflows(named name: String, namespace: String) async throws -> [WorkflowRecord] {
        state.withLock { $0.workflows.values.filter { $0.name == name && $0.namespace == namespace } }.sorted { $0.seq > $1.seq }
    }

    public func account(id: String) async throws -> AccountRecord? { state.withLock { $0.accounts[id] } }
    public func account(name: String) async throws -> AccountRecord? { state.withLock { $0.accounts.values.first { $0.name == name } } }
    public func accounts(limit: Int, before: Int64?) async throws -> Page<AccountRecord> {
        let all = state.withLock { Array($0.accounts.values) }
        return Self.page(all.filter { before == nil || $0.seq < before! }.sorted { $0.seq > $1.seq }, limit: limit, seq: \.seq)
    }
    public func credential(tokenHash: String) async throws -> Credential? {
        state.withLock { state in
            guard let token = state.tokens.values.first(where: { $0.hash == tokenHash }), let account = state.accounts[token.accountID] else { return nil }
            return Credential(token: token, account: account, grants: state.grantValues { $0.accountID == account.id })
        }
    }
    public func token(id: String) async throws -> TokenRecord? { state.withLock { $0.tokens[id] } }
    public func tokens(accountID: String) async throws -> [TokenRecord] {
        state.withLock { $0.tokens.values.filter { $0.accountID == accountID }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }
    }
    public func grant(id: String) async throws -> Grant? { state.withLock { $0.grantValues { $0.id == id }.first } }
    public func grants(accountID: String?, namespace: String?) async throws -> [Grant] {
        state.withLock { $0.grantValues { g in (accountID.map { g.accountID == $0 } ?? true) && (namespace.map { g.namespace == $0 } ?? true) } }
    }
    public func audit(_ filter: AuditFilter, limit: Int, before: Int64?) async throws -> Page<AuditRecord> {
        let all = state.withLock { $0.audit }
        return Self.page(all.reversed().filter { (before == nil || $0.seq < before!) && filter.matches($0) }, limit: limit, seq: \.seq)
    }
    public func group(name: String) async throws -> GroupRecord? { state.withLock { $0.groups.values.first { $0.name == name } } }
    public func groups(limit: Int, before: Int64?) async throws -> Page<GroupRecord> {
        let all = state.withLock { Array($0.groups.values) }
        return Self.page(all.filter { before == nil || $0.seq < before! }.sorted { $0.seq > $1.seq }, limit: limit, seq: \.seq)
    }
    public func groupMembers(groupID: String) async throws -> [AccountRecord] {
        state.withLock { state in state.members.filter { $0[0] == groupID }.compactMap { state.accounts[$0[1]] }.sorted { $0.name < $1.name } }
    }
    public func groupNames(account: String) async throws -> [String] {
        state.withLock { $0.groupNames(account: account).sorted() }
    }

    public func workflowVersion(id: String, version: Int) async throws -> WorkflowVersionRecord? {
        state.withLock { state in
            guard let versions = state.versions[id], version >= 1, version <= versions.count else { return nil }
            return versions[version - 1]
        }
    }

    public func workflowVersions(id: String, limit: Int, before: Int64?) async throws -> Page<WorkflowVersionRecord> {
        let all = state.withLock { state in
            (state.versions[id] ?? []).filter { before == nil || Int64($0.version) < before! }.reversed()
        }
        return Self.page(Array(all), limit: limit, seq: \.cursor)
    }

    public func execution(id: String) async throws -> ExecutionDetail? {
        state.withLock { $0.executions[id] }
    }

    public func executionID(workflowID: String, idempotencyKey key: String) async throws -> String? {
        state.withLock { $0.idempotency["\(workflowID)\u{0}\(key)"] }
    }

    public func executions(workflowID: String, status: ExecutionStatus?, limit: Int, before: Int64?) async throws -> Page<ExecutionRecord> {
        let all = state.withLock { state in
            state.executions.values.lazy.map(\.execution).filter {
                $0.workflowID == workflowID && (status == nil || $0.status == status) && (before == nil || $0.seq < before!)
            }
        }
        return Self.page(all.sorted { $0.seq > $1.seq }, limit: limit, seq: \.seq)
    }

    public func unfinishedExecutions() async throws -> [ExecutionDetail] {
        state.withLock { state in
            state.executions.values.filter { !$0.execution.status.isTerminal }.sorted { $0.execution.seq < $1.execution.seq }
        }
    }

    public func logs(executionID: String, index: Int, after: Int64, limit: Int) async throws -> [TaskLogLine] {
        state.withLock { state in
            Array((state.logs[executionID]?[index] ?? []).lazy.filter { $0.seq > after }.prefix(limit))
        }
    }

    public func events(executionID: String, after: Int64, limit: Int) async throws -> [EventRecord] {
        state.withLock { state in
            let events = state.events
            return Array((state.eventsByExecution[executionID] ?? []).lazy.map { events[$0] }.filter { $0.seq > after }.prefix(limit))
        }
    }

    public func events(workflowID: String?, after: Int64, limit: Int) async throws -> [EventRecord] {
        state.withLock { state in
            let start = Int(min(max(after, 0), Int64(state.events.count)))
            return Array(state.events[start...].lazy.filter { !$0.isDeleted && (workflowID == nil || $0.workflowID == workflowID) }.prefix(limit))
        }
    }

    public func lastEventSeq() async throws -> Int64 { state.withLock { Int64($0.events.count) } }

    public func subscription(id: String) async throws -> SubscriptionRecord? {
        state.withLock { $0.subscriptions.first { $0.id == id } }
    }

    public func subscriptions(workflowID: String) async throws -> [SubscriptionRecord] {
        state.withLock { $0.subscriptions.filter { $0.workflowID == workflowID } }
    }

    public func activeSubscriptions() async throws -> [SubscriptionRecord] {
        state.withLock { $0.subscriptions.filter { $0.disabledAt == nil } }
    }

    public func fanOutCursor() async throws -> Int64 { state.withLock { $0.fanOutCursor } }

    public func fanOutEvents(after: Int64, limit: Int) async throws -> [FanOutEvent] {
        state.withLock { state in
            let start = Int(min(max(after, 0), Int64(state.events.count)))
            return state.events[start...].lazy.filter { !$0.isDeleted }.prefix(limit).map { event in
                let e = state.executions[event.executionID]?.execution
                return FanOutEvent(event: event, webhookURL: e?.webhookURL, webhookSecret: e?.webhookSecret)
            }
        }
    }

    public func dueDeliveries(now: Int64, limit: Int) async throws -> [DueDelivery] {
        state.withLock { state in
            var seenLanes = Set<String>()
            var due: [DueDelivery] = []
            for d in state.deliveries where d.status == .pending {
                // The first pending delivery of each lane, in seq order.
                guard seenLanes.insert(d.executionID + "\u{0}" + (d.subscriptionID ?? "")).inserted else { continue }
                guard let at = d.nextAttemptAt, at <= now else { continue }
                let event = state.events[Int(d.eventSeq) - 1]
                let secrets: [String]
                if let sid = d.subscriptionID {
                    guard let sub = state.subscriptions.first(where: { $0.id == sid }) else { continue }
                    secrets = sub.signingSecrets(now: now)
                } else {
                    secrets = [state.executions[d.executionID]?.execution.webhookSecret].compactMap { $0 }
                }
                var delivery = d
                delivery.eventType = event.type
                due.append(DueDelivery(delivery: delivery, event: event, secrets: secrets, traceContext: state.executions[d.executionID]?.execution.traceContext))
            }
            return Array(due.sorted { ($0.delivery.nextAttemptAt!, $0.delivery.seq) < ($1.delivery.nextAttemptAt!, $1.delivery.seq) }.prefix(limit))
        }
    }

    public func nextDeliveryAt() async throws -> Int64? {
        state.withLock { $0.deliveries.lazy.filter { $0.status == .pending }.compactMap(\.nextAttemptAt).min() }
    }

    public func deliveries(executionID: String, after: Int64, limit: Int) async throws -> [DeliveryRecord] {
        state.withLock { state in
            let events = state.events
            return state.deliveries.lazy.filter { $0.executionID == executionID && $0.seq > after }.prefix(limit).map { d in
                var d = d
                d.eventType = events[Int(d.eventSeq) - 1].type
                return d
            }
        }
    }

    public func delivery(id: String) async throws -> DeliveryRecord? {
        state.withLock { state in
            guard var d = state.deliveries.first(where: { $0.id == id }) else { return nil }
            d.eventType = state.events[Int(d.eventSeq) - 1].type
            return d
        }
    }

    static func page<T>(_ sorted: [T], limit: Int, seq: KeyPath<T, Int64>) -> Page<T> {
        let items = Array(sorted.prefix(limit))
        let next = sorted.count > limit ? items.last?[keyPath: seq] : nil
        return Page(items: items, nextCursor: next)
    }
}

extension MemoryStore.State {
    mutating func insertDelivery(_ d: DeliveryRecord) {
        var d = d
        d.seq = nextDeliverySeq
        nextDeliverySeq += 1
        deliveries.append(d)
    }
}

extension EventRecord {
    /// An event of a deleted workflow, kept in `MemoryStore` only to hold its seq.
    var isDeleted: Bool { executionID.isEmpty }
}

extension WorkflowVersionRecord {
    /// The version as a pagination cursor.
    var cursor: Int64 { Int64(version) }
}

// MARK: Queues

extension MemoryStore.State {
    /// Whether the task of queued attempt `q` is still RUNNING at that attempt.
    func isCurrent(_ q: QueuedTaskRecord) -> Bool {
        guard let detail = executions[q.executionID], q.index < detail.tasks.count else { return false }
        let t = detail.tasks[q.index]
        return t.status == .running && t.attempt == q.attempt
    }

    /// Records the event of a change of `task`'s holder (from `before`), if it emits one.
    mutating func holderEvent(_ task: QueuedTaskRecord, before: QueueClaim?, at now: Int64) {
        guard let type = QueueEvents.type(from: before, to: task), let detail = executions[task.executionID], task.index < detail.tasks.count else { return }
        let t = detail.tasks[task.index]
        addEvent(executionID: task.executionID, workflowID: task.workflowID, type: type, at: now, data: QueueEvents.data(task, taskID: t.taskID, type: t.type))
    }

    mutating func dropQueued(where remove: (QueuedTaskRecord) -> Bool) {
        let ids = Set(queued.values.filter(remove).map(\.id))
        guard !ids.isEmpty else { return }
        for id in ids {
            if let q = queued.removeValue(forKey: id), queuedByAttempt[Self.queuedKey(q)] == id { queuedByAttempt[Self.queuedKey(q)] = nil }
        }
        queueOrder.removeAll { ids.contains($0) }
    }

    static func queuedKey(_ q: QueuedTaskRecord) -> String { "\(q.executionID)\u{0}\(q.index)\u{0}\(q.attempt)\u{0}\(q.phase)" }

    /// The queued task of `task`'s attempt and phase (its execution, step index, attempt), if one is.
    func queuedAttempt(of task: QueuedTaskRecord) -> QueuedTaskRecord? {
        guard let id = queuedByAttempt[Self.queuedKey(task)], let q = queued[id],
              q.executionID == task.executionID, q.index == task.index, q.attempt == task.attempt, q.phase == task.phase else { return nil }
        return q
    }

    mutating func addQueued(_ task: QueuedTaskRecord) {
        queued[task.id] = task
        queueOrder.append(task.id)
        queuedByAttempt[Self.queuedKey(task)] = task.id
    }

}

extension MemoryStore {
    public func enqueue(_ task: QueuedTaskRecord) async throws -> QueuedTaskRecord {
        state.withLock { state in
            if let existing = state.queuedAttempt(of: task) { return existing }
            state.addQueued(task)
            return task
        }
    }

    public func claimQueued(queue: String, namespaces: Set<String>?, worker: String, now: Int64, tokens: [String]) async throws -> [QueuedTaskRecord] {
        state.withLock { state in
            var claimed: [QueuedTaskRecord] = []
            // The longest waiting first, as the SQL drivers order them.
            let candidates = state.queued.values.filter { q in
                q.queue == queue && q.claim == nil && q.result == nil && state.isCurrent(q) && (namespaces.map { $0.contains(q.namespace) } ?? true)
            }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            for candidate in candidates.prefix(tokens.count) {
                let id = candidate.id
                guard var q = state.queued[id] else { continue }
                q.claim = QueueClaim(token: tokens[claimed.count], worker: worker, claimedAt: now, heartbeatAt: now, leaseUntil: now + q.leaseMilliseconds)
                state.queued[id] = q
                state.holderEvent(q, before: nil, at: now)
                claimed.append(q)
            }
            return claimed
        }
    }

    public func queuedTask(id: String) async throws -> QueuedTaskRecord? {
        state.withLock { $0.queued[id] }
    }

    public func renewClaim(id: String, token: String, now: Int64) async throws -> QueueCallOutcome {
        state.withLock { state in
            guard var q = state.queued[id] else { return .notFound }
            if let refusal = q.refusal(current: state.isCurrent(q), token: token, now: now) { return refusal }
            q.claim!.heartbeatAt = now
            q.claim!.leaseUntil = max(q.claim!.leaseUntil, now + q.leaseMilliseconds)
            state.queued[id] = q
            return .applied(q)
        }
    }

    public func answerQueued(id: String, token: String?, result: QueuedTaskResult, now: Int64) async throws -> QueueCallOutcome {
        state.withLock { state in
            guard var q = state.queued[id] else { return .notFound }
            if let refusal = q.refusal(current: state.isCurrent(q), token: token, now: now) { return refusal }
            q.result = result
            q.answeredAt = now
            state.queued[id] = q
            return .applied(q)
        }
    }

    public func queueSummaries(namespaces: Set<String>?, now: Int64) async throws -> [QueueSummary] {
        state.withLock { state in
            var byQueue: [String: QueueSummary] = [:]
            var workers: [String: Set<String>] = [:]
            for q in state.queued.values where q.queue != HumanTask.queue && (namespaces.map({ $0.contains(q.namespace) }) ?? true) {
                let waits = q.result == nil && state.isCurrent(q)
                let recent = q.claim.map { $0.claimedAt >= now - QueueSummary.workersWindow } ?? false
                guard waits || recent else { continue }
                var summary = byQueue[q.queue] ?? QueueSummary(queue: q.queue, waiting: 0, claimed: 0, oldestWaitingSince: nil)
                if waits, q.claim == nil {
                    summary.waiting += 1
                    summary.oldestWaitingSince = min(summary.oldestWaitingSince ?? q.createdAt, q.createdAt)
                } else if waits {
                    summary.claimed += 1
                }
                if let claim = q.claim, recent {
                    workers[q.queue, default: []].insert(claim.worker)
                    if claim.claimedAt >= now - QueueSummary.claimsWindow { summary.claimsLastMinute += 1 }
                }
                byQueue[q.queue] = summary
            }
            return byQueue.values.map { s in
                var s = s
                s.workersSeen = workers[s.queue]?.count ?? 0
                return s
            }.sorted { $0.queue < $1.queue }
        }
    }

    public func updateHumanTask(id: String, action: HumanTaskAction, now: Int64) async throws -> QueueCallOutcome {
        state.withLock { state in
            guard let q = state.queued[id], q.human != nil else { return .notFound }
            let groups = q.groupsNeeded(for: action).map { state.groupNames(account: $0) } ?? []
            switch q.applying(action, current: state.isCurrent(q), now: now, groups: groups) {
            case .refuse(let outcome): return outcome
            case .write(let next):
                state.queued[id] = next
                if next != q { state.holderEvent(next, before: q.claim, at: now) }
                return .applied(next)
            }
        }
    }

    public func unansweredQueuedTasks(executionID: String) async throws -> [QueuedTaskRecord] {
        state.withLock { state in state.queued.values.filter { $0.executionID == executionID && $0.result == nil }.sorted { ($0.index, $0.attempt) < ($1.index, $1.attempt) } }
    }

    public func humanTasks(_ filter: HumanTaskFilter, namespaces: Set<String>?, after: String?, limit: Int) async throws -> [QueuedTaskRecord] {
        state.withLock { state in
            var cursor: (Int64, String)?
            if let after {
                guard let a = state.queued[after] else { return [] }
                cursor = (a.createdAt, a.id)
            }
            var groups: Set<String> = []
            if case .claimableBy(let account) = filter { groups = state.groupNames(account: account) }
            return state.queued.values.filter { q in
                guard q.queue == HumanTask.queue, q.result == nil, namespaces.map({ $0.contains(q.namespace) }) ?? true, state.isCurrent(q) else { return false }
                if let cursor, !((q.createdAt, q.id) > cursor) { return false }
                switch filter {
                case .heldBy(let account): return q.claim?.worker == account
                case .claimableBy(let account): return q.claim == nil && q.human?.mayClaim(account, groups: groups) == true
                case .open: return true
                }
            }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.prefix(limit).map { $0 }
        }
    }
}
