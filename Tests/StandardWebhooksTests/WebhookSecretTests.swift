import Foundation
import Testing
import StandardWebhooks

@Suite struct WebhookSecretTests {
    static let published = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func parsesThePrefixedFormAndPrintsItBack() throws {
        let secret = try WebhookSecret(Self.published)
        #expect(secret.key.count == 24)
        #expect(secret.string == Self.published)
    }

    @Test func acceptsPlainBase64WithoutThePrefixAsTheReferenceLibrariesDo() throws {
        #expect(try WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == WebhookSecret(Self.published))
    }

    @Test func ignoresATrailingNewlineFromAFileOrEnvironmentVariable() throws {
        #expect(try WebhookSecret(Self.published + "\n") == WebhookSecret(Self.published))
    }

    @Test func generatedSecretsHave24RandomBytesAndRoundTrip() throws {
        let a = WebhookSecret.generate(), b = WebhookSecret.generate()
        #expect(a.key.count == 24)
        #expect(a != b)
        #expect(a.string.hasPrefix("whsec_"))
        #expect(try WebhookSecret(a.string) == a)
    }

    @Test func emptySecretIsRejectedSayingWhatWasExpected() {
        #expect(throws: WebhookSecretError.empty) { try WebhookSecret("") }
        #expect(throws: WebhookSecretError.empty) { try WebhookSecret("whsec_") }
        #expect(WebhookSecretError.empty.description == #"webhook secret is empty: expected "whsec_" followed by the base64 of 24 to 64 bytes"#)
    }

    @Test func nonBase64SecretIsRejectedWithoutEchoingIt() {
        let text = "whsec_not*base64*at*all!!"
        #expect(throws: WebhookSecretError.notBase64(characters: 19)) { try WebhookSecret(text) }
        let message = WebhookSecretError.notBase64(characters: 19).description
        #expect(message.contains("19 characters"))
        #expect(!message.contains("not*base64"))
    }

    @Test func keysShorterThan24OrLongerThan64BytesAreRejectedWithTheirLength() throws {
        let short = "whsec_" + [UInt8](repeating: 7, count: 23).base64
        let long = "whsec_" + [UInt8](repeating: 7, count: 65).base64
        #expect(throws: WebhookSecretError.keyLength(23)) { try WebhookSecret(short) }
        #expect(throws: WebhookSecretError.keyLength(65)) { try WebhookSecret(long) }
        #expect(try WebhookSecret("whsec_" + [UInt8](repeating: 7, count: 64).base64).key.count == 64)
        #expect(WebhookSecretError.keyLength(23).description == #"webhook secret has a 23-byte key: expected "whsec_" followed by the base64 of 24 to 64 bytes"#)
    }

    @Test func descriptionRedactsTheKeySoLoggingASecretDoesNotLeakIt() throws {
        let secret = try WebhookSecret(Self.published)
        #expect(!"\(secret)".contains("MfKQ9r8G"))
        #expect(!String(reflecting: secret).contains("MfKQ9r8G"))
        #expect("\(secret)" == "whsec_… (24-byte key, redacted)")
    }
}

extension [UInt8] {
    var base64: String { Data(self).base64EncodedString() }
}
