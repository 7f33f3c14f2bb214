import GRDB
import SluiceCore
import SluiceStore

/// Annotation projects, workflows and algorithms.
extension SQLiteStore {
    static let projectColumns = "p.id, p.namespace, p.name, p.description, p.label_config, p.created_at"
    static let annotationWorkflowColumns = "w.id, w.project_id, p.namespace, w.pipeline, w.version, w.created_at, w.updated_at, w.runs_as"
    static let algorithmColumns = "namespace, name, description, spec, created_at"

    static func project(_ row: Row) -> AnnotationProjectRecord {
        AnnotationProjectRecord(id: row[0], namespace: row[1], name: row[2], description: row[3], labelConfig: json(row[4]) ?? .null, createdAt: row[5])
    }

    static func annotationWorkflow(_ row: Row) -> AnnotationWorkflowRecord {
        AnnotationWorkflowRecord(id: row[0], projectID: row[1], namespace: row[2], pipeline: json(row[3]) ?? .null, version: row[4], createdAt: row[5], updatedAt: row[6], runsAs: row[7])
    }

    static func algorithm(_ row: Row) -> AnnotationAlgorithmRecord {
        AnnotationAlgorithmRecord(namespace: row[0], name: row[1], description: row[2], spec: json(row[3]) ?? .null, createdAt: row[4])
    }

