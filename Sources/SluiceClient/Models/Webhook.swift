import Foundation
import SluiceCore

/// A workflow's webhook subscription.
public struct WebhookSubscription: Sendable, Hashable {
    /// The `wh-…` id.
    public var id: String
    public var workflowID: String
    public var url: String
    /// The event types it receives; empty for every type.
    public var eventTypes: [String]
    public var description: String?
    public var createdAt: Date
    /// `ACTIVE`, or `DISABLED` after a receiver answered `410 Gone`.
    public var status: String
    public var disabledAt: Date?
    public var disabledReason: String?
    /// The `whsec_…` signing secret: only in the answer to creating the subscription.
    public var secret: String?

    /// Whether it still receives events.
    public var isActive: Bool { status == "ACTIVE" }

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "webhook")
        id = try f.string("webhook_id")
        workflowID = try f.string("workflow_id")
        url = try f.string("url")
        eventTypes = try f.strings("event_types")
        description = try f.optionalString("description")
        createdAt = try f.date("created_at")
        status = try f.string("status")
        disabledAt = try f.optionalDate("disabled_at")
        disabledReason = try f.optionalString("disabled_reason")
        secret = try f.optionalString("secret")
    }
}

/// A subscription's new secret (`rotate-secret`).
public struct RotatedSecret: Sendable, Hashable {
    public var webhookID: String
    /// The new `whsec_…` secret, shown only here.
    public var secret: String
    /// Until when deliveries are also signed with the previous secret.
    public var previousSecretExpiresAt: Date

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "rotated secret")
        webhookID = try f.string("webhook_id")
        secret = try f.string("secret")
        previousSecretExpiresAt = try f.date("previous_secret_expires_at")
    }
}

/// The delivery of one event to one receiver, with every attempt.
public struct Delivery: Sendable, Hashable {
    /// The `dlv-…` id.
    public var id: String
    public var eventID: String
    public var eventType: String
    /// The subscription; `nil` for the execution's own `webhook_url`.
    public var webhookID: String?
    public var url: String
    /// `PENDING`, `SUCCEEDED`, `FAILED` or `CANCELLED`.
    public var status: String
    public var attempts: [DeliveryAttempt]
    public var nextAttemptAt: Date?
    public var createdAt: Date
    public var completedAt: Date?

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "delivery")
        id = try f.string("delivery_id")
        eventID = try f.string("event_id")
        eventType = try f.string("event_type")
        webhookID = try f.optionalString("webhook_id")
        url = try f.string("url")
        status = try f.string("status")
        attempts = try f.list("attempts", DeliveryAttempt.init(json:))
        nextAttemptAt = try f.optionalDate("next_attempt_at")
        createdAt = try f.date("created_at")
        completedAt = try f.optionalDate("completed_at")
    }
}

/// One attempt to deliver an event.
public struct DeliveryAttempt: Sendable, Hashable {
    public var attempt: Int
    public var at: Date
    public var durationMilliseconds: Int
    /// The receiver's status; `nil` without an answer.
    public var statusCode: Int?
    public var error: String?

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "delivery attempt")
        attempt = try f.int("attempt")
        at = try f.date("at")
        durationMilliseconds = try f.int("duration_ms")
        statusCode = try f.optionalInt("status_code")
        error = try f.optionalString("error")
    }
}
