import Logging
import PostgresNIO
import SluiceCore
import SluiceStore

/// Webhook subscriptions and deliveries: writes.
extension PostgresStore.Batch {
    mutating func applyWebhookMutation(_ mutation: Mutation) async throws -> MutationOutcome {
        switch mutation {
        case .insertSubscription(let s):
            // fromEventSeq is the last event committed: events of this batch count.
            try await flushEvents()
            try await lock()
            let types = JSONValue.array(s.eventTypes.map(JSONValue.string)).jsonString
            let rows = try await run("""
                INSERT INTO webhook_subscriptions (id, workflow_id, url, event_types, description, secret, previous_secret, previous_secret_expires_at, created_at, from_event_seq, disabled_at, disabled_reason)
                SELECT \(s.id), \(s.workflowID), \(s.url), \(types), \(s.description), \(s.secret), \(s.previousSecret), \(s.previousSecretExpiresAt)::bigint,
                    \(s.createdAt), \(unescaped: PostgresStore.lastEventSeqSQL), \(s.disabledAt)::bigint, \(s.disabledReason)
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """)
            return rows.isEmpty ? .idConflict : .applied
        case .deleteSubscription(let workflowID, let id, let at):
            let rows = try await run("""
                WITH s AS (DELETE FROM webhook_subscriptions WHERE id = \(id) AND workflow_id = \(workflowID) RETURNING id),
                c AS (UPDATE webhook_deliveries SET status = 'CANCELLED', next_attempt_at = NULL, completed_at = \(at)
                    WHERE status = 'PENDING' AND subscription_id IN (SELECT id FROM s))
                SELECT 1 FROM s
                """)
            return rows.isEmpty ? .stale : .applied
        case .rotateSubscriptionSecret(let workflowID, let id, let secret, let until):
            let rows = try await run("""
                UPDATE webhook_subscriptions SET previous_secret = secret, previous_secret_expires_at = \(until), secret = \(secret)
                WHERE id = \(id) AND workflow_id = \(workflowID) RETURNING 1
                """)
            return rows.isEmpty ? .stale : .applied
        case .disableSubscription(let id, let at, let reason):
            let rows = try await run("""
                WITH s AS (UPDATE webhook_subscriptions SET disabled_at = \(at), disabled_reason = \(reason) WHERE id = \(id) AND disabled_at IS NULL RETURNING id),
                c AS (UPDATE webhook_deliveries SET status = 'CANCELLED', next_attempt_at = NULL, completed_at = \(at)
                    WHERE status = 'PENDING' AND subscription_id IN (SELECT id FROM s))
                SELECT 1 FROM s
                """)
            return rows.isEmpty ? .stale : .applied
        case .fanOut(let after, let through, let deliveries):
            try await flushEvents()
            let rows = try await run("UPDATE meta SET value = \(String(through)) WHERE key = 'webhook_fanout_after' AND value = \(String(after)) RETURNING 1")
            if rows.isEmpty { return .stale }
            // Subscriptions disabled since the sender read them (a 410 committed meanwhile) get
            // no deliveries.
            let ids = Array(Set(deliveries.compactMap(\.subscriptionID)))
            var disabled: Set<String> = []
            if !ids.isEmpty {
                for row in try await run("SELECT id FROM webhook_subscriptions WHERE disabled_at IS NOT NULL AND id = ANY(\(ids))") {
                    disabled.insert(try row.decode(String.self))
                }
            }
            _ = try await insertDeliveries(deliveries.filter { $0.subscriptionID.map { !disabled.contains($0) } ?? true })
            return .applied
        case .insertDelivery(let d):
            try await flushEvents()
            return try await insertDeliveries([d]) > 0 ? .applied : .idConflict
        case .recordDeliveryAttempt(let id, let attempt, let status, let next, let at):
            let json = attempt.jsonString
            let rows = try await run("""
                UPDATE webhook_deliveries SET
                    attempts = CASE WHEN attempts = '[]' THEN '[' || \(json)::text || ']' ELSE left(attempts, -1) || ',' || \(json)::text || ']' END,
                    status = \(status.rawValue), next_attempt_at = \(status == .pending ? next : nil)::bigint, completed_at = \(status == .pending ? nil : at)::bigint
                WHERE id = \(id) AND status = 'PENDING' RETURNING 1
                """)
            return rows.isEmpty ? .stale : .applied
        case .cancelExecutionDeliveries(let executionID, let at):
            try await run("""
                UPDATE webhook_deliveries SET status = 'CANCELLED', next_attempt_at = NULL, completed_at = \(at)
                WHERE status = 'PENDING' AND subscription_id IS NULL AND execution_seq = (SELECT seq FROM executions WHERE id = \(executionID))
                """)
            return .applied
        default:
            preconditionFailure("not a webhook mutation: \(mutation)")
        }
    }

