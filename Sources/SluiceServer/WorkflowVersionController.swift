import Hummingbird
import SluiceCore
import SluiceEngine

/// `GET /workflows/{id}/versions` and `GET /workflows/{id}/versions/{n}`.
struct WorkflowVersionController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/workflows/:workflow_id/versions", use: list)
        router.get("/workflows/:workflow_id/versions/:version", use: get)
    }

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try context.parameters.require("workflow_id")
        let page = try await engine.checking(workflow: id) { try parsing.page(request) }
        guard try await engine.store.workflow(id: id) != nil else { throw EngineError.workflowNotFound(id) }
        let result = try await engine.store.workflowVersions(id: id, limit: page.limit, before: page.before)
        return JSONResponse.make(.page("versions", result.items.map(Representation.versionSummary), next: result.nextCursor))
    }

    @Sendable func get(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try context.parameters.require("workflow_id")
        let raw = try context.parameters.require("version")
        guard let version = Int(raw), version >= 1 else {
            guard try await engine.store.workflow(id: id) != nil else { throw EngineError.workflowNotFound(id) }
            throw Problem.notFound("workflow \"\(id)\" has no version \"\(raw)\"; versions are numbered 1, 2, 3…")
        }
        return try await Self.version(version, of: id, engine: engine)
    }

    /// Version `version` of workflow `id` in the shape of `GET /workflows/{id}`, with its
    /// number as `ETag`; 404 naming the versions that exist.
    static func version(_ version: Int, of id: String, engine: Engine) async throws -> Response {
        guard let loaded = try await engine.loadPlan(workflowID: id, version: version) else {
            guard let head = try await engine.store.workflow(id: id) else { throw EngineError.workflowNotFound(id) }
            let existing = head.version == 1 ? "its only version is 1" : "its versions are 1 to \(head.version)"
            throw Problem.notFound("workflow \"\(id)\" has no version \(version); \(existing)")
        }
        return JSONResponse.make(Representation.workflowVersion(loaded.record, plan: loaded.plan), headers: [.eTag: WorkflowController.eTag(version)])
    }
}
