import Testing
import SluiceClient

@Suite struct WebhookVerifierTests {
    static let secret = WebhookSecret.generate()
    static let now: Int64 = 1_700_000_000
    static let body = Array(#"{"type":"execution.completed","timestamp":"2023-11-14T22:13:20Z","data":{"id":"ex_1"}}"#.utf8)

    static func headers(body: [UInt8] = body, secrets: [WebhookSecret] = [secret]) -> [String: String] {
        ["Webhook-Id": "msg_1", "Webhook-Timestamp": String(now),
         "Webhook-Signature": WebhookSignature.header(id: "msg_1", timestamp: now, body: body, secrets: secrets)]
    }

    @Test func aSignedSluiceEventVerifiesAndCarriesIdTimestampTypeAndPayload() throws {
        let verifier = try WebhookVerifier(secret: Self.secret.string)
        let webhook = try verifier.verify(headers: Self.headers(), body: Self.body, now: Self.now)
        #expect(webhook == VerifiedWebhook(id: "msg_1", timestamp: Self.now, type: "execution.completed",
                                           eventTimestamp: "2023-11-14T22:13:20Z", payload: Self.body))
    }

    @Test func aBadSecretStringIsRejectedWhenTheVerifierIsMade() {
        #expect(throws: WebhookSecretError.keyLength(3)) { try WebhookVerifier(secret: "whsec_AAAA") }
    }

    @Test func verificationFailuresComeThroughAsWebhookVerificationErrors() throws {
        let verifier = WebhookVerifier(secret: Self.secret)
        var tampered = Self.body
        tampered[tampered.count - 3] = UInt8(ascii: "2")
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try verifier.verify(headers: Self.headers(), body: tampered, now: Self.now)
        }
        #expect(throws: WebhookVerificationError.timestampTooOld(secondsOld: 301, tolerance: 300)) {
            try verifier.verify(headers: Self.headers(), body: Self.body, now: Self.now + 301)
        }
        var missing = Self.headers()
        missing["Webhook-Id"] = nil
        #expect(throws: WebhookVerificationError.missingHeader("webhook-id")) {
            try verifier.verify(headers: missing, body: Self.body, now: Self.now)
        }
    }

    @Test func aSignedBodyThatIsNotASluiceEventSaysWhatIsWrong() throws {
        let verifier = WebhookVerifier(secret: Self.secret)
        func failure(_ text: String) -> String {
            let body = Array(text.utf8)
            do {
                _ = try verifier.verify(headers: Self.headers(body: body), body: body, now: Self.now)
                return "verified"
            } catch let error as WebhookPayloadError {
                return error.reason
            } catch {
                return "\(error)"
            }
        }
        #expect(failure(#"{"timestamp":"t","data":{}}"#) == #"it has no "type" field"#)
        #expect(failure(#"{"type":5,"timestamp":"t"}"#) == #"its "type" field is not a string"#)
        #expect(failure(#"{"type":null,"timestamp":"t"}"#) == #"its "type" field is null"#)
        #expect(failure(#"[1]"#) == "it is not a JSON object")
        #expect(failure("not json") == "it is not valid JSON")
        #expect(WebhookPayloadError(reason: "x").description
            == #"webhook body verified but is not a Sluice event ({"type", "timestamp", "data"}): x"#)
    }
}
