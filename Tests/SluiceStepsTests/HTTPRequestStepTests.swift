import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceCore
@testable import SluiceSteps
import Testing

@Suite struct HTTPRequestStepTests {
    @Test func getParsesAJSONBody() async throws {
        try await withTestServer { base in
            let log = LogLines()
            let out = try await runRequest(["url": .string(base + "/json")], log: log)
            #expect(out["json"]?["status"] == 200)
            #expect(out["json"]?["body"] == ["hello": "world", "n": 3])
            #expect(out["json"]?["headers"]?["content-type"] == "application/json")
            #expect(log.all.first == "GET \(base)/json")
            #expect(log.all.contains { $0.hasPrefix("200 OK in ") && $0.contains(" ms") })
        }
    }

    @Test func textBodyStaysTextAndResponseModeForcesJSONOrText() async throws {
        try await withTestServer { base in
            let text = try await runRequest(["url": .string(base + "/text")])
            #expect(text["json"]?["body"] == "plain text")
            let forcedText = try await runRequest(["url": .string(base + "/json"), "response": "text"])
            #expect(forcedText["json"]?["body"] == #"{"hello": "world", "n": 3}"#)
            let notJSON = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/text"), "response": "json"]) }
            #expect(notJSON?.message.contains("expected a JSON response body") == true)
        }
    }

    @Test func postSendsTheInputTextAsTheBody() async throws {
        try await withTestServer { base in
            let out = try await runRequest(["url": .string(base + "/echo"), "method": "POST"], input: ["text": "hello there"])
            #expect(out["json"]?["body"] == "hello there")
            #expect(out["json"]?["headers"]?["x-received-content-type"] == "text/plain; charset=utf-8")
        }
    }

    @Test func postSendsTheInputJSONAsJSON() async throws {
        try await withTestServer { base in
            let out = try await runRequest(["url": .string(base + "/echo"), "method": "POST"], input: ["json": ["a": [1, 2]]])
            #expect(out["json"]?["headers"]?["x-received-content-type"] == "application/json")
            #expect(out["json"]?["body"] == ["a": [1, 2]])
        }
    }

    @Test func bodyParameterWinsOverTheInput() async throws {
        try await withTestServer { base in
            let out = try await runRequest(["url": .string(base + "/echo"), "method": "PUT", "body": ["k": "v"]], input: ["text": "ignored"])
            #expect(out["json"]?["body"] == ["k": "v"])
            #expect(out["json"]?["headers"]?["x-received-method"] == "PUT")
        }
    }

    @Test func headersAreSentAndHostKeepsTheName() async throws {
        try await withTestServer { base in
            let port = base.split(separator: ":").last!
            let out = try await runRequest(["url": .string("http://localhost:\(port)/headers"), "headers": ["X-Token": "secret-1"]])
            #expect(out["json"]?["body"]?["x-token"] == "secret-1")
            // The connection goes to the checked address; the Host header still names the host.
            #expect(out["json"]?["body"]?["host"] == .string("localhost:\(port)"))
        }
    }

    @Test func unexpectedStatusFailsRetryableOnlyFor5xxAnd429() async throws {
        try await withTestServer { base in
            let unavailable = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/status/503")]) }
            #expect(unavailable?.retryable == true)
            #expect(unavailable?.message.contains("returned 503") == true)
            #expect(unavailable?.message.contains("status 503 body") == true)
            let notFound = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/status/404")]) }
            #expect(notFound?.retryable == false)
            #expect(notFound?.message.contains("returned 404") == true)
            let tooMany = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/status/429")]) }
            #expect(tooMany?.retryable == true)
        }
    }

    @Test func expectedStatusAcceptsListedStatuses() async throws {
        try await withTestServer { base in
            let out = try await runRequest(["url": .string(base + "/status/404"), "expected_status": [404]])
            #expect(out["json"]?["status"] == 404)
            let ok = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/json"), "expected_status": [201]]) }
            #expect(ok?.message.contains("expected 201") == true)
        }
    }

