import Testing
import StandardWebhooks

@Suite struct WebhookSignatureTests {
    // The test vector the reference libraries publish.
    static let secret = try! WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1614265330
    static let body = Array(#"{"test": 2432232314}"#.utf8)
    static let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    func verify(
        id: String = id, timestamp: String = String(timestamp), header: String, body: [UInt8] = body,
        secret: WebhookSecret = secret, now: Int64 = timestamp
    ) -> WebhookVerificationError? {
        do {
            try WebhookSignature.verify(id: id, timestamp: timestamp, signatureHeader: header, body: body, secret: secret, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test func signMatchesThePublishedTestVector() {
        #expect(WebhookSignature.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: Self.secret) == Self.expected)
    }

    @Test func signAcceptsANonContiguousBodySequence() {
        let lazyBody = Self.body.lazy.map { $0 }
        #expect(WebhookSignature.sign(id: Self.id, timestamp: Self.timestamp, body: lazyBody, secret: Self.secret) == Self.expected)
    }

    @Test func thePublishedTestVectorVerifies() {
        #expect(verify(header: Self.expected) == nil)
    }

    @Test func signedMessagesVerifyWithAFreshSecret() {
        let secret = WebhookSecret.generate()
        let body = Array(#"{"type":"execution.completed"}"#.utf8)
        let header = WebhookSignature.sign(id: "msg_1", timestamp: 1_700_000_000, body: body, secret: secret)
        #expect(verify(id: "msg_1", timestamp: "1700000000", header: header, body: body, secret: secret, now: 1_700_000_000) == nil)
    }

    @Test func aTamperedBodyFails() {
        #expect(verify(header: Self.expected, body: Array(#"{"test": 2432232315}"#.utf8)) == .noMatchingSignature)
    }

    @Test func aChangedIdOrTimestampFails() {
        #expect(verify(id: "msg_other", header: Self.expected) == .noMatchingSignature)
        #expect(verify(timestamp: "1614265331", header: Self.expected) == .noMatchingSignature)
    }

    @Test func theTimestampIsSignedAsReceivedSoLeadingZerosDoNotVerify() {
        #expect(verify(timestamp: "01614265330", header: Self.expected) == .noMatchingSignature)
    }

    @Test func aWrongSecretFails() {
        #expect(verify(header: Self.expected, secret: .generate()) == .noMatchingSignature)
    }

    @Test func anyOfSeveralSignaturesVerifiesDuringSecretRotation() {
        let old = WebhookSecret.generate()
        let header = WebhookSignature.header(id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: [old, Self.secret])
        #expect(header == WebhookSignature.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: old) + " " + Self.expected)
        #expect(verify(header: header) == nil)
        #expect(verify(header: header, secret: old) == nil)
        #expect(verify(header: header, secret: .generate()) == .noMatchingSignature)
    }

    @Test func otherVersionsAndJunkInTheHeaderAreIgnored() {
        #expect(verify(header: "v1a,AAAA  junk v2,\(Self.expected.dropFirst(3)) \(Self.expected)") == nil)
        // The right signature under another version name does not count.
        #expect(verify(header: "v2,\(Self.expected.dropFirst(3))") == .noMatchingSignature)
        #expect(verify(header: "") == .noMatchingSignature)
        #expect(verify(header: "v1,") == .noMatchingSignature)
    }

    @Test func aTimestampOlderThanTheToleranceFailsWithItsAge() {
        #expect(verify(header: Self.expected, now: Self.timestamp + 300) == nil)
        #expect(verify(header: Self.expected, now: Self.timestamp + 301) == .timestampTooOld(secondsOld: 301, tolerance: 300))
        #expect(WebhookVerificationError.timestampTooOld(secondsOld: 301, tolerance: 300).description
            == "webhook-timestamp is 301 seconds in the past, more than the 300 allowed")
    }

    @Test func aTimestampTooFarInTheFutureFailsWithTheDifference() {
        #expect(verify(header: Self.expected, now: Self.timestamp - 300) == nil)
        #expect(verify(header: Self.expected, now: Self.timestamp - 400) == .timestampTooNew(secondsAhead: 400, tolerance: 300))
        #expect(verify(timestamp: "99999999999999999", header: Self.expected) == .timestampTooNew(secondsAhead: 99999999999999999 - Self.timestamp, tolerance: 300))
    }

    @Test func theToleranceCanBeChanged() throws {
        try WebhookSignature.verify(id: Self.id, timestamp: String(Self.timestamp), signatureHeader: Self.expected, body: Self.body,
                                    secret: Self.secret, now: Self.timestamp + 3000, tolerance: 3600)
    }

    @Test func aTimestampThatIsNotIntegerSecondsIsRejectedAsSuch() {
        for bad in ["", "abc", "1614265330.5", "-1614265330", "+1614265330", " 1614265330", "1e9", "99999999999999999999"] {
            #expect(verify(timestamp: bad, header: Self.expected) == .invalidTimestamp(bad), "\(bad)")
        }
        #expect(WebhookVerificationError.invalidTimestamp("abc").description == #"webhook-timestamp is not integer Unix seconds: found "abc""#)
    }

    @Test func headersAreFoundWithoutRegardToCase() throws {
        let headers = ["Webhook-Id": Self.id, "WEBHOOK-TIMESTAMP": String(Self.timestamp), "webhook-signature": Self.expected]
        let verified = try WebhookSignature.verify(headers: headers, body: Self.body, secret: Self.secret, now: Self.timestamp)
        #expect(verified.id == Self.id)
        #expect(verified.timestamp == Self.timestamp)
    }

    @Test func aMissingHeaderIsNamed() {
        let all = ["webhook-id": Self.id, "webhook-timestamp": String(Self.timestamp), "webhook-signature": Self.expected]
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            var headers = all
            headers[name] = nil
            #expect(throws: WebhookVerificationError.missingHeader(name)) {
                try WebhookSignature.verify(headers: headers, body: Self.body, secret: Self.secret, now: Self.timestamp)
            }
        }
        #expect(WebhookVerificationError.missingHeader("webhook-signature").description == "missing header webhook-signature")
    }

    @Test func noMatchingSignatureSaysWhatDidNotMatch() {
        #expect(WebhookVerificationError.noMatchingSignature.description == "no v1 signature in webhook-signature matches this message and secret")
    }
}
