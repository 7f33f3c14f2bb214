import SluiceCore

extension MemoryStore {
    struct AnnotationState {
        var projects: [AnnotationProjectRecord] = []
        var workflows: [AnnotationWorkflowRecord] = []
        var algorithms: [String: AnnotationAlgorithmRecord] = [:]  // "namespace\u{0}name"
        /// Items never leave: an item's id is its index + 1.
        var items: [AnnotationItemRecord] = []
        /// Per workflow: how many items it has (the next item's number) and its external ids,
        /// so that an upload costs its size, not its size times the items stored before it.
        var itemCounts: [Int64: Int64] = [:]
        var externalIDs: [Int64: Set<String>] = [:]

        func itemIndex(_ id: Int64) -> Int? {
            let index = Int(id) - 1
            return items.indices.contains(index) && items[index].id == id ? index : nil
        }
    }

    public func insertProject(_ project: AnnotationProjectRecord) async throws -> AnnotationProjectRecord {
        annotation.withLock { state in
            var stored = project
            stored.id = Int64(state.projects.count + 1)
            state.projects.append(stored)
            return stored
        }
    }

    public func project(id: Int64) async throws -> AnnotationProjectRecord? {
        annotation.withLock { state in state.projects.first { $0.id == id } }
    }

    public func projects(namespaces: Set<String>?, after: Int64, limit: Int) async throws -> [AnnotationProjectRecord] {
        annotation.withLock { state in
            Array(state.projects.filter { $0.id > after && (namespaces?.contains($0.namespace) ?? true) }.prefix(limit))
        }
    }

