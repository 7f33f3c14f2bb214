import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// Accounts, tokens, grants, the audit log and workflow namespaces: what every driver stores the
/// same way.
@Suite(.postgresSchemas) struct StoreAccessConformanceTests {
    static func account(_ name: String, id: String? = nil, at t: Int64 = 1) -> AccountRecord {
        AccountRecord(id: id ?? "acct-\(name)", name: name, kind: .person, displayName: "The \(name)", createdAt: t)
    }

    @Test(arguments: Driver.allCases)
    func accountsHaveUniqueIDsAndNamesAndPageNewestFirst(driver: Driver) async throws {
        let store = try await driver.make()
        #expect(try await store.applyRecording([.insertAccount(Self.account("ann"))]) == [.applied])
        #expect(try await store.applyRecording([.insertAccount(Self.account("ann", id: "acct-other"))]) == [.idConflict], "a name is taken once")
        #expect(try await store.applyRecording([.insertAccount(Self.account("bob", id: "acct-ann"))]) == [.idConflict], "an id is taken once")
        _ = try await store.applyRecording([.insertAccount(AccountRecord(id: "acct-bot", name: "ci-bot", kind: .machine, createdAt: 2))])
        _ = try await store.applyRecording([.insertAccount(Self.account("cy"))])
        let ann = try #require(try await store.account(name: "ann"))
        #expect(ann.id == "acct-ann" && ann.kind == .person && ann.displayName == "The ann" && ann.createdAt == 1)
        #expect(try await store.account(id: "acct-bot")?.kind == .machine)
        #expect(try await store.account(id: "acct-bot")?.displayName == nil)
        #expect(try await store.account(name: "nobody") == nil)
        var seen: [String] = []
        var cursor: Int64?
        repeat {
            let page = try await store.accounts(limit: 2, before: cursor)
            seen += page.items.map(\.name)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ["cy", "ci-bot", "ann"])
    }

