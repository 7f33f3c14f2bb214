import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// `POST /workflows/{id}/execute`, `GET /workflows/{id}/executions[/{execution_id}]`.
struct ExecutionController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!

    func register(on router: some RouterMethods<BasicRequestContext>) {
        router.post("/workflows/:workflow_id/execute", use: execute)
        router.get("/workflows/:workflow_id/executions", use: list)
        router.get("/workflows/:workflow_id/executions/:execution_id", use: get)
    }

    @Sendable func execute(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        let key = request.headers[Self.idempotencyKey]
        if let key, key.isEmpty || key.unicodeScalars.count > 255 {
            throw Problem.badRequest(path: "Idempotency-Key", "expected a header value of 1 to 255 characters, found \(key.unicodeScalars.count)")
        }
        let body = try await parsing.jsonBody(request)
        let executionRequest: ExecutionRequest
        switch ExecutionRequest.parse(body) {
        case .success(let r): executionRequest = r
        case .failure(let failure):
            // An unknown workflow is reported as such even when the body is also wrong.
            if try await engine.loadPlan(workflowID: workflowID) == nil { throw EngineError.workflowNotFound(workflowID) }
            throw Problem.validation(failure)
        }
        var checked = executionRequest
        if let url = checked.webhookURL {
            try WebhookController.checkURL(url, path: "webhook_url", configuration: configuration)
            checked.webhookSecret = try WebhookController.secret(checked.webhookSecret, path: "webhook_secret")
        }
        let started = try await engine.startExecution(workflowID: workflowID, request: checked, idempotencyKey: key)
        var headers: HTTPFields = [.location: "/workflows/\(workflowID)/executions/\(started.executionID)"]
        var reply = JSONObject()
        reply.append("execution_id", .string(started.executionID))
        var secret = checked.webhookSecret
        if started.replayed {
            headers[Self.idempotentReplayed] = "true"
            // The secret of the execution first started with this key.
            secret = try await engine.store.execution(id: started.executionID)?.execution.webhookSecret
        }
        // Shown once: it signs this execution's deliveries to webhook_url.
        if let secret { reply.append("webhook_secret", .string(secret)) }
        return JSONResponse.make(.object(reply), status: .accepted, headers: headers)
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        let page = try parsing.page(request)
        var status: ExecutionStatus?
        if let raw = request.uri.queryParameters["status"], !raw.isEmpty {
            guard let s = ExecutionStatus(rawValue: String(raw).uppercased()) else {
                throw Problem.badRequest(path: "status", "expected one of \(ExecutionStatus.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(raw)\"")
            }
            status = s
        }
        guard try await engine.store.workflow(id: workflowID) != nil else { throw EngineError.workflowNotFound(workflowID) }
        let result = try await engine.store.executions(workflowID: workflowID, status: status, limit: page.limit, before: page.before)
        return JSONResponse.make(.page("executions", result.items.map(Representation.executionSummary), next: result.nextCursor))
    }

    @Sendable func get(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        let executionID = try context.parameters.require("execution_id")
        let wait = try parsing.wait(request)
        // An execution this engine is running will change: wait first, then read it once.
        if let wait, wait > .zero, engine.isActive(executionID: executionID) {
            await engine.waitUntilFinished(executionID: executionID, timeout: wait)
        }
        guard var detail = try await engine.store.execution(id: executionID), detail.execution.workflowID == workflowID else {
            if try await engine.store.workflow(id: workflowID) == nil { throw EngineError.workflowNotFound(workflowID) }
            throw Problem.notFound("workflow \"\(workflowID)\" has no execution with id \"\(executionID)\"")
        }
        if let wait, wait > .zero, !detail.execution.status.isTerminal {
            await engine.waitUntilFinished(executionID: executionID, timeout: wait)
            detail = try await engine.store.execution(id: executionID) ?? detail
        }
        return JSONResponse.make(Representation.execution(detail))
    }
}
