import Foundation
import SluiceCore
import Synchronization

/// A `Worker.Task` attempt this worker claimed.
public struct ClaimedTask: Sendable, Hashable {
    /// The `qt_…` id every call on it names.
    public var id: String
    /// The secret every call on it carries.
    public var claimToken: String
    public var leaseExpiresAt: Date
    public var leaseSeconds: Double
    public var queue: String
    public var workflowID: String
    public var executionID: String
    /// The task's step id in its workflow.
    public var task: String
    public var attempt: Int
    /// The task's input (`{"text": "…"}`).
    public var input: JSONValue
    /// The type the output must have (`text`, `number`, `boolean`, `json`, `list<…>`).
    public var outputType: String
    public var queuedAt: Date

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "claimed task")
        id = try f.string("queued_task_id")
        claimToken = try f.string("claim_token")
        leaseExpiresAt = try f.date("lease_expires_at")
        guard let lease = f.value("lease_seconds")?.numberValue else { throw f.fail("lease_seconds", "a number") }
        leaseSeconds = lease
        queue = try f.string("queue")
        workflowID = try f.string("workflow_id")
        executionID = try f.string("execution_id")
        task = try f.string("task")
        attempt = try f.int("attempt")
        input = f.value("input") ?? .null
        outputType = try f.string("output_type")
        queuedAt = try f.date("queued_at")
    }
}

/// A queue as `GET /queues` shows it.
public struct QueueInfo: Sendable, Hashable {
    public var queue: String
    public var waiting: Int
    public var claimed: Int
    public var oldestWaitingSince: Date?
    /// Distinct workers that claimed from it in the last five minutes.
    public var workersSeen: Int
    /// Tasks claimed from it per second, over the last minute.
    public var claimsPerSecond: Double

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "queue")
        queue = try f.string("queue")
        waiting = try f.int("waiting")
        claimed = try f.int("claimed")
        oldestWaitingSince = try f.optionalDate("oldest_waiting_since")
        workersSeen = try f.int("workers_seen")
        guard let rate = f.value("claims_per_second")?.numberValue else { throw f.fail("claims_per_second", "a number") }
        claimsPerSecond = rate
    }
}

extension SluiceClient {
    /// `GET /queues`: the queues with tasks waiting or claimed.
    public func queues() async throws -> [QueueInfo] {
        let f = try Fields(try await fetch(.GET, "/queues"), "queues")
        return try f.array("queues").map { v throws(SluiceClientError) in try QueueInfo(json: v) }
    }

    /// `POST /queues/{queue}/claim`: up to `limit` tasks (1 to 100), waiting up to `wait` (at
    /// most 60 s) for one; empty when none came.
    public func claim(queue: String, worker: String? = nil, limit: Int = 1, wait: Duration = .zero) async throws -> [ClaimedTask] {
        let body = Self.body([
            ("worker", worker.map(JSONValue.string)), ("limit", .number(Double(limit))), ("wait", .number(Self.seconds(wait))),
        ])
        let f = try Fields(try await fetch(.POST, Self.path("queues", queue, "claim"), body: body, wait: wait), "claim")
        return try f.array("tasks").map { v throws(SluiceClientError) in try ClaimedTask(json: v) }
    }

    /// `POST …/heartbeat`: extends the task's lease (and adds `log` lines to its log, and how far
    /// it is, `progress` from 0 to 1, as a line "progress 42.5%"); the new end of the lease. A
    /// `409` problem when the task went on without this worker (its lease ran out, it was
    /// cancelled): stop working on it.
    @discardableResult
    public func heartbeat(_ task: ClaimedTask, log: [String] = [], progress: Double? = nil) async throws -> Date {
        let body = Self.body([
            ("claim_token", .string(task.claimToken)), ("log", log.isEmpty ? nil : .array(log.map(JSONValue.string))),
            ("progress", progress.map(JSONValue.number)),
        ])
        let f = try Fields(try await fetch(.POST, Self.path("queues", task.queue, "tasks", task.id, "heartbeat"), body: body), "heartbeat")
        return try f.date("lease_expires_at")
    }

    /// `POST …/complete`: answers the task with `output` (of its `outputType`: a `400` problem
    /// with path `output` otherwise, and the task stays claimed).
    public func complete(_ task: ClaimedTask, output: JSONValue) async throws {
        let body = Self.body([("claim_token", .string(task.claimToken)), ("output", output)])
        _ = try await fetch(.POST, Self.path("queues", task.queue, "tasks", task.id, "complete"), body: body)
    }

    /// `POST …/fail`: answers the task with a failure; a `retryable` one runs it again if its
    /// retry policy has attempts left.
    public func fail(_ task: ClaimedTask, message: String, retryable: Bool = false) async throws {
        let body = Self.body([("claim_token", .string(task.claimToken)), ("message", .string(message)), ("retryable", .bool(retryable))])
        _ = try await fetch(.POST, Self.path("queues", task.queue, "tasks", task.id, "fail"), body: body)
    }