    /// Inserts `deliveries` in one statement, skipping those whose id is taken or whose execution
    /// does not exist; returns how many were inserted.
    func insertDeliveries(_ deliveries: [DeliveryRecord]) async throws -> Int {
        guard !deliveries.isEmpty else { return 0 }
        let rows = JSONValue.array(deliveries.map { d in
            .object(JSONObject([
                ("id", .string(d.id)), ("execution_id", .string(d.executionID)), ("event_seq", .string(String(d.eventSeq))),
                ("subscription_id", Self.text(d.subscriptionID)), ("url", .string(d.url)), ("status", .string(d.status.rawValue)),
                ("attempts", .string(JSONValue.array(d.attempts).jsonString)), ("next_attempt_at", Self.number(d.nextAttemptAt)),
                ("created_at", .string(String(d.createdAt))), ("completed_at", Self.number(d.completedAt)),
            ]))
        }).jsonString
        return try await run("""
            INSERT INTO webhook_deliveries (id, execution_seq, event_seq, subscription_id, url, status, attempts, next_attempt_at, created_at, completed_at)
            SELECT r.id, x.seq, r.event_seq::bigint, r.subscription_id, r.url, r.status, r.attempts, r.next_attempt_at::bigint, r.created_at::bigint, r.completed_at::bigint
            FROM ROWS FROM (json_to_recordset(\(rows)::json) AS (id text, execution_id text, event_seq text, subscription_id text, url text, status text,
                attempts text, next_attempt_at text, created_at text, completed_at text))
                WITH ORDINALITY AS r(id, execution_id, event_seq, subscription_id, url, status, attempts, next_attempt_at, created_at, completed_at, o)
            JOIN executions x ON x.id = r.execution_id
            ORDER BY r.o
            ON CONFLICT (id) DO NOTHING RETURNING 1
            """).count
    }
}

/// Events, subscriptions and deliveries: reads.
extension PostgresStore {
    static let eventColumns = "ev.seq, x.id, ev.workflow_id, ev.type, ev.at, ev.data"

