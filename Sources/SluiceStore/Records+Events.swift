import SluiceCore

/// One status change of an execution or a task, stored in the same transaction as the change
/// (an outbox): none is lost, and none describes a change that did not commit.
public struct EventRecord: Sendable, Hashable {
    /// Commit order, assigned by the store; the stream cursor (`Last-Event-ID`) is built from it.
    public var seq: Int64
    public var executionID: String
    public var workflowID: String
    /// `execution.running`, `task.completed`, … (`EventType`).
    public var type: String
    /// When the change was committed, in milliseconds since the Unix epoch.
    public var at: Int64
    /// The state the event describes, as JSON text (kept as text: it is sent as it is).
    public var data: String

    public init(seq: Int64 = 0, executionID: String, workflowID: String, type: String, at: Int64, data: String) {
        self.seq = seq
        self.executionID = executionID
        self.workflowID = workflowID
        self.type = type
        self.at = at
        self.data = data
    }
}

extension EventRecord {
    /// The event on the wire: `{"id"?, "type", "timestamp", "data"}`. The API and the streams
    /// include the id; a webhook body leaves it out (it travels in the `webhook-id` header).
    public func envelope(id: String?) -> [UInt8] {
        var s = "{"
        if let id { s += "\"id\":" + JSONValue.string(id).jsonString + "," }
        s += "\"type\":" + JSONValue.string(type).jsonString
        s += ",\"timestamp\":\"" + Timestamp.format(milliseconds: at) + "\",\"data\":" + data + "}"
        return Array(s.utf8)
    }
}

/// An event with what fan-out needs to know about its execution.
public struct FanOutEvent: Sendable, Hashable {
    public var event: EventRecord
    /// The `webhook_url` given when the execution started.
    public var webhookURL: String?
    /// The secret that signs deliveries to `webhookURL`.
    public var webhookSecret: String?

    public init(event: EventRecord, webhookURL: String?, webhookSecret: String?) {
        self.event = event
        self.webhookURL = webhookURL
        self.webhookSecret = webhookSecret
    }
}

/// A workflow-level webhook subscription: every execution's events of the chosen types go to `url`.
public struct SubscriptionRecord: Sendable, Hashable {
    public var seq: Int64
    /// `wh-xxxxxxxx`.
    public var id: String
    public var workflowID: String
    public var url: String
    /// The event types it receives; empty for all.
    public var eventTypes: [String]
    public var description: String?
    /// The signing secret (`whsec_…`).
    public var secret: String
    /// The secret before the last rotation, still used to sign until `previousSecretExpiresAt`.
    public var previousSecret: String?
    public var previousSecretExpiresAt: Int64?
    public var createdAt: Int64
    /// It receives events after this one (the last event committed before it was created);
    /// assigned by the store.
    public var fromEventSeq: Int64
    /// Set when deliveries stopped for good (the receiver answered 410 Gone).
    public var disabledAt: Int64?
    public var disabledReason: String?

    public init(seq: Int64 = 0, id: String, workflowID: String, url: String, eventTypes: [String] = [], description: String? = nil, secret: String, previousSecret: String? = nil, previousSecretExpiresAt: Int64? = nil, createdAt: Int64, fromEventSeq: Int64 = 0, disabledAt: Int64? = nil, disabledReason: String? = nil) {
        self.seq = seq
        self.id = id
        self.workflowID = workflowID
        self.url = url
        self.eventTypes = eventTypes
        self.description = description
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.createdAt = createdAt
        self.fromEventSeq = fromEventSeq
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
    }

    /// Whether it wants events of `type`: every type when `eventTypes` is empty, else those it
    /// names, where `task.*` names every task event.
    public func wants(_ type: String) -> Bool {
        eventTypes.isEmpty || eventTypes.contains { $0 == type || ($0.hasSuffix(".*") && type.hasPrefix($0.dropLast())) }
    }

    /// The secrets that sign a delivery at `now`: the current one, and the previous one during
    /// its grace period after a rotation.
    public func signingSecrets(now: Int64) -> [String] {
        if let previousSecret, let until = previousSecretExpiresAt, now < until { return [secret, previousSecret] }
        return [secret]
    }
}

/// Where a delivery is.
public enum DeliveryStatus: String, Sendable, Hashable, CaseIterable {
    /// Waiting for its first or next attempt.
    case pending = "PENDING"
    /// A 2xx answer ended it.
    case succeeded = "SUCCEEDED"
    /// Every attempt of the retry schedule failed.
    case failed = "FAILED"
    /// Stopped without success: its subscription was deleted or disabled (410 Gone), or the
    /// receiver of an execution's `webhook_url` answered 410.
    case cancelled = "CANCELLED"
}

