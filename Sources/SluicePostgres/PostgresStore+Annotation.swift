import PostgresNIO
import SluiceCore
import SluiceStore

/// Annotation projects, workflows and algorithms.
extension PostgresStore {
    static let projectColumns = "p.id, p.namespace, p.name, p.description, p.label_config, p.created_at"
    static let annotationWorkflowColumns = "w.id, w.project_id, p.namespace, w.pipeline, w.version, w.created_at, w.updated_at, w.runs_as"
    static let algorithmColumns = "namespace, name, description, spec, created_at"

    static func project(_ row: PostgresRandomAccessRow) throws -> AnnotationProjectRecord {
        AnnotationProjectRecord(
            id: try row[0].decode(Int64.self), namespace: try row[1].decode(String.self), name: try row[2].decode(String.self),
            description: try row[3].decode(String.self), labelConfig: json(try row[4].decode(String.self)) ?? .null, createdAt: try row[5].decode(Int64.self)
        )
    }

    static func annotationWorkflow(_ row: PostgresRandomAccessRow) throws -> AnnotationWorkflowRecord {
        AnnotationWorkflowRecord(
            id: try row[0].decode(Int64.self), projectID: try row[1].decode(Int64.self), namespace: try row[2].decode(String.self),
            pipeline: json(try row[3].decode(String.self)) ?? .null, version: Int(try row[4].decode(Int64.self)),
            createdAt: try row[5].decode(Int64.self), updatedAt: try row[6].decode(Int64.self), runsAs: try row[7].decode(String.self)
        )
    }

    static func algorithm(_ row: PostgresRandomAccessRow) throws -> AnnotationAlgorithmRecord {
        AnnotationAlgorithmRecord(
            namespace: try row[0].decode(String.self), name: try row[1].decode(String.self), description: try row[2].decode(String.self),
            spec: json(try row[3].decode(String.self)) ?? .null, createdAt: try row[4].decode(Int64.self)
        )
    }

    public func insertProject(_ project: AnnotationProjectRecord) async throws -> AnnotationProjectRecord {
        let rows = try await rows("""
            INSERT INTO annotation_projects (namespace, name, description, label_config, created_at)
            VALUES (\(project.namespace), \(project.name), \(project.description), \(project.labelConfig.jsonString), \(project.createdAt)) RETURNING id
            """)
        var stored = project
        stored.id = try rows[0][0].decode(Int64.self)
        return stored
    }

    public func project(id: Int64) async throws -> AnnotationProjectRecord? {
        try await rows("SELECT \(unescaped: Self.projectColumns) FROM annotation_projects p WHERE p.id = \(id)").first.map { try Self.project($0) }
    }

    public func projects(namespaces: Set<String>?, after: Int64, limit: Int) async throws -> [AnnotationProjectRecord] {
        if let namespaces, namespaces.isEmpty { return [] }
        let all = namespaces == nil
        let names = (namespaces ?? []).sorted()
        return try await rows("""
            SELECT \(unescaped: Self.projectColumns) FROM annotation_projects p
            WHERE p.id > \(after) AND (\(all) OR p.namespace = ANY(\(names)::text[])) ORDER BY p.id LIMIT \(Int64(limit))
            """).map { try Self.project($0) }
    }

