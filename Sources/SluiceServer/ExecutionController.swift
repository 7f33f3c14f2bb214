import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// `POST /workflows/{id}/execute`, `GET /workflows/{id}/executions[/{execution_id}]`,
/// `GET /executions/{execution_id}`.
struct ExecutionController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/workflows/:workflow_id/execute", use: execute)
        router.get("/workflows/:workflow_id/executions", use: list)
        router.get("/workflows/:workflow_id/executions/:execution_id", use: get)
        router.get("/executions/:execution_id", use: getByID)
    }

    @Sendable func execute(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        let (key, checked) = try await engine.checking(workflow: workflowID) { () async throws -> (String?, ExecutionRequest) in
            let key = request.headers[Self.idempotencyKey]
            if let key, key.isEmpty || key.unicodeScalars.count > Limits.idempotencyKeyCharacters {
                throw Problem.badRequest(path: "Idempotency-Key", "expected a header value of 1 to \(Limits.idempotencyKeyCharacters) characters, found \(key.unicodeScalars.count)")
            }
            var checked: ExecutionRequest
            switch ExecutionRequest.parse(try await parsing.jsonBody(request)) {
            case .success(let r): checked = r
            case .failure(let failure): throw Problem.validation(failure)
            }
            if let url = checked.webhookURL {
                try WebhookController.checkURL(url, path: "webhook_url", configuration: configuration)
                checked.webhookSecret = try WebhookController.secret(checked.webhookSecret, path: "webhook_secret")
            }
            return (key, checked)
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

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        let (page, status) = try await engine.checking(workflow: workflowID) { () throws -> ((limit: Int, before: Int64?), ExecutionStatus?) in
            let page = try parsing.page(request)
            guard let raw = request.uri.queryParameters["status"], !raw.isEmpty else { return (page, nil) }
            guard let s = ExecutionStatus(rawValue: String(raw).uppercased()) else {
                throw Problem.badRequest(path: "status", "expected one of \(ExecutionStatus.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(raw)\"")
            }
            return (page, s)
        }
        guard try await engine.store.workflow(id: workflowID) != nil else { throw EngineError.workflowNotFound(workflowID) }
        let result = try await engine.store.executions(workflowID: workflowID, status: status, limit: page.limit, before: page.before)
        return JSONResponse.make(.page("executions", result.items.map(Representation.executionSummary), next: result.nextCursor))
    }

    @Sendable func get(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let workflowID = try context.parameters.require("workflow_id")
        let executionID = try context.parameters.require("execution_id")
        return try await execution(executionID, of: workflowID, request: request)
    }

    /// `GET /executions/{execution_id}`: the same answer, for callers that know only the
    /// execution id.
    @Sendable func getByID(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await execution(try context.parameters.require("execution_id"), of: nil, request: request)
    }

    /// Execution `executionID` (which must belong to `workflowID` if given), after waiting up to
    /// `?wait=` seconds for it to finish; 404 for an unknown execution (or workflow).
    func execution(_ executionID: String, of workflowID: String?, request: Request) async throws -> Response {
        let wait = try parsing.wait(request)
        let began = engine.now()
        // An execution this engine is running will change: wait first, then read it once.
        var waited = false
        if let wait, wait > .zero, engine.isActive(executionID: executionID) {
            try engine.admitWaiter()
            await engine.waitUntilFinished(executionID: executionID, timeout: wait)
            waited = true
        }
        guard var detail = try await engine.execution(id: executionID), workflowID == nil || detail.execution.workflowID == workflowID else {
            guard let workflowID else { throw EngineError.executionNotFound(executionID) }
            if try await engine.store.workflow(id: workflowID) == nil { throw EngineError.workflowNotFound(workflowID) }
            throw Problem.notFound("workflow \"\(workflowID)\" has no execution with id \"\(executionID)\"")
        }
        // Not driven here (another node runs it, or it was not yet resumed), or released before
        // its end (the reload after a failed write found another node holds it; the cluster's
        // listener reconnected and every wait looks again): wait for what is left of `wait`,
        // on the engine's clock. A wait that returns at once (nothing here or elsewhere will
        // announce its end, the server is stopping) ends it.
        if let wait, wait > .zero, !detail.execution.status.isTerminal {
            let (seconds, attoseconds) = wait.components
            let until = began + seconds * 1000 + attoseconds / 1_000_000_000_000_000
            if !waited { try engine.admitWaiter() }
            while !detail.execution.status.isTerminal, !Task.isCancelled {
                let left = until - engine.now()
                guard left > 0, await engine.waitUntilFinished(executionID: executionID, timeout: .milliseconds(left)) else { break }
                detail = try await engine.execution(id: executionID) ?? detail
            }
        }
        // A task waiting for a worker or a person: say who holds it.
        let queued = Representation.waitsOutside(detail) ? try await engine.store.unansweredQueuedTasks(executionID: detail.execution.id) : []
        return JSONResponse.make(Representation.execution(detail, queued: queued))
    }
}