    public func insertAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord) async throws -> AnnotationWorkflowRecord? {
        annotation.withLock { state in
            guard let project = state.projects.first(where: { $0.id == workflow.projectID }) else { return nil }
            var stored = workflow
            stored.namespace = project.namespace
            stored.id = Int64(state.workflows.count + 1)
            state.workflows.append(stored)
            return stored
        }
    }

    public func updateAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord, expectedVersion: Int, repoint: @Sendable (QueuedTaskRecord) -> QueuedTaskRecord?) async throws -> Bool {
        // The workflow's lock held while the tasks change: an edit is all or nothing to readers.
        annotation.withLock { annotation in
            guard let i = annotation.workflows.firstIndex(where: { $0.id == workflow.id }), annotation.workflows[i].version == expectedVersion else { return false }
            state.withLock { state in
                for (id, task) in state.queued where task.workflowID == workflow.runsAs && task.pool != nil {
                    if let next = repoint(task) { state.queued[id] = next }
                }
            }
            annotation.workflows[i].pipeline = workflow.pipeline
            annotation.workflows[i].version = workflow.version
            annotation.workflows[i].updatedAt = workflow.updatedAt
            return true
        }
    }

    public func annotationWorkflow(id: Int64) async throws -> AnnotationWorkflowRecord? {
        annotation.withLock { state in state.workflows.first { $0.id == id } }
    }

    public func annotationWorkflows(projectID: Int64) async throws -> [AnnotationWorkflowRecord] {
        annotation.withLock { state in state.workflows.filter { $0.projectID == projectID } }
    }

    public func insertAlgorithm(_ algorithm: AnnotationAlgorithmRecord) async throws -> Bool {
        annotation.withLock { state in
            let key = algorithm.namespace + "\u{0}" + algorithm.name
            guard state.algorithms[key] == nil else { return false }
            state.algorithms[key] = algorithm
            return true
        }
    }

    public func algorithm(namespace: String, name: String) async throws -> AnnotationAlgorithmRecord? {
        annotation.withLock { state in state.algorithms[namespace + "\u{0}" + name] }
    }

    public func algorithms(namespace: String) async throws -> [AnnotationAlgorithmRecord] {
        annotation.withLock { state in state.algorithms.values.filter { $0.namespace == namespace }.sorted { $0.name < $1.name } }
    }

    public func insertItems(_ items: [AnnotationItemRecord]) async throws -> ItemsInsertion {
        annotation.withLock { state in
            var stored: [AnnotationItemRecord] = []
            var counts: [Int64: Int64] = [:]
            var batchExternal: [Int64: Set<String>] = [:]
            for (i, item) in items.enumerated() {
                if let external = item.externalID {
                    if state.externalIDs[item.workflowID]?.contains(external) == true || !batchExternal[item.workflowID, default: []].insert(external).inserted {
                        return .duplicate(index: i)
                    }
                }
                var record = item
                record.id = Int64(state.items.count + stored.count + 1)
                let number = counts[item.workflowID] ?? state.itemCounts[item.workflowID] ?? 0
                record.number = number
                counts[item.workflowID] = number + 1
                stored.append(record)
            }
            state.items += stored
            for (workflow, count) in counts { state.itemCounts[workflow] = count }
            for (workflow, external) in batchExternal { state.externalIDs[workflow, default: []].formUnion(external) }
            return .inserted(stored)
        }
    }

    public func setItemExecutions(_ pairs: [(item: Int64, execution: String)]) async throws {
        annotation.withLock { state in
            for pair in pairs { if let i = state.itemIndex(pair.item) { state.items[i].executionID = pair.execution } }
        }
    }

    public func item(id: Int64) async throws -> AnnotationItemRecord? {
        annotation.withLock { state in state.itemIndex(id).map { state.items[$0] } }
    }

    public func items(workflowID: Int64, after: Int64, limit: Int) async throws -> [AnnotationItemRecord] {
        // Items are in id order, id = index + 1: a page starts where the last one ended.
        annotation.withLock { state in Array(state.items[min(max(Int(after), 0), state.items.count)...].lazy.filter { $0.workflowID == workflowID }.prefix(limit)) }
    }

    public func items(workflowID: Int64, filter: AnnotationItemFilter, after: Int64, limit: Int) async throws -> [AnnotationItemRecord] {
        // In memory, a pass over the workflow's items after `after`, a page at a time.
        var found: [AnnotationItemRecord] = []
        var cursor = after
        while found.count < limit {
            let page = try await items(workflowID: workflowID, after: cursor, limit: 500)
            guard let last = page.last else { break }
            cursor = last.id
            found += state.withLock { state in
                let open: Set<String>? = filter.pool.map { pool in
                    Set(state.queued.values.filter { $0.pool == pool && $0.result == nil && state.isCurrent($0) }.map(\.executionID))
                }
                return page.filter { item in
                    let execution = item.executionID.flatMap { state.executions[$0]?.execution }
                    if let wanted = filter.state, Self.itemState(item, execution) != wanted { return false }
                    if let open {
                        guard let execution, !execution.status.isTerminal, open.contains(execution.id) else { return false }
                    }
                    return true
                }
            }
        }
        return Array(found.prefix(limit))
    }

    /// An item's state as `AnnotationItemFilter.State` defines it (`nil`: an execution recorded
    /// but not found, which no state selects).
    static func itemState(_ item: AnnotationItemRecord, _ execution: ExecutionRecord?) -> AnnotationItemFilter.State? {
        guard item.executionID != nil else { return .pending }
        guard let execution else { return nil }
        switch execution.status {
        case .pending, .running: return .inPool
        case .failed: return .failed
        case .cancelled: return .cancelled
        case .completed:
            switch execution.output?[DataType.json.field]?["status"]?.stringValue {
            case nil, "completed"?: return .completed
            case "discarded"?: return .discarded
            default: return nil
            }
        }
    }

    public func itemsWithoutExecution(limit: Int) async throws -> [AnnotationItemRecord] {
        annotation.withLock { state in Array(state.items.lazy.filter { $0.executionID == nil }.prefix(limit)) }
    }

    public func queuedTasks(executionID: String) async throws -> [QueuedTaskRecord] {
        state.withLock { state in state.queued.values.filter { $0.executionID == executionID }.sorted { ($0.index, $0.attempt, $0.phase) < ($1.index, $1.attempt, $1.phase) } }
    }

    public func waitingInPool(workflowID: String, pool: Int, limit: Int) async throws -> [String] {
        state.withLock { state in
            Array(state.queueOrder.compactMap { state.queued[$0] }
                .filter { $0.workflowID == workflowID && $0.pool == pool && $0.claim == nil && $0.result == nil && state.isCurrent($0) }
                .prefix(limit).map(\.id))
        }
    }

    public func queuedTasks(executionIDs: [String]) async throws -> [String: [QueuedTaskRecord]] {
        let wanted = Set(executionIDs)
        return state.withLock { state in
            Dictionary(grouping: state.queued.values.filter { wanted.contains($0.executionID) }, by: \.executionID)
                .mapValues { $0.sorted { ($0.index, $0.attempt, $0.phase) < ($1.index, $1.attempt, $1.phase) } }
        }
    }

    public func executionRecords(ids: [String]) async throws -> [String: ExecutionRecord] {
        state.withLock { state in
            var found: [String: ExecutionRecord] = [:]
            for id in ids { if let detail = state.executions[id] { found[id] = detail.execution } }
            return found
        }
    }

    public func heldInPool(workflowID: String, pool: Int, worker: String, limit: Int) async throws -> [String] {
        state.withLock { state in
            Array(state.queueOrder.compactMap { state.queued[$0] }
                .filter { $0.workflowID == workflowID && $0.pool == pool && $0.claim?.worker == worker && $0.result == nil && state.isCurrent($0) }
                .prefix(limit).map(\.id))
        }
    }

    public func annotationProgress(workflowID: Int64, runsAs: String) async throws -> AnnotationProgressCounts {
        var counts = AnnotationProgressCounts()
        annotation.withLock { state in
            for item in state.items where item.workflowID == workflowID {
                counts.items += 1
                if item.executionID == nil { counts.itemsWithoutExecution += 1 }
            }
        }
        state.withLock { state in
            for detail in state.executions.values where detail.execution.workflowID == runsAs {
                counts.executions[detail.execution.status, default: 0] += 1
            }
            var pools: [Int: AnnotationProgressCounts.Pool] = [:]
            var workers: [Key: AnnotationProgressCounts.Worker] = [:]
            var durations: [Key: [Int64]] = [:]
            for task in state.queued.values where task.workflowID == runsAs {
                guard let pool = task.pool else { continue }
                var counted = pools[pool] ?? .init(pool: pool)
                let rejected = Self.isRejection(task)
                if task.result == nil {
                    if state.isCurrent(task) {
                        if task.claim == nil { counted.waiting += 1 } else { counted.held += 1 }
                    }
                } else {
                    counted.done += 1
                    if rejected { counted.rejected += 1 }
                    if let claim = task.claim {
                        let key = Key(pool: pool, worker: claim.worker)
                        var worker = workers[key] ?? .init(pool: pool, worker: claim.worker)
                        worker.done += 1
                        if rejected { worker.rejectedGiven += 1 }
                        workers[key] = worker
                        durations[key, default: []].append((task.answeredAt ?? claim.claimedAt) - claim.claimedAt)
                    }
                    if rejected, let labeler = task.input["labeled_by"]?.stringValue, let labeledIn = task.input["labeled_in"]?.numberValue {
                        let key = Key(pool: Int(labeledIn), worker: labeler)
                        workers[key, default: .init(pool: Int(labeledIn), worker: labeler)].rejectionsReceived += 1
                    }
                }
                pools[pool] = counted
            }
            for (key, list) in durations {
                let sorted = list.sorted()
                workers[key]?.medianMilliseconds = sorted[(sorted.count - 1) / 2]
            }
            counts.pools = pools.values.sorted { $0.pool < $1.pool }
            counts.workers = workers.values.sorted { ($0.pool, $0.worker) < ($1.pool, $1.worker) }
        }
        return counts
    }

    private struct Key: Hashable {
        var pool: Int
        var worker: String
    }

    /// Whether an answered task's answer is a verdict that rejected (`approved` false).
    static func isRejection(_ task: QueuedTaskRecord) -> Bool {
        guard case .output(let value)? = task.result else { return false }
        return value[DataType.json.field]?["approved"] == .bool(false)
    }
}