    public func insertAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord) async throws -> AnnotationWorkflowRecord? {
        // FOR KEY SHARE: a project deleted concurrently is either seen gone or kept until the
        // insert commits.
        let rows = try await rows("""
            WITH p AS (SELECT id, namespace FROM annotation_projects WHERE id = \(workflow.projectID) FOR KEY SHARE)
            INSERT INTO annotation_workflows (project_id, pipeline, version, created_at, updated_at, runs_as)
            SELECT p.id, \(workflow.pipeline.jsonString), \(Int64(workflow.version)), \(workflow.createdAt), \(workflow.updatedAt), \(workflow.runsAs) FROM p
            RETURNING id, (SELECT namespace FROM p)
            """)
        guard let row = rows.first else { return nil }
        var stored = workflow
        stored.id = try row[0].decode(Int64.self)
        stored.namespace = try row[1].decode(String.self)
        return stored
    }

    public func updateAnnotationWorkflow(_ workflow: AnnotationWorkflowRecord, expectedVersion: Int, repoint: @Sendable (QueuedTaskRecord) -> QueuedTaskRecord?) async throws -> Bool {
        // The transaction ends before this returns (withConnection awaits it), so `repoint`
        // never outlives the call.
        try await withoutActuallyEscaping(repoint) { repoint in
        try await transaction { [self] connection in
            let updated = try await connection.checkedQuery("""
                UPDATE annotation_workflows SET pipeline = \(workflow.pipeline.jsonString), version = \(Int64(workflow.version)), updated_at = \(workflow.updatedAt)
                WHERE id = \(workflow.id) AND version = \(Int64(expectedVersion)) RETURNING id
                """, logger: self.logger).collect()
            guard !updated.isEmpty else { return false }
            var tasks: [QueuedTaskRecord] = []
            for row in try await connection.checkedQuery("""
                SELECT \(unescaped: Self.queuedColumns) FROM queued_tasks q WHERE q.workflow_id = \(workflow.runsAs) AND q.pool IS NOT NULL FOR UPDATE
                """, logger: self.logger).collect() {
                tasks.append(try Self.queued(row.makeRandomAccess()))
            }
            let changed = tasks.compactMap(repoint)
            // In pages of a thousand rows, each one statement.
            for start in stride(from: 0, to: changed.count, by: 1_000) {
                let page = changed[start..<min(start + 1_000, changed.count)]
                let ids = page.map(\.id)
                // Arrays carry no NULLs here: -1 and "" stand for them.
                let pools = page.map { $0.pool.map(Int64.init) ?? -1 }
                let inputs = page.map(\.input.jsonString)
                let humans = page.map { $0.human?.json.jsonString ?? "" }
                let assignees = page.map { $0.assigneesColumn ?? "" }
                try await connection.checkedQuery("""
                    UPDATE queued_tasks q SET pool = NULLIF(u.pool, -1), input = u.input, human = NULLIF(u.human, ''), assignees = NULLIF(u.assignees, '')
                    FROM unnest(\(ids)::text[], \(pools)::bigint[], \(inputs)::text[], \(humans)::text[], \(assignees)::text[]) AS u(id, pool, input, human, assignees)
                    WHERE q.id = u.id
                    """, logger: self.logger)
            }
            return true
        }
        }
    }

    public func annotationWorkflow(id: Int64) async throws -> AnnotationWorkflowRecord? {
        try await rows("""
            SELECT \(unescaped: Self.annotationWorkflowColumns) FROM annotation_workflows w JOIN annotation_projects p ON p.id = w.project_id WHERE w.id = \(id)
            """).first.map { try Self.annotationWorkflow($0) }
    }

    public func annotationWorkflows(projectID: Int64) async throws -> [AnnotationWorkflowRecord] {
        try await rows("""
            SELECT \(unescaped: Self.annotationWorkflowColumns) FROM annotation_workflows w JOIN annotation_projects p ON p.id = w.project_id
            WHERE w.project_id = \(projectID) ORDER BY w.id
            """).map { try Self.annotationWorkflow($0) }
    }

    public func insertAlgorithm(_ algorithm: AnnotationAlgorithmRecord) async throws -> Bool {
        let rows = try await rows("""
            INSERT INTO annotation_algorithms (\(unescaped: Self.algorithmColumns))
            VALUES (\(algorithm.namespace), \(algorithm.name), \(algorithm.description), \(algorithm.spec.jsonString), \(algorithm.createdAt))
            ON CONFLICT DO NOTHING RETURNING 1
            """)
        return !rows.isEmpty
    }

    public func algorithm(namespace: String, name: String) async throws -> AnnotationAlgorithmRecord? {
        try await rows("SELECT \(unescaped: Self.algorithmColumns) FROM annotation_algorithms WHERE namespace = \(namespace) AND name = \(name)").first.map { try Self.algorithm($0) }
    }

    public func algorithms(namespace: String) async throws -> [AnnotationAlgorithmRecord] {
        try await rows("SELECT \(unescaped: Self.algorithmColumns) FROM annotation_algorithms WHERE namespace = \(namespace) ORDER BY name").map { try Self.algorithm($0) }
    }

    static let itemColumns = "id, workflow_id, number, external_id, data, execution_id, created_at"

    static func item(_ row: PostgresRandomAccessRow) throws -> AnnotationItemRecord {
        AnnotationItemRecord(
            id: try row[0].decode(Int64.self), workflowID: try row[1].decode(Int64.self), number: try row[2].decode(Int64.self),
            externalID: try row[3].decode(String?.self), data: json(try row[4].decode(String.self)) ?? .null,
            executionID: try row[5].decode(String?.self), createdAt: try row[6].decode(Int64.self)
        )
    }

    public func insertItems(_ items: [AnnotationItemRecord]) async throws -> ItemsInsertion {
        guard let workflowID = items.first?.workflowID else { return .inserted([]) }
        // One statement: the batch travels as a JSON array and takes consecutive numbers after
        // the workflow's last (the workflow's row is locked, so two batches do not interleave);
        // a duplicate external id inserts nothing.
        let rows = JSONValue.array(items.map { item in
            .object(JSONObject([("external_id", item.externalID.map(JSONValue.string) ?? .null), ("data", .string(item.data.jsonString)), ("created_at", .string(String(item.createdAt)))]))
        }).jsonString
        return try await transaction { [self] connection in
            try await connection.checkedQuery("SELECT 1 FROM annotation_workflows WHERE id = \(workflowID) FOR UPDATE", logger: self.logger)
            let existing = try await connection.checkedQuery("""
                SELECT r.o FROM ROWS FROM (json_to_recordset(\(rows)::json) AS (external_id text, data text, created_at text)) WITH ORDINALITY AS r(external_id, data, created_at, o)
                WHERE r.external_id IS NOT NULL AND (EXISTS (SELECT 1 FROM annotation_items i WHERE i.workflow_id = \(workflowID) AND i.external_id = r.external_id)
                  OR EXISTS (SELECT 1 FROM ROWS FROM (json_to_recordset(\(rows)::json) AS (external_id text)) WITH ORDINALITY AS s(external_id, o)
                             WHERE s.external_id = r.external_id AND s.o < r.o))
                ORDER BY r.o LIMIT 1
                """, logger: self.logger)
            for try await o in existing.decode(Int64.self) { return .duplicate(index: Int(o) - 1) }
            let inserted = try await connection.checkedQuery("""
                INSERT INTO annotation_items (workflow_id, number, external_id, data, created_at)
                SELECT \(workflowID), (SELECT COALESCE(MAX(number) + 1, 0) FROM annotation_items WHERE workflow_id = \(workflowID)) + r.o - 1, r.external_id, r.data, r.created_at::bigint
                FROM ROWS FROM (json_to_recordset(\(rows)::json) AS (external_id text, data text, created_at text)) WITH ORDINALITY AS r(external_id, data, created_at, o)
                ORDER BY r.o
                RETURNING \(unescaped: Self.itemColumns)
                """, logger: self.logger)
            var stored: [AnnotationItemRecord] = []
            for try await row in inserted { stored.append(try Self.item(row.makeRandomAccess())) }
            return .inserted(stored.sorted { $0.id < $1.id })
        }
    }

    public func setItemExecutions(_ pairs: [(item: Int64, execution: String)]) async throws {
        guard !pairs.isEmpty else { return }
        let ids = pairs.map(\.item)
        let executions = pairs.map(\.execution)
        _ = try await rows("""
            UPDATE annotation_items i SET execution_id = u.execution FROM unnest(\(ids)::bigint[], \(executions)::text[]) AS u(id, execution) WHERE i.id = u.id
            """)
    }

    public func item(id: Int64) async throws -> AnnotationItemRecord? {
        try await rows("SELECT \(unescaped: Self.itemColumns) FROM annotation_items WHERE id = \(id)").first.map { try Self.item($0) }
    }

    public func items(workflowID: Int64, after: Int64, limit: Int) async throws -> [AnnotationItemRecord] {
        try await rows("SELECT \(unescaped: Self.itemColumns) FROM annotation_items WHERE workflow_id = \(workflowID) AND id > \(after) ORDER BY id LIMIT \(Int64(limit))").map { try Self.item($0) }
    }

    /// The filter's conditions on an item `i`, each an `IN` over the rows it selects (the
    /// executions of the workflow in a state, the tasks open in a pool) through their indexes.
    /// Only integers and fixed words are written into the text; the rest is bound.
    public func items(workflowID: Int64, filter: AnnotationItemFilter, after: Int64, limit: Int) async throws -> [AnnotationItemRecord] {
        let runsAs = "(SELECT runs_as FROM annotation_workflows WHERE id = \(workflowID))"
        var conditions: [String] = []
        func executions(_ statuses: String, _ extra: String = "") {
            conditions.append("i.execution_id IN (SELECT x.id FROM executions x WHERE x.workflow_id = \(runsAs) AND x.status IN (\(statuses))\(extra))")
        }
        let status = "(x.output::jsonb #>> '{json,status}')"
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
                i.execution_id IN (SELECT q.execution_id FROM queued_tasks q WHERE q.workflow_id = \(runsAs) AND q.pool = \(Int64(pool)) AND q.result IS NULL AND \(Self.queuedIsCurrent)
                    AND EXISTS (SELECT 1 FROM executions x WHERE x.id = q.execution_id AND x.status IN ('PENDING', 'RUNNING')))
                """)
        }
        let columns = Self.itemColumns.split(separator: ", ").map { "i.\($0)" }.joined(separator: ", ")
        let filters = conditions.map { " AND " + $0 }.joined()
        return try await rows("""
            SELECT \(unescaped: columns) FROM annotation_items i WHERE i.workflow_id = \(workflowID) AND i.id > \(after)\(unescaped: filters) ORDER BY i.id LIMIT \(Int64(limit))
            """).map { try Self.item($0) }
    }

    public func itemsWithoutExecution(limit: Int) async throws -> [AnnotationItemRecord] {
        try await rows("SELECT \(unescaped: Self.itemColumns) FROM annotation_items WHERE execution_id IS NULL ORDER BY id LIMIT \(Int64(limit))").map { try Self.item($0) }
    }

    public func queuedTasks(executionID: String) async throws -> [QueuedTaskRecord] {
        try await rows("SELECT \(unescaped: Self.queuedColumns) FROM queued_tasks q WHERE q.execution_id = \(executionID) ORDER BY q.idx, q.attempt, q.phase").map { try Self.queued($0) }
    }

    public func waitingInPool(workflowID: String, pool: Int, limit: Int) async throws -> [String] {
        try await rows("""
            SELECT q.id FROM queued_tasks q
            WHERE q.workflow_id = \(workflowID) AND q.pool = \(Int64(pool)) AND q.claim_token IS NULL AND q.result IS NULL AND \(unescaped: Self.queuedIsCurrent)
            ORDER BY q.created_at, q.id LIMIT \(Int64(limit))
            """).map { try $0[0].decode(String.self) }
    }

    public func queuedTasks(executionIDs: [String]) async throws -> [String: [QueuedTaskRecord]] {
        if executionIDs.isEmpty { return [:] }
        let tasks = try await rows("""
            SELECT \(unescaped: Self.queuedColumns) FROM queued_tasks q WHERE q.execution_id = ANY(\(executionIDs)::text[])
            ORDER BY q.execution_id, q.idx, q.attempt, q.phase
            """).map { try Self.queued($0) }
        return Dictionary(grouping: tasks, by: \.executionID)
    }

    public func executionRecords(ids: [String]) async throws -> [String: ExecutionRecord] {
        if ids.isEmpty { return [:] }
        let records = try await rows("SELECT \(unescaped: Self.executionColumns) FROM executions x WHERE x.id = ANY(\(ids)::text[])").map { try Self.execution($0) }
        return Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func heldInPool(workflowID: String, pool: Int, worker: String, limit: Int) async throws -> [String] {
        try await rows("""
            SELECT q.id FROM queued_tasks q
            WHERE q.worker = \(worker) AND q.claim_token IS NOT NULL AND q.result IS NULL AND q.workflow_id = \(workflowID) AND q.pool = \(Int64(pool))
              AND \(unescaped: Self.queuedIsCurrent)
            ORDER BY q.created_at, q.id LIMIT \(Int64(limit))
            """).map { try $0[0].decode(String.self) }
    }

    /// A few aggregate reads over the workflow's items, executions and queued tasks (their
    /// `pool` column), bounded by the workflow's size.
    public func annotationProgress(workflowID: Int64, runsAs: String) async throws -> AnnotationProgressCounts {
        var counts = AnnotationProgressCounts()
        if let row = try await rows("SELECT COUNT(*), COUNT(*) FILTER (WHERE execution_id IS NULL) FROM annotation_items WHERE workflow_id = \(workflowID)").first {
            counts.items = Int(try row[0].decode(Int64.self))
            counts.itemsWithoutExecution = Int(try row[1].decode(Int64.self))
        }
        for row in try await rows("SELECT status, COUNT(*) FROM executions WHERE workflow_id = \(runsAs) GROUP BY status") {
            if let status = ExecutionStatus(rawValue: try row[0].decode(String.self)) { counts.executions[status] = Int(try row[1].decode(Int64.self)) }
        }
        let rejected = "(q.result::jsonb #> '{output,json,approved}') = 'false'::jsonb"
        counts.pools = try await rows("""
            SELECT q.pool::bigint,
                COUNT(*) FILTER (WHERE q.result IS NULL AND q.claim_token IS NULL AND \(unescaped: Self.queuedIsCurrent)),
                COUNT(*) FILTER (WHERE q.result IS NULL AND q.claim_token IS NOT NULL AND \(unescaped: Self.queuedIsCurrent)),
                COUNT(*) FILTER (WHERE q.result IS NOT NULL),
                COUNT(*) FILTER (WHERE q.result IS NOT NULL AND \(unescaped: rejected))
            FROM queued_tasks q WHERE q.workflow_id = \(runsAs) AND q.pool IS NOT NULL GROUP BY q.pool ORDER BY q.pool
            """).map {
                .init(pool: Int(try $0[0].decode(Int64.self)), waiting: Int(try $0[1].decode(Int64.self)), held: Int(try $0[2].decode(Int64.self)),
                      done: Int(try $0[3].decode(Int64.self)), rejected: Int(try $0[4].decode(Int64.self)))
            }
        var workers: [String: AnnotationProgressCounts.Worker] = [:]
        func key(_ pool: Int, _ worker: String) -> String { "\(pool)/\(worker)" }
        for row in try await rows("""
            SELECT q.pool::bigint, q.worker, COUNT(*), COUNT(*) FILTER (WHERE \(unescaped: rejected)),
                (percentile_disc(0.5) WITHIN GROUP (ORDER BY q.answered_at - q.claimed_at))::bigint
            FROM queued_tasks q
            WHERE q.workflow_id = \(runsAs) AND q.pool IS NOT NULL AND q.result IS NOT NULL AND q.worker IS NOT NULL
            GROUP BY q.pool, q.worker
            """) {
            let pool = Int(try row[0].decode(Int64.self)), worker = try row[1].decode(String.self)
            workers[key(pool, worker)] = .init(
                pool: pool, worker: worker, done: Int(try row[2].decode(Int64.self)), rejectedGiven: Int(try row[3].decode(Int64.self)),
                medianMilliseconds: try row[4].decode(Int64?.self)
            )
        }
        for row in try await rows("""
            SELECT (q.input::jsonb ->> 'labeled_in')::bigint, q.input::jsonb ->> 'labeled_by', COUNT(*)
            FROM queued_tasks q
            WHERE q.workflow_id = \(runsAs) AND q.pool IS NOT NULL AND q.result IS NOT NULL AND \(unescaped: rejected) AND q.input::jsonb ? 'labeled_by'
            GROUP BY 1, 2
            """) {
            let pool = Int(try row[0].decode(Int64.self)), worker = try row[1].decode(String.self)
            workers[key(pool, worker), default: .init(pool: pool, worker: worker)].rejectionsReceived = Int(try row[2].decode(Int64.self))
        }
        counts.workers = workers.values.sorted { ($0.pool, $0.worker) < ($1.pool, $1.worker) }
        return counts
    }
}
