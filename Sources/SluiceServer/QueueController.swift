import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// The workers' API of `Worker.Task`: `GET /queues`, `POST /queues/{queue}/claim`, and on a
/// claimed task `…/heartbeat`, `…/complete` and `…/fail`, each with the claim's token. With
/// access checked, a caller works only in the namespaces where it has the `work` permission (a
/// `worker` or an `admin`), and a task elsewhere is not found; a `worker` grant that names its
/// queues covers only those (a claim from another is `403`, as is a call on its tasks).
struct QueueController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    static let maxClaim = Limits.maxClaim
    static let maxLogLines = Limits.maxLogLines
    static let maxLogLineLength = Limits.maxLogLineBytes
    static let maxMessageLength = Limits.maxMessageBytes
    static let maxWorkerNameLength = Limits.maxWorkerNameBytes

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/queues", use: list)
        router.post("/queues/:queue/claim", use: claim)
        router.post("/queues/:queue/tasks/:queued_task_id/heartbeat", use: heartbeat)
        router.post("/queues/:queue/tasks/:queued_task_id/complete", use: complete)
        router.post("/queues/:queue/tasks/:queued_task_id/fail", use: fail)
    }

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let now = engine.now()
        let queues = try await summaries(context, now: now)
        return JSONResponse.make(["queues": .array(queues.map { q in
            var o = JSONObject()
            o.append("queue", .string(q.queue))
            o.append("waiting", .number(Double(q.waiting)))
            o.append("claimed", .number(Double(q.claimed)))
            o.append("oldest_waiting_since", q.oldestWaitingSince.map { .string(Timestamp.format(milliseconds: $0)) } ?? .null)
            o.append("oldest_waiting_seconds", q.oldestWaitingSince.map { .number(Double(max(0, now - $0)) / 1000) } ?? .null)
            o.append("workers_seen", .number(Double(q.workersSeen)))
            o.append("claims_per_second", .number((Double(q.claimsLastMinute) / 60 * 1000).rounded() / 1000))
            return .object(o)
        })])
    }

    @Sendable func claim(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        if let namespaces = context.namespaces(where: .work), namespaces.isEmpty {
            throw AccessControl.forbidden("claiming tasks needs the worker (or admin) role in a namespace; account \"\(context.identity?.account ?? "")\" has neither")
        }
        let queue = try queueName(context)
        let namespaces = context.namespaces(workingOn: queue)
        if let namespaces, namespaces.isEmpty { throw Self.notGranted(queue, context) }
        let body = try await parsing.jsonObject(request)
        try Self.rejectUnknown(body, allowed: ["worker", "limit", "wait"])
        var limit = 1
        if let value = body["limit"] {
            guard let n = value.numberValue, n == n.rounded(), n >= 1, n <= Double(Self.maxClaim) else {
                throw Problem.badRequest(path: "limit", "expected a whole number of tasks from 1 to \(Self.maxClaim), found \(value.preview)")
            }
            limit = Int(n)
        }
        var wait: Int64 = 0
        if let value = body["wait"] {
            guard let s = value.numberValue, s.isFinite, s >= 0, s <= configuration.maxWaitSeconds else {
                throw Problem.badRequest(path: "wait", "expected a number of seconds from 0 to \(Int(configuration.maxWaitSeconds)) to wait for a task, found \(value.preview)")
            }
            wait = Int64((s * 1000).rounded())
        }
        var instance: String?
        if let value = body["worker"] {
            guard let name = value.stringValue, !name.isEmpty, name.utf8.count <= Self.maxWorkerNameLength, !name.contains(where: { $0.isNewline }) else {
                throw Problem.badRequest(path: "worker", "expected a name for this worker (1 to \(Self.maxWorkerNameLength) characters on one line), found \(value.preview)")
            }
            instance = name
        }
        // With access checked, the account is the worker (its instance after a "/"); without,
        // the name it gives.
        let worker = context.identity.map { id in instance.map { "\(id.account)/\($0)" } ?? id.account } ?? instance ?? "anonymous"
        let tasks = try await engine.claim(queue: queue, worker: worker, namespaces: namespaces, limit: limit, waitMilliseconds: wait)
        return JSONResponse.make(["tasks": .array(tasks.map(Self.claimed))])
    }

    @Sendable func heartbeat(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let (task, body) = try await call(request, context)
        let id = task.id
        try Self.rejectUnknown(body, allowed: ["claim_token", "log", "progress"])
        let token = try Self.token(body)
        var log: [String] = []
        // How far the worker is, as a fraction: a line of the task's log ("progress 42.5%").
        switch body["progress"] {
        case nil, .null?: break
        case .number(let fraction)? where fraction >= 0 && fraction <= 1:
            log.append("progress " + Self.percent(fraction))
        case .some(let v):
            throw Problem.badRequest(path: "progress", "expected a number from 0 to 1 (the fraction of the task done), found \(v.preview)")
        }
        switch body["log"] {
        case nil, .null?: break
        case .array(let items)?:
            guard items.count <= Self.maxLogLines else {
                throw Problem.badRequest(path: "log", "expected at most \(Self.maxLogLines) lines per heartbeat, found \(items.count)")
            }
            for (i, item) in items.enumerated() {
                guard let line = item.stringValue, line.utf8.count <= Self.maxLogLineLength else {
                    throw Problem.badRequest(path: "log[\(i)]", "expected a line of text of at most \(Self.maxLogLineLength) bytes, found \(item.preview)")
                }
                log.append(line)
            }
        case .some(let v):
            throw Problem.badRequest(path: "log", "expected an array of lines for the task's log, found \(v.kindName)")
        }
        let renewed = try Self.applied(try await engine.heartbeat(taskID: id, token: token, log: log), id: id)
        return JSONResponse.make(["queued_task_id": .string(renewed.id), "lease_expires_at": renewed.claim.map { .string(Timestamp.format(milliseconds: $0.leaseUntil)) } ?? .null])
    }

    /// `fraction` (0…1) as a percentage with at most one decimal: `0.425` → `42.5%`.
    static func percent(_ fraction: Double) -> String {
        let permille = Int((fraction * 1000).rounded())
        return permille % 10 == 0 ? "\(permille / 10)%" : "\(permille / 10).\(permille % 10)%"
    }

    @Sendable func complete(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let (task, body) = try await call(request, context)
        let id = task.id
        try Self.rejectUnknown(body, allowed: ["claim_token", "output"])
        let token = try Self.token(body)
        guard let output = body["output"] else {
            throw Problem.badRequest(path: "output", code: "required", "required field is missing; expected the task's output")
        }
        let type = DataType(name: task.outputType) ?? .json
        let value: JSONValue
        switch WorkerTask.output(output, as: type, schema: try await engine.outputSchema(of: task)) {
        case .success(let v): value = v
        case .failure(let failure): throw Problem.validation(failure)
        }
        _ = try Self.applied(try await engine.answer(taskID: id, token: token, result: .output(value), task: task), id: id)
        return JSONResponse.make(["queued_task_id": .string(id), "status": "COMPLETED"])
    }

    @Sendable func fail(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let (task, body) = try await call(request, context)
        let id = task.id
        try Self.rejectUnknown(body, allowed: ["claim_token", "message", "retryable"])
        let token = try Self.token(body)
        guard let message = body["message"]?.stringValue, !message.isEmpty, message.utf8.count <= Self.maxMessageLength else {
            throw Problem.badRequest(path: "message", "expected why the task failed (1 to \(Self.maxMessageLength) bytes of text), found \(body["message"]?.preview ?? "nothing")")
        }
        var retryable = false
        if let value = body["retryable"] {
            guard case .bool(let b) = value else { throw Problem.badRequest(path: "retryable", "expected true or false, found \(value.preview)") }
            retryable = b
        }
        _ = try Self.applied(try await engine.answer(taskID: id, token: token, result: .failure(message: message, retryable: retryable), task: task), id: id)
        return JSONResponse.make(["queued_task_id": .string(id), "status": "FAILED"])
    }

    // MARK: Helpers

    func queueName(_ context: SluiceRequestContext) throws -> String {
        let queue = try context.parameters.require("queue")
        if let problem = WorkerTask.queueNameProblem(queue) { throw Problem.badRequest(path: "queue", code: "invalid_queue", problem) }
        return queue
    }

    /// The task a call names (checked to be in the queue the path names and visible to the
    /// caller) and the call's body. A task in a namespace where the caller may not work is not
    /// found; one it may work on only in other queues (a grant naming its queues) is `403`.
    func call(_ request: Request, _ context: SluiceRequestContext) async throws -> (QueuedTaskRecord, JSONValue) {
        let queue = try queueName(context)
        let id = try context.parameters.require("queued_task_id")
        let body = try await parsing.jsonObject(request)
        guard let task = try await engine.store.queuedTask(id: id), task.queue == queue, context.decide(.work, in: task.namespace) == .allowed else {
            throw Self.notFound(id, queue: queue)
        }
        guard context.decideWork(onQueue: queue, in: task.namespace) == .allowed else { throw Self.notGranted(queue, context, namespace: task.namespace) }
        return (task, body)
    }

    /// The `403` of a caller whose grants leave `queue` out (in `namespace`, or in all of them).
    static func notGranted(_ queue: String, _ context: SluiceRequestContext, namespace: String? = nil) -> Problem {
        let account = context.identity?.account ?? ""
        let grants = (context.identity?.grants ?? []).filter { $0.role.permissions.contains(.work) && (namespace == nil || $0.namespace == namespace || $0.namespace == Namespace.all) }
        if grants.isEmpty {
            return AccessControl.forbidden("claiming tasks needs the worker (or admin) role in a namespace; account \"\(account)\" has neither")
        }
        let granted = grants.map { g in "\(g.queues?.joined(separator: ", ") ?? "every queue") in \(g.namespace == Namespace.all ? "every namespace" : "namespace \"\(g.namespace)\"")" }
        return AccessControl.forbidden("account \"\(account)\" may not work on queue \(queue)\(namespace.map { " in namespace \"\($0)\"" } ?? ""): its worker grants cover \(granted.joined(separator: "; ")); an admin can add the queue to its grant")
    }

    /// `GET /queues` for the caller: each queue counted over the namespaces where the caller
    /// may work on it (a grant naming its queues covers only those).
    func summaries(_ context: SluiceRequestContext, now: Int64) async throws -> [QueueSummary] {
        guard context.authEnabled, let identity = context.identity else {
            return try await engine.store.queueSummaries(namespaces: context.namespaces(where: .work), now: now)
        }
        let working = identity.grants.filter { $0.role.permissions.contains(.work) }
        let named = Set(working.flatMap { $0.queues ?? [] })
        let unrestricted: Set<String>? = working.contains { $0.queues == nil && $0.namespace == Namespace.all } ? nil
            : Set(working.filter { $0.queues == nil }.map(\.namespace))
        // Queues no grant names: those of the namespaces where every queue is granted.
        var result: [QueueSummary] = []
        if unrestricted.map({ !$0.isEmpty }) ?? true {
            result = try await engine.store.queueSummaries(namespaces: unrestricted, now: now)
            if unrestricted == nil { return result }
            result.removeAll { named.contains($0.queue) }
        }
        // A queue a grant names: counted over its own namespaces.
        for queue in named.sorted() where queue != HumanTask.queue {
            let summaries = try await engine.store.queueSummaries(namespaces: identity.namespaces(workingOn: queue), now: now)
            if let summary = summaries.first(where: { $0.queue == queue }) { result.append(summary) }
        }
        return result.sorted { $0.queue < $1.queue }
    }

    static func rejectUnknown(_ body: JSONValue, allowed: [String]) throws {
        guard case .object(let o) = body else { return }
        for member in o where !allowed.contains(member.key) {
            throw Problem.badRequest(path: member.key, code: "unknown_field", "unknown field; expected one of \(allowed.joined(separator: ", "))")
        }
    }

    static func token(_ body: JSONValue) throws -> String {
        guard let token = body["claim_token"]?.stringValue, !token.isEmpty else {
            throw Problem.badRequest(path: "claim_token", code: "required", "expected the claim_token the claim answered (\"clm_…\")")
        }
        return token
    }

    static func notFound(_ id: String, queue: String? = nil) -> Problem {
        .notFound("no queued task \(id)" + (queue.map { " in queue \($0)" } ?? ""))
    }

    /// The task a call changed, or the problem that says why it changed nothing.
    static func applied(_ outcome: QueueCallOutcome, id: String) throws -> QueuedTaskRecord {
        switch outcome {
        case .applied(let task): return task
        case .notFound: throw notFound(id)
        case .notHolder:
            throw Problem(status: .conflict, type: "urn:sluice:problem:not-holder", title: "Not the holder of the task",
                detail: "the claim_token does not hold task \(id): its lease ran out and the task went on without this worker, or the token is not this task's; stop working on it")
        case .finished(let why):
            throw Problem(status: .conflict, type: "urn:sluice:problem:task-finished", title: "The task no longer waits for an answer",
                detail: "task \(id) no longer waits for an answer: \(why); stop working on it")
        case .heldBy, .notAssigned:
            // Answers of a person's calls on a human task, which no queue route makes.
            throw notFound(id)
        }
    }

    /// A claimed task as the claim answers it.
    static func claimed(_ task: QueuedTaskRecord) -> JSONValue {
        var o = JSONObject()
        o.append("queued_task_id", .string(task.id))
        o.append("claim_token", task.claim.map { .string($0.token) } ?? .null)
        o.append("lease_expires_at", task.claim.map { .string(Timestamp.format(milliseconds: $0.leaseUntil)) } ?? .null)
        o.append("lease_seconds", .number(Double(task.leaseMilliseconds) / 1000))
        o.append("queue", .string(task.queue))
        o.append("workflow_id", .string(task.workflowID))
        o.append("execution_id", .string(task.executionID))
        o.append("task", .string(task.stepID))
        o.append("attempt", .number(Double(task.attempt)))
        o.append("input", task.input)
        o.append("output_type", .string(task.outputType))
        o.append("queued_at", .string(Timestamp.format(milliseconds: task.createdAt)))
        return .object(o)
    }
}
