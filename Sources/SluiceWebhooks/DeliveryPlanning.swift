import SluiceCore
import SluiceStore

/// Which deliveries an event makes: one to its execution's `webhook_url` if it has one, and one
/// to each active subscription of its workflow that wants its type and was created before it.
public enum FanOut {
    public static func deliveries(for events: [FanOutEvent], subscriptions: [SubscriptionRecord], now: Int64, makeID: () -> String = { Identifier.make("dlv") }) -> [DeliveryRecord] {
        var byWorkflow: [String: [SubscriptionRecord]] = [:]
        for s in subscriptions where s.disabledAt == nil { byWorkflow[s.workflowID, default: []].append(s) }
        var deliveries: [DeliveryRecord] = []
        for item in events {
            let e = item.event
            if let url = item.webhookURL {
                deliveries.append(DeliveryRecord(id: makeID(), executionID: e.executionID, eventSeq: e.seq, subscriptionID: nil, url: url, nextAttemptAt: now, createdAt: now))
            }
            for s in byWorkflow[e.workflowID] ?? [] where e.seq > s.fromEventSeq && s.wants(e.type) {
                deliveries.append(DeliveryRecord(id: makeID(), executionID: e.executionID, eventSeq: e.seq, subscriptionID: s.id, url: s.url, nextAttemptAt: now, createdAt: now))
            }
        }
        return deliveries
    }
}

/// What follows an attempt.
public enum AttemptDecision: Sendable, Hashable {
    /// A 2xx: the delivery is done.
    case succeeded
    /// 410 Gone: the receiver wants no more; its subscription is disabled (or, for an
    /// execution's `webhook_url`, that execution's deliveries stop).
    case gone
    /// Try again at this time.
    case retry(at: Int64)
    /// The retry schedule is used up.
    case failed
}

extension AttemptDecision {
    /// Decides after attempt number `attempt` (from 1) ended with `statusCode` (nil: no answer:
    /// a connection error, a refused destination or a timeout). `retryAfter` is the answer's
    /// `Retry-After` in seconds, honoured for 429 and 5xx: the next attempt is no earlier than
    /// it asks (and no later than `maxRetryAfter`). `draw` in 0..<1 spreads the wait by the
    /// configured jitter.
    public static func after(attempt: Int, statusCode: Int?, retryAfter: Int64?, now: Int64, configuration c: WebhookConfiguration, draw: Double) -> AttemptDecision {
        if let code = statusCode {
            if (200...299).contains(code) { return .succeeded }
            if code == 410 { return .gone }
        }
        guard attempt >= 1, attempt <= c.retrySchedule.count else { return .failed }
        let base = Double(c.retrySchedule[attempt - 1].milliseconds)
        var wait = Int64((base * (1 + c.jitter * (2 * draw - 1))).rounded())
        if let code = statusCode, code == 429 || (500...599).contains(code), let retryAfter {
            wait = max(wait, min(retryAfter * 1000, c.maxRetryAfter.milliseconds))
        }
        return .retry(at: now + max(0, wait))
    }
}
