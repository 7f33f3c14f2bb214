import GRDB
import SluiceCore
import SluiceStore

/// Annotation projects, workflows and algorithms.
extension SQLiteStore {
    static let projectColumns = "p.id, p.namespace, p.name, p.description, p.label_config, p.created_at"
    static let annotationWorkflowColumns = "w.id, w.project_id, p.namespace, w.pipeline, w.version, w.created_at, w.updated_at"
    static let algorithmColumns = "namespace, name, description, spec, created_at"

    static func project(_ row: Row) -> AnnotationProjectRecord {
        AnnotationProjectRecord(id: row[0], namespace: row[1], name: row[2], description: row[3], labelConfig: json(row[4]) ?? .null, createdAt: row[5])
    }

    static func annotationWorkflow(_ row: Row) -> AnnotationWorkflowRecord {
        AnnotationWorkflowRecord(id: row[0], projectID: row[1], namespace: row[2], pipeline: json(row[3]) ?? .null, version: row[4], createdAt: row[5], updatedAt: row[6])
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
            try db.execute(sql: "INSERT INTO annotation_workflows (project_id, pipeline, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [workflow.projectID, workflow.pipeline.jsonString, workflow.version, workflow.createdAt, workflow.updatedAt])
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
}
