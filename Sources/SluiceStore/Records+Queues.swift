import SluiceCore

/// One attempt of a `Worker.Task`, waiting in its queue for a worker or held by one.
///
/// It is claimable while it has no claim and no result and its task is still `RUNNING` at this
/// attempt (a cancel, a timeout or a retry makes the row stale: every call on it is then a
/// conflict). A worker's answer is stored here, before it is acknowledged; the engine reads it
/// and records the task's end.
public struct QueuedTaskRecord: Sendable, Hashable {
    /// What workers name it by: `qt_…`.
    public var id: String
    public var executionID: String
    public var workflowID: String
    public var namespace: String
    /// The task's index in its execution, and its step id.
    public var index: Int
    public var stepID: String
    public var attempt: Int
    public var queue: String
    public var input: JSONValue
    /// The `DataType` name of the output a worker must send.
    public var outputType: String
    public var leaseMilliseconds: Int64
    /// When it entered the queue (ms since 1970).
    public var createdAt: Int64
    public var claim: QueueClaim?
    public var result: QueuedTaskResult?

    public init(
        id: String, executionID: String, workflowID: String, namespace: String, index: Int, stepID: String, attempt: Int,
        queue: String, input: JSONValue, outputType: String, leaseMilliseconds: Int64, createdAt: Int64,
        claim: QueueClaim? = nil, result: QueuedTaskResult? = nil
    ) {
        self.id = id
        self.executionID = executionID
        self.workflowID = workflowID
        self.namespace = namespace
        self.index = index
        self.stepID = stepID
        self.attempt = attempt
        self.queue = queue
        self.input = input
        self.outputType = outputType
        self.leaseMilliseconds = leaseMilliseconds
        self.createdAt = createdAt
        self.claim = claim
        self.result = result
    }
}

extension QueuedTaskRecord {
    /// Why a call with `token` cannot change this task at `now`, or `nil` if it can: the rule
    /// every driver applies inside its transaction. `current`: whether its task is still
    /// RUNNING at this attempt. A `nil` token is the engine's own answer (a lease that ran out),
    /// which applies only once the lease is past.
    public func refusal(current: Bool, token: String?, now: Int64) -> QueueCallOutcome? {
        if result != nil { return .finished(why: "an answer was stored already") }
        if !current { return .finished(why: "the task no longer waits for this attempt (its execution was cancelled or finished, or the attempt timed out)") }
        if let token {
            if claim?.token != token { return .notHolder }
        } else if let claim, claim.leaseUntil > now {
            return .notHolder
        }
        return nil
    }
}

/// Who holds a queued task, and until when.
public struct QueueClaim: Sendable, Hashable {
    /// The secret every call after the claim carries (`clm_…`).
    public var token: String
    public var worker: String
    public var claimedAt: Int64
    public var heartbeatAt: Int64
    public var leaseUntil: Int64

    public init(token: String, worker: String, claimedAt: Int64, heartbeatAt: Int64, leaseUntil: Int64) {
        self.token = token
        self.worker = worker
        self.claimedAt = claimedAt
        self.heartbeatAt = heartbeatAt
        self.leaseUntil = leaseUntil
    }
}

/// What the worker that held a queued task answered.
public enum QueuedTaskResult: Sendable, Hashable {
    /// The task's output, as the task produces it (`{"text": "…"}`).
    case output(JSONValue)
    case failure(message: String, retryable: Bool)

    /// As stored: `{"output": …}` or `{"error": {"message": …, "retryable": …}}`.
    public var json: JSONValue {
        switch self {
        case .output(let value): return ["output": value]
        case .failure(let message, let retryable): return ["error": ["message": .string(message), "retryable": .bool(retryable)]]
        }
    }

    public init?(json: JSONValue) {
        if let output = json["output"] {
            self = .output(output)
        } else if let error = json["error"], let message = error["message"]?.stringValue {
            self = .failure(message: message, retryable: error["retryable"] == .bool(true))
        } else {
            return nil
        }
    }
}

/// What a call on a claimed task found.
public enum QueueCallOutcome: Sendable, Hashable {
    /// Done; the task as it now stands.
    case applied(QueuedTaskRecord)
    /// No queued task has this id (in the caller's namespaces).
    case notFound
    /// The claim token is not the current one: the lease ran out and the task went on without
    /// this worker, or another worker holds it.
    case notHolder
    /// The task no longer waits for an answer: its execution was cancelled, it timed out, or an
    /// answer was stored already.
    case finished(why: String)
}

/// A queue as `GET /queues` shows it.
public struct QueueSummary: Sendable, Hashable {
    /// How far back "workers seen" looks, and "claims in the last minute".
    public static let workersWindow: Int64 = 300_000
    public static let claimsWindow: Int64 = 60_000

    public var queue: String
    /// Tasks waiting for a worker.
    public var waiting: Int
    /// Tasks held by a worker.
    public var claimed: Int
    /// When the task waiting longest entered the queue.
    public var oldestWaitingSince: Int64?
    /// Distinct workers that claimed from it in the last five minutes.
    public var workersSeen: Int
    /// Tasks claimed from it in the last minute.
    public var claimsLastMinute: Int

    public init(queue: String, waiting: Int, claimed: Int, oldestWaitingSince: Int64?, workersSeen: Int = 0, claimsLastMinute: Int = 0) {
        self.queue = queue
        self.waiting = waiting
        self.claimed = claimed
        self.oldestWaitingSince = oldestWaitingSince
        self.workersSeen = workersSeen
        self.claimsLastMinute = claimsLastMinute
    }
}
