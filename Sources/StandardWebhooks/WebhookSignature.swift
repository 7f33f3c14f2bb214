import Crypto
import Foundation

/// The header names the Standard Webhooks specification defines.
public enum WebhookHeader {
    /// `webhook-id`: the message id, the same on every delivery attempt of one message.
    public static let id = "webhook-id"
    /// `webhook-timestamp`: the attempt's time in integer Unix seconds.
    public static let timestamp = "webhook-timestamp"
    /// `webhook-signature`: space-separated `version,signature` pairs.
    public static let signature = "webhook-signature"
}

/// Signing and verification of Standard Webhooks `v1` signatures: the base64 of
/// HMAC-SHA256 over `"<id>.<timestamp>.<body>"`.
public enum WebhookSignature {
    /// The signature version this library signs and verifies, `v1` (symmetric HMAC-SHA256).
    public static let version = "v1"

    /// The tolerance used when none is given: 300 seconds each way, as the specification suggests.
    public static let defaultTolerance: Int64 = 300

    /// The `v1,<base64>` signature of one message with one secret.
    public static func sign(id: String, timestamp: Int64, body: some Sequence<UInt8>, secret: WebhookSecret) -> String {
        "\(version),\(Data(mac(id: id, timestamp: String(timestamp), body: body, key: secret.key)).base64EncodedString())"
    }

    /// The `webhook-signature` header value: one signature per secret, separated by spaces.
    /// Signing with the old and the new secret during a rotation lets receivers that hold
    /// either one verify.
    public static func header(id: String, timestamp: Int64, body: some Sequence<UInt8>, secrets: [WebhookSecret]) -> String {
        let body = Array(body)
        return secrets.map { sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }

    /// Verifies one message.
    ///
    /// The timestamp must be integer Unix seconds within `tolerance` of `now`, either way. The
    /// signature header is a space-separated list of `version,signature` pairs; pairs of other
    /// versions are ignored, and one matching `v1` signature is enough. Signatures are compared
    /// in constant time.
    ///
    /// - Parameters:
    ///   - id: the `webhook-id` header.
    ///   - timestamp: the `webhook-timestamp` header, as received.
    ///   - signatureHeader: the `webhook-signature` header.
    ///   - body: the request body exactly as received, before any parsing.
    ///   - secret: the endpoint's secret.
    ///   - now: the current Unix time in seconds.
    ///   - tolerance: how many seconds the timestamp may differ from `now`.
    /// - Throws: ``WebhookVerificationError`` saying what was wrong.
    public static func verify(
        id: String,
        timestamp: String,
        signatureHeader: String,
        body: [UInt8],
        secret: WebhookSecret,
        now: Int64 = currentUnixTime(),
        tolerance: Int64 = defaultTolerance
    ) throws(WebhookVerificationError) {
        try checkTimestamp(timestamp, now: now, tolerance: tolerance)
        // The timestamp is signed as received, so "0123" and "123" are different messages.
        let mac = mac(id: id, timestamp: timestamp, body: body, key: secret.key)
        let expected = Array("\(version),\(Data(mac).base64EncodedString())".utf8)
        var matched = false
        for candidate in signatureHeader.split(separator: " ", omittingEmptySubsequences: true) {
            // Only "v1,…" entries are ours; everything else (other versions, junk) is skipped.
            // The whole "v1,<base64>" entry is compared, so the version check is part of it.
            guard candidate.hasPrefix("\(version),") else { continue }
            if constantTimeEquals(Array(candidate.utf8), expected) { matched = true }
        }
        guard matched else { throw .noMatchingSignature }
    }

    /// Verifies one message from its request headers, looked up without regard to case.
    ///
    /// - Returns: the message id and the verified timestamp.
    /// - Throws: ``WebhookVerificationError/missingHeader(_:)`` naming the first missing header,
    ///   or any error of ``verify(id:timestamp:signatureHeader:body:secret:now:tolerance:)``.
    @discardableResult
    public static func verify(
        headers: [String: String],
        body: [UInt8],
        secret: WebhookSecret,
        now: Int64 = currentUnixTime(),
        tolerance: Int64 = defaultTolerance
    ) throws(WebhookVerificationError) -> (id: String, timestamp: Int64) {
        func value(_ name: String) throws(WebhookVerificationError) -> String {
            if let exact = headers[name] { return exact }
            if let match = headers.first(where: { $0.key.lowercased() == name }) { return match.value }
            throw .missingHeader(name)
        }
        let id = try value(WebhookHeader.id)
        let timestamp = try value(WebhookHeader.timestamp)
        let signature = try value(WebhookHeader.signature)
        try verify(id: id, timestamp: timestamp, signatureHeader: signature, body: body, secret: secret, now: now, tolerance: tolerance)
        // verify has checked that the timestamp parses.
        return (id, Int64(timestamp)!)
    }

    /// The current Unix time in whole seconds.
    public static func currentUnixTime() -> Int64 {
        Int64(Date().timeIntervalSince1970.rounded(.down))
    }

    // MARK: - Internals

    static func mac(id: String, timestamp: String, body: some Sequence<UInt8>, key: [UInt8]) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: key))
        hmac.update(data: Array("\(id).\(timestamp).".utf8))
        let done: Void? = body.withContiguousStorageIfAvailable { hmac.update(data: UnsafeRawBufferPointer($0)) }
        if done == nil { hmac.update(data: Array(body)) }
        return Array(hmac.finalize())
    }

    @discardableResult
    static func checkTimestamp(_ text: String, now: Int64, tolerance: Int64) throws(WebhookVerificationError) -> Int64 {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let seconds = Int64(text)
        else { throw .invalidTimestamp(String(text.prefix(40))) }
        // seconds >= 0, so the subtraction can only overflow downwards: far in the future.
        let (difference, overflow) = now.subtractingReportingOverflow(seconds)
        if overflow || difference < -tolerance {
            let ahead = overflow || difference == .min ? Int64.max : -difference
            throw .timestampTooNew(secondsAhead: ahead, tolerance: tolerance)
        }
        if difference > tolerance { throw .timestampTooOld(secondsOld: difference, tolerance: tolerance) }
        return seconds
    }

    /// Compares two byte strings in time that depends only on their lengths.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// Why a webhook did not verify.
