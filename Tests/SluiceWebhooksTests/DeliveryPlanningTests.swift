import SluiceCore
import SluiceStore
@testable import SluiceWebhooks
import Testing

/// The pure rules of webhook delivery: who gets an event, and what follows an attempt.
@Suite struct DeliveryPlanningTests {
    let config = WebhookConfiguration(retrySchedule: [.seconds(5), .seconds(300)], jitter: 0.2, maxRetryAfter: .seconds(3600))

    func event(_ seq: Int64, _ type: String, workflow: String = "wf-1", url: String? = nil) -> FanOutEvent {
        FanOutEvent(event: EventRecord(seq: seq, executionID: "ex-\(seq)", workflowID: workflow, type: type, at: 0, data: "{}"), webhookURL: url, webhookSecret: url == nil ? nil : "whsec_x")
    }

    @Test func anEventGoesToItsExecutionsURLAndToMatchingSubscriptionsCreatedBeforeIt() {
        let subs = [
            SubscriptionRecord(id: "wh-all", workflowID: "wf-1", url: "https://a", secret: "s", createdAt: 0, fromEventSeq: 0),
            SubscriptionRecord(id: "wh-tasks", workflowID: "wf-1", url: "https://b", eventTypes: ["task.*"], secret: "s", createdAt: 0, fromEventSeq: 0),
            SubscriptionRecord(id: "wh-late", workflowID: "wf-1", url: "https://c", secret: "s", createdAt: 0, fromEventSeq: 2),
            SubscriptionRecord(id: "wh-other", workflowID: "wf-2", url: "https://d", secret: "s", createdAt: 0, fromEventSeq: 0),
            SubscriptionRecord(id: "wh-off", workflowID: "wf-1", url: "https://e", secret: "s", createdAt: 0, fromEventSeq: 0, disabledAt: 1),
        ]
        let deliveries = FanOut.deliveries(for: [event(1, "execution.pending", url: "https://own"), event(2, "task.completed"), event(3, "execution.completed")], subscriptions: subs, now: 7)
        let targets = deliveries.map { "\($0.eventSeq):\($0.subscriptionID ?? "own")" }
        #expect(targets == ["1:own", "1:wh-all", "2:wh-all", "2:wh-tasks", "3:wh-all", "3:wh-late"])
        #expect(deliveries.allSatisfy { $0.nextAttemptAt == 7 && $0.status == .pending })
        #expect(Set(deliveries.map(\.id)).count == deliveries.count)
    }

    @Test func twoXXSucceeds410IsGoneAndOtherAnswersFollowTheSchedule() {
        #expect(AttemptDecision.after(attempt: 1, statusCode: 204, retryAfter: nil, now: 0, configuration: config, draw: 0.5) == .succeeded)
        #expect(AttemptDecision.after(attempt: 1, statusCode: 410, retryAfter: nil, now: 0, configuration: config, draw: 0.5) == .gone)
        #expect(AttemptDecision.after(attempt: 1, statusCode: 500, retryAfter: nil, now: 1000, configuration: config, draw: 0.5) == .retry(at: 6000))
        #expect(AttemptDecision.after(attempt: 2, statusCode: nil, retryAfter: nil, now: 0, configuration: config, draw: 0.5) == .retry(at: 300_000))
        #expect(AttemptDecision.after(attempt: 3, statusCode: 500, retryAfter: nil, now: 0, configuration: config, draw: 0.5) == .failed, "the schedule is used up")
        #expect(AttemptDecision.after(attempt: 1, statusCode: 302, retryAfter: nil, now: 0, configuration: config, draw: 0.5) == .retry(at: 5000), "a redirect is a failed attempt")
    }

    @Test func jitterSpreadsWaitsByTheConfiguredFraction() {
        #expect(AttemptDecision.after(attempt: 1, statusCode: 500, retryAfter: nil, now: 0, configuration: config, draw: 0) == .retry(at: 4000))
        #expect(AttemptDecision.after(attempt: 1, statusCode: 500, retryAfter: nil, now: 0, configuration: config, draw: 0.999_999) == .retry(at: 6000))
    }

    @Test func retryAfterIsHonouredFor429And5xxWithinItsCap() {
        #expect(AttemptDecision.after(attempt: 1, statusCode: 429, retryAfter: 120, now: 0, configuration: config, draw: 0.5) == .retry(at: 120_000))
        #expect(AttemptDecision.after(attempt: 1, statusCode: 503, retryAfter: 1, now: 0, configuration: config, draw: 0.5) == .retry(at: 5000), "never earlier than the schedule")
        #expect(AttemptDecision.after(attempt: 1, statusCode: 503, retryAfter: 999_999, now: 0, configuration: config, draw: 0.5) == .retry(at: 3_600_000), "capped at maxRetryAfter")
        #expect(AttemptDecision.after(attempt: 1, statusCode: 400, retryAfter: 120, now: 0, configuration: config, draw: 0.5) == .retry(at: 5000), "only for 429 and 5xx")
    }

    @Test func schedulesParseFromTheCommandLineForm() throws {
        #expect(try WebhookConfiguration.parseSchedule("5s, 5m,2h,1d,250ms,3").get() == [.seconds(5), .seconds(300), .seconds(7200), .seconds(86400), .milliseconds(250), .seconds(3)])
        guard case .failure(let e) = WebhookConfiguration.parseSchedule("5s,soon") else { Issue.record("accepted a bad schedule"); return }
        #expect(e.message.contains("\"soon\""))
        #expect(WebhookConfiguration.defaultSchedule.count == 7)
    }

    @Test func thePayloadIsTheStandardWebhooksEnvelope() throws {
        let bytes = WebhookSender.payload(EventRecord(seq: 1, executionID: "ex-1", workflowID: "wf-1", type: "task.failed", at: 0, data: #"{"a":1}"#))
        let json = try JSONParser.parse(bytes)
        #expect(json == ["type": "task.failed", "timestamp": "1970-01-01T00:00:00.000Z", "data": ["a": 1]])
    }
}