    @Test func timeoutFailsAsRetryable() async throws {
        try await withTestServer { base in
            // `/slow` answers after 5 s, and an answer would be a success: a failure that says
            // it timed out is the 0.3 s timeout's (no wall-clock bound: a loaded machine once
            // took 6.5 s to get there).
            let f = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/slow"), "timeout_seconds": 0.3]) }
            #expect(f?.retryable == true)
            #expect(f?.message.contains("timed out") == true, "\(f?.message ?? "no failure: the answer came")")
        }
    }

    @Test func responseLargerThanTheLimitFails() async throws {
        try await withTestServer { base in
            let f = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/big"), "max_response_bytes": 1000]) }
            #expect(f?.retryable == false)
            #expect(f?.message.contains("max_response_bytes (1000 bytes)") == true)
            let fits = try await runRequest(["url": .string(base + "/big"), "max_response_bytes": 5000])
            #expect(fits["json"]?["body"]?.stringValue?.count == 5000)
        }
    }

    @Test func redirectsAreFollowedUpToFive() async throws {
        try await withTestServer { base in
            let log = LogLines()
            let out = try await runRequest(["url": .string(base + "/redirect/5")], log: log)
            #expect(out["json"]?["body"] == "arrived")
            #expect(log.all.contains("GET \(base)/redirect/0 (redirect 5 of at most 5)"))
            let tooMany = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/redirect/6")]) }
            #expect(tooMany?.message.contains("redirected more than 5 times") == true)
        }
    }

    @Test func seeOtherTurnsAPostIntoAGet() async throws {
        try await withTestServer { base in
            let out = try await runRequest(["url": .string(base + "/see-other"), "method": "POST", "body": "data"])
            #expect(out["json"]?["status"] == 200)
            #expect(out["json"]?["body"]?["content-type"] == nil)
        }
    }

    @Test func redirectDestinationsAreCheckedAgain() async throws {
        try await withTestServer { base in
            let f = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/redirect-to-ftp")]) }
            #expect(f?.message.contains("the scheme \"ftp\" is not supported") == true)
        }
    }

    @Test func loopbackIsRefusedUnlessAllowed() async throws {
        try await withTestServer { base in
            let f = await failure { () async throws(StepFailure) in try await runRequest(["url": .string(base + "/json")], allowPrivate: false) }
            #expect(f?.retryable == false)
            #expect(f?.message.contains("127.0.0.1 (loopback address)") == true)
            #expect(f?.message.contains("--allow-private-networks") == true)
            let port = base.split(separator: ":").last!
            let byName = await failure { () async throws(StepFailure) in try await runRequest(["url": .string("http://localhost:\(port)/json")], allowPrivate: false) }
            #expect(byName?.message.contains("which localhost resolves to") == true)
        }
    }

    @Test func connectionRefusedFailsAtOnceAsRetryable() async throws {
        // Port 1 on loopback: nothing listens there. The client does not retry connecting
        // itself (it would until the 60 s timeout); the engine's retry policy does. The bound is
        // half the timeout, not a speed target, so a busy machine cannot fail it.
        let started = ContinuousClock.now
        let f = await failure { () async throws(StepFailure) in try await runRequest(["url": "http://127.0.0.1:1/", "timeout_seconds": 60]) }
        #expect(f?.retryable == true)
        #expect(f?.message.contains("connection refused") == true)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func plainHTTPTriesEachCheckedAddressInTurn() async throws {
        try await withTestServer { base in try await Self.fallBack(base: base) }
    }

    static func fallBack(base: String) async throws {
        // The server listens on 127.0.0.1 only, so 127.0.0.2 refuses the connection.
        let port = Int(base.split(separator: ":").last!)!
        let url = try #require(URL(string: "http://localhost:\(port)/json"))
        let destination = Destination(
            url: url, scheme: "http", host: "localhost", port: port,
            addresses: [IPAddress(v4: 127, 0, 0, 2), IPAddress(v4: 127, 0, 0, 1)]
        )
        let log = LogLines()
        let context = StepContext(input: .null, parameters: nil, executionID: "e", stepID: "s", log: log.log)
        let response = try await HTTPRequestStep.send(
            destination: destination, method: "GET", headers: [], body: nil,
            client: testHTTPClient, deadline: NIODeadline.now() + TimeAmount.seconds(5), context: context
        )
        #expect(response.status.code == 200)
        #expect(log.all == ["cannot connect to 127.0.0.2 (connection refused); trying 127.0.0.1"])
    }
}
