import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// `POST /workflows`, `POST /workflows/validate`, `GET /workflows`, `GET /workflows/{id}`,
/// `PUT /workflows/{id}`, `DELETE /workflows/{id}`. The three that take a definition take it as
/// JSON or YAML, and their `400`s say where each problem is in the text (`line`, `column`).
struct WorkflowController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/workflows", use: create)
        // A constant segment wins over `:workflow_id` in the router (and in RouteTable), so
        // `validate` is never taken for a workflow id: `GET /workflows/validate` is a 405.
        router.post("/workflows/validate", use: validate)
        router.get("/workflows", use: list)
        router.get("/workflows/:workflow_id", use: get)
        router.put("/workflows/:workflow_id", use: update)
        router.delete("/workflows/:workflow_id", use: delete)
    }

    /// The body of `POST` and `PUT`: a definition, which cannot be empty, in JSON or (with
    /// `Content-Type: application/yaml`) YAML.
    func definition(_ request: Request) async throws -> SentDocument {
        guard let body = try await parsing.documentBody(request) else {
            throw Problem.validation(ValidationFailure(title: "Invalid workflow definition", issues: [
                ValidationIssue(path: "", code: "invalid_body", message: "the body is empty; expected a JSON object (or YAML mapping) with \"name\" and \"steps\" or \"tasks\""),
            ]))
        }
        return body
    }

    /// Runs `body` with the document's problems located: each issue of a `400` carries the line
    /// and column its path points at in the text that was sent.
    func locating<T>(_ document: SentDocument, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch EngineError.invalid(var failure) {
            failure.issues = document.located(failure.issues)
            throw EngineError.invalid(failure)
        } catch let problem as Problem where problem.status == .badRequest {
            var located = problem
            located.errors = document.located(problem.errors)
            throw located
        }
    }

    @Sendable func create(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let document = try await definition(request)
        // The namespace the definition names (an invalid one is the checker's 400).
        let named = document.json["namespace"]
        let namespace = named == nil || named == .null ? Namespace.default : named?.stringValue
        if let namespace, Namespace.problem(namespace) == nil, context.decide(.edit, in: namespace) != .allowed {
            throw AccessControl.forbidden("creating a workflow in namespace \"\(namespace)\" needs the editor or admin role there; account \"\(context.identity?.account ?? "")\" has \(context.identity?.roles(in: namespace).map(\.rawValue).sorted().joined(separator: ", ").nonEmpty ?? "no role") there")
        }
        let created = try await locating(document) { try await engine.createWorkflow(document.json) }
        context.logger.info("workflow created", metadata: ["workflow.id": "\(created.record.id)", "workflow.name": "\(created.record.name)"])
        return JSONResponse.make(["workflow_id": .string(created.record.id)], status: .created, headers: [.location: "/workflows/\(created.record.id)"])
    }

    /// Checks a definition exactly as `create` does and stores nothing: `200` with what
    /// `GET /workflows/{id}` would show of it (name, description, input schema, graph).
    @Sendable func validate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let document = try await definition(request)
        let plan: WorkflowPlan
        switch try await engine.validate(document.json) {
        case .success(let p): plan = p
        case .failure(var failure):
            failure.issues = document.located(failure.issues)
            throw EngineError.invalid(failure)
        }
        var o = JSONObject()
        o.append("valid", .bool(true))
        o.append("name", .string(plan.definition.name))
        if let description = plan.definition.description { o.append("description", .string(description)) }
        o.append("input_schema", plan.inputSchema.json)
        o.append("graph", Representation.graph(plan))
        return JSONResponse.make(.object(o))
    }

    /// Deletes the workflow and everything that belongs to it; `409` while it is in use.
    @Sendable func delete(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try context.parameters.require("workflow_id")
        try await engine.deleteWorkflow(id)
        context.logger.info("workflow deleted", metadata: ["workflow.id": "\(id)"])
        return Response(status: .noContent)
    }

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let page = try parsing.page(request)
        let result = try await engine.store.workflows(limit: page.limit, before: page.before, namespaces: context.namespaces(where: .read))
        return JSONResponse.make(.page("workflows", result.items.map(Representation.workflowSummary), next: result.nextCursor))
    }

    /// The latest version, or with `?version=n` that version (as `GET …/versions/{n}`).
    @Sendable func get(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try context.parameters.require("workflow_id")
        if let raw = request.uri.queryParameters["version"] {
            let version = try await engine.checking(workflow: id) { () throws -> Int in
                guard let version = Int(raw), version >= 1 else {
                    throw Problem.badRequest(path: "version", "expected a workflow version number (an integer ≥ 1), found \"\(raw)\"")
                }
                return version
            }
            return try await WorkflowVersionController.version(version, of: id, engine: engine)
        }
        guard let loaded = try await engine.loadPlan(workflowID: id) else {
            throw Problem.notFound("no workflow with id \"\(id)\"")
        }
        return JSONResponse.make(Representation.workflow(loaded.record, plan: loaded.plan), headers: [.eTag: Self.eTag(loaded.record.version)])
    }

    /// Stores the body as the workflow's next version, if `If-Match` (optional) names its
    /// latest version.
    @Sendable func update(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try context.parameters.require("workflow_id")
        // An unknown workflow is reported as such even when the request is also wrong.
        let (expected, document) = try await engine.checking(workflow: id) { () async throws -> (Int?, SentDocument) in
            (try parsing.ifMatchVersion(request), try await definition(request))
        }
        let updated = try await locating(document) { try await engine.updateWorkflow(id, definition: document.json, expectedVersion: expected) }
        let version = updated.record.version
        context.logger.info("workflow updated", metadata: ["workflow.id": "\(id)", "workflow.version": "\(version)"])
        return JSONResponse.make(["workflow_id": .string(id), "version": .number(Double(version))], headers: [.eTag: Self.eTag(version)])
    }

    /// A version as an entity tag: `"3"`.
    static func eTag(_ version: Int) -> String { "\"\(version)\"" }
}

extension String {
    /// `nil` for an empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