    public func insertProject(_ project: AnnotationProjectRecord) async throws -> AnnotationProjectRecord {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO annotation_projects (namespace, name, description, label_config, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [project.namespace, project.name, project.description, project.labelConfig.jsonString, project.createdAt])
            var stored = project
            stored.id = db.lastInsertedRowID
            return stored
        }
    }

    public func project(id: Int64) async throws -> AnnotationProjectRecord? {
        try readNow { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.projectColumns) FROM annotation_projects p WHERE p.id = ?", arguments: [id]).map(Self.project)
        }
    }

    public func projects(namespaces: Set<String>?, after: Int64, limit: Int) async throws -> [AnnotationProjectRecord] {
        if let namespaces, namespaces.isEmpty { return [] }
        return try readNow { db in
            var arguments: StatementArguments = [after]
            var filter = ""
            if let namespaces {
                filter = " AND p.namespace IN (\(Array(repeating: "?", count: namespaces.count).joined(separator: ", ")))"
                for n in namespaces.sorted() { arguments += [n] }
            }
            arguments += [limit]
            return try Row.fetchAll(db, sql: "SELECT \(Self.projectColumns) FROM annotation_projects p WHERE p.id > ?\(filter) ORDER BY p.id LIMIT ?", arguments: arguments).map(Self.project)
        }
    }

    public func insertAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord) async throws -> AnnotationWorkflowRecord? {
        try await pool.write { db in
            // The project is read in the same transaction: one deleted meanwhile stores nothing.
            guard let namespace = try String.fetchOne(db, sql: "SELECT namespace FROM annotation_projects WHERE id = ?", arguments: [workflow.projectID]) else { return nil }
            try db.execute(sql: "INSERT INTO annotation_workflows (project_id, pipeline, version, created_at, updated_at, runs_as) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [workflow.projectID, workflow.pipeline.jsonString, workflow.version, workflow.createdAt, workflow.updatedAt, workflow.runsAs])
            var stored = workflow
            stored.id = db.lastInsertedRowID
            stored.namespace = namespace
            return stored
        }
    }

    public func annotationWorkflow(id: Int64) async throws -> AnnotationWorkflowRecord? {
        try readNow { db in
            try Row.fetchOne(db, sql: """
                SELECT \(Self.annotationWorkflowColumns) FROM annotation_workflows w JOIN annotation_projects p ON p.id = w.project_id WHERE w.id = ?
                """, arguments: [id]).map(Self.annotationWorkflow)
        }
    }

    public func updateAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord, expectedVersion: Int, repoint: @Sendable (QueuedTaskRecord) -> QueuedTaskRecord?) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE annotation_workflows SET pipeline = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?",
                           arguments: [workflow.pipeline.jsonString, workflow.version, workflow.updatedAt, workflow.id, expectedVersion])
            guard db.changesCount == 1 else { return false }
            let tasks = try Row.fetchAll(db, sql: "SELECT \(Self.queuedColumns) FROM queued_tasks q WHERE q.workflow_id = ? AND q.pool IS NOT NULL",
                                         arguments: [workflow.runsAs]).map(Self.queued)
            let update = try db.cachedStatement(sql: "UPDATE queued_tasks SET pool = ?, input = ?, human = ?, assignees = ? WHERE id = ?")
            for task in tasks {
                guard let next = repoint(task) else { continue }
                try update.execute(arguments: [next.pool, next.input.jsonString, next.human?.json.jsonString, next.assigneesColumn, next.id])
            }
            return true
        }
    }

    public func annotationWorkflows(projectID: Int64) async throws -> [AnnotationWorkflowRecord] {
        try readNow { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.annotationWorkflowColumns) FROM annotation_workflows w JOIN annotation_projects p ON p.id = w.project_id
                WHERE w.project_id = ? ORDER BY w.id
                """, arguments: [projectID]).map(Self.annotationWorkflow)
        }
    }

    public func insertAlgorithm(_ algorithm: AnnotationAlgorithmRecord) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO annotation_algorithms (\(Self.algorithmColumns)) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                           arguments: [algorithm.namespace, algorithm.name, algorithm.description, algorithm.spec.jsonString, algorithm.createdAt])
            return db.changesCount > 0
        }
    }

    public func algorithm(namespace: String, name: String) async throws -> AnnotationAlgorithmRecord? {
        try readNow { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.algorithmColumns) FROM annotation_algorithms WHERE namespace = ? AND name = ?", arguments: [namespace, name]).map(Self.algorithm)
        }
    }

    public func algorithms(namespace: String) async throws -> [AnnotationAlgorithmRecord] {
        try readNow { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.algorithmColumns) FROM annotation_algorithms WHERE namespace = ? ORDER BY name", arguments: [namespace]).map(Self.algorithm)
        }
    }

    static let itemColumns = "id, workflow_id, number, external_id, data, execution_id, created_at"

    static func item(_ row: Row) -> AnnotationItemRecord {
        AnnotationItemRecord(id: row[0], workflowID: row[1], number: row[2], externalID: row[3], data: json(row[4]) ?? .null, executionID: row[5], createdAt: row[6])
    }

    public func insertItems(_ items: [AnnotationItemRecord]) async throws -> ItemsInsertion {
        guard let workflowID = items.first?.workflowID else { return .inserted([]) }
        do {
            return try await insertItems(items, workflowID: workflowID)
        } catch let duplicate as DuplicateItem {
            return .duplicate(index: duplicate.index)
        }
    }

    private func insertItems(_ items: [AnnotationItemRecord], workflowID: Int64) async throws -> ItemsInsertion {
        try await pool.write { db in
            var next = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(number) + 1, 0) FROM annotation_items WHERE workflow_id = ?", arguments: [workflowID]) ?? 0
            let insert = try db.cachedStatement(sql: "INSERT INTO annotation_items (workflow_id, number, external_id, data, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
            var stored: [AnnotationItemRecord] = []
            for (i, item) in items.enumerated() {
                try insert.execute(arguments: [item.workflowID, next, item.externalID, item.data.jsonString, item.createdAt])
                guard db.changesCount > 0 else {
                    // All or none: the transaction is rolled back.
                    throw DuplicateItem(index: i)
                }
                var record = item
                record.id = db.lastInsertedRowID
                record.number = next
                next += 1
                stored.append(record)
            }
            return .inserted(stored)
        }
    }

    struct DuplicateItem: Error { var index: Int }

    public func setItemExecutions(_ pairs: [(item: Int64, execution: String)]) async throws {
        guard !pairs.isEmpty else { return }
        try await pool.write { db in
            let update = try db.cachedStatement(sql: "UPDATE annotation_items SET execution_id = ? WHERE id = ?")
            for pair in pairs { try update.execute(arguments: [pair.execution, pair.item]) }
        }
    }

    public func item(id: Int64) async throws -> AnnotationItemRecord? {
        try readNow { db in try Row.fetchOne(db, sql: "SELECT \(Self.itemColumns) FROM annotation_items WHERE id = ?", arguments: [id]).map(Self.item) }
    }

    public func items(workflowID: Int64, after: Int64, limit: Int) async throws -> [AnnotationItemRecord] {
        try readNow { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.itemColumns) FROM annotation_items WHERE workflow_id = ? AND id > ? ORDER BY id LIMIT ?", arguments: [workflowID, after, limit]).map(Self.item)
        }
    }

    /// The filter's conditions on an item `i`, each an `IN` over the rows it selects (the
    /// executions of the workflow in a state, the tasks open in a pool) through their indexes,
    /// then the items of those by `annotation_items_by_execution`.
    public func items(workflowID: Int64, filter: AnnotationItemFilter, after: Int64, limit: Int) async throws -> [AnnotationItemRecord] {
        let runsAs = "(SELECT runs_as FROM annotation_workflows WHERE id = ?)"
        var conditions: [String] = []
        var arguments: StatementArguments = [workflowID, after]
        func executions(_ statuses: String, _ extra: String = "") {
            conditions.append("i.execution_id IN (SELECT x.id FROM executions x WHERE x.workflow_id = \(runsAs) AND x.status IN (\(statuses))\(extra))")
            arguments += [workflowID]
        }
        let status = "json_extract(x.output, '$.json.status')"
        switch filter.state {
        case nil: break
        case .pending?: conditions.append("i.execution_id IS NULL")
        case .inPool? where filter.pool != nil: break  // the pool's condition says it
        case .inPool?: executions("'PENDING', 'RUNNING'")
        case .completed?: executions("'COMPLETED'", " AND (\(status) IS NULL OR \(status) = 'completed')")
        case .discarded?: executions("'COMPLETED'", " AND \(status) = 'discarded'")
        case .failed?: executions("'FAILED'")
        case .cancelled?: executions("'CANCELLED'")
        }
        if let pool = filter.pool {
            // From the pool's open tasks (queued_tasks_open_in_pool), their executions unended.
            conditions.append("""
                i.execution_id IN (SELECT q.execution_id FROM queued_tasks q WHERE q.workflow_id = \(runsAs) AND q.pool = ? AND q.result IS NULL AND \(Self.queuedIsCurrent)
                    AND EXISTS (SELECT 1 FROM executions x WHERE x.id = q.execution_id AND x.status IN ('PENDING', 'RUNNING')))
                """)
            arguments += [workflowID, pool]
        }
        // `+i.workflow_id`: not by the workflow's index (every item of the workflow) when a
        // condition selects fewer.
        let workflow = conditions.isEmpty || filter.state == .pending ? "i.workflow_id" : "+i.workflow_id"
        let columns = Self.itemColumns.split(separator: ", ").map { "i.\($0)" }.joined(separator: ", ")
        let sql = "SELECT \(columns) FROM annotation_items i WHERE \(workflow) = ? AND i.id > ?\(conditions.map { " AND " + $0 }.joined()) ORDER BY i.id LIMIT ?"
        arguments += [limit]
        return try readNow { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.item) }
    }

    public func itemsWithoutExecution(limit: Int) async throws -> [AnnotationItemRecord] {
        try readNow { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.itemColumns) FROM annotation_items WHERE execution_id IS NULL ORDER BY id LIMIT ?", arguments: [limit]).map(Self.item)
        }
    }

    public func queuedTasks(executionID: String) async throws -> [QueuedTaskRecord] {
        try readNow { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.queuedColumns) FROM queued_tasks q WHERE q.execution_id = ? ORDER BY q.idx, q.attempt, q.phase", arguments: [executionID]).map(Self.queued)
        }
    }

    public func waitingInPool(workflowID: String, pool: Int, limit: Int) async throws -> [String] {
        try readNow { db in
            try String.fetchAll(db, sql: """
                SELECT q.id FROM queued_tasks q
                WHERE q.workflow_id = ? AND q.pool = ? AND q.claim_token IS NULL AND q.result IS NULL AND \(Self.queuedIsCurrent)
                ORDER BY q.created_at, q.id LIMIT ?
                """, arguments: [workflowID, pool, limit])
        }
    }

    public func queuedTasks(executionIDs: [String]) async throws -> [String: [QueuedTaskRecord]] {
        if executionIDs.isEmpty { return [:] }
        return try readNow { db in
            let marks = Array(repeating: "?", count: executionIDs.count).joined(separator: ",")
            let tasks = try Row.fetchAll(db, sql: "SELECT \(Self.queuedColumns) FROM queued_tasks q WHERE q.execution_id IN (\(marks)) ORDER BY q.execution_id, q.idx, q.attempt, q.phase",
                                         arguments: StatementArguments(executionIDs)).map(Self.queued)
            return Dictionary(grouping: tasks, by: \.executionID)
        }
    }

    public func executionRecords(ids: [String]) async throws -> [String: ExecutionRecord] {
        if ids.isEmpty { return [:] }
        return try readNow { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            let records = try Row.fetchAll(db, sql: "SELECT \(Self.executionColumns) FROM executions WHERE id IN (\(marks))", arguments: StatementArguments(ids)).map(Self.execution)
            return Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    public func heldInPool(workflowID: String, pool: Int, worker: String, limit: Int) async throws -> [String] {
        try readNow { db in
            try String.fetchAll(db, sql: """
                SELECT q.id FROM queued_tasks q
                WHERE q.worker = ? AND q.claim_token IS NOT NULL AND q.result IS NULL AND q.workflow_id = ? AND q.pool = ? AND \(Self.queuedIsCurrent)
                ORDER BY q.created_at, q.id LIMIT ?
                """, arguments: [worker, workflowID, pool, limit])
        }
    }

    /// A few aggregate reads over the workflow's items, executions and queued tasks (their
    /// `pool` column): bounded by the workflow's size, run off the caller's thread.
    public func annotationProgress(workflowID: Int64, runsAs: String) async throws -> AnnotationProgressCounts {
        try await pool.read { db in
            var counts = AnnotationProgressCounts()
            if let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), COALESCE(SUM(execution_id IS NULL), 0) FROM annotation_items WHERE workflow_id = ?", arguments: [workflowID]) {
                counts.items = row[0]
                counts.itemsWithoutExecution = row[1]
            }
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) FROM executions WHERE workflow_id = ? GROUP BY status", arguments: [runsAs]) {
                if let status = ExecutionStatus(rawValue: row[0]) { counts.executions[status] = row[1] }
            }
            let rejected = "json_extract(q.result, '$.output.json.approved') = 0"
            counts.pools = try Row.fetchAll(db, sql: """
                SELECT q.pool,
                    SUM(CASE WHEN q.result IS NULL AND q.claim_token IS NULL AND \(Self.queuedIsCurrent) THEN 1 ELSE 0 END),
                    SUM(CASE WHEN q.result IS NULL AND q.claim_token IS NOT NULL AND \(Self.queuedIsCurrent) THEN 1 ELSE 0 END),
                    SUM(q.result IS NOT NULL), COALESCE(SUM(\(rejected)), 0)
                FROM queued_tasks q WHERE q.workflow_id = ? AND q.pool IS NOT NULL GROUP BY q.pool ORDER BY q.pool
                """, arguments: [runsAs]).map { .init(pool: $0[0], waiting: $0[1], held: $0[2], done: $0[3], rejected: $0[4]) }
            // Per worker: answers, rejections given, the median time (the lower middle one).
            var workers: [String: AnnotationProgressCounts.Worker] = [:]
            func key(_ pool: Int, _ worker: String) -> String { "\(pool)/\(worker)" }
            for row in try Row.fetchAll(db, sql: """
                SELECT pool, worker, c, r, d FROM (
                    SELECT q.pool, q.worker, q.answered_at - q.claimed_at AS d,
                        ROW_NUMBER() OVER (PARTITION BY q.pool, q.worker ORDER BY q.answered_at - q.claimed_at) AS n,
                        COUNT(*) OVER (PARTITION BY q.pool, q.worker) AS c,
                        SUM(CASE WHEN \(rejected) THEN 1 ELSE 0 END) OVER (PARTITION BY q.pool, q.worker) AS r
                    FROM queued_tasks q
                    WHERE q.workflow_id = ? AND q.pool IS NOT NULL AND q.result IS NOT NULL AND q.worker IS NOT NULL)
                WHERE n = (c + 1) / 2
                """, arguments: [runsAs]) {
                let pool: Int = row[0], worker: String = row[1]
                workers[key(pool, worker)] = .init(pool: pool, worker: worker, done: row[2], rejectedGiven: row[3], medianMilliseconds: row[4])
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT CAST(json_extract(q.input, '$.labeled_in') AS INTEGER), json_extract(q.input, '$.labeled_by'), COUNT(*)
                FROM queued_tasks q
                WHERE q.workflow_id = ? AND q.pool IS NOT NULL AND \(rejected) AND json_extract(q.input, '$.labeled_by') IS NOT NULL
                GROUP BY 1, 2
                """, arguments: [runsAs]) {
                let pool: Int = row[0], worker: String = row[1]
                workers[key(pool, worker), default: .init(pool: pool, worker: worker)].rejectionsReceived = row[2]
            }
            counts.workers = workers.values.sorted { ($0.pool, $0.worker) < ($1.pool, $1.worker) }
            return counts
        }
    }
}
