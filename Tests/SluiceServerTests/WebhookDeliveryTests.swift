import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceSQLite
import SluiceStore
import StandardWebhooks
import Synchronization
import SluiceTestSupport
import Testing

/// Webhooks end to end: a local receiver, the real sender, signatures checked as a receiver would.
@Suite(.testStores) struct WebhookDeliveryTests {
    /// The event types a three-step chain of pure steps produces, in order.
    static let chainEvents = ["execution.pending", "execution.running", "task.completed", "task.completed", "task.completed", "execution.completed"]

    @Test func anExecutionsWebhookURLReceivesEveryEventInOrderWithValidSignatures() async throws {
        let receiver = Receiver()
        try await receiver.run { base in
            try await makeWebhookApp().test(.router) { client in
                let wf = try await client.createWorkflow(seedWorkflow)
                let reply = try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_url": "\#(base)/hook"}"#)
                #expect(reply.status == .accepted)
                let secret = try #require(try reply.json()["webhook_secret"]?.stringValue, "the secret is shown once, in the 202")
                #expect(secret.hasPrefix("whsec_"))
                let ex = try #require(try reply.json()["execution_id"]?.stringValue)
                _ = try await client.finishedExecution(wf, ex)
                let received = try await receiver.wait { $0.count >= 6 }
                #expect(received.map(\.type) == Self.chainEvents, "every status change, in commit order")
                for r in received {
                    try verifySignature(r, secret: secret)
                    #expect(r.headers["content-type"] == "application/json")
                    #expect(r.data["execution_id"]?.stringValue == ex)
                }
                #expect(Set(received.map(\.id)).count == received.count, "each event has its own webhook-id")
                #expect(received.last?.data["output"] == ["text": "!dlrow ,olleH"])
                // The receiver's view matches the event list.
                let events = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events").json()
                #expect(events["events"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == received.map(\.id))
                // Wrong secret: the check fails, as it must for a forged request.
                #expect(throws: WebhookVerificationError.self) { try verifySignature(received[0], secret: WebhookSecret.generate().string) }
            }
        }
    }

