import GRDB
import SluiceCore
import SluiceStore

/// Events, webhook subscriptions and deliveries.
extension SQLiteStore {
    static func applyWebhookMutation(_ mutation: Mutation, _ db: Database, now: Int64) throws -> MutationOutcome {
        switch mutation {
        case .insertSubscription(let s):
            let last = try lastEventSeq(db)
            try db.execute(sql: """
                INSERT OR IGNORE INTO webhook_subscriptions (id, workflow_id, url, event_types, description, secret, previous_secret, previous_secret_expires_at, created_at, from_event_seq, disabled_at, disabled_reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [s.id, s.workflowID, s.url, JSONValue.array(s.eventTypes.map(JSONValue.string)).jsonString, s.description, s.secret, s.previousSecret, s.previousSecretExpiresAt, s.createdAt, last, s.disabledAt, s.disabledReason])
            return db.changesCount == 0 ? .idConflict : .applied
        case .deleteSubscription(let workflowID, let id, let at):
            try db.execute(sql: "DELETE FROM webhook_subscriptions WHERE id = ? AND workflow_id = ?", arguments: [id, workflowID])
            if db.changesCount == 0 { return .stale }
            try cancelDeliveries(subscriptionID: id, at: at, db)
            return .applied
        case .rotateSubscriptionSecret(let workflowID, let id, let secret, let until):
            try db.execute(sql: """
                UPDATE webhook_subscriptions SET previous_secret = secret, previous_secret_expires_at = ?, secret = ?
                WHERE id = ? AND workflow_id = ?
                """, arguments: [until, secret, id, workflowID])
            return db.changesCount == 0 ? .stale : .applied
        case .disableSubscription(let id, let at, let reason):
            try db.execute(sql: "UPDATE webhook_subscriptions SET disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL", arguments: [at, reason, id])
            if db.changesCount == 0 { return .stale }
            try cancelDeliveries(subscriptionID: id, at: at, db)
            return .applied
        case .fanOut(let after, let through, let deliveries):
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'webhook_fanout_after' AND value = ?", arguments: [String(through), String(after)])
            if db.changesCount == 0 { return .stale }
            // Subscriptions disabled since the sender read them (a 410 committed meanwhile) get
            // no deliveries.
            var disabled: [String: Bool] = [:]
            for d in deliveries {
                if let sid = d.subscriptionID {
                    if disabled[sid] == nil {
                        disabled[sid] = try Bool.fetchOne(db, sql: "SELECT disabled_at IS NOT NULL FROM webhook_subscriptions WHERE id = ?", arguments: [sid]) ?? false
                    }
                    if disabled[sid] == true { continue }
                }
                _ = try insertDelivery(d, db)
            }
            return .applied
        case .insertDelivery(let d):
            return try insertDelivery(d, db) ? .applied : .idConflict
        case .recordDeliveryAttempt(let id, let attempt, let status, let next, let at):
            try db.execute(sql: """
                UPDATE webhook_deliveries SET attempts = json_insert(attempts, '$[#]', json(?)), status = ?, next_attempt_at = ?, completed_at = ?
                WHERE id = ? AND status = 'PENDING'
                """, arguments: [attempt.jsonString, status.rawValue, status == .pending ? next : nil, status == .pending ? nil : at, id])
            return db.changesCount == 0 ? .stale : .applied
        case .cancelExecutionDeliveries(let executionID, let at):
            try db.execute(sql: """
                UPDATE webhook_deliveries SET status = 'CANCELLED', next_attempt_at = NULL, completed_at = ?
                WHERE status = 'PENDING' AND subscription_id IS NULL AND execution_seq = (SELECT seq FROM executions WHERE id = ?)
                """, arguments: [at, executionID])
            return .applied
        default:
            preconditionFailure("not a webhook mutation: \(mutation)")
        }
    }

    static func cancelDeliveries(subscriptionID: String, at: Int64, _ db: Database) throws {
        try db.execute(sql: """
            UPDATE webhook_deliveries SET status = 'CANCELLED', next_attempt_at = NULL, completed_at = ?
            WHERE status = 'PENDING' AND subscription_id = ?
            """, arguments: [at, subscriptionID])
    }

    /// Inserts `d`; false if its id is taken or its execution does not exist.
    static func insertDelivery(_ d: DeliveryRecord, _ db: Database) throws -> Bool {
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO webhook_deliveries (id, execution_seq, event_seq, subscription_id, url, status, attempts, next_attempt_at, created_at, completed_at)
            SELECT ?, seq, ?, ?, ?, ?, ?, ?, ?, ? FROM executions WHERE id = ?
            """).execute(arguments: [d.id, d.eventSeq, d.subscriptionID, d.url, d.status.rawValue, JSONValue.array(d.attempts).jsonString, d.nextAttemptAt, d.createdAt, d.completedAt, d.executionID])
        return db.changesCount > 0
    }

    // MARK: Reads

    static let eventColumns = "ev.seq, x.id, ev.workflow_id, ev.type, ev.at, ev.data"

    static func event(_ row: Row, offset o: Int = 0) -> EventRecord {
        EventRecord(seq: row[o], executionID: row[o + 1], workflowID: row[o + 2], type: row[o + 3], at: row[o + 4], data: row[o + 5])
    }

    public func events(executionID: String, after: Int64, limit: Int) async throws -> [EventRecord] {
        try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.eventColumns) FROM executions x JOIN events ev ON ev.execution_seq = x.seq
                WHERE x.id = ? AND ev.seq > ? ORDER BY ev.seq LIMIT ?
                """), arguments: [executionID, after, limit]).map { Self.event($0) }
        }
    }

    public func events(workflowID: String?, after: Int64, limit: Int) async throws -> [EventRecord] {
        try readNow { db in
            if let workflowID {
                return try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT \(Self.eventColumns) FROM events ev JOIN executions x ON x.seq = ev.execution_seq
                    WHERE ev.workflow_id = ? AND ev.seq > ? ORDER BY ev.seq LIMIT ?
                    """), arguments: [workflowID, after, limit]).map { Self.event($0) }
            }
            return try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.eventColumns) FROM events ev JOIN executions x ON x.seq = ev.execution_seq
                WHERE ev.seq > ? ORDER BY ev.seq LIMIT ?
                """), arguments: [after, limit]).map { Self.event($0) }
        }
    }

    public func lastEventSeq() async throws -> Int64 {
        try readNow { db in try Self.lastEventSeq(db) }
    }

    static let subscriptionColumns = "seq, id, workflow_id, url, event_types, description, secret, previous_secret, previous_secret_expires_at, created_at, from_event_seq, disabled_at, disabled_reason"

    static func subscription(_ row: Row) -> SubscriptionRecord {
        let types = json(row[4])?.arrayValue?.compactMap(\.stringValue) ?? []
        return SubscriptionRecord(
            seq: row[0], id: row[1], workflowID: row[2], url: row[3], eventTypes: types, description: row[5], secret: row[6],
            previousSecret: row[7], previousSecretExpiresAt: row[8], createdAt: row[9], fromEventSeq: row[10], disabledAt: row[11], disabledReason: row[12]
        )
    }

    public func subscription(id: String) async throws -> SubscriptionRecord? {
        try readNow { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.subscriptionColumns) FROM webhook_subscriptions WHERE id = ?", arguments: [id]).map(Self.subscription)
        }
    }

    public func subscriptions(workflowID: String) async throws -> [SubscriptionRecord] {
        try readNow { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.subscriptionColumns) FROM webhook_subscriptions WHERE workflow_id = ? ORDER BY seq", arguments: [workflowID]).map(Self.subscription)
        }
    }

    public func activeSubscriptions() async throws -> [SubscriptionRecord] {
        try readNow { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.subscriptionColumns) FROM webhook_subscriptions WHERE disabled_at IS NULL ORDER BY seq").map(Self.subscription)
        }
    }

    public func fanOutCursor() async throws -> Int64 {
        try readNow { db in
            Int64(try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'webhook_fanout_after'") ?? "0") ?? 0
        }
    }

    public func fanOutEvents(after: Int64, limit: Int) async throws -> [FanOutEvent] {
        try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT ev.seq, x.id, ev.workflow_id, ev.type, ev.at, '', x.webhook_url, x.webhook_secret FROM events ev JOIN executions x ON x.seq = ev.execution_seq
                WHERE ev.seq > ? ORDER BY ev.seq LIMIT ?
                """), arguments: [after, limit]).map { row in
                FanOutEvent(event: Self.event(row), webhookURL: row[6], webhookSecret: row[7])
            }
        }
    }

    static let deliveryColumns = "d.seq, d.id, x.id, d.event_seq, d.subscription_id, d.url, d.status, d.attempts, d.next_attempt_at, d.created_at, d.completed_at, ev.type"

    static func delivery(_ row: Row) -> DeliveryRecord {
        DeliveryRecord(
            seq: row[0], id: row[1], executionID: row[2], eventSeq: row[3], subscriptionID: row[4], url: row[5],
            status: DeliveryStatus(rawValue: row[6]) ?? .pending, attempts: json(row[7])?.arrayValue ?? [],
            nextAttemptAt: row[8], createdAt: row[9], completedAt: row[10], eventType: row[11]
        )
    }

    public func dueDeliveries(now: Int64, limit: Int) async throws -> [DueDelivery] {
        try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.deliveryColumns), \(Self.eventColumns), s.secret, s.previous_secret, s.previous_secret_expires_at, x.webhook_secret, x.trace_context
                FROM webhook_deliveries d
                JOIN executions x ON x.seq = d.execution_seq
                JOIN events ev ON ev.seq = d.event_seq
                LEFT JOIN webhook_subscriptions s ON s.id = d.subscription_id
                WHERE d.status = 'PENDING' AND d.next_attempt_at <= ?
                  AND NOT EXISTS (
                    SELECT 1 FROM webhook_deliveries p
                    WHERE p.status = 'PENDING' AND p.execution_seq = d.execution_seq AND p.subscription_id IS d.subscription_id AND p.seq < d.seq)
                ORDER BY d.next_attempt_at, d.seq LIMIT ?
                """), arguments: [now, limit]).compactMap { row -> DueDelivery? in
                let delivery = Self.delivery(row)
                let event = Self.event(row, offset: 12)
                var secrets: [String] = []
                if delivery.subscriptionID != nil {
                    guard let secret: String = row[18] else { return nil }
                    secrets = [secret]
                    if let previous: String = row[19], let until: Int64 = row[20], now < until { secrets.append(previous) }
                } else if let secret: String = row[21] {
                    secrets = [secret]
                }
                return DueDelivery(delivery: delivery, event: event, secrets: secrets, traceContext: row[22])
            }
        }
    }

    public func nextDeliveryAt() async throws -> Int64? {
        try readNow { db in try Int64.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'PENDING'") }
    }

    public func deliveries(executionID: String, after: Int64, limit: Int) async throws -> [DeliveryRecord] {
        try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.deliveryColumns) FROM executions x JOIN webhook_deliveries d ON d.execution_seq = x.seq JOIN events ev ON ev.seq = d.event_seq
                WHERE x.id = ? AND d.seq > ? ORDER BY d.seq LIMIT ?
                """), arguments: [executionID, after, limit]).map(Self.delivery)
        }
    }

    public func delivery(id: String) async throws -> DeliveryRecord? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT \(Self.deliveryColumns) FROM webhook_deliveries d JOIN executions x ON x.seq = d.execution_seq JOIN events ev ON ev.seq = d.event_seq
                WHERE d.id = ?
                """), arguments: [id]).map(Self.delivery)
        }
    }
}
