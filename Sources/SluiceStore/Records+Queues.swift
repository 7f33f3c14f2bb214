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
    /// What a person sees and may answer, for a `Human.Task` (in queue `HumanTask.queue`).
    public var human: HumanTask.Spec?
    /// When a `Human.Task` is due (ms since 1970), if it has a due time.
    public var dueAt: Int64?
    /// When its answer (`result`) was stored, if it was.
    public var answeredAt: Int64?
    /// Which of the attempt's queued tasks it is (0, 1, …): a step that waits for several
    /// answers in turn (an annotation item's way through its pools) queues one per answer.
    public var phase: Int
    /// For an annotation item's task, the pool it waits in (stored so that "the next item of
    /// pool p" is one indexed read; not read back).
    public var pool: Int?

    public init(
        id: String, executionID: String, workflowID: String, namespace: String, index: Int, stepID: String, attempt: Int,
        queue: String, input: JSONValue, outputType: String, leaseMilliseconds: Int64, createdAt: Int64,
        claim: QueueClaim? = nil, result: QueuedTaskResult? = nil, human: HumanTask.Spec? = nil, dueAt: Int64? = nil, answeredAt: Int64? = nil, phase: Int = 0, pool: Int? = nil
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
        self.human = human
        self.dueAt = dueAt
        self.answeredAt = answeredAt
        self.phase = phase
        self.pool = pool
    }

    /// The claim's `leaseUntil` for a person's claim: people hold a task until they answer or
    /// release it, or an editor reassigns it.
    public static let heldUntilAnswered: Int64 = 253_402_300_799_999

    /// `,alice,bob,`: how the stores keep a human task's assignees, so that "assigned to alice"
    /// is a substring test (`,alice,`) in every SQL dialect (account names have no commas);
    /// `nil` when anyone may claim it.
    public var assigneesColumn: String? {
        guard let assignees = human?.assignees, !assignees.isEmpty else { return nil }
        return "," + assignees.joined(separator: ",") + ","
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
    /// A person's call on a human task that someone else holds (or, `nil`, that nobody holds).
    case heldBy(String?)
    /// A person who is not among a human task's assignees tried to claim it.
    case notAssigned(assignees: [String])
}

/// What a change of a queued task decided, inside the store's transaction: refused with an
/// outcome, or the task as it is to be stored (its claim and result; nothing else changes).
public enum QueuedTaskUpdate: Sendable, Hashable {
    case refuse(QueueCallOutcome)
    case write(QueuedTaskRecord)
}

/// What a person, an editor or the engine does to a human task.
public enum HumanTaskAction: Sendable, Hashable {
    /// "Assign to me": `account` holds it (nothing changes if it does already).
    case claim(account: String, token: String)
    /// `account` gives it back to the inbox.
    case release(account: String)
    /// `account` answers it (claiming it first if nobody holds it and it may): `output` is the
    /// answer as the task produces it, checked against the form already.
    case complete(account: String, output: JSONValue, token: String)
    /// An editor gives it to `account`, or (`nil`) back to the inbox, whoever holds it.
    case reassign(account: String?, token: String)
    /// Its due time passed: it ends as `on_due` says (only once it is due).
    case due
}

extension QueuedTaskRecord {
    /// The rule of every change to a human task, applied by every driver in its transaction:
    /// `current` says whether its task is still RUNNING at this attempt; `groups` are the
    /// groups the acting account is a member of, read in the same transaction (needed only when
    /// `groupsNeeded(for:)` says so).
    public func applying(_ action: HumanTaskAction, current: Bool, now: Int64, groups: Set<String> = []) -> QueuedTaskUpdate {
        guard let human else { return .refuse(.notFound) }
        if result != nil { return .refuse(.finished(why: "an answer was stored already")) }
        if !current { return .refuse(.finished(why: "the task no longer waits for an answer (its execution was cancelled or finished, or the task timed out)")) }
        var next = self
        func hold(_ account: String, _ token: String) {
            next.claim = QueueClaim(token: token, worker: account, claimedAt: now, heartbeatAt: now, leaseUntil: Self.heldUntilAnswered)
        }
        switch action {
        case .claim(let account, let token):
            if let claim {
                return claim.worker == account ? .write(self) : .refuse(.heldBy(claim.worker))
            }
            guard human.mayClaim(account, groups: groups) else { return .refuse(.notAssigned(assignees: human.assignees)) }
            hold(account, token)
        case .release(let account):
            guard claim?.worker == account else { return .refuse(.heldBy(claim?.worker)) }
            next.claim = nil
        case .complete(let account, let output, let token):
            if let claim {
                guard claim.worker == account else { return .refuse(.heldBy(claim.worker)) }
            } else {
                guard human.mayClaim(account, groups: groups) else { return .refuse(.notAssigned(assignees: human.assignees)) }
                hold(account, token)
            }
            next.result = .output(output)
            next.answeredAt = now
        case .reassign(let account, let token):
            if let account {
                if claim?.worker == account { return .write(self) }
                hold(account, token)
            } else {
                next.claim = nil
            }
        case .due:
            guard let dueAt, dueAt <= now else { return .refuse(.finished(why: "the task is not due yet")) }
            switch human.onDue {
            case .fail:
                next.result = .failure(message: "nobody answered by the due time \(Timestamp.format(milliseconds: dueAt))", retryable: false)
            case .answer(let value):
                next.result = .output([DataType.json.field: value])
            }
            next.answeredAt = now
        }
        return .write(next)
    }

    /// The account whose groups `applying(action, …)` needs, or `nil` when it needs none: a
    /// claim or an answer by someone on a task that assigns groups.
    public func groupsNeeded(for action: HumanTaskAction) -> String? {
        guard human?.assignedGroups.isEmpty == false else { return nil }
        switch action {
        case .claim(let account, _), .complete(let account, _, _): return account
        case .release, .reassign, .due: return nil
        }
    }
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

/// Which open human tasks a list shows.
public enum HumanTaskFilter: Sendable, Hashable {
    /// Those `account` holds.
    case heldBy(String)
    /// Those nobody holds that `account` may claim (it is an assignee, a member of an assigned
    /// group at the time of the call, or there are none).
    case claimableBy(String)
    /// All of them.
    case open
}
