import SluiceCore

extension SluiceClient {
    /// `POST /workflows/{id}/webhooks`: subscribes a URL to the events of all the workflow's executions.
    ///
    /// - Parameters:
    ///   - eventTypes: the event types to receive (`execution.completed`, `task.*`); all when `nil`.
    /// - Returns: the subscription with its ``WebhookSubscription/secret``, shown only here.
    public func createWebhook(workflowID: String, url: String, eventTypes: [String]? = nil, description: String? = nil) async throws -> WebhookSubscription {
        let body = Self.body([
            ("url", .string(url)), ("event_types", eventTypes.map { JSONValue.array($0.map(JSONValue.string)) }),
            ("description", description.map(JSONValue.string)),
        ])
        return try WebhookSubscription(json: try await fetch(.POST, Self.path("workflows", workflowID, "webhooks"), body: body))
    }

    /// `GET /workflows/{id}/webhooks`: every subscription of the workflow, oldest first (without secrets).
    public func listWebhooks(workflowID: String) async throws -> [WebhookSubscription] {
        let json = try await fetch(.GET, Self.path("workflows", workflowID, "webhooks"))
        return try Fields(json, "webhook list").list("webhooks", WebhookSubscription.init(json:))
    }

    /// `GET /workflows/{id}/webhooks/{webhook_id}`: one subscription (without its secret).
    public func webhook(workflowID: String, webhookID: String) async throws -> WebhookSubscription {
        try WebhookSubscription(json: try await fetch(.GET, Self.path("workflows", workflowID, "webhooks", webhookID)))
    }

    /// `DELETE /workflows/{id}/webhooks/{webhook_id}`: deletes the subscription and cancels its pending deliveries.
    public func deleteWebhook(workflowID: String, webhookID: String) async throws {
        _ = try await send(.DELETE, Self.path("workflows", workflowID, "webhooks", webhookID))
    }

    /// `POST …/rotate-secret`: a new secret signs from now on; the old one keeps signing
    /// alongside it until ``RotatedSecret/previousSecretExpiresAt``.
    public func rotateWebhookSecret(workflowID: String, webhookID: String) async throws -> RotatedSecret {
        try RotatedSecret(json: try await fetch(.POST, Self.path("workflows", workflowID, "webhooks", webhookID, "rotate-secret")))
    }

    /// `GET …/deliveries`: one page of the deliveries of the execution's events, oldest first.
    public func listDeliveries(workflowID: String, executionID: String, limit: Int? = nil, cursor: String? = nil) async throws -> Page<Delivery> {
        let query: [(String, String?)] = [("limit", limit.map(String.init)), ("cursor", cursor)]
        let json = try await fetch(.GET, Self.path("workflows", workflowID, "executions", executionID, "deliveries"), query: query)
        return try Page(json, key: "deliveries", Delivery.init(json:))
    }

    /// `POST …/deliveries/{delivery_id}/resend`: sends that delivery's event again, as a new delivery.
    ///
    /// - Returns: the new delivery.
    public func resendDelivery(workflowID: String, executionID: String, deliveryID: String) async throws -> Delivery {
        try Delivery(json: try await fetch(.POST, Self.path("workflows", workflowID, "executions", executionID, "deliveries", deliveryID, "resend")))
    }
}