    @Test(arguments: Driver.allCases)
    func aTokenIsFoundByItsHashWithItsAccountAndGrants(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertAccount(Self.account("ann")), .insertAccount(Self.account("bob"))])
        let token = TokenRecord(id: "tok-1", accountID: "acct-ann", name: "laptop", hash: String(repeating: "a", count: 64), createdAt: 10, expiresAt: 1000)
        #expect(try await store.applyRecording([
            .insertToken(token),
            .insertGrant(GrantRecord(id: "gr-1", accountID: "acct-ann", namespace: "team-a", role: .editor, createdAt: 11)),
            .insertGrant(GrantRecord(id: "gr-2", accountID: "acct-ann", namespace: "*", role: .viewer, createdAt: 12)),
            .insertGrant(GrantRecord(id: "gr-3", accountID: "acct-bob", namespace: "team-a", role: .admin, createdAt: 13)),
        ]) == [.applied, .applied, .applied, .applied])
        let credential = try #require(try await store.credential(tokenHash: token.hash))
        #expect(credential.token == token)
        #expect(credential.account.name == "ann")
        #expect(credential.grants == [
            Grant(id: "gr-1", account: "ann", namespace: "team-a", role: .editor, createdAt: 11),
            Grant(id: "gr-2", account: "ann", namespace: "*", role: .viewer, createdAt: 12),
        ])
        #expect(try await store.credential(tokenHash: String(repeating: "b", count: 64)) == nil)
        #expect(try await store.token(id: "tok-1") == token)
        #expect(try await store.tokens(accountID: "acct-ann") == [token])
        #expect(try await store.tokens(accountID: "acct-bob") == [])
    }

    @Test(arguments: Driver.allCases)
    func tokensNeedTheirAccountAndUniqueIDsAndHashes(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertAccount(Self.account("ann"))])
        let hash = String(repeating: "c", count: 64)
        #expect(try await store.applyRecording([.insertToken(TokenRecord(id: "tok-1", accountID: "acct-none", name: "x", hash: hash, createdAt: 1))]) == [.stale])
        #expect(try await store.applyRecording([.insertToken(TokenRecord(id: "tok-1", accountID: "acct-ann", name: "x", kind: .session, hash: hash, createdAt: 1))]) == [.applied])
        #expect(try await store.applyRecording([.insertToken(TokenRecord(id: "tok-2", accountID: "acct-ann", name: "y", hash: hash, createdAt: 1))]) == [.idConflict], "a hash is stored once")
        #expect(try await store.applyRecording([.insertToken(TokenRecord(id: "tok-1", accountID: "acct-ann", name: "y", hash: String(repeating: "d", count: 64), createdAt: 1))]) == [.idConflict])
        #expect(try await store.token(id: "tok-1")?.kind == .session)
    }

    @Test(arguments: Driver.allCases)
    func revocationIsRecordedOnceAndUseOnlyMovesForward(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertAccount(Self.account("ann"))])
        let hash = String(repeating: "e", count: 64)
        _ = try await store.applyRecording([.insertToken(TokenRecord(id: "tok-1", accountID: "acct-ann", name: "x", hash: hash, createdAt: 1))])
        #expect(try await store.applyRecording([.touchToken(id: "tok-1", at: 50), .touchToken(id: "tok-1", at: 40), .touchToken(id: "tok-none", at: 1)]) == [.applied, .applied, .applied])
        #expect(try await store.token(id: "tok-1")?.lastUsedAt == 50, "an earlier use does not move the last use back")
        #expect(try await store.applyRecording([.revokeToken(id: "tok-1", at: 60)]) == [.applied])
        #expect(try await store.applyRecording([.revokeToken(id: "tok-1", at: 70)]) == [.stale], "revoked once")
        #expect(try await store.applyRecording([.revokeToken(id: "tok-none", at: 70)]) == [.stale])
        let credential = try #require(try await store.credential(tokenHash: hash), "a revoked token is still found, so the server can say it was revoked")
        #expect(credential.token.revokedAt == 60)
        #expect(!credential.token.isValid(at: 61))
    }

    @Test(arguments: Driver.allCases)
    func grantsAreUniquePerAccountNamespaceAndRoleAndFilter(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([.insertAccount(Self.account("ann")), .insertAccount(Self.account("bob"))])
        #expect(try await store.applyRecording([
            .insertGrant(GrantRecord(id: "gr-1", accountID: "acct-ann", namespace: "team-a", role: .editor, createdAt: 1)),
            .insertGrant(GrantRecord(id: "gr-2", accountID: "acct-ann", namespace: "team-a", role: .editor, createdAt: 2)),
            .insertGrant(GrantRecord(id: "gr-3", accountID: "acct-ann", namespace: "team-a", role: .worker, createdAt: 3)),
            .insertGrant(GrantRecord(id: "gr-4", accountID: "acct-bob", namespace: "team-b", role: .viewer, createdAt: 4)),
            .insertGrant(GrantRecord(id: "gr-5", accountID: "acct-none", namespace: "team-b", role: .viewer, createdAt: 5)),
            .insertGrant(GrantRecord(id: "gr-1", accountID: "acct-bob", namespace: "team-c", role: .viewer, createdAt: 6)),
        ]) == [.applied, .idConflict, .applied, .applied, .stale, .idConflict])
        #expect(try await store.grants(accountID: nil, namespace: nil).map(\.id) == ["gr-1", "gr-3", "gr-4"])
        #expect(try await store.grants(accountID: "acct-ann", namespace: nil).map(\.id) == ["gr-1", "gr-3"])
        #expect(try await store.grants(accountID: nil, namespace: "team-b").map(\.account) == ["bob"])
        #expect(try await store.grant(id: "gr-3") == Grant(id: "gr-3", account: "ann", namespace: "team-a", role: .worker, createdAt: 3))
        #expect(try await store.applyRecording([.deleteGrant(id: "gr-3"), .deleteGrant(id: "gr-3")]) == [.applied, .stale])
        #expect(try await store.grant(id: "gr-3") == nil)
    }

    @Test(arguments: Driver.allCases)
    func deletingAnAccountDeletesItsTokensAndGrantsAndFreesItsName(driver: Driver) async throws {
        let store = try await driver.make()
        let hash = String(repeating: "f", count: 64)
        _ = try await store.applyRecording([
            .insertAccount(Self.account("ann")), .insertAccount(Self.account("bob")),
            .insertToken(TokenRecord(id: "tok-1", accountID: "acct-ann", name: "x", hash: hash, createdAt: 1)),
            .insertGrant(GrantRecord(id: "gr-1", accountID: "acct-ann", namespace: "team-a", role: .editor, createdAt: 1)),
            .insertGrant(GrantRecord(id: "gr-2", accountID: "acct-bob", namespace: "team-a", role: .editor, createdAt: 1)),
        ])
        #expect(try await store.applyRecording([.deleteAccount(id: "acct-ann"), .deleteAccount(id: "acct-ann")]) == [.applied, .stale])
        #expect(try await store.account(name: "ann") == nil)
        #expect(try await store.credential(tokenHash: hash) == nil)
        #expect(try await store.token(id: "tok-1") == nil)
        #expect(try await store.grants(accountID: nil, namespace: nil).map(\.id) == ["gr-2"])
        #expect(try await store.applyRecording([.insertAccount(Self.account("ann", id: "acct-ann2"))]) == [.applied])
    }

    @Test(arguments: Driver.allCases)
    func theAuditLogPagesNewestFirstAndFilters(driver: Driver) async throws {
        let store = try await driver.make()
        var entries: [AuditRecord] = []
        for i in 1...6 {
            let actor: String? = i.isMultiple(of: 2) ? "ann" : nil
            let action = i <= 3 ? "workflow.create" : "token.revoke"
            let namespace: String? = i == 5 ? nil : "team-a"
            entries.append(AuditRecord(at: Int64(i * 10), actor: actor, action: action, object: "o-\(i)", namespace: namespace, status: i == 1 ? 401 : 201, address: "10.0.0.\(i)", request: "POST /x"))
        }
        #expect(try await store.applyRecording([.appendAudit(Array(entries[0..<4])), .appendAudit(Array(entries[4...]))]) == [.applied, .applied])
        var seen: [AuditRecord] = []
        var cursor: Int64?
        repeat {
            let page = try await store.audit(AuditFilter(), limit: 4, before: cursor)
            seen += page.items
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen.map(\.object) == ["o-6", "o-5", "o-4", "o-3", "o-2", "o-1"])
        var first = entries[0]
        first.seq = try #require(seen.last).seq
        #expect(seen.last == first, "every field is kept")
        #expect(seen.map(\.seq) == seen.map(\.seq).sorted(by: >))
        #expect(try await store.audit(AuditFilter(actor: "ann"), limit: 10, before: nil).items.map(\.object) == ["o-6", "o-4", "o-2"])
        #expect(try await store.audit(AuditFilter(action: "token."), limit: 10, before: nil).items.map(\.object) == ["o-6", "o-5", "o-4"])
        #expect(try await store.audit(AuditFilter(action: "token"), limit: 10, before: nil).items.isEmpty, "without a dot an action matches exactly")
        #expect(try await store.audit(AuditFilter(object: "o-2"), limit: 10, before: nil).items.count == 1)
        #expect(try await store.audit(AuditFilter(namespace: "team-a", since: 20, until: 50), limit: 10, before: nil).items.map(\.object) == ["o-4", "o-3", "o-2"])
        let filtered = try await store.audit(AuditFilter(actor: "ann"), limit: 2, before: nil)
        #expect(filtered.items.map(\.object) == ["o-6", "o-4"])
        #expect(try await store.audit(AuditFilter(actor: "ann"), limit: 2, before: filtered.nextCursor).items.map(\.object) == ["o-2"])
    }

    @Test(arguments: Driver.allCases)
    func workflowsKeepTheirNamespaceAndListOnlyTheNamespacesAsked(driver: Driver) async throws {
        let store = try await driver.make()
        for (i, ns) in ["default", "team-a", "team-b", "team-a"].enumerated() {
            var w = workflow("wf-\(i + 1)")
            w.namespace = ns
            _ = try await store.applyRecording([.insertWorkflow(w)])
        }
        #expect(try await store.workflow(id: "wf-2")?.namespace == "team-a")
        #expect(try await store.workflows(limit: 10, before: nil).items.map(\.id) == ["wf-4", "wf-3", "wf-2", "wf-1"])
        #expect(try await store.workflows(limit: 10, before: nil, namespaces: ["team-a"]).items.map(\.id) == ["wf-4", "wf-2"])
        #expect(try await store.workflows(limit: 10, before: nil, namespaces: []).items.isEmpty)
        let first = try await store.workflows(limit: 1, before: nil, namespaces: ["team-a", "default"])
        #expect(first.items.map(\.id) == ["wf-4"])
        #expect(try await store.workflows(limit: 5, before: first.nextCursor, namespaces: ["team-a", "default"]).items.map(\.id) == ["wf-2", "wf-1"])
        // A new version keeps the namespace.
        _ = try await store.applyRecording([.insertWorkflowVersion(WorkflowVersionRecord(workflowID: "wf-2", version: 0, name: "v2", description: nil, definition: ["name": "v2"], createdAt: 9), expectedVersion: 1)])
        #expect(try await store.workflow(id: "wf-2")?.namespace == "team-a")
    }
}