    /// A task's change of holder (`task.claimed`, `task.released`) reaches webhooks like the
    /// other events, in order with them.
    @Test func aTasksClaimAndReleaseAreDeliveredToWebhooks() async throws {
        let receiver = Receiver()
        try await receiver.run { base in
            try await makeWebhookApp().test(.router) { client in
                let wf = try await client.createWorkflow(HumanTaskTests.workflow())
                let sub = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(base)/hook", "event_types": ["task.*"]}"#)
                #expect(sub.status == .created, "\(sub.text)")
                let ex = try await client.startExecution(wf)
                var id: String?
                for _ in 0..<1000 where id == nil {
                    id = try await client.send(.get, "/inbox?account=alice").json()["claimable"]?.arrayValue?.first?["human_task_id"]?.stringValue
                    if id == nil { try await Task.sleep(for: .milliseconds(2)) }
                }
                let task = try #require(id, "the task never reached the inbox")
                for (action, body) in [("claim", #"{"account": "alice"}"#), ("release", #"{"account": "alice"}"#), ("claim", #"{"account": "bob"}"#),
                                       ("complete", #"{"account": "bob", "answer": {"approved": true}}"#)] {
                    let reply = try await client.send(.post, "/human-tasks/\(task)/\(action)", body: body)
                    #expect(reply.status == .ok, "\(action): \(reply.text)")
                }
                _ = try await client.finishedExecution(wf, ex)
                let done: @Sendable ([Received]) -> Bool = { $0.filter { $0.type == "task.claimed" }.count >= 2 && $0.contains { $0.type == "task.completed" && $0.data["step_id"] == "review" } }
                let received = try await receiver.wait(until: done)
                let types = received.map(\.type)
                #expect(done(received), "not every event arrived: \(types)")
                let holders = types.filter { $0 == "task.claimed" || $0 == "task.released" }
                #expect(holders == ["task.claimed", "task.released", "task.claimed"], "\(types)")
                let first = received.first { $0.type == "task.claimed" }
                #expect(first?.data.jsonString.contains("alice") == true, "the first claim names its holder: \(first?.data ?? .null)")
            }
        }
    }

    @Test func aReceiverThatFailsTwiceThenSucceedsGetsTheEventThreeTimesAndNothingMore() async throws {
        let receiver = Receiver { r, before in before < 2 ? (.serviceUnavailable, [:]) : (.ok, [:]) }
        try await receiver.run { base in
            try await makeWebhookApp().test(.router) { client in
                let wf = try await client.createWorkflow(seedWorkflow)
                let sub = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(base)/hook", "event_types": ["execution.completed"]}"#)
                #expect(sub.status == .created, "\(sub.text)")
                let ex = try await client.startExecution(wf)
                _ = try await client.finishedExecution(wf, ex)
                var received = try await receiver.wait { $0.count >= 3 }
                try await Task.sleep(for: .milliseconds(400))  // room for a wrong fourth attempt
                received = receiver.all
                #expect(received.count == 3 && Set(received.map(\.id)).count == 1, "one event, three attempts: \(received.map(\.type))")
                let deliveries = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/deliveries").json()
                let list = try #require(deliveries["deliveries"]?.arrayValue)
                #expect(list.count == 1)
                #expect(list[0]["status"] == "SUCCEEDED" && list[0]["event_type"] == "execution.completed")
                let attempts = try #require(list[0]["attempts"]?.arrayValue)
                #expect(attempts.map { $0["status_code"] } == [503, 503, 200])
                #expect(attempts[0]["error"]?.stringValue?.contains("503") == true && attempts[0]["duration_ms"]?.numberValue != nil)
            }
        }
    }

    @Test func aReceiverThatIsDownWhileTheServerRestartsStillGetsEveryEventAfterwards() async throws {
        let path = Scratch.root.appendingPathComponent("sluice-webhook-\(UUID().uuidString).db").path
        // A port nothing listens on while the first server runs.
        let port = try await Receiver().run { base in Int(base.split(separator: ":").last!)! }
        let url = "http://127.0.0.1:\(port)/hook"
        // The first attempt fails while the first server runs; the next one is due after it has
        // stopped, so the second server makes it (the wait is kept across the restart). The wait
        // is 3 s: with 800 ms, a loaded machine (CI) kept the first server up past it, the second
        // attempt failed too and the third was 30 s away.
        let schedule: [Duration] = [.seconds(3), .seconds(30)]
        let (executionID, secret) = try await makeWebhookApp(store: try SQLiteStore(path: path), schedule: schedule).test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let reply = try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_url": "\#(url)"}"#)
            let executionID = try #require(try reply.json()["execution_id"]?.stringValue)
            let secret = try #require(try reply.json()["webhook_secret"]?.stringValue)
            _ = try await client.finishedExecution(wf, executionID)
            try await Task.sleep(for: .milliseconds(300))
            return (executionID, secret)
        }
        let receiver = Receiver()
        try await receiver.run(port: port) { _ in
            try await makeWebhookApp(store: try SQLiteStore(path: path), schedule: schedule).test(.router) { client in
                let received = try await receiver.wait(seconds: 20) { $0.count >= 6 }
                #expect(received.map(\.type) == Self.chainEvents, "every event, in order, after the restart")
                for r in received { try verifySignature(r, secret: secret) }
                #expect(received.allSatisfy { $0.data["execution_id"]?.stringValue == executionID })
                let wf = try #require(received.first?.data["workflow_id"]?.stringValue)
                let list = try #require(try await client.send(.get, "/workflows/\(wf)/executions/\(executionID)/deliveries").json()["deliveries"]?.arrayValue)
                let first = try #require(list.first?["attempts"]?.arrayValue)
                #expect(first.count == 2 && first[0]["status_code"] == .null && first[1]["status_code"] == 204, "the attempt before the restart failed to connect: \(first)")
            }
        }
    }

    @Test func privateAndLoopbackWebhookURLsAreRefusedWithoutTheAllowFlag() async throws {
        try await makeWebhookApp(allowPrivate: false).test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            for url in ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://[::1]/hook", "http://169.254.169.254/latest"] {
                let message = try expectValidation(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_url": "\#(url)"}"#), path: "webhook_url", code: "refused_destination")
                #expect(message.contains("--allow-private-webhooks"), "the refusal names the flag: \(message)")
                try expectValidation(try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(url)"}"#), path: "url", code: "refused_destination")
            }
            let reply = try await client.send(.get, "/workflows/\(wf)/executions")
            #expect(try reply.json()["executions"]?.arrayValue?.isEmpty == true, "a refused request records nothing")
            #expect(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_url": "https://example.com/hook"}"#).status == .accepted)
        }
        try await makeWebhookApp(allowPrivate: true).test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            #expect(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_url": "http://127.0.0.1:9/hook"}"#).status == .accepted)
        }
    }

