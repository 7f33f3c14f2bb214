import Hummingbird
import SluiceCore
import SluiceEngine

/// `POST /workflows`, `GET /workflows`, `GET /workflows/{id}`.
struct WorkflowController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/workflows", use: create)
        router.get("/workflows", use: list)
        router.get("/workflows/:workflow_id", use: get)
    }

    @Sendable func create(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let body = try await parsing.jsonBody(request) else {
            throw Problem.validation(ValidationFailure(title: "Invalid workflow definition", issues: [
                ValidationIssue(path: "", code: "invalid_body", message: "the body is empty; expected a JSON object with \"name\" and \"steps\" or \"tasks\""),
            ]))
        }
        let created = try await engine.createWorkflow(body)
        context.logger.info("workflow created", metadata: ["workflow.id": "\(created.record.id)", "workflow.name": "\(created.record.name)"])
        return JSONResponse.make(["workflow_id": .string(created.record.id)], status: .created, headers: [.location: "/workflows/\(created.record.id)"])
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let page = try parsing.page(request)
        let result = try await engine.store.workflows(limit: page.limit, before: page.before)
        return JSONResponse.make(.page("workflows", result.items.map(Representation.workflowSummary), next: result.nextCursor))
    }

    @Sendable func get(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let id = try context.parameters.require("workflow_id")
        guard let loaded = try await engine.loadPlan(workflowID: id) else {
            throw Problem.notFound("no workflow with id \"\(id)\"")
        }
        return JSONResponse.make(Representation.workflow(loaded.record, plan: loaded.plan))
    }
}

