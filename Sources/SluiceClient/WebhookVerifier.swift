import Foundation
import StandardWebhooks

/// Verifies webhooks that Sluice sends, for the service receiving them.
///
/// Sluice signs each delivery with the Standard Webhooks scheme and sends a JSON body of the
/// form `{"type": …, "timestamp": …, "data": …}`. Pass the request headers and the body
/// bytes exactly as received; parse the body only after it verifies.
///
/// ```swift
/// let verifier = try WebhookVerifier(secret: "whsec_…")
/// let webhook = try verifier.verify(headers: request.headers, body: request.body)
/// switch webhook.type { … }
/// ```
public struct WebhookVerifier: Sendable {
    /// The secret the endpoint was given.
    public let secret: WebhookSecret

    /// How many seconds the `webhook-timestamp` may differ from the local clock, either way.
    public var tolerance: Int64

    /// A verifier for the `whsec_…` secret the endpoint was given.
    ///
    /// - Throws: ``WebhookSecretError`` when the text is not a secret.
    public init(secret: String, tolerance: Int64 = WebhookSignature.defaultTolerance) throws(WebhookSecretError) {
        self.init(secret: try WebhookSecret(secret), tolerance: tolerance)
    }

    /// A verifier for a parsed secret.
    public init(secret: WebhookSecret, tolerance: Int64 = WebhookSignature.defaultTolerance) {
        self.secret = secret
        self.tolerance = tolerance
    }

    /// Verifies one delivery and reads the event type from its body.
    ///
    /// - Parameters:
    ///   - headers: the request headers; names are matched without regard to case.
    ///   - body: the request body exactly as received.
    ///   - now: the current Unix time in seconds; the clock by default.
    /// - Returns: the verified webhook.
    /// - Throws: ``WebhookVerificationError`` when the signature or timestamp does not verify,
    ///   or ``WebhookPayloadError`` when a correctly signed body is not a Sluice event.
    public func verify(headers: [String: String], body: [UInt8], now: Int64 = WebhookSignature.currentUnixTime()) throws -> VerifiedWebhook {
        let (id, timestamp) = try WebhookSignature.verify(headers: headers, body: body, secret: secret, now: now, tolerance: tolerance)
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(body))
        } catch {
            throw WebhookPayloadError(reason: Self.reason(error))
        }
        return VerifiedWebhook(id: id, timestamp: timestamp, type: envelope.type, eventTimestamp: envelope.timestamp, payload: body)
    }

    /// The fields of the body that every Sluice event has.
    private struct Envelope: Decodable {
        var type: String
        var timestamp: String
    }

    private static func reason(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _):
            return "it has no \"\(key.stringValue)\" field"
        case .typeMismatch(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "it is not a JSON object" : "its \"\(path)\" field is not a string"
        case .valueNotFound(_, let context):
            return "its \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" field is null"
        default:
            return "it is not valid JSON"
        }
    }
}

/// A webhook whose signature and timestamp verified.
public struct VerifiedWebhook: Sendable, Hashable {
    /// The `webhook-id` header: the message id, the same on every retry, so usable to drop duplicates.
    public let id: String
    /// The `webhook-timestamp` header: when this delivery attempt was signed, in Unix seconds.
    public let timestamp: Int64
    /// The event type, the body's `type` field.
    public let type: String
    /// When the event happened, the body's `timestamp` field as sent (an ISO 8601 date-time).
    public let eventTimestamp: String
    /// The whole body as received, to decode into the event's own type.
    public let payload: [UInt8]

    /// A verified webhook from its parts; ``WebhookVerifier`` is the usual source.
    public init(id: String, timestamp: Int64, type: String, eventTimestamp: String, payload: [UInt8]) {
        self.id = id
        self.timestamp = timestamp
        self.type = type
        self.eventTimestamp = eventTimestamp
        self.payload = payload
    }
}

/// A correctly signed body that is not a Sluice event: not a JSON object with string fields
/// `type` and `timestamp`.
public struct WebhookPayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the body.
    public let reason: String

    /// An error with the given reason.
    public init(reason: String) {
        self.reason = reason
    }

    /// The message, naming the problem.
    public var description: String {
        "webhook body verified but is not a Sluice event ({\"type\", \"timestamp\", \"data\"}): \(reason)"
    }
}
