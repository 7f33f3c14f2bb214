import SluiceCore

extension MemoryStore {
    struct AnnotationState {
        var projects: [AnnotationProjectRecord] = []
        var workflows: [AnnotationWorkflowRecord] = []
        var algorithms: [String: AnnotationAlgorithmRecord] = [:]  // "namespace\u{0}name"
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
}
