import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// Groups of accounts and their members, and the queues of a worker grant: what every driver
/// stores the same way.
@Suite(.postgresSchemas) struct StoreGroupConformanceTests {
    static func account(_ name: String) -> AccountRecord {
        AccountRecord(id: "acct-\(name)", name: name, kind: .person, createdAt: 1)
    }

    static func group(_ name: String, id: String? = nil, description: String? = nil) -> GroupRecord {
        GroupRecord(id: id ?? "grp-\(name)", name: name, description: description, createdAt: 5)
    }

    @Test(arguments: Driver.allCases)
    func groupsHaveUniqueIDsAndNamesAndPageNewestFirst(driver: Driver) async throws {
        let store = try await driver.make()
        #expect(try await store.applyRecording([.insertGroup(Self.group("ops", description: "On call"))]) == [.applied])
        #expect(try await store.applyRecording([.insertGroup(Self.group("ops", id: "grp-other"))]) == [.idConflict], "a name is taken once")
        #expect(try await store.applyRecording([.insertGroup(Self.group("qa", id: "grp-ops"))]) == [.idConflict], "an id is taken once")
        _ = try await store.applyRecording([.insertGroup(Self.group("reviewers")), .insertGroup(Self.group("triage"))])
        let ops = try #require(try await store.group(name: "ops"))
        #expect(ops.id == "grp-ops" && ops.description == "On call" && ops.createdAt == 5)
        #expect(try await store.group(name: "reviewers")?.description == nil)
        #expect(try await store.group(name: "nobody") == nil)
        var seen: [String] = []
        var cursor: Int64?
        repeat {
            let page = try await store.groups(limit: 2, before: cursor)
            seen += page.items.map(\.name)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ["triage", "reviewers", "ops"])
    }

    @Test(arguments: Driver.allCases)
    func membersNeedTheirGroupAndAccountAndGoWithEither(driver: Driver) async throws {
        let store = try await driver.make()
        _ = try await store.applyRecording([
            .insertAccount(Self.account("cy")), .insertAccount(Self.account("ann")), .insertAccount(Self.account("bob")),
            .insertGroup(Self.group("ops")), .insertGroup(Self.group("qa")),
        ])
        #expect(try await store.applyRecording([
            .addGroupMember(groupID: "grp-ops", accountID: "acct-cy", at: 10),
            .addGroupMember(groupID: "grp-ops", accountID: "acct-ann", at: 11),
            .addGroupMember(groupID: "grp-ops", accountID: "acct-ann", at: 12),
            .addGroupMember(groupID: "grp-none", accountID: "acct-ann", at: 13),
            .addGroupMember(groupID: "grp-qa", accountID: "acct-none", at: 14),
            .addGroupMember(groupID: "grp-qa", accountID: "acct-ann", at: 15),
        ]) == [.applied, .applied, .idConflict, .stale, .stale, .applied])
        #expect(try await store.groupMembers(groupID: "grp-ops").map(\.name) == ["ann", "cy"], "by name")
        #expect(try await store.groupMembers(groupID: "grp-none").isEmpty)
        #expect(try await store.groupNames(account: "ann") == ["ops", "qa"])
        #expect(try await store.groupNames(account: "bob") == [])
        #expect(try await store.groupNames(account: "nobody") == [])

        #expect(try await store.applyRecording([
            .removeGroupMember(groupID: "grp-qa", accountID: "acct-ann"), .removeGroupMember(groupID: "grp-qa", accountID: "acct-ann"),
        ]) == [.applied, .stale])
        #expect(try await store.groupNames(account: "ann") == ["ops"])
        // An account deleted leaves its groups; a group deleted takes its memberships, not its members.
        _ = try await store.applyRecording([.deleteAccount(id: "acct-cy")])
        #expect(try await store.groupMembers(groupID: "grp-ops").map(\.name) == ["ann"])
        #expect(try await store.applyRecording([.deleteGroup(id: "grp-ops"), .deleteGroup(id: "grp-ops")]) == [.applied, .stale])
        #expect(try await store.groupNames(account: "ann") == [])
        #expect(try await store.account(name: "ann") != nil)
        #expect(try await store.applyRecording([.insertGroup(Self.group("ops", id: "grp-ops2"))]) == [.applied], "the name is free again")
        #expect(try await store.groupMembers(groupID: "grp-ops2").isEmpty, "a group made again starts empty")
    }

    @Test(arguments: Driver.allCases)
    func aWorkerGrantKeepsItsQueues(driver: Driver) async throws {
        let store = try await driver.make()
        let hash = String(repeating: "9", count: 64)
        #expect(try await store.applyRecording([
            .insertAccount(Self.account("resizer")),
            .insertToken(TokenRecord(id: "tok-1", accountID: "acct-resizer", name: "box", hash: hash, createdAt: 1)),
            .insertGrant(GrantRecord(id: "gr-1", accountID: "acct-resizer", namespace: "media", role: .worker, createdAt: 2, queues: ["resize", "ocr", HumanTask.queue])),
            .insertGrant(GrantRecord(id: "gr-2", accountID: "acct-resizer", namespace: "other", role: .worker, createdAt: 3)),
        ]) == [.applied, .applied, .applied, .applied])
        let restricted = Grant(id: "gr-1", account: "resizer", namespace: "media", role: .worker, createdAt: 2, queues: ["resize", "ocr", HumanTask.queue])
        let everything = Grant(id: "gr-2", account: "resizer", namespace: "other", role: .worker, createdAt: 3)
        #expect(try await store.grant(id: "gr-1") == restricted)
        #expect(try await store.grant(id: "gr-2")?.queues == nil, "no queues: every queue")
        #expect(try await store.grants(accountID: "acct-resizer", namespace: nil) == [restricted, everything])
        #expect(try await store.credential(tokenHash: hash)?.grants == [restricted, everything])
    }
}
