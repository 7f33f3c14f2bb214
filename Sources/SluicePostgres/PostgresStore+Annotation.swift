import PostgresNIO
import SluiceCore
import SluiceStore

/// Annotation projects, workflows and algorithms.
extension PostgresStore {
    static let projectColumns = "p.id, p.namespace, p.name, p.description, p.label_config, p.created_at"
    static let annotationWorkflowColumns = "w.id, w.project_id, p.namespace, w.pipeline, w.version, w.created_at, w.updated_at"
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
            createdAt: try row[5].decode(Int64.self), updatedAt: try row[6].decode(Int64.self)
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
            INSERT INTO annotation_workflows (project_id, pipeline, version, created_at, updated_at)
            SELECT p.id, \(workflow.pipeline.jsonString), \(Int64(workflow.version)), \(workflow.createdAt), \(workflow.updatedAt) FROM p
            RETURNING id, (SELECT namespace FROM p)
            """)
        guard let row = rows.first else { return nil }
        var stored = workflow
        stored.id = try row[0].decode(Int64.self)
        stored.namespace = try row[1].decode(String.self)
        return stored
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
}