/// One event on its way to one receiver. Deliveries to one receiver for one execution go in
/// event order: a delivery is attempted only once every earlier one of its lane has ended.
public struct DeliveryRecord: Sendable, Hashable {
    public var seq: Int64
    /// `dlv-xxxxxxxx`.
    public var id: String
    public var executionID: String
    public var eventSeq: Int64
    /// The subscription it belongs to; `nil` for the execution's own `webhook_url`.
    public var subscriptionID: String?
    public var url: String
    public var status: DeliveryStatus
    /// Every attempt so far, oldest first: `{attempt, at, duration_ms, status_code?, error?}`.
    public var attempts: [JSONValue]
    public var nextAttemptAt: Int64?
    public var createdAt: Int64
    public var completedAt: Int64?
    /// The event's type (filled in by reads).
    public var eventType: String

    public init(seq: Int64 = 0, id: String, executionID: String, eventSeq: Int64, subscriptionID: String?, url: String, status: DeliveryStatus = .pending, attempts: [JSONValue] = [], nextAttemptAt: Int64?, createdAt: Int64, completedAt: Int64? = nil, eventType: String = "") {
        self.seq = seq
        self.id = id
        self.executionID = executionID
        self.eventSeq = eventSeq
        self.subscriptionID = subscriptionID
        self.url = url
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.eventType = eventType
    }
}

/// A delivery that is due, with everything its attempt needs.
public struct DueDelivery: Sendable, Hashable {
    public var delivery: DeliveryRecord
    public var event: EventRecord
    /// The secrets to sign with (more than one while a rotated secret is in its grace period).
    public var secrets: [String]
    /// The execution's trace context (`ExecutionRecord.traceContext`), sent with the delivery.
    public var traceContext: String?

    public init(delivery: DeliveryRecord, event: EventRecord, secrets: [String], traceContext: String? = nil) {
        self.delivery = delivery
        self.event = event
        self.secrets = secrets
        self.traceContext = traceContext
    }
}

/// The event types, by subject and status.
public enum EventType {
    public static func execution(_ status: ExecutionStatus) -> String { "execution." + status.rawValue.lowercased() }
    public static func task(_ status: TaskStatus) -> String { "task." + status.rawValue.lowercased() }

    /// A worker or a person took a queued task (`Worker.Task`, `Human.Task`), or an editor gave
    /// it to someone.
    public static let taskClaimed = "task.claimed"
    /// A person gave a human task back to the inbox (or an editor took it from its holder).
    public static let taskReleased = "task.released"

    /// Every event type, for validating subscriptions.
    public static let all: [String] = ExecutionStatus.allCases.map(execution) + TaskStatus.allCases.map(task) + [taskClaimed, taskReleased]
}

/// The events of a change of who holds a queued task: the rule every driver applies in the
/// transaction of the change.
public enum QueueEvents {
    /// The event type a change from `before` to `after` emits: `task.claimed` when it gets a
    /// new holder, `task.released` when it loses its holder without being answered; `nil` else.
    public static func type(from before: QueueClaim?, to after: QueuedTaskRecord) -> String? {
        if let claim = after.claim, claim.worker != before?.worker { return EventType.taskClaimed }
        if before != nil, after.claim == nil, after.result == nil { return EventType.taskReleased }
        return nil
    }

    /// The event's data: the task (as task events name it) and who holds it now.
    public static func data(_ task: QueuedTaskRecord, taskID: String, type: String) -> String {
        var w = EventData.Writer()
        w.field("execution_id", string: task.executionID, first: true)
        w.field("workflow_id", string: task.workflowID)
        w.field("task_id", string: taskID)
        w.field("step_id", string: task.stepID)
        w.field("type", string: type)
        w.field("attempt", int: Int64(task.attempt))
        if task.human != nil {
            w.field("human_task_id", string: task.id)
        } else {
            w.field("queue", string: task.queue)
            w.field("queued_task_id", string: task.id)
        }
        if let claim = task.claim {
            w.field("holder", string: claim.worker)
            w.field("claimed_at", time: claim.claimedAt)
            if task.human == nil { w.field("lease_expires_at", time: claim.leaseUntil) }
        } else {
            w.field("holder", raw: "null")
        }
        return w.finish()
    }
}

