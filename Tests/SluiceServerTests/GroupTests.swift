import Foundation
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceEngine
@testable import SluiceServer
import SluiceTestSupport
import Testing

/// Groups of accounts through the API (an admin everywhere manages them), and `Human.Task`s
/// assigned to `group:NAME`, whose members are read at the time of each call.
@Suite(.testStores, .timeLimit(.minutes(1))) struct GroupTests {
    @Test func anAdminManagesGroupsAndTheirMembersAndTheAuditLogSaysSo() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        let teamAdmin = try await fixture.account("tad", [("team-a", .admin)])
        try await fixture.account("ann", [("team-a", .worker)])
        try await fixture.account("bob", [("team-a", .worker)])
        try await fixture.app.test(.router) { client in
            let created = try await send(client, .post, "/groups", admin, body: #"{"name": "reviewers", "description": "People who approve drafts"}"#)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.headers[.location] == "/groups/reviewers")
            #expect(try created.json()["members"] == [])
            #expect(try created.json()["group_id"]?.stringValue?.hasPrefix("grp-") == true)
            #expect(try await send(client, .post, "/groups", admin, body: #"{"name": "reviewers"}"#).status == .conflict)
            let bad = try expectProblem(try await send(client, .post, "/groups", admin, body: #"{"name": "no spaces", "description": 3, "extra": 1}"#), status: .badRequest)
            #expect(bad.map(\.path) == ["extra"], "unknown fields first, as for accounts")
            let invalid = try expectProblem(try await send(client, .post, "/groups", admin, body: #"{"name": "no spaces", "description": 3}"#), status: .badRequest)
            #expect(invalid.map(\.path) == ["name", "description"], "\(invalid)")

            // Members: added by name, listed by name; an unknown account is a 400.
            let added = try await send(client, .post, "/groups/reviewers/members", admin, body: #"{"account": "bob"}"#)
            #expect(added.status == .created, "\(added.text)")
            #expect(try added.json()["members"] == ["bob"])
            #expect(try await send(client, .post, "/groups/reviewers/members", admin, body: #"{"account": "ann"}"#).status == .created)
            let again = try await send(client, .post, "/groups/reviewers/members", admin, body: #"{"account": "ann"}"#)
            #expect(again.status == .ok, "a member already: nothing changes")
            #expect(try again.json()["members"] == ["ann", "bob"])
            #expect(try expectProblem(try await send(client, .post, "/groups/reviewers/members", admin, body: #"{"account": "nobody"}"#), status: .badRequest).first?.code == "unknown_account")
            #expect(try await send(client, .post, "/groups/nogroup/members", admin, body: #"{"account": "ann"}"#).status == .notFound)
            #expect(try await send(client, .get, "/groups/reviewers", admin).json()["members"] == ["ann", "bob"])
            #expect(try await send(client, .get, "/groups", admin).json()["groups"]?.arrayValue?.map { $0["name"] } == ["reviewers"])
            #expect(try await send(client, .get, "/me", try await fixture.account("cy", [("team-a", .worker)])).json()["groups"] == [])

            // Only an admin everywhere: an admin of one namespace is refused like for accounts.
            #expect(try await send(client, .get, "/groups", teamAdmin).status == .forbidden)
            #expect(try await send(client, .post, "/groups/reviewers/members", teamAdmin, body: #"{"account": "ann"}"#).status == .forbidden)

            #expect(try await send(client, .delete, "/groups/reviewers/members/ann", admin).status == .noContent)
            #expect(try await send(client, .delete, "/groups/reviewers/members/ann", admin).status == .notFound, "not a member any more")
            #expect(try await send(client, .get, "/groups/reviewers", admin).json()["members"] == ["bob"])
            #expect(try await send(client, .delete, "/groups/reviewers", admin).status == .noContent)
            #expect(try await send(client, .get, "/groups/reviewers", admin).status == .notFound)

            // Every change in the audit log; a member's change names the group and the account.
            let expected = ["group.create reviewers", "group.add_member reviewers/bob", "group.add_member reviewers/ann", "group.add_member reviewers/ann",
                            "group.remove_member reviewers/ann", "group.delete reviewers"]
            var summary: [String] = []
            for _ in 0..<1000 where summary.count < expected.count {
                let entries = try await send(client, .get, "/audit?action=group.&limit=50", admin).json()["entries"]?.arrayValue ?? []
                summary = entries.filter { $0["status"]?.numberValue.map { $0 < 300 } == true }.reversed()
                    .map { "\($0["action"]?.stringValue ?? "") \($0["object"]?.stringValue ?? "")" }
                if summary.count < expected.count { try await Task.sleep(for: .milliseconds(2)) }
            }
            #expect(summary == expected)
        }
    }

    @Test func aTaskAssignedToAGroupReachesItsMembersAtTheTimeOfEachCall() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        let ann = try await fixture.account("ann", [("team-a", .worker)])
        let bob = try await fixture.account("bob", [("team-a", .worker)])
        try await fixture.app.test(.router) { client in
            func definition(_ assignees: String) -> String {
                #"{"name": "approve", "namespace": "team-a", "tasks": [{"id": "r", "type": "Human.Task", "input": {"title": "Check", "assignees": [\#(assignees)]}}]}"#
            }
            // The syntax is checked when the workflow is created; the group itself is not looked up.
            let refused = try expectProblem(try await send(client, .post, "/workflows", admin, body: definition(#""group:no spaces", "group:""#)), status: .badRequest)
            #expect(refused.map(\.code) == ["invalid_group", "invalid_group"], "\(refused)")
            #expect(refused.first?.path.hasSuffix("assignees[0]") == true)
            #expect(try await send(client, .post, "/workflows", admin, body: definition(#""group:ghosts""#)).status == .created, "a group made later")

            _ = try await send(client, .post, "/groups", admin, body: #"{"name": "reviewers"}"#)
            _ = try await send(client, .post, "/groups/reviewers/members", admin, body: #"{"account": "ann"}"#)
            let wf = try #require(try await send(client, .post, "/workflows", admin, body: definition(#""group:reviewers""#)).json()["workflow_id"]?.stringValue)
            _ = try await send(client, .post, "/workflows/\(wf)/execute", admin)
            var task: JSONValue?
            for _ in 0..<1000 where task == nil {
                task = try await send(client, .get, "/inbox", ann).json()["claimable"]?.arrayValue?.first
                if task == nil { try await Task.sleep(for: .milliseconds(2)) }
            }
            let id = try #require(task?["human_task_id"]?.stringValue, "the task never reached the group's member")
            #expect(task?["assignees"] == ["group:reviewers"])
            #expect(task?["workflow_name"] == "approve")
            #expect(task?["answered_at"] == .null)
            #expect(try await send(client, .get, "/inbox", bob).json()["claimable"] == [], "bob is not a member")
            let notYet = try await send(client, .post, "/human-tasks/\(id)/claim", bob, body: "{}")
            let notYetType = try notYet.json()["type"]
            #expect(notYet.status == .conflict && notYetType == "urn:sluice:problem:not-assigned", "\(notYet.text)")

            // Added now: bob sees it and claims it, without anything else changing.
            _ = try await send(client, .post, "/groups/reviewers/members", admin, body: #"{"account": "bob"}"#)
            #expect(try await send(client, .get, "/me", bob).json()["groups"] == ["reviewers"])
            #expect(try await send(client, .get, "/inbox", bob).json()["claimable"]?.arrayValue?.map { $0["human_task_id"] } == [.string(id)])
            let claimed = try await send(client, .post, "/human-tasks/\(id)/claim", bob, body: "{}")
            #expect(try claimed.json()["holder"] == "bob", "\(claimed.text)")
            let done = try await send(client, .post, "/human-tasks/\(id)/complete", bob, body: #"{"answer": {}}"#)
            #expect(try done.json()["status"] == "COMPLETED", "\(done.text)")
            #expect(isRFC3339(try done.json()["answered_at"]))
            let read = try await send(client, .get, "/human-tasks/\(id)", admin).json()
            #expect(read["answered_at"] == (try done.json()["answered_at"]))
            #expect(read["workflow_name"] == "approve")
        }
    }
}
