import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceSteps
import SluiceStore
import SluiceWebhooks
import StandardWebhooks

/// Workflow-level webhook subscriptions, an execution's deliveries, and sending one again.
struct WebhookController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/workflows/:workflow_id/webhooks", use: create)
        router.get("/workflows/:workflow_id/webhooks", use: list)
        router.get("/workflows/:workflow_id/webhooks/:webhook_id", use: get)
        router.delete("/workflows/:workflow_id/webhooks/:webhook_id", use: delete)
        router.post("/workflows/:workflow_id/webhooks/:webhook_id/rotate-secret", use: rotate)
        router.get("/workflows/:workflow_id/executions/:execution_id/deliveries", use: deliveries)
        router.post("/workflows/:workflow_id/executions/:execution_id/deliveries/:delivery_id/resend", use: resend)
    }

    /// Checks a webhook URL when it is given (an execution's `webhook_url`, a subscription's
    /// `url`): its form, and that it does not name a loopback, private, link-local or other
    /// inside address unless the server allows them. The destination check is the first half
    /// of the one every delivery makes (`DestinationPolicy.checkWithoutDNS`: literal addresses
    /// in any form, `localhost` names); a delivery then resolves other names and checks again.
    static func checkURL(_ url: String, path: String, configuration: ServerConfiguration) throws {
        if let problem = WebhookURL.problem(url) { throw Problem.badRequest(path: path, code: "invalid_url", problem) }
        do {
            try WebhookSender.policy(configuration.webhooks).checkWithoutDNS(url: url)
        } catch {
            throw Problem.badRequest(path: path, code: "refused_destination", error.message)
        }
    }

    /// A secret given by the user, checked; or a new one.
    static func secret(_ given: String?, path: String) throws -> String {
        guard let given else { return WebhookSecret.generate().string }
        do {
            return try WebhookSecret(given).string
        } catch {
            throw Problem.badRequest(path: path, code: "invalid_secret", "\(error)")
        }
    }

    /// Commits through the engine's group committer; a store failure is a 503 (nothing recorded).
    func commit(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        do {
            return try await engine.committer.commit(mutations)
        } catch {
            throw EngineError.unavailable(engine.reportStoreError(error, while: "committing the change"))
        }
    }

    func workflowExists(_ context: SluiceRequestContext) async throws -> String {
        let workflowID = try context.parameters.require("workflow_id")
        guard try await engine.store.workflow(id: workflowID) != nil else { throw EngineError.workflowNotFound(workflowID) }
        return workflowID
    }

    func subscription(_ context: SluiceRequestContext) async throws -> SubscriptionRecord {
        let workflowID = try await workflowExists(context)
        let id = try context.parameters.require("webhook_id")
        guard let s = try await engine.store.subscription(id: id), s.workflowID == workflowID else {
            throw Problem.notFound("workflow \"\(workflowID)\" has no webhook subscription with id \"\(id)\"")
        }
        return s
    }

    static func representation(_ s: SubscriptionRecord, secret: Bool = false) -> JSONValue {
        var o = JSONObject()
        o.append("webhook_id", .string(s.id))
        o.append("workflow_id", .string(s.workflowID))
        o.append("url", .string(s.url))
        o.append("event_types", .array(s.eventTypes.map(JSONValue.string)))
        o.append("description", s.description.map(JSONValue.string) ?? .null)
        if secret { o.append("secret", .string(s.secret)) }
        o.append("created_at", Optional(s.createdAt).timestamp)
        o.append("status", .string(s.disabledAt == nil ? "ACTIVE" : "DISABLED"))
        o.append("disabled_at", s.disabledAt.timestamp)
        o.append("disabled_reason", s.disabledReason.map(JSONValue.string) ?? .null)
        return .object(o)
    }

    @Sendable func create(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let workflowID = try await workflowExists(context)
        let expected = "expected an object such as {\"url\": \"https://example.com/hooks\", \"event_types\": [\"execution.completed\", \"task.*\"]}"
        guard case .object(let body)? = try await parsing.jsonBody(request) else {
            throw Problem.badRequest(path: "", code: "invalid_body", expected)
        }
        var issues: [ValidationIssue] = []
        for key in body.keys where !["url", "event_types", "description"].contains(key) {
            issues.append(.init(path: key, code: "unknown_field", message: "unknown field; expected url, event_types, description"))
        }
        var url = ""
        switch body["url"] {
        case .string(let s)?:
            do { try Self.checkURL(s, path: "url", configuration: configuration); url = s } catch let p as Problem { issues += p.errors }
        case nil, .null?: issues.append(.init(path: "url", code: "required", message: "missing; expected the http or https URL that receives the events"))
        case .some(let v): issues.append(.init(path: "url", code: "type_mismatch", message: "expected an http or https URL (string), found \(v.kindName)"))
        }
        var types: [String] = []
        switch body["event_types"] {
        case nil, .null?: break
        case .array(let items)?:
            let patterns = EventType.all + ["execution.*", "task.*", "*"]
            for (i, item) in items.enumerated() {
                guard case .string(let t) = item, patterns.contains(t) else {
                    issues.append(.init(path: "event_types[\(i)]", code: "invalid_value", message: "expected an event type (\(EventType.all.joined(separator: ", ")), execution.* or task.*), found \(item.preview)"))
                    continue
                }
                if t == "*" { types = []; break }
                if !types.contains(t) { types.append(t) }
            }
        case .some(let v): issues.append(.init(path: "event_types", code: "type_mismatch", message: "expected a list of event types such as [\"execution.completed\"], found \(v.kindName)"))
        }
        var description: String?
        switch body["description"] {
        case nil, .null?: break
        case .string(let s)? where s.unicodeScalars.count <= Limits.webhookDescriptionCharacters: description = s
        case .some(let v): issues.append(.init(path: "description", code: "type_mismatch", message: "expected a string of at most \(Limits.webhookDescriptionCharacters) characters, found \(v.preview)"))
        }
        if !issues.isEmpty { throw Problem.validation(ValidationFailure(title: "Invalid webhook subscription", issues: issues)) }
        // Every event of the workflow fans out to each subscription, and the list is not paged:
        // both stay bounded. (Counted before the insert: two creates at once on different
        // nodes can each pass it.)
        let existing = try await engine.store.subscriptions(workflowID: workflowID).count
        if existing >= Limits.webhooksPerWorkflow {
            throw EngineError.conflict("workflow \(workflowID) has \(existing) webhook subscriptions, the most one workflow may have (\(Limits.webhooksPerWorkflow)); delete one first")
        }
        let now = engine.now()
        for _ in 0..<4 {
            let record = SubscriptionRecord(id: Identifier.make("wh"), workflowID: workflowID, url: url, eventTypes: types, description: description, secret: WebhookSecret.generate().string, createdAt: now)
            if try await commit([.insertSubscription(record)])[0] == .applied {
                let stored = try await engine.store.subscription(id: record.id) ?? record
                return JSONResponse.make(Self.representation(stored, secret: true), status: .created, headers: [.location: "/workflows/\(workflowID)/webhooks/\(record.id)"])
            }
        }
        throw EngineError.unavailable("could not allocate a unique webhook id")
    }

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let workflowID = try await workflowExists(context)
        let subs = try await engine.store.subscriptions(workflowID: workflowID)
        return JSONResponse.make(["webhooks": .array(subs.map { Self.representation($0) })])
    }

    @Sendable func get(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        JSONResponse.make(Self.representation(try await subscription(context)))
    }

    @Sendable func delete(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let s = try await subscription(context)
        guard try await commit([.deleteSubscription(workflowID: s.workflowID, id: s.id, at: engine.now())])[0] == .applied else {
            throw Problem.notFound("workflow \"\(s.workflowID)\" has no webhook subscription with id \"\(s.id)\"")
        }
        return Response(status: .noContent)
    }

    @Sendable func rotate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let s = try await subscription(context)
        if let body = try await parsing.jsonBody(request), body != .object(JSONObject()) {
            throw Problem.badRequest(path: "", code: "invalid_body", "rotate-secret takes no body; found \(body.preview)")
        }
        let secret = WebhookSecret.generate().string
        let until = engine.now() + configuration.webhooks.rotationGracePeriod.components.seconds * 1000
        guard try await commit([.rotateSubscriptionSecret(workflowID: s.workflowID, id: s.id, secret: secret, previousExpiresAt: until)])[0] == .applied else {
            throw Problem.notFound("workflow \"\(s.workflowID)\" has no webhook subscription with id \"\(s.id)\"")
        }
        return JSONResponse.make([
            "webhook_id": .string(s.id), "secret": .string(secret), "previous_secret_expires_at": Optional(until).timestamp,
        ])
    }

    func execution(_ context: SluiceRequestContext) async throws -> ExecutionDetail {
        try await engine.execution(named: context)
    }

    func representation(_ d: DeliveryRecord) -> JSONValue {
        var o = JSONObject()
        o.append("delivery_id", .string(d.id))
        o.append("event_id", .string(EventID.make(instance: engine.store.instanceID, seq: d.eventSeq)))
        o.append("event_type", .string(d.eventType))
        o.append("webhook_id", d.subscriptionID.map(JSONValue.string) ?? .null)
        o.append("url", .string(d.url))
        o.append("status", .string(d.status.rawValue))
        o.append("attempts", .array(d.attempts))
        o.append("next_attempt_at", d.nextAttemptAt.timestamp)
        o.append("created_at", Optional(d.createdAt).timestamp)
        o.append("completed_at", d.completedAt.timestamp)
        return .object(o)
    }

    @Sendable func deliveries(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let detail = try await execution(context)
        var after: Int64 = 0
        if let raw = request.uri.queryParameters["cursor"], !raw.isEmpty {
            guard let n = Int64(raw), n >= 0 else { throw Problem.badRequest(path: "cursor", "expected the next_cursor value of a previous page, found \"\(raw)\"") }
            after = n
        }
        let limit = try parsing.page(request).limit
        let items = try await engine.store.deliveries(executionID: detail.execution.id, after: after, limit: limit)
        return JSONResponse.make(.page("deliveries", items.map(representation), next: items.count == limit ? items.last?.seq : nil))
    }

    @Sendable func resend(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let detail = try await execution(context)
        let deliveryID = try context.parameters.require("delivery_id")
        let copy: DeliveryRecord
        do {
            copy = try await WebhookSender.resend(deliveryID: deliveryID, executionID: detail.execution.id, store: engine.store, committer: engine.committer, now: engine.now())
        } catch WebhookControlError.notFound(let message) {
            throw Problem.notFound(message)
        } catch WebhookControlError.conflict(let message) {
            throw EngineError.conflict(message)
        } catch WebhookControlError.unavailable(let message) {
            throw EngineError.unavailable(message)
        } catch let error as EngineError {
            throw error
        } catch let error as Problem {
            throw error
        } catch {
            throw EngineError.unavailable(engine.reportStoreError(error, while: "recording the delivery"))
        }
        return JSONResponse.make(representation(copy), status: .accepted)
    }
}