/// The `data` of events, built the same way by every store driver. Built as bytes, with the
/// output and error passed already serialized (the store serializes them for the row anyway):
/// this runs inside the write transaction, on the single writer, for every status change.
public enum EventData {
    /// An execution's state after a change.
    public static func execution(id: String, workflowID: String, workflowVersion: Int, status: ExecutionStatus, createdAt: Int64, startedAt: Int64?, completedAt: Int64?, outputJSON: String?, errorJSON: String?) -> String {
        var w = Writer()
        w.field("execution_id", string: id, first: true)
        w.field("workflow_id", string: workflowID)
        w.field("workflow_version", int: Int64(workflowVersion))
        w.field("status", string: status.rawValue)
        w.field("created_at", time: createdAt)
        w.field("started_at", time: startedAt)
        w.field("completed_at", time: completedAt)
        if status == .completed, let outputJSON { w.field("output", raw: outputJSON) }
        if let errorJSON { w.field("error", raw: errorJSON) }
        return w.finish()
    }

    /// A task's state after a change.
    public static func task(executionID: String, workflowID: String, taskID: String, stepID: String, type: String, status: TaskStatus, attempt: Int, startedAt: Int64?, completedAt: Int64?, wakeAt: Int64?, outputJSON: String?, errorJSON: String?) -> String {
        var w = Writer()
        w.field("execution_id", string: executionID, first: true)
        w.field("workflow_id", string: workflowID)
        w.field("task_id", string: taskID)
        w.field("step_id", string: stepID)
        w.field("type", string: type)
        w.field("status", string: status.rawValue)
        if attempt > 0 { w.field("attempt", int: Int64(attempt)) }
        w.field("started_at", time: startedAt)
        w.field("completed_at", time: completedAt)
        if let wakeAt { w.field(status == .retrying ? "next_attempt_at" : "wakes_at", time: wakeAt) }
        if status == .completed, let outputJSON { w.field("output", raw: outputJSON) }
        if let errorJSON, status != .completed, status != .pending { w.field("error", raw: errorJSON) }
        return w.finish()
    }

    struct Writer {
        var bytes: [UInt8]

        init() {
            bytes = [UInt8(ascii: "{")]
            bytes.reserveCapacity(256)
        }

        mutating func key(_ name: String, first: Bool) {
            if !first { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: name.utf8)
            bytes.append(contentsOf: "\":".utf8)
        }

        mutating func field(_ name: String, string: String, first: Bool = false) {
            key(name, first: first)
            JSONValue.writeString(string, to: &bytes)
        }

        mutating func field(_ name: String, int: Int64) {
            key(name, first: false)
            bytes.append(contentsOf: String(int).utf8)
        }

        mutating func field(_ name: String, time: Int64?) {
            key(name, first: false)
            if let time {
                bytes.append(UInt8(ascii: "\""))
                bytes.append(contentsOf: Timestamp.format(milliseconds: time).utf8)
                bytes.append(UInt8(ascii: "\""))
            } else {
                bytes.append(contentsOf: "null".utf8)
            }
        }

        mutating func field(_ name: String, raw: String) {
            key(name, first: false)
            bytes.append(contentsOf: raw.utf8)
        }

        mutating func finish() -> String {
            bytes.append(UInt8(ascii: "}"))
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Public event ids: `evt_<store instance>_<seq>`. The instance part (random, chosen when the
/// database was created) keeps ids unique across databases, so that a receiver that removes
/// duplicates by `webhook-id` never drops the events of a new database as repeats.
public enum EventID {
    public static func make(instance: String, seq: Int64) -> String { "evt_\(instance)_\(seq)" }

    /// The seq in an event id, or in a bare number (both are accepted as `Last-Event-ID` and
    /// `after`); `nil` if `string` is neither.
    public static func seq(_ string: String) -> Int64? { parse(string)?.seq }

    /// The parts of an event id (`instance` is nil for a bare number); `nil` if it is not one.
    public static func parse(_ string: String) -> (instance: String?, seq: Int64)? {
        if let n = Int64(string), n >= 0 { return (nil, n) }
        let parts = string.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "evt", !parts[1].isEmpty, parts[2].allSatisfy(\.isASCII), let n = Int64(parts[2]), n >= 0 else { return nil }
        return (String(parts[1]), n)
    }

    /// A new random store instance id (8 lowercase letters or digits).
    public static func newInstance() -> String { String(Identifier.make("i").dropFirst(2)) }
}
