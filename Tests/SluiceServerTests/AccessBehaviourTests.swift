import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// Tokens, sessions, namespaces and the audit log, one behaviour per test.
@Suite(.testStores, .serialized, .timeLimit(.minutes(1))) struct AccessBehaviourTests {
    static func definition(_ name: String, namespace: String? = nil) -> String {
        let ns = namespace.map { #", "namespace": "\#($0)""# } ?? ""
        return #"{"name": "\#(name)"\#(ns), "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Echo"}]}"#
    }

    @Test func aRevokedTokenStopsWorkingAtOnceAndAnExpiredOneWhenItsTimeComes() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        try await fixture.app.test(.router) { client in
            let created = try await client.send(.post, "/accounts/root/tokens", body: #"{"name": "ci", "expires_in_seconds": 60}"#, headers: bearer(admin))
            #expect(created.status == .created, "\(created.text)")
            #expect(created.headers[.cacheControl] == "no-store")
            let json = try created.json()
            let token = try #require(json["token"]?.stringValue)
            let id = try #require(json["token_id"]?.stringValue)
            #expect(token.hasPrefix("slc_") && token.count >= 56, "a recognisable prefix and 256 random bits")
            #expect(try await client.send(.get, "/me", headers: bearer(token)).status == .ok)
            // The list never shows a value.
            let list = try await client.send(.get, "/accounts/root/tokens", headers: bearer(admin))
            #expect(!list.text.contains(token) && list.text.contains(id))

            fixture.clock.advance(by: 60_000)
            let expired = try await client.send(.get, "/me", headers: bearer(token))
            try expectProblem(expired, status: .unauthorized)
            #expect(try expired.json()["detail"]?.stringValue?.contains("expired") == true)

            let second = try #require(try await client.send(.post, "/accounts/root/tokens", body: #"{"name": "laptop"}"#, headers: bearer(admin)).json()["token"]?.stringValue)
            #expect(try await client.send(.get, "/me", headers: bearer(second)).status == .ok, "and is now cached")
            let root = try #require(try await fixture.engine.store.account(name: "root"))
            let secondID = try #require(try await fixture.engine.store.tokens(accountID: root.id).first { $0.name == "laptop" }?.id)
            #expect(try await client.send(.delete, "/accounts/root/tokens/\(secondID)", headers: bearer(admin)).status == .noContent)
            let revoked = try await client.send(.get, "/me", headers: bearer(second))
            try expectProblem(revoked, status: .unauthorized)
            #expect(try revoked.json()["detail"]?.stringValue?.contains("revoked") == true)
        }
    }

    @Test func aTokenRevokedThroughAnotherNodeStopsWorkingWithinTheRecheckTime() async throws {
        let fixture = try await AccessFixture()
        let token = try await fixture.account("ann", [("*", .viewer)])
        try await fixture.app.test(.router) { client in
            #expect(try await client.send(.get, "/me", headers: bearer(token)).status == .ok)
            // Another node revokes it: only the store knows.
            let id = try #require(try await fixture.engine.store.credential(tokenHash: TokenValue.hash(token))?.token.id)
            _ = try await fixture.engine.store.apply([.revokeToken(id: id, at: fixture.clock.now())])
            #expect(try await client.send(.get, "/me", headers: bearer(token)).status == .ok, "trusted from the cache for a moment")
            fixture.clock.advance(by: fixture.access.configuration.recheckAfterMilliseconds)
            #expect(try await client.send(.get, "/me", headers: bearer(token)).status == .unauthorized)
        }
    }

    @Test func listsShowOnlyTheCallersNamespacesAndOtherNamespacesAreNotFound() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        let ann = try await fixture.account("ann", [("team-a", .runner)])
        try await fixture.app.test(.router) { client in
            let a = try await client.send(.post, "/workflows", body: Self.definition("a", namespace: "team-a"), headers: bearer(admin))
            let b = try await client.send(.post, "/workflows", body: Self.definition("b", namespace: "team-b"), headers: bearer(admin))
            let d = try await client.send(.post, "/workflows", body: Self.definition("d"), headers: bearer(admin))
            let (wa, wb) = (try #require(try a.json()["workflow_id"]?.stringValue), try #require(try b.json()["workflow_id"]?.stringValue))
            #expect(try d.json()["workflow_id"]?.stringValue != nil)
            let list = try await client.send(.get, "/workflows", headers: bearer(ann)).json()
            #expect(list["workflows"]?.arrayValue?.map { $0["workflow_id"]?.stringValue } == [wa])
            #expect(list["workflows"]?.arrayValue?.first?["namespace"] == "team-a")
            let all = try await client.send(.get, "/workflows", headers: bearer(admin)).json()
            #expect(all["workflows"]?.arrayValue?.count == 3, "\(all)")
            // Team b's workflow does not exist for ann: the same 404 as an unknown id.
            let hidden = try await client.send(.get, "/workflows/\(wb)", headers: bearer(ann))
            let unknown = try await client.send(.get, "/workflows/wf-zzzzzzzz", headers: bearer(ann))
            #expect(hidden.status == .notFound && unknown.status == .notFound)
            #expect(try hidden.json()["detail"]?.stringValue == "no workflow with id \"\(wb)\"")
            // Ann may run in team-a, not change it.
            let ex = try await client.startExecution(wa, headers: bearer(ann))
            let forbidden = try await client.send(.delete, "/workflows/\(wa)", headers: bearer(ann))
            try expectProblem(forbidden, status: .forbidden)
            #expect(try forbidden.json()["detail"]?.stringValue?.contains("runner") == true, "it names the role the caller has")
            // Events: only team-a's.
            let exB = try await client.startExecution(wb, headers: bearer(admin))
            _ = try await client.send(.get, "/workflows/\(wb)/executions/\(exB)?wait=5", headers: bearer(admin))
            _ = try await client.send(.get, "/workflows/\(wa)/executions/\(ex)?wait=5", headers: bearer(ann))
            let events = try await client.send(.get, "/events", headers: bearer(ann)).json()
            let executions = Set(events["events"]?.arrayValue?.compactMap { $0["data"]?["execution_id"]?.stringValue } ?? [])
            #expect(executions == [ex], "\(executions)")
            #expect(try await client.send(.get, "/events?workflow_id=\(wb)", headers: bearer(ann)).status == .notFound)
            #expect(try await client.send(.get, "/executions/\(exB)", headers: bearer(ann)).status == .notFound)
        }
    }

    @Test func aWorkflowKeepsItsNamespaceAndRunsOnlyWorkflowsOfItsOwn() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        try await fixture.app.test(.router) { client in
            let wa = try await client.createWorkflowAs(admin, Self.definition("a", namespace: "team-a"))
            let wb = try await client.createWorkflowAs(admin, Self.definition("b", namespace: "team-b"))
            let moved = try await client.send(.put, "/workflows/\(wa)", body: Self.definition("a2", namespace: "team-b"), headers: bearer(admin))
            let message = try expectValidation(moved, path: "namespace", code: "namespace_change")
            #expect(message.contains("team-a"))
            let caller = #"{"name": "calls b", "namespace": "team-a", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Workflow.Run", "input": {"workflow_id": "\#(wb)"}}]}"#
            let refused = try await client.send(.post, "/workflows", body: caller, headers: bearer(admin))
            #expect(refused.status == .badRequest, "a workflow of another namespace is unknown to it: \(refused.text)")
            let invalid = try await client.send(.post, "/workflows", body: Self.definition("x", namespace: "Team A"), headers: bearer(admin))
            try expectValidation(invalid, path: "namespace", code: "invalid_value")
        }
    }

    @Test func theBrowserSignsInWithACookieAndMutationsNeedTheCSRFToken() async throws {
        let fixture = try await AccessFixture()
        let token = try await fixture.account("ann", [("*", .editor)])
        try await fixture.app.test(.router) { client in
            let signIn = try await client.send(.post, "/session", body: #"{"token": "\#(token)"}"#)
            #expect(signIn.status == .created, "\(signIn.text)")
            let cookie = try #require(signIn.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.hasPrefix("sluice_session=slc_"))
            #expect(!cookie.contains(token), "the session has a token of its own")
            let session = String(cookie.split(separator: ";")[0])
            let csrf = try #require(try signIn.json()["csrf_token"]?.stringValue)
            let me = try await client.send(.get, "/me", headers: [.cookie: session])
            #expect(try me.json()["account"]?["name"] == "ann")
            #expect(try me.json()["csrf_token"]?.stringValue == csrf, "the UI gets it again after a reload")
            let withoutCSRF = try await client.send(.post, "/workflows", body: Self.definition("x"), headers: [.cookie: session])
            try expectProblem(withoutCSRF, status: .forbidden)
            var headers: HTTPFields = [.cookie: session]
            headers[csrfHeaderName] = csrf
            #expect(try await client.send(.post, "/workflows", body: Self.definition("x"), headers: headers).status == .created)
            let out = try await client.send(.delete, "/session", headers: headers)
            #expect(out.status == .noContent && out.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await client.send(.get, "/me", headers: [.cookie: session]).status == .unauthorized, "the session was revoked")
            #expect(try await client.send(.get, "/me", headers: bearer(token)).status == .ok, "the token it came from was not")
        }
    }

    @Test func failedSignInsFromOneAddressAreLimited() async throws {
        let fixture = try await AccessFixture(failuresPerMinute: 3)
        let good = try await fixture.account("ann", [("*", .viewer)])
        try await fixture.app.test(.live) { client in
            #expect(try await client.send(.get, "/me", headers: bearer(good)).status == .ok)
            for _ in 0..<3 {
                #expect(try await client.send(.get, "/me", headers: bearer(TokenValue.make())).status == .unauthorized)
            }
            let limited = try await client.send(.get, "/me", headers: bearer(TokenValue.make()))
            try expectProblem(limited, status: .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await client.send(.get, "/me", headers: bearer(good)).status == .ok, "a token known to be valid still works from that address")
            fixture.clock.advance(by: 1_000)
            #expect(try await client.send(.get, "/me", headers: bearer(good)).status == .ok, "also once its cache entry is stale (it is looked up again)")
            fixture.clock.advance(by: 60_000)
            #expect(try await client.send(.get, "/me", headers: bearer(TokenValue.make())).status == .unauthorized, "a minute later it may try again")
        }
    }

    @Test func theAuditLogNamesWhoDidWhatAndNeverATokensValue() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        let ann = try await fixture.account("ann", [("team-a", .editor)])
        try await fixture.app.test(.router) { client in
            let waits = #"{"name": "waits", "namespace": "team-a", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Delay", "input": {"seconds": 60}}]}"#
            let wf = try await client.createWorkflowAs(ann, waits)
            let ex = try await client.startExecution(wf, headers: bearer(ann))
            _ = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/cancel", headers: bearer(ann))
            let created = try await client.send(.post, "/accounts/ann/tokens", body: #"{"name": "x"}"#, headers: bearer(ann))
            let newToken = try #require(try created.json()["token"]?.stringValue)
            _ = try await client.send(.get, "/me", headers: bearer("slc_" + String(repeating: "a", count: 52)))
            #expect(try await client.send(.get, "/audit", headers: bearer(ann)).status == .forbidden, "only an admin everywhere reads it")
            // The audit log is written in the background, not always in request order: read it
            // once the last two entries are in.
            var log = try await client.send(.get, "/audit", headers: bearer(admin))
            for _ in 0..<500 where !(log.text.contains("auth.failed") && log.text.contains("token.create")) {
                try await Task.sleep(for: .milliseconds(5))
                log = try await client.send(.get, "/audit", headers: bearer(admin))
            }
            #expect(log.status == .ok, "\(log.text)")
            for secret in [admin, ann, newToken] { #expect(!log.text.contains(secret)) }
            let entries = try #require(try log.json()["entries"]?.arrayValue)
            let actions = entries.map { "\($0["actor"]?.stringValue ?? "-") \($0["action"]?.stringValue ?? "") \($0["object"]?.stringValue ?? "-")" }
            #expect(actions.contains("ann workflow.create \(wf)"), "\(actions)")
            #expect(actions.contains("ann execution.create \(wf)") || actions.contains { $0.hasPrefix("ann execution.create") }, "\(actions)")
            #expect(actions.contains("ann execution.cancel \(ex)"), "\(actions)")
            #expect(actions.contains("ann token.create ann"), "\(actions)")
            #expect(actions.contains("- auth.failed -"), "\(actions)")
            let create = try #require(entries.first { $0["action"] == "workflow.create" })
            #expect(create["namespace"] == "team-a", "the namespace the body named: \(create)")
            let cancel = try #require(entries.first { $0["action"] == "execution.cancel" })
            #expect(cancel["namespace"] == "team-a" && cancel["status"] == 200 && cancel["request"] == "POST /workflows/{workflow_id}/executions/{execution_id}/cancel", "\(cancel)")
            let filtered = try await client.send(.get, "/audit?action=execution.&actor=ann", headers: bearer(admin)).json()
            #expect(filtered["entries"]?.arrayValue?.count == 2)
        }
    }

    @Test func nobodyLocksThemselvesOutByMistake() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        try await fixture.app.test(.router) { client in
            let root = try #require(try await fixture.engine.store.account(name: "root"))
            let current = try #require(try await fixture.engine.store.tokens(accountID: root.id).first)
            try expectProblem(try await client.send(.delete, "/accounts/root/tokens/\(current.id)", headers: bearer(admin)), status: .conflict)
            try expectProblem(try await client.send(.delete, "/accounts/root", headers: bearer(admin)), status: .conflict)
            let grant = try #require(try await fixture.engine.store.grants(accountID: root.id, namespace: "*").first)
            let last = try await client.send(.delete, "/grants/\(grant.id)", headers: bearer(admin))
            try expectProblem(last, status: .conflict)
            #expect(try last.json()["detail"]?.stringValue?.contains("last admin") == true)
            // With a second admin everywhere, the first may step down.
            _ = try await client.send(.post, "/accounts", body: #"{"name": "ops"}"#, headers: bearer(admin))
            #expect(try await client.send(.post, "/grants", body: #"{"account": "ops", "namespace": "*", "role": "admin"}"#, headers: bearer(admin)).status == .created)
            #expect(try await client.send(.delete, "/grants/\(grant.id)", headers: bearer(admin)).status == .noContent)
            #expect(try await client.send(.get, "/accounts", headers: bearer(admin)).status == .forbidden, "and is an admin no more, at once")
        }
    }

    @Test func theFirstStartCreatesOneAdminOnce() async throws {
        let fixture = try await AccessFixture()
        let token = try #require(try await fixture.access.bootstrap(adminToken: nil))
        #expect(try await fixture.access.bootstrap(adminToken: nil) == nil, "a database with accounts gets none")
        try await fixture.app.test(.router) { client in
            let me = try await client.send(.get, "/me", headers: bearer(token)).json()
            #expect(me["account"]?["name"] == "admin")
            #expect(me["grants"]?.arrayValue?.first?["namespace"] == "*" && me["grants"]?.arrayValue?.first?["role"] == "admin")
        }
        let chosen = try await AccessFixture(store: MemoryStore())
        let value = "slc_" + String(repeating: "0123456789abcdef", count: 4)
        #expect(try await chosen.access.bootstrap(adminToken: value) == nil, "a token the operator chose is not shown")
        #expect(try await chosen.engine.store.credential(tokenHash: TokenValue.hash(value))?.account.name == "admin")
        await #expect(throws: StoreError.self) { try await AccessFixture(store: MemoryStore()).access.bootstrap(adminToken: "short") }
    }

    @Test func withAuthOffEveryRouteAnswersAsBefore() async throws {
        try await makeApp().test(.router) { client in
            let me = try await client.send(.get, "/me").json()
            #expect(me["auth"] == "off" && me["account"] == .null)
            #expect(try await client.send(.get, "/workflows").status == .ok)
            try expectProblem(try await client.send(.post, "/session", body: #"{"token": "x"}"#), status: .conflict)
        }
    }
}

extension TestClientProtocol {
    func createWorkflowAs(_ token: String, _ json: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let reply = try await send(.post, "/workflows", body: json, headers: bearer(token))
        try #require(reply.status == .created, "\(reply.text)", sourceLocation: sourceLocation)
        return try #require(try reply.json()["workflow_id"]?.stringValue, sourceLocation: sourceLocation)
    }
}
