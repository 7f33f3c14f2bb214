import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// Invalid `limit`, `cursor`, `status` and `wait` query parameters: 400 naming the parameter.
@Suite(.testStores) struct QueryParameterTests {
    /// Sends GET `path` (made from a workflow id and an execution id) and returns the reply.
    func get(_ path: @escaping @Sendable (String, String) -> String) async throws -> Reply {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            return try await client.send(.get, path(wf, ex))
        }
    }

    @Test func limitZeroIsRejected() async throws {
        try expectValidation(try await get { _, _ in "/workflows?limit=0" }, path: "limit", code: "invalid_parameter")
    }

    @Test func nonNumericLimitIsRejected() async throws {
        try expectValidation(try await get { _, _ in "/workflows?limit=abc" }, path: "limit")
    }

    @Test func limitAboveTheMaximumIsRejected() async throws {
        try expectValidation(try await get { _, _ in "/workflows?limit=501" }, path: "limit")
    }

    @Test func limitZeroOnExecutionsIsRejected() async throws {
        try expectValidation(try await get { wf, _ in "/workflows/\(wf)/executions?limit=0" }, path: "limit")
    }

    @Test func malformedCursorIsRejected() async throws {
        try expectValidation(try await get { _, _ in "/workflows?cursor=xyz" }, path: "cursor")
    }

    @Test func malformedCursorOnExecutionsIsRejected() async throws {
        try expectValidation(try await get { wf, _ in "/workflows/\(wf)/executions?cursor=xyz" }, path: "cursor")
    }

    @Test func unknownStatusFilterIsRejected() async throws {
        let message = try expectValidation(try await get { wf, _ in "/workflows/\(wf)/executions?status=BOGUS" }, path: "status")
        #expect(message.contains("COMPLETED"))
    }

    @Test func negativeWaitIsRejected() async throws {
        try expectValidation(try await get { wf, ex in "/workflows/\(wf)/executions/\(ex)?wait=-1" }, path: "wait")
    }

    @Test func nonNumericWaitIsRejected() async throws {
        try expectValidation(try await get { wf, ex in "/workflows/\(wf)/executions/\(ex)?wait=abc" }, path: "wait")
    }

    @Test func waitAboveTheMaximumIsRejected() async throws {
        try expectValidation(try await get { wf, ex in "/workflows/\(wf)/executions/\(ex)?wait=61" }, path: "wait")
    }

    @Test func lowercaseStatusFilterIsAccepted() async throws {
        let reply = try await get { wf, _ in "/workflows/\(wf)/executions?status=completed" }
        #expect(reply.status == .ok)
    }
}
