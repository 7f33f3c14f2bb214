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
    }

    let state = Mutex(State())

    public init() {}

    public func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        state.withLock { state in mutations.map { Self.apply($0, to: &state) } }
    }

    static func apply(_ mutation: Mutation, to state: inout State) -> MutationOutcome {
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
        case .insertExecution(var detail):
            let key = detail.execution.idempotencyKey.map { "\(detail.execution.workflowID)\u{0}\($0)" }
            if let key, let existing = state.idempotency[key] { return .duplicate(executionID: existing) }
            guard state.executions[detail.execution.id] == nil else { return .idConflict }
            detail.execution.seq = state.nextSeq
            state.nextSeq += 1
            state.executions[detail.execution.id] = detail
            if let key { state.idempotency[key] = detail.execution.id }
            return .applied
        case .transition(let t):
            guard var detail = state.executions[t.executionID] else { return .stale }
            for change in t.tasks {
                guard change.index < detail.tasks.count, change.expected.contains(detail.tasks[change.index].status) else { return .stale }
            }
            for change in t.tasks { detail.tasks[change.index].apply(change) }
            if let e = t.execution { detail.execution.apply(e) }
            state.executions[t.executionID] = detail
            return .applied
        case .appendLogs(let lines):
            for var line in lines where state.executions[line.executionID] != nil {
                var task = state.logs[line.executionID, default: [:]][line.index, default: []]
                line.seq = Int64(task.count + 1)
                task.append(line)
                state.logs[line.executionID, default: [:]][line.index] = task
            }
            return .applied
        }
    }

    public func workflow(id: String) async throws -> WorkflowRecord? {
        state.withLock { $0.workflows[id] }
    }

    public func workflows(limit: Int, before: Int64?) async throws -> Page<WorkflowRecord> {
        let all = state.withLock { Array($0.workflows.values) }
        return Self.page(all.filter { before == nil || $0.seq < before! }.sorted { $0.seq > $1.seq }, limit: limit, seq: \.seq)
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

    static func page<T>(_ sorted: [T], limit: Int, seq: KeyPath<T, Int64>) -> Page<T> {
        let items = Array(sorted.prefix(limit))
        let next = sorted.count > limit ? items.last?[keyPath: seq] : nil
        return Page(items: items, nextCursor: next)
    }
}

extension WorkflowVersionRecord {
    /// The version as a pagination cursor.
    var cursor: Int64 { Int64(version) }
}
