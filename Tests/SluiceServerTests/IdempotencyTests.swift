import HTTPTypes
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `Idempotency-Key` on `POST /workflows/{id}/execute`.
@Suite(.testStores) struct IdempotencyTests {
    let key = HTTPField.Name("Idempotency-Key")!
    let replayed = HTTPField.Name("Idempotent-Replayed")!

    @Test func sameKeyReturnsTheSameExecutionMarkedAsReplayed() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let first = try await client.send(.post, "/workflows/\(wf)/execute", body: seedInput, headers: [key: "k-1"])
            let second = try await client.send(.post, "/workflows/\(wf)/execute", body: seedInput, headers: [key: "k-1"])
            #expect(first.status == .accepted)
            #expect(second.status == .accepted)
            #expect(first.headers[replayed] == nil)
            #expect(second.headers[replayed] == "true")
            let id1 = try #require(try first.json()["execution_id"]?.stringValue)
            #expect(try second.json()["execution_id"]?.stringValue == id1)
        }
    }

    @Test func differentKeysCreateDifferentExecutionsAndReplaysAreNotListed() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let a1 = try await client.startExecution(wf, seedInput, headers: [key: "key-a"])
            let a2 = try await client.startExecution(wf, seedInput, headers: [key: "key-a"])
            let b = try await client.startExecution(wf, seedInput, headers: [key: "key-b"])
            #expect(a1 == a2)
            #expect(a1 != b)
            let json = try await client.send(.get, "/workflows/\(wf)/executions").json()
            let ids = try #require(json["executions"]?.arrayValue).compactMap { $0["execution_id"]?.stringValue }
            #expect(ids.count == 2)
            #expect(Set(ids) == [a1, b])
        }
    }

    @Test func requestsWithoutAKeyAreNeverDeduplicated() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let a = try await client.startExecution(wf, seedInput)
            let b = try await client.startExecution(wf, seedInput)
            #expect(a != b)
        }
    }

    @Test func sameKeyOnAnotherWorkflowStartsASeparateExecution() async throws {
        try await makeApp().test(.router) { client in
            let wf1 = try await client.createWorkflow(seedWorkflow)
            let wf2 = try await client.createWorkflow(seedWorkflow)
            let a = try await client.startExecution(wf1, seedInput, headers: [key: "shared"])
            let reply = try await client.send(.post, "/workflows/\(wf2)/execute", body: seedInput, headers: [key: "shared"])
            #expect(reply.status == .accepted)
            #expect(reply.headers[replayed] == nil)
            #expect(try reply.json()["execution_id"]?.stringValue != a)
        }
    }
}