    @Test func aRedirectIsNotFollowedAnd410DisablesTheSubscription() async throws {
        let receiver = Receiver { r, _ in
            r.path == "moved" ? (.found, [.location: "http://127.0.0.1:1/elsewhere"]) : (.gone, [:])
        }
        try await receiver.run { base in
            try await makeWebhookApp(schedule: [.milliseconds(50)]).test(.router) { client in
                let wf = try await client.createWorkflow(seedWorkflow)
                let gone = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(base)/gone"}"#).json()
                _ = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(base)/moved", "event_types": ["execution.completed"]}"#)
                let ex = try await client.startExecution(wf)
                _ = try await client.finishedExecution(wf, ex)
                _ = try await receiver.wait { list in list.filter { $0.path == "moved" }.count >= 2 }
                try await Task.sleep(for: .milliseconds(300))
                #expect(receiver.all.filter { $0.path == "gone" }.count == 1, "after a 410 nothing more goes to that receiver")
                let id = try #require(gone["webhook_id"]?.stringValue)
                let sub = try await client.send(.get, "/workflows/\(wf)/webhooks/\(id)").json()
                #expect(sub["status"] == "DISABLED" && sub["disabled_reason"]?.stringValue?.contains("410") == true)
                #expect(sub["secret"] == nil, "the secret is shown only at creation")
                let list = try #require(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/deliveries").json()["deliveries"]?.arrayValue)
                let moved = try #require(list.first { $0["url"]?.stringValue?.hasSuffix("/moved") == true })
                #expect(moved["status"] == "FAILED", "one retry in the schedule, then it fails")
                let attempts = try #require(moved["attempts"]?.arrayValue)
                #expect(attempts.count == 2 && attempts.allSatisfy { $0["status_code"] == 302 && $0["error"]?.stringValue?.contains("redirects are not followed") == true })
                #expect(list.filter { $0["url"]?.stringValue?.hasSuffix("/gone") == true }.allSatisfy { $0["status"] == "CANCELLED" })
            }
        }
    }

    @Test func aSlowReceiverDoesNotHoldUpAnother() async throws {
        // The slow receiver answers nothing until the test lets it (its attempts are held, or
        // time out after the app's attempt timeout and are retried).
        let released = Mutex(false)
        let receiver = Receiver { r, _ in
            if r.path == "slow" {
                while !released.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
            }
            return (.ok, [:])
        }
        try await receiver.run { base in
            try await makeWebhookApp().test(.router) { client in
                let wf = try await client.createWorkflow(seedWorkflow)
                _ = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(base)/slow"}"#)
                _ = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(base)/fast"}"#)
                for _ in 0..<3 { _ = try await client.startExecution(wf) }
                let fast = try await receiver.wait { $0.filter { $0.path == "fast" }.count >= 18 }
                #expect(fast.filter { $0.path == "fast" }.count == 18, "every event of three executions reached the fast receiver")
                #expect(fast.contains { $0.path == "slow" }, "while the slow receiver was holding requests")
                released.withLock { $0 = true }
                let slow = try await receiver.wait { list in Set(list.filter { $0.path == "slow" }.map(\.id)).count >= 18 }
                #expect(Set(slow.filter { $0.path == "slow" }.map(\.id)).count == 18, "and the slow one gets them all once it answers")
            }
        }
    }