    /// The tasks of `queue`, claimed `batch` at a time with long polls of `wait`, each held
    /// with heartbeats (every third of its lease) from its claim until it is answered:
    ///
    ///     for try await held in client.tasks(queue: "resize") {
    ///         try await held.complete(output: .number(Double(resize(held.task.input))))
    ///     }
    ///
    /// The sequence ends when the surrounding task is cancelled; a claim that fails throws.
    public func tasks(queue: String, worker: String? = nil, batch: Int = 1, wait: Duration = .seconds(30)) -> QueueTasks {
        QueueTasks(client: self, queue: queue, worker: worker, batch: batch, wait: wait)
    }
}

/// The tasks of a queue as they are claimed (``SluiceClient/tasks(queue:worker:batch:wait:)``).
public struct QueueTasks: AsyncSequence, Sendable {
    public typealias Element = HeldTask
    let client: SluiceClient
    let queue: String
    let worker: String?
    let batch: Int
    let wait: Duration

    public struct AsyncIterator: AsyncIteratorProtocol {
        let tasks: QueueTasks
        var buffer: [HeldTask] = []

        public mutating func next() async throws -> HeldTask? {
            while buffer.isEmpty {
                if Task.isCancelled { return nil }
                let claimed: [ClaimedTask]
                do {
                    claimed = try await tasks.client.claim(queue: tasks.queue, worker: tasks.worker, limit: tasks.batch, wait: tasks.wait)
                } catch {
                    if Task.isCancelled { return nil }
                    throw error
                }
                // Held from the claim: the ones waiting in the buffer keep their leases too.
                buffer = claimed.map { HeldTask(task: $0, client: tasks.client) }
            }
            return buffer.removeFirst()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(tasks: self) }
}

/// A claimed task whose lease is renewed in the background until it is answered (or it goes on
/// without this worker: ``isLost``). Lines given to ``log(_:)`` go with the next heartbeat.
public final class HeldTask: Sendable {
    public let task: ClaimedTask
    let client: SluiceClient
    private struct State {
        var lines: [String] = []
        var progress: Double?
        var lost: SluiceClientError?
        var heartbeats: Task<Void, Never>?
    }
    private let state = Mutex(State())

    init(task: ClaimedTask, client: SluiceClient) {
        self.task = task
        self.client = client
        let period = Duration.milliseconds(Int64(max(task.leaseSeconds / 3, 0.2) * 1000))
        let heartbeats = Task { [weak self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: period) } catch { return }
                guard let self else { return }
                let (lines, progress) = self.state.withLock { s -> ([String], Double?) in
                    defer { (s.lines, s.progress) = ([], nil) }
                    return (s.lines, s.progress)
                }
                do {
                    try await client.heartbeat(task, log: lines, progress: progress)
                } catch let error as SluiceClientError {
                    if case .problem(let p) = error, p.status == 409 || p.status == 404 {
                        self.state.withLock { $0.lost = error }
                        return
                    }
                    // Unreachable for a moment: the lines (and progress) go with the next one.
                    self.state.withLock {
                        $0.lines = lines + $0.lines
                        $0.progress = $0.progress ?? progress
                    }
                } catch {
                    return
                }
            }
        }
        state.withLock { $0.heartbeats = heartbeats }
    }

    deinit {
        state.withLock { $0.heartbeats?.cancel() }
    }

    /// The problem that says the task went on without this worker (a heartbeat was answered
    /// `409`: its lease ran out, or its execution was cancelled), or `nil` while it is held.
    public var isLost: SluiceClientError? { state.withLock { $0.lost } }

    /// Adds a line to the task's log, sent with the next heartbeat.
    public func log(_ line: String) {
        state.withLock { $0.lines.append(line) }
    }

    /// Records how far the work is (`fraction`, 0 to 1), sent with the next heartbeat (the
    /// latest value only) and shown in the task's log.
    public func progress(_ fraction: Double) {
        state.withLock { $0.progress = min(max(fraction, 0), 1) }
    }

    /// Stops the heartbeats and answers with `output` (the pending log lines go first).
    public func complete(output: JSONValue) async throws {
        try await flush()
        try await client.complete(task, output: output)
        stop()
    }

    /// Stops the heartbeats and answers with a failure.
    public func fail(message: String, retryable: Bool = false) async throws {
        try await flush()
        try await client.fail(task, message: message, retryable: retryable)
        stop()
    }

    private func flush() async throws {
        let (lines, progress) = state.withLock { s -> ([String], Double?) in
            defer { (s.lines, s.progress) = ([], nil) }
            return (s.lines, s.progress)
        }
        if !lines.isEmpty || progress != nil { try await client.heartbeat(task, log: lines, progress: progress) }
    }

    private func stop() {
        state.withLock { $0.heartbeats?.cancel() }
    }
}