    static func event(_ row: PostgresRandomAccessRow, offset o: Int = 0) throws -> EventRecord {
        EventRecord(
            seq: try row[o].decode(Int64.self), executionID: try row[o + 1].decode(String.self), workflowID: try row[o + 2].decode(String.self),
            type: try row[o + 3].decode(String.self), at: try row[o + 4].decode(Int64.self), data: try row[o + 5].decode(String.self)
        )
    }

    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        do {
            return try await collect(query).map { $0.makeRandomAccess() }
        } catch let error as PSQLError where !error.storeIsUnavailable {
            throw StoreError(message: "PostgreSQL: \(Self.describe(error))")
        }
    }

    public func events(executionID: String, after: Int64, limit: Int) async throws -> [EventRecord] {
        try await rows("""
            SELECT \(unescaped: Self.eventColumns) FROM executions x JOIN events ev ON ev.execution_seq = x.seq
            WHERE x.id = \(executionID) AND ev.seq > \(after) ORDER BY ev.seq LIMIT \(Int64(limit))
            """).map { try Self.event($0) }
    }

    public func events(workflowID: String?, after: Int64, limit: Int) async throws -> [EventRecord] {
        if let workflowID {
            return try await rows("""
                SELECT \(unescaped: Self.eventColumns) FROM events ev JOIN executions x ON x.seq = ev.execution_seq
                WHERE ev.workflow_id = \(workflowID) AND ev.seq > \(after) ORDER BY ev.seq LIMIT \(Int64(limit))
                """).map { try Self.event($0) }
        }
        return try await rows("""
            SELECT \(unescaped: Self.eventColumns) FROM events ev JOIN executions x ON x.seq = ev.execution_seq
            WHERE ev.seq > \(after) ORDER BY ev.seq LIMIT \(Int64(limit))
            """).map { try Self.event($0) }
    }

    public func lastEventSeq() async throws -> Int64 {
        try await rows("SELECT \(unescaped: Self.lastEventSeqSQL)").first?[0].decode(Int64.self) ?? 0
    }

    static let subscriptionColumns = "seq, id, workflow_id, url, event_types, description, secret, previous_secret, previous_secret_expires_at, created_at, from_event_seq, disabled_at, disabled_reason"

    static func subscription(_ row: PostgresRandomAccessRow) throws -> SubscriptionRecord {
        let types = json(try row[4].decode(String.self))?.arrayValue?.compactMap(\.stringValue) ?? []
        return SubscriptionRecord(
            seq: try row[0].decode(Int64.self), id: try row[1].decode(String.self), workflowID: try row[2].decode(String.self), url: try row[3].decode(String.self),
            eventTypes: types, description: try row[5].decode(String?.self), secret: try row[6].decode(String.self),
            previousSecret: try row[7].decode(String?.self), previousSecretExpiresAt: try row[8].decode(Int64?.self), createdAt: try row[9].decode(Int64.self),
            fromEventSeq: try row[10].decode(Int64.self), disabledAt: try row[11].decode(Int64?.self), disabledReason: try row[12].decode(String?.self)
        )
    }

    public func subscription(id: String) async throws -> SubscriptionRecord? {
        try await rows("SELECT \(unescaped: Self.subscriptionColumns) FROM webhook_subscriptions WHERE id = \(id)").first.map(Self.subscription)
    }

    public func subscriptions(workflowID: String) async throws -> [SubscriptionRecord] {
        try await rows("SELECT \(unescaped: Self.subscriptionColumns) FROM webhook_subscriptions WHERE workflow_id = \(workflowID) ORDER BY seq").map(Self.subscription)
    }

    public func activeSubscriptions() async throws -> [SubscriptionRecord] {
        try await rows("SELECT \(unescaped: Self.subscriptionColumns) FROM webhook_subscriptions WHERE disabled_at IS NULL ORDER BY seq").map(Self.subscription)
    }

    public func fanOutCursor() async throws -> Int64 {
        let value = try await rows("SELECT value FROM meta WHERE key = 'webhook_fanout_after'").first?[0].decode(String.self)
        return value.flatMap { Int64($0) } ?? 0
    }

    public func fanOutEvents(after: Int64, limit: Int) async throws -> [FanOutEvent] {
        try await rows("""
            SELECT ev.seq, x.id, ev.workflow_id, ev.type, ev.at, '', x.webhook_url, x.webhook_secret FROM events ev JOIN executions x ON x.seq = ev.execution_seq
            WHERE ev.seq > \(after) ORDER BY ev.seq LIMIT \(Int64(limit))
            """).map { row in
            FanOutEvent(event: try Self.event(row), webhookURL: try row[6].decode(String?.self), webhookSecret: try row[7].decode(String?.self))
        }
    }

    static let deliveryColumns = "d.seq, d.id, x.id, d.event_seq, d.subscription_id, d.url, d.status, d.attempts, d.next_attempt_at, d.created_at, d.completed_at, ev.type"

    static func delivery(_ row: PostgresRandomAccessRow) throws -> DeliveryRecord {
        DeliveryRecord(
            seq: try row[0].decode(Int64.self), id: try row[1].decode(String.self), executionID: try row[2].decode(String.self),
            eventSeq: try row[3].decode(Int64.self), subscriptionID: try row[4].decode(String?.self), url: try row[5].decode(String.self),
            status: DeliveryStatus(rawValue: try row[6].decode(String.self)) ?? .pending, attempts: json(try row[7].decode(String.self))?.arrayValue ?? [],
            nextAttemptAt: try row[8].decode(Int64?.self), createdAt: try row[9].decode(Int64.self), completedAt: try row[10].decode(Int64?.self),
            eventType: try row[11].decode(String.self)
        )
    }

    public func dueDeliveries(now: Int64, limit: Int) async throws -> [DueDelivery] {
        try await rows("""
            SELECT \(unescaped: Self.deliveryColumns), \(unescaped: Self.eventColumns), s.secret, s.previous_secret, s.previous_secret_expires_at, x.webhook_secret, x.trace_context
            FROM webhook_deliveries d
            JOIN executions x ON x.seq = d.execution_seq
            JOIN events ev ON ev.seq = d.event_seq
            LEFT JOIN webhook_subscriptions s ON s.id = d.subscription_id
            WHERE d.status = 'PENDING' AND d.next_attempt_at <= \(now)
              AND NOT EXISTS (
                SELECT 1 FROM webhook_deliveries p
                WHERE p.status = 'PENDING' AND p.execution_seq = d.execution_seq AND p.subscription_id IS NOT DISTINCT FROM d.subscription_id AND p.seq < d.seq)
            ORDER BY d.next_attempt_at, d.seq LIMIT \(Int64(limit))
            """).compactMap { row -> DueDelivery? in
            let delivery = try Self.delivery(row)
            let event = try Self.event(row, offset: 12)
            var secrets: [String] = []
            if delivery.subscriptionID != nil {
                guard let secret = try row[18].decode(String?.self) else { return nil }
                secrets = [secret]
                if let previous = try row[19].decode(String?.self), let until = try row[20].decode(Int64?.self), now < until { secrets.append(previous) }
            } else if let secret = try row[21].decode(String?.self) {
                secrets = [secret]
            }
            return DueDelivery(delivery: delivery, event: event, secrets: secrets, traceContext: try row[22].decode(String?.self))
        }
    }

    public func nextDeliveryAt() async throws -> Int64? {
        try await rows("SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'PENDING'").first?[0].decode(Int64?.self)
    }

    public func deliveries(executionID: String, after: Int64, limit: Int) async throws -> [DeliveryRecord] {
        try await rows("""
            SELECT \(unescaped: Self.deliveryColumns) FROM executions x JOIN webhook_deliveries d ON d.execution_seq = x.seq JOIN events ev ON ev.seq = d.event_seq
            WHERE x.id = \(executionID) AND d.seq > \(after) ORDER BY d.seq LIMIT \(Int64(limit))
            """).map(Self.delivery)
    }

    public func delivery(id: String) async throws -> DeliveryRecord? {
        try await rows("""
            SELECT \(unescaped: Self.deliveryColumns) FROM webhook_deliveries d JOIN executions x ON x.seq = d.execution_seq JOIN events ev ON ev.seq = d.event_seq
            WHERE d.id = \(id)
            """).first.map(Self.delivery)
    }
}
