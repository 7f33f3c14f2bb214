import Foundation

/// A Standard Webhooks signing secret: the HMAC key shared by sender and receiver.
///
/// Its text form is `whsec_` followed by the standard base64 of the key bytes. The
/// specification asks for keys of 24 to 64 bytes. `description` never shows the key, so a
/// secret can be logged or interpolated by mistake without leaking.
public struct WebhookSecret: Sendable, Hashable {
    /// The prefix of the text form, `whsec_`.
    public static let prefix = "whsec_"

    /// The key lengths the specification allows, in bytes.
    public static let keyLengths: ClosedRange<Int> = 24...64

    /// The HMAC key.
    public let key: [UInt8]

    /// The text form: `whsec_` followed by the base64 of ``key``.
    public var string: String { Self.prefix + Data(key).base64EncodedString() }

    /// A new secret of 24 random bytes from `SystemRandomNumberGenerator`.
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        return WebhookSecret(checkedKey: (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Parses the text form `whsec_<base64>`; plain base64 without the prefix is accepted too,
    /// as the reference libraries do. Surrounding whitespace (a trailing newline from a file or
    /// an environment variable) is ignored.
    ///
    /// - Throws: ``WebhookSecretError`` when the text is empty, is not base64, or decodes to a
    ///   key outside ``keyLengths``.
    public init(_ string: String) throws(WebhookSecretError) {
        let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
        let encoded = trimmed.hasPrefix(Self.prefix) ? String(trimmed.dropFirst(Self.prefix.count)) : trimmed
        guard !encoded.isEmpty else { throw .empty }
        guard let decoded = Data(base64Encoded: encoded) else {
            throw .notBase64(characters: encoded.count)
        }
        try self.init(key: Array(decoded))
    }

    /// A secret with the given key bytes.
    ///
    /// - Throws: ``WebhookSecretError/keyLength(_:)`` when the key is outside ``keyLengths``.
    public init(key: [UInt8]) throws(WebhookSecretError) {
        guard Self.keyLengths.contains(key.count) else { throw .keyLength(key.count) }
        self.key = key
    }

    private init(checkedKey: [UInt8]) {
        key = checkedKey
    }
}

extension WebhookSecret: CustomStringConvertible, CustomDebugStringConvertible {
    /// `whsec_…` with the key left out, so that a secret written to a log does not leak.
    public var description: String { "\(Self.prefix)… (\(key.count)-byte key, redacted)" }

    /// The same as ``description``: the key is left out.
    public var debugDescription: String { "WebhookSecret(\(description))" }
}

/// Why a text is not a webhook secret. Messages never contain the secret.
public enum WebhookSecretError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text is empty, or is only the `whsec_` prefix.
    case empty
    /// The part after the prefix, of this many characters, is not standard base64.
    case notBase64(characters: Int)
    /// The key decodes to this many bytes, outside ``WebhookSecret/keyLengths``.
    case keyLength(Int)

    /// What was expected and what was found.
    public var description: String {
        let expected = "expected \"whsec_\" followed by the base64 of \(WebhookSecret.keyLengths.lowerBound) to \(WebhookSecret.keyLengths.upperBound) bytes"
        switch self {
        case .empty:
            return "webhook secret is empty: \(expected)"
        case .notBase64(let characters):
            return "webhook secret is not valid base64: \(expected), found \(characters) characters that do not decode as standard base64 with padding"
        case .keyLength(let count):
            return "webhook secret has a \(count)-byte key: \(expected)"
        }
    }
}