public enum WebhookVerificationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The named header (`webhook-id`, `webhook-timestamp` or `webhook-signature`) is absent.
    case missingHeader(String)
    /// `webhook-timestamp` is not integer Unix seconds; the value found (at most 40 characters).
    case invalidTimestamp(String)
    /// The timestamp is this many seconds before now, more than the tolerance allows.
    case timestampTooOld(secondsOld: Int64, tolerance: Int64)
    /// The timestamp is this many seconds after now, more than the tolerance allows.
    case timestampTooNew(secondsAhead: Int64, tolerance: Int64)
    /// No `v1` signature in `webhook-signature` matches: the body, id or timestamp was changed
    /// on the way, or the secret is not the one the sender used.
    case noMatchingSignature

    /// What was wrong, in one sentence.
    public var description: String {
        switch self {
        case .missingHeader(let name):
            return "missing header \(name)"
        case .invalidTimestamp(let value):
            return "\(WebhookHeader.timestamp) is not integer Unix seconds: found \"\(value)\""
        case .timestampTooOld(let seconds, let tolerance):
            return "\(WebhookHeader.timestamp) is \(seconds) seconds in the past, more than the \(tolerance) allowed"
        case .timestampTooNew(let seconds, let tolerance):
            return "\(WebhookHeader.timestamp) is \(seconds) seconds in the future, more than the \(tolerance) allowed"
        case .noMatchingSignature:
            return "no v1 signature in \(WebhookHeader.signature) matches this message and secret"
        }
    }
}
