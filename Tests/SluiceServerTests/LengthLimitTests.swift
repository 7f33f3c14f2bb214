import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// Length limits count Unicode code points, as JSON Schema's `maxLength` in openapi.yaml does,
/// not Swift's Characters: "e" + U+0301 (combining acute) is one Character but two code points.
@Suite(.testStores) struct LengthLimitTests {
    /// `n` Characters of two code points each.
    static func combining(_ n: Int) -> String { String(repeating: "e\u{301}", count: n) }

    @Test func workflowNameCountsCodePoints() async throws {
        try await makeApp().test(.router) { client in
            let name = Self.combining(101)  // 101 Characters, 202 code points > 200
            let reply = try await client.send(.post, "/workflows", body: #"{"name": "\#(name)", "steps": [{"type": "Echo"}]}"#)
            _ = try expectValidation(reply, path: "name", code: "too_long")
            _ = try await client.createWorkflow(#"{"name": "\#(Self.combining(100))", "steps": [{"type": "TextOperation.Reverse"}, {"type": "Echo"}]}"#)
        }
    }

    @Test func webhookDescriptionCountsCodePoints() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let body = #"{"url": "https://example.com/hooks", "description": "\#(Self.combining(501))"}"#
            _ = try expectValidation(try await client.send(.post, "/workflows/\(wf)/webhooks", body: body), path: "description")
        }
    }

    @Test func webhookURLCountsCodePoints() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let url = "https://example.com/" + Self.combining(1020)  // 1040 Characters, 2060 code points
            _ = try expectValidation(try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(url)"}"#), path: "url", code: "invalid_url")
        }
    }

    @Test func idempotencyKeyCountsCodePoints() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let key = Self.combining(128)  // 128 Characters, 256 code points
            let reply = try await client.send(.post, "/workflows/\(wf)/execute", body: seedInput, headers: [HTTPField.Name("Idempotency-Key")!: key])
            _ = try expectValidation(reply, path: "Idempotency-Key")
        }
    }

    /// Found by the contract run: an invalid definition with a stale If-Match was 412, not 400.
    @Test func invalidDefinitionIs400EvenWithAStaleIfMatch() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let reply = try await client.send(.put, "/workflows/\(wf)", body: #"{"name": "x", "tasks": [{"id": [], "type": "Echo"}]}"#, headers: [.ifMatch: "\"3\""])
            #expect(reply.status == .badRequest, "\(reply.text)")
            let stale = try await client.send(.put, "/workflows/\(wf)", body: seedWorkflow, headers: [.ifMatch: "\"3\""])
            #expect(stale.status == .preconditionFailed)
        }
    }
}
