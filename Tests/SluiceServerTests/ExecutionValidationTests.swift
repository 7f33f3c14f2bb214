import HTTPTypes
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `POST /workflows/{id}/execute` with bodies or inputs that must be rejected before anything is
/// recorded.
@Suite(.testStores) struct ExecutionValidationTests {
    /// Creates the reverse chain, sends `body` to execute, and checks that no execution was recorded.
    func execute(_ body: String?, headers: HTTPFields = [:]) async throws -> Reply {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(reverseChain)
            let reply = try await client.send(.post, "/workflows/\(wf)/execute", body: body, headers: headers)
            let list = try await client.send(.get, "/workflows/\(wf)/executions")
            #expect(list.status == .ok)
            #expect(try list.json()["executions"]?.arrayValue?.isEmpty == true, "a rejected execution was recorded")
            return reply
        }
    }

    @Test func workflowStartingWithReverseDerivesAnInputSchemaRequiringText() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(reverseChain)
            let json = try await client.send(.get, "/workflows/\(wf)").json()
            let schema = try #require(json["input_schema"])
            #expect(schema["type"]?.stringValue == "object")
            #expect(schema["properties"]?["text"]?["type"]?.stringValue == "string")
            #expect(schema["required"] == ["text"])
        }
    }

    @Test func inputMissingRequiredTextIsRejectedAtInputText() async throws {
        let reply = try await execute(#"{"input": {}}"#)
        #expect(reply.headers[.contentType] == "application/problem+json")
        try expectValidation(reply, path: "input.text", code: "required")
        #expect(try reply.json()["title"]?.stringValue == "Invalid execution input")
    }

    @Test func emptyBodyIsRejectedWhenTheWorkflowNeedsText() async throws {
        try expectValidation(try await execute(nil), path: "input.text", code: "required")
    }

    @Test func textOfTheWrongTypeIsRejectedAtInputText() async throws {
        let message = try expectValidation(try await execute(#"{"input": {"text": 5}}"#), path: "input.text", code: "type_mismatch")
        #expect(message.contains("string"))
    }

    @Test func executionRunsWithTheTextFromTheInput() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(reverseChain)
            let ex = try await client.startExecution(wf, #"{"input": {"text": "abc"}}"#)
            let json = try await client.finishedExecution(wf, ex)
            #expect(json["status"]?.stringValue == "COMPLETED")
            #expect(json["input"] == ["text": "abc"])
            #expect(json["output"] == ["text": "cba"])
        }
    }

    @Test func inputThatIsNotAnObjectIsATypeMismatchAtInput() async throws {
        try expectValidation(try await execute(#"{"input": "text"}"#), path: "input", code: "type_mismatch")
    }

    @Test func unknownFieldInTheExecuteBodyIsRejected() async throws {
        try expectValidation(try await execute(#"{"input": {"text": "a"}, "inptu": {}}"#), path: "inptu", code: "unknown_field")
    }

    @Test func executeBodyThatIsNotJSONIsInvalidJSON() async throws {
        try expectValidation(try await execute(#"{"input": "#), path: "", code: "invalid_json")
    }

    @Test func executeBodyThatIsAnArrayIsAnInvalidBody() async throws {
        try expectValidation(try await execute(#"[{"input": {"text": "a"}}]"#), path: "", code: "invalid_body")
    }

    @Test func webhookURLWithAnFTPSchemeIsRejected() async throws {
        try expectValidation(try await execute(#"{"input": {"text": "a"}, "webhook_url": "ftp://x"}"#), path: "webhook_url", code: "invalid_url")
    }

    @Test func webhookURLThatIsNotAStringIsRejected() async throws {
        try expectValidation(try await execute(#"{"input": {"text": "a"}, "webhook_url": 5}"#), path: "webhook_url", code: "type_mismatch")
    }

    @Test func httpsWebhookURLIsAccepted() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(reverseChain)
            let reply = try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"input": {"text": "a"}, "webhook_url": "https://example.com/hook"}"#)
            #expect(reply.status == .accepted)
            #expect(isID(try reply.json()["execution_id"]?.stringValue, prefix: "ex"))
        }
    }

    @Test func idempotencyKeyLongerThan255CharactersIsRejected() async throws {
        let key = String(repeating: "k", count: 256)
        try expectValidation(try await execute(#"{"input": {"text": "a"}}"#, headers: [.init("Idempotency-Key")!: key]), path: "Idempotency-Key")
    }

    @Test func acceptedExecutionHasALocationHeader() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let reply = try await client.send(.post, "/workflows/\(wf)/execute")
            #expect(reply.status == .accepted)
            let ex = try #require(try reply.json()["execution_id"]?.stringValue)
            #expect(reply.headers[.location] == "/workflows/\(wf)/executions/\(ex)")
        }
    }
}