    @Test func aDeliveryCanBeSentAgainByHand() async throws {
        let receiver = Receiver()
        try await receiver.run { base in
            try await makeWebhookApp().test(.router) { client in
                let wf = try await client.createWorkflow(seedWorkflow)
                _ = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(base)/hook", "event_types": ["execution.*"]}"#)
                let ex = try await client.startExecution(wf)
                _ = try await client.finishedExecution(wf, ex)
                _ = try await receiver.wait { $0.count >= 3 }
                #expect(receiver.all.map(\.type) == ["execution.pending", "execution.running", "execution.completed"], "execution.* selects execution events")
                let list = try #require(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/deliveries").json()["deliveries"]?.arrayValue)
                let last = try #require(list.last?["delivery_id"]?.stringValue)
                let resent = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/deliveries/\(last)/resend")
                #expect(resent.status == .accepted, "\(resent.text)")
                #expect(try resent.json()["delivery_id"]?.stringValue != last)
                let received = try await receiver.wait { $0.count >= 4 }
                #expect(received.count == 4 && received[3].id == received[2].id, "the same event (same webhook-id) again")
                let missing = try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/deliveries/dlv-nothere/resend")
                try expectProblem(missing, status: .notFound)
            }
        }
    }

    @Test func aRotatedSecretSignsAlongsideTheOldOneDuringTheGracePeriod() async throws {
        let receiver = Receiver()
        try await receiver.run { base in
            try await makeWebhookApp().test(.router) { client in
                let wf = try await client.createWorkflow(seedWorkflow)
                let created = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(base)/hook", "event_types": ["execution.completed"]}"#).json()
                let id = try #require(created["webhook_id"]?.stringValue)
                let old = try #require(created["secret"]?.stringValue)
                let rotated = try await client.send(.post, "/workflows/\(wf)/webhooks/\(id)/rotate-secret")
                #expect(rotated.status == .ok)
                let new = try #require(try rotated.json()["secret"]?.stringValue)
                #expect(try new != old && isRFC3339(rotated.json()["previous_secret_expires_at"]))
                let ex = try await client.startExecution(wf)
                _ = try await client.finishedExecution(wf, ex)
                let r = try #require(try await receiver.wait { !$0.isEmpty }.first)
                #expect(r.headers["webhook-signature"]?.split(separator: " ").count == 2)
                try verifySignature(r, secret: new)
                try verifySignature(r, secret: old)
                let listed = try await client.send(.get, "/workflows/\(wf)/webhooks").json()
                #expect(listed["webhooks"]?.arrayValue?.map { $0["webhook_id"] } == [.string(id)])
                #expect(try await client.send(.delete, "/workflows/\(wf)/webhooks/\(id)").status == .noContent)
                try expectProblem(try await client.send(.delete, "/workflows/\(wf)/webhooks/\(id)"), status: .notFound)
            }
        }
    }

    @Test func subscriptionRequestsAreValidated() async throws {
        try await makeWebhookApp().test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{}"#), path: "url", code: "required")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "ftp://x/y"}"#), path: "url", code: "invalid_url")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "https://example.com", "event_types": ["task.done"]}"#), path: "event_types[0]", code: "invalid_value")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "https://example.com", "secret": "x"}"#), path: "secret", code: "unknown_field")
            try expectProblem(try await client.send(.post, "/workflows/wf-missing1/webhooks", body: #"{"url": "https://example.com"}"#), status: .notFound)
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_url": "https://example.com", "webhook_secret": "whsec_short"}"#), path: "webhook_secret", code: "invalid_secret")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#), path: "webhook_secret")
            let given = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            let reply = try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_url": "https://example.com", "webhook_secret": "\#(given)"}"#)
            #expect(try reply.json()["webhook_secret"]?.stringValue == given, "a secret the caller gives is used")
        }
    }
}
