import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// `POST /annotation/workflow/update`: an edit of the pools reaches the items already on their
/// way (waiting items are re-pointed, an answered item goes on by the edited pools), a removed
/// pool that holds items refuses the edit with counts unless its items are moved, and an edit
/// that breaks a rule or comes second stores nothing.
@Suite(.testStores, .timeLimit(.minutes(1))) struct AnnotationEditTests {
    let items = AnnotationItemTests()

    static func data(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        try AnnotationAPITests.data(reply, sourceLocation: sourceLocation)
    }

    func update(_ client: some TestClientProtocol, _ workflowID: Int, _ pools: String, extra: String = "") async throws -> Reply {
        try await client.send(.post, "/annotation/workflow/update", body: #"{"workflowId": \#(workflowID), "workflow": {"pools": \#(pools)}\#(extra)}"#)
    }

    func upload(_ client: some TestClientProtocol, _ workflowID: Int, _ externalID: String) async throws -> Int {
        let uploaded = try Self.data(try await client.send(.post, "/annotation/item/upload", body: #"{"workflowId": \#(workflowID), "items": [{"externalId": "\#(externalID)", "data": "\#(externalID)"}]}"#))
        return Int(try #require(uploaded["itemIds"]?.arrayValue?.first?.numberValue))
    }

    /// The item waits in pool `name`.
    func waits(_ client: some TestClientProtocol, _ itemID: Int, in name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var last = JSONValue.null
        for _ in 0..<2000 {
            last = try Self.data(try await client.send(.get, "/annotation/item/get?itemId=\(itemID)"))
            if last["pool"]?["name"]?.stringValue == name { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("item \(itemID) never waited in \(name): \(last)", sourceLocation: sourceLocation)
    }

    @Test func anEditReachesWaitingItemsAndTheItemsOnTheirWay() async throws {
        let (app, _) = try await items.makeApp()
        try await app.test(.router) { client in
            // Label (ann, bob) → Review (rev) → completion.
            let workflowID = try await items.workflow(client)
            let first = try await upload(client, workflowID, "a")
            let label = try await items.task(client, "ann", "label item \(first)")
            #expect(try await items.complete(client, label, "ann", #"{"label": "cat"}"#).status == .ok)
            try await waits(client, first, in: "Review")
            let second = try await upload(client, workflowID, "b")
            try await waits(client, second, in: "Label")

            // Only bob labels from now on, and a second look by ann follows the review.
            let edited = try Self.data(try await update(client, workflowID, #"[{"type": 0}, {"name": "Label", "type": 1, "workers": ["bob"]}, {"name": "Review", "type": 2, "workers": ["rev"]}, {"name": "Second look", "type": 2, "workers": ["ann"]}, {"type": 5}]"#))
            #expect(edited["version"] == 2, "\(edited)")
            #expect(edited["workflow"]?["pools"]?.arrayValue?.map { $0["name"] } == ["Distribution", "Label", "Review", "Second look", "Completion"])
            let read = try Self.data(try await client.send(.get, "/annotation/workflow/get?workflowId=\(workflowID)"))
            #expect(read["version"] == 2 && read["workflow"] == edited["workflow"])

            // The waiting label task is bob's alone now.
            let annsInbox = try await client.send(.get, "/inbox?account=ann").json()
            #expect(annsInbox["claimable"]?.arrayValue?.contains { $0["title"]?.stringValue?.contains("item \(second)") == true } == false, "ann still offered item b: \(annsInbox)")
            let bobsLabel = try await items.task(client, "bob", "label item \(second)")
            #expect(bobsLabel["assignees"] == ["bob"], "\(bobsLabel)")

            // Item a, reviewed after the edit, goes on to the new pool instead of completing.
            let review = try await items.task(client, "rev", "review item \(first)")
            #expect(try await items.complete(client, review, "rev", #"{"approved": true}"#).status == .ok)
            try await waits(client, first, in: "Second look")
            let look = try await items.task(client, "ann", "Second look: review")
            #expect(look["input"]?["pool_index"] == 3 && look["input"]?["version"] == 2, "\(look)")
            #expect(try await items.complete(client, look, "ann", #"{"approved": true}"#).status == .ok)
            let done = try await items.item(client, first, until: "completed")
            #expect(done["history"]?.arrayValue?.map { $0["pool"] } == ["Label", "Review", "Second look"])

            // Item b, labeled after the edit, takes the whole edited way.
            #expect(try await items.complete(client, bobsLabel, "bob", #"{"label": "dog"}"#).status == .ok)
            let review2 = try await items.task(client, "rev", "review item \(second)")
            #expect(try await items.complete(client, review2, "rev", #"{"approved": true}"#).status == .ok)
            let look2 = try await items.task(client, "ann", "Second look: review")
            #expect(try await items.complete(client, look2, "ann", #"{"approved": true}"#).status == .ok)
            let done2 = try await items.item(client, second, until: "completed")
            #expect(done2["history"]?.arrayValue?.map { $0["by"] } == ["bob", "rev", "ann"])

            // Progress counts by the edited pools.
            let progress = try Self.data(try await client.send(.get, "/annotation/workflow/progress?workflowId=\(workflowID)"))
            let pools = progress["pools"]?.arrayValue ?? []
            #expect(pools.first { $0["name"] == "Second look" }?["done"] == 2, "\(progress)")
            #expect(pools.first { $0["name"] == "Review" }?["done"] == 2, "\(progress)")
        }
    }

    @Test func aRemovedPoolThatHoldsItemsRefusesTheEditUnlessItsItemsMove() async throws {
        let (app, _) = try await items.makeApp()
        try await app.test(.router) { client in
            let workflowID = try await items.workflow(client)
            let itemID = try await upload(client, workflowID, "a")
            let label = try await items.task(client, "ann", "label item \(itemID)")
            #expect(try await items.complete(client, label, "ann", #"{"label": "cat"}"#).status == .ok)
            try await waits(client, itemID, in: "Review")

            let withoutReview = #"[{"type": 0}, {"name": "Label", "type": 1, "workers": ["ann", "bob"]}, {"name": "QA", "type": 2, "workers": ["rev"]}, {"type": 5}]"#
            let refused = try await update(client, workflowID, withoutReview)
            try AnnotationAPITests.expectInvalid(refused, at: ["workflow.pools"])
            let message = try refused.json()["problems"]?.arrayValue?.first?["message"]?.stringValue ?? ""
            #expect(message.contains("\"Review\"") && message.contains("1 item (1 waiting, 0 held)") && message.contains("moveItems"), "\(message)")
            try AnnotationAPITests.expectInvalid(try await update(client, workflowID, withoutReview, extra: #", "moveItems": {"Review": "Label"}"#), at: ["moveItems.Review", "workflow.pools"])
            try AnnotationAPITests.expectInvalid(try await update(client, workflowID, withoutReview, extra: #", "moveItems": {"Nope": "QA", "Review": "QA"}"#), at: ["moveItems.Nope"])
            try AnnotationAPITests.expectInvalid(try await update(client, workflowID, withoutReview, extra: #", "moveItems": {"Review": 3}"#), at: ["moveItems.Review", "workflow.pools"])
            let unchanged = try Self.data(try await client.send(.get, "/annotation/workflow/get?workflowId=\(workflowID)"))
            #expect(unchanged["version"] == 1, "a refused edit stores nothing: \(unchanged)")

            let moved = try Self.data(try await update(client, workflowID, withoutReview, extra: #", "moveItems": {"Review": "QA"}"#))
            #expect(moved["version"] == 2)
            try await waits(client, itemID, in: "QA")
            let next = try Self.data(try await client.send(.post, "/annotation/task/next", body: #"{"workflowId": \#(workflowID), "pool": 2, "account": "rev"}"#))
            let task = try #require(next["task"], "\(next)")
            #expect(task["title"]?.stringValue?.hasPrefix("QA: ") == true, "\(task)")
            #expect(try await items.complete(client, task, "rev", #"{"approved": true}"#).status == .ok)
            let done = try await items.item(client, itemID, until: "completed")
            #expect(done["history"]?.arrayValue?.map { $0["pool"] } == ["Label", "QA"])
        }
    }

    @Test func anItemThatWentOnByAnEditGoesTheSameWayAfterARestart() async throws {
        let store = try await TestStore.make()
        let (app, _) = try await items.makeApp(store: store)
        let ids = IDs()
        try await app.test(.router) { client in
            let workflowID = try await items.workflow(client)
            ids.workflow = workflowID
            let itemID = try await upload(client, workflowID, "a")
            ids.item = itemID
            let label = try await items.task(client, "ann", "label item \(itemID)")
            #expect(try await items.complete(client, label, "ann", #"{"label": "cat"}"#).status == .ok)
            try await waits(client, itemID, in: "Review")
            _ = try Self.data(try await update(client, workflowID, #"[{"type": 0}, {"name": "Label", "type": 1, "workers": ["ann", "bob"]}, {"name": "Review", "type": 2, "workers": ["rev"]}, {"name": "Second look", "type": 2, "workers": ["ann"]}, {"type": 5}]"#))
            let review = try await items.task(client, "rev", "review item \(itemID)")
            #expect(try await items.complete(client, review, "rev", #"{"approved": true}"#).status == .ok)
            try await waits(client, itemID, in: "Second look")
            // Another edit puts a pool before the one the item waits in: it does not go back.
            _ = try Self.data(try await update(client, workflowID, #"[{"type": 0}, {"name": "Label", "type": 1, "workers": ["ann", "bob"]}, {"name": "Review", "type": 2, "workers": ["rev"]}, {"name": "Third", "type": 2, "workers": ["bob"]}, {"name": "Second look", "type": 2, "workers": ["ann"]}, {"type": 5}]"#))
        }
        // A new engine on the same store replays the item's answers under the versions they
        // were given under (not the latest): it waits where it did, in the pool the first edit
        // added, and from there goes on by the latest pools (Second look → completion).
        let (again, _) = try await items.makeApp(store: store)
        try await again.test(.router) { client in
            try await waits(client, ids.item, in: "Second look")
            let look = try await items.task(client, "ann", "Second look: review item \(ids.item)")
            #expect(try await items.complete(client, look, "ann", #"{"approved": true}"#).status == .ok)
            let done = try await items.item(client, ids.item, until: "completed")
            #expect(done["history"]?.arrayValue?.map { $0["pool"] } == ["Label", "Review", "Second look"])
        }
    }

    final class IDs: @unchecked Sendable {
        var workflow = 0
        var item = 0
    }

    @Test func anEditThatBreaksARuleOrComesSecondStoresNothing() async throws {
        let (app, _) = try await items.makeApp()
        try await app.test(.router) { client in
            let workflowID = try await items.workflow(client)
            let pools = #"[{"type": 0}, {"name": "Label", "type": 1}, {"type": 5}]"#
            try AnnotationAPITests.expectInvalid(try await update(client, 999, pools), at: ["workflowId"])
            try AnnotationAPITests.expectInvalid(try await client.send(.post, "/annotation/workflow/update", body: #"{"workflowId": \#(workflowID)}"#), at: ["workflow"])
            try AnnotationAPITests.expectInvalid(try await update(client, workflowID, #"[{"type": 0}, {"name": "Label", "type": 1}, {"name": "Label", "type": 2}, {"type": 5}]"#), at: ["workflow.pools[2].name"])
            try AnnotationAPITests.expectInvalid(try await update(client, workflowID, #"[{"type": 0}, {"name": "Label", "type": 1, "workers": ["nobody"]}, {"type": 5}]"#), at: ["workflow.pools[1].workers[0]"])
            try AnnotationAPITests.expectInvalid(try await update(client, workflowID, pools, extra: #", "colour": 1"#), at: ["colour"])
            let stale = try await update(client, workflowID, pools, extra: #", "version": 7"#)
            #expect(stale.status == .conflict, "\(stale.text)")
            #expect(try stale.json()["code"] == 409 && (try stale.json()["success"]) == false)
            #expect(try Self.data(try await client.send(.get, "/annotation/workflow/get?workflowId=\(workflowID)"))["version"] == 1)
            #expect(try Self.data(try await update(client, workflowID, pools, extra: #", "version": 1"#))["version"] == 2)
            #expect(try await update(client, workflowID, pools, extra: #", "version": 1"#).status == .conflict, "an edit made on version 1 after another one")
        }
    }
}
