import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// The people's API of `Human.Task`: `GET /inbox` (the tasks a person holds and those they may
/// claim), `GET /human-tasks` and `GET /human-tasks/{id}`, and on one task `claim` ("assign to
/// me"), `release`, `complete` (the answer, checked against the task's form) and `reassign` (an
/// editor's). With access checked, the person is the caller's account, which needs the `work`
/// permission (a `worker` or an `admin`) in the task's namespace — a `worker` grant naming its
/// queues must name `@human` — and `reassign` needs `control` (an `editor`); without, the person
/// is the `account` a call names (default `anonymous`). A task assigned to `group:NAME` is the
/// members' at the time of each call.
struct HumanTaskController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    static let anonymous = "anonymous"

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/inbox", use: inbox)
        router.get("/human-tasks", use: list)
        router.get("/human-tasks/:human_task_id", use: get)
        router.post("/human-tasks/:human_task_id/claim", use: claim)
        router.post("/human-tasks/:human_task_id/release", use: release)
        router.post("/human-tasks/:human_task_id/complete", use: complete)
        router.post("/human-tasks/:human_task_id/reassign", use: reassign)
    }

    // MARK: Lists

    @Sendable func inbox(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let account = try person(named: request.uri.queryParameters["account"].map(String.init), context)
        let limit = try parsing.page(request).limit
        let namespaces = context.namespaces(workingOn: HumanTask.queue)
        let held = try await engine.store.humanTasks(.heldBy(account), namespaces: namespaces, after: nil, limit: limit)
        let claimable = try await engine.store.humanTasks(.claimableBy(account), namespaces: namespaces, after: nil, limit: limit)
        let now = engine.now()
        let names = try await workflowNames(held + claimable)
        return JSONResponse.make([
            "account": .string(account),
            "held": .array(held.map { Self.representation($0, current: true, now: now, workflowName: names[$0.workflowID]) }),
            "claimable": .array(claimable.map { Self.representation($0, current: true, now: now, workflowName: names[$0.workflowID]) }),
        ])
    }

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let limit = try parsing.page(request).limit
        var filter = HumanTaskFilter.open
        if let raw = request.uri.queryParameters["holder"] {
            let holder = String(raw)
            if let problem = AccountName.problem(holder), holder != Self.anonymous {
                throw Problem.badRequest(path: "holder", problem)
            }
            filter = .heldBy(holder)
        }
        let after = request.uri.queryParameters["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let tasks = try await engine.store.humanTasks(filter, namespaces: context.namespaces(where: .read), after: after, limit: limit)
        let now = engine.now()
        let names = try await workflowNames(tasks)
        return JSONResponse.make([
            "human_tasks": .array(tasks.map { Self.representation($0, current: true, now: now, workflowName: names[$0.workflowID]) }),
            "next_cursor": tasks.count == limit ? .string(tasks.last!.id) : .null,
        ])
    }

    @Sendable func get(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let task = try await visibleTask(context, needing: nil)
        let current = try await isCurrent(task)
        return JSONResponse.make(Self.representation(task, current: current, now: engine.now(), workflowName: try await workflowNames([task])[task.workflowID]))
    }

    // MARK: Calls on one task

    @Sendable func claim(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        try QueueController.rejectUnknown(body, allowed: ["account"])
        let account = try person(named: try accountField(body), context)
        let task = try await visibleTask(context, needing: .work)
        return try await answer(engine.act(onHumanTask: task.id, .claim(account: account, token: Engine.claimToken())), id: task.id)
    }

    @Sendable func release(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        try QueueController.rejectUnknown(body, allowed: ["account"])
        let account = try person(named: try accountField(body), context)
        let task = try await visibleTask(context, needing: .work)
        return try await answer(engine.act(onHumanTask: task.id, .release(account: account)), id: task.id)
    }

    @Sendable func complete(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        try QueueController.rejectUnknown(body, allowed: ["answer", "account"])
        let account = try person(named: try accountField(body), context)
        guard let answer = body["answer"] else {
            throw Problem.badRequest(path: "answer", code: "required", "required field is missing; expected the answer, an object matching the task's form")
        }
        let task = try await visibleTask(context, needing: .work)
        let output: JSONValue
        switch HumanTask.output(answer, form: task.human?.form ?? ["type": "object"]) {
        case .success(let value): output = value
        case .failure(let failure): throw Problem.validation(failure)
        }
        return try await self.answer(engine.act(onHumanTask: task.id, .complete(account: account, output: output, token: Engine.claimToken())), id: task.id)
    }

    @Sendable func reassign(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        try QueueController.rejectUnknown(body, allowed: ["account"])
        let expected = "expected the account to give the task to, or null to put it back in the inbox"
        guard let value = body["account"] else { throw Problem.badRequest(path: "account", code: "required", "required field is missing; \(expected)") }
        let task = try await visibleTask(context, needing: .control)
        var target: String?
        switch value {
        case .null: target = nil
        case .string(let name):
            if let problem = AccountName.problem(name), name != Self.anonymous { throw Problem.badRequest(path: "account", problem) }
            if context.authEnabled {
                // Only to someone who could work on it there.
                guard let account = try await engine.store.account(name: name) else {
                    throw Problem.badRequest(path: "account", code: "unknown_account", "no account is named \"\(name)\"")
                }
                let grants = try await engine.store.grants(accountID: account.id, namespace: nil)
                let principal = Principal(accountID: account.id, account: account.name, grants: grants, tokenID: "")
                guard principal.mayWork(onQueue: HumanTask.queue, in: task.namespace) else {
                    throw Problem.badRequest(path: "account", code: "cannot_work", "account \"\(name)\" may not work on human tasks in namespace \"\(task.namespace)\" (it needs the worker or admin role there, and a worker grant that names its queues must name \(HumanTask.queue))")
                }
            }
            target = name
        default:
            throw Problem.badRequest(path: "account", "\(expected), found \(value.kindName)")
        }
        return try await answer(engine.act(onHumanTask: task.id, .reassign(account: target, token: Engine.claimToken())), id: task.id)
    }

    // MARK: Helpers

    /// The person a call acts as: the caller's account when access is checked (naming another
    /// `account` is a `400`: nobody acts for someone else), else the `account` named, or
    /// `anonymous`.
    func person(named name: String?, _ context: SluiceRequestContext) throws -> String {
        if context.authEnabled {
            let me = context.identity?.account ?? ""
            if let name, name != me {
                throw Problem.badRequest(path: "account", code: "not_yourself", "with access checked, calls act as the signed-in account \"\(me)\", found \(JSONValue.string(name).jsonString); leave account out")
            }
            return me
        }
        guard let name else { return Self.anonymous }
        if name != Self.anonymous, let problem = AccountName.problem(name) { throw Problem.badRequest(path: "account", problem) }
        return name
    }

    func accountField(_ body: JSONValue) throws -> String? {
        guard let value = body["account"] else { return nil }
        guard let name = value.stringValue else { throw Problem.badRequest(path: "account", "expected the name of the account to act as, found \(value.kindName)") }
        return name
    }

    /// The human task the path names, if the caller may see it (`read` or `work` in its
    /// namespace), checked to allow `permission` there: `403` if the caller has a role there
    /// without it, `404` if none.
    func visibleTask(_ context: SluiceRequestContext, needing permission: Permission?) async throws -> QueuedTaskRecord {
        let id = try context.parameters.require("human_task_id")
        guard let task = try await engine.store.queuedTask(id: id), task.human != nil else { throw Self.notFound(id) }
        // Working on human tasks: the work permission there, for queue @human.
        func decide(_ permission: Permission) -> AccessDecision {
            permission == .work ? context.decideWork(onQueue: HumanTask.queue, in: task.namespace) : context.decide(permission, in: task.namespace)
        }
        let sees = decide(.read) == .allowed || decide(.work) == .allowed
        guard sees else {
            if decide(.read) == .forbidden, let permission, decide(permission) == .forbidden {
                throw forbidden(permission, task, context)
            }
            throw Self.notFound(id)
        }
        if let permission, decide(permission) != .allowed {
            throw forbidden(permission, task, context)
        }
        return task
    }

    func forbidden(_ permission: Permission, _ task: QueuedTaskRecord, _ context: SluiceRequestContext) -> Problem {
        let roles = context.identity?.roles(in: task.namespace).map(\.rawValue).sorted().joined(separator: ", ") ?? ""
        let needs = permission == .control ? "the editor or admin role" : "the worker or admin role (a worker grant that names its queues must name \(HumanTask.queue))"
        return AccessControl.forbidden("\(permission == .control ? "reassigning" : "working on") a human task in namespace \"\(task.namespace)\" needs \(needs) there; account \"\(context.identity?.account ?? "")\" has \(roles.isEmpty ? "no role" : roles) there")
    }

    func isCurrent(_ task: QueuedTaskRecord) async throws -> Bool {
        guard task.result == nil else { return false }
        guard let detail = try await engine.store.execution(id: task.executionID), task.index < detail.tasks.count else { return false }
        let t = detail.tasks[task.index]
        return t.status == .running && t.attempt == task.attempt
    }

    static func notFound(_ id: String) -> Problem {
        .notFound("no human task \(id)")
    }

    /// The task a call changed, or the problem that says why it changed nothing.
    func answer(_ outcome: QueueCallOutcome, id: String) async throws -> Response {
        switch outcome {
        case .applied(let task):
            return JSONResponse.make(Self.representation(task, current: task.result == nil, now: engine.now(), workflowName: try await workflowNames([task])[task.workflowID]))
        case .notFound: throw Self.notFound(id)
        case .notHolder, .heldBy(nil):
            throw Problem(status: .conflict, type: "urn:sluice:problem:not-holder", title: "Not the holder of the task",
                detail: "nobody holds human task \(id); claim it first")
        case .heldBy(let other?):
            throw Problem(status: .conflict, type: "urn:sluice:problem:held-by-another", title: "Held by another account",
                detail: "human task \(id) is held by \"\(other)\"; it can be claimed once they release it or an editor reassigns it")
        case .notAssigned(let assignees):
            throw Problem(status: .conflict, type: "urn:sluice:problem:not-assigned", title: "Not assigned to this account",
                detail: "human task \(id) may be claimed only by \(assignees.map { "\"\($0)\"" }.joined(separator: ", ")); an editor can reassign it")
        case .finished(let why):
            throw Problem(status: .conflict, type: "urn:sluice:problem:task-finished", title: "The task no longer waits for an answer",
                detail: "human task \(id) no longer waits for an answer: \(why)")
        }
    }

    /// The names of the workflows of `tasks`, by workflow id: one read per workflow (the name of
    /// its latest version, as the workflow lists show it).
    func workflowNames(_ tasks: [QueuedTaskRecord]) async throws -> [String: String] {
        var names: [String: String] = [:]
        for id in Set(tasks.map(\.workflowID)) {
            if let workflow = try await engine.store.workflow(id: id) { names[id] = workflow.name }
        }
        return names
    }

    /// A human task as the API answers it; `workflowName` `nil` when its workflow is gone.
    static func representation(_ task: QueuedTaskRecord, current: Bool, now: Int64, workflowName: String?) -> JSONValue {
        let human = task.human ?? HumanTask.Spec(title: "")
        var o = JSONObject()
        o.append("human_task_id", .string(task.id))
        let status: String
        switch task.result {
        case .output?: status = "COMPLETED"
        case .failure?: status = "FAILED"
        case nil: status = !current ? "CANCELLED" : task.claim == nil ? "WAITING" : "CLAIMED"
        }
        o.append("status", .string(status))
        o.append("title", .string(human.title))
        o.append("instructions", .string(human.instructions))
        o.append("form", human.form)
        o.append("input", task.input)
        o.append("assignees", .array(human.assignees.map(JSONValue.string)))
        o.append("holder", task.claim.map { .string($0.worker) } ?? .null)
        o.append("claimed_at", task.claim.map { .string(Timestamp.format(milliseconds: $0.claimedAt)) } ?? .null)
        o.append("answered_at", task.answeredAt.map { .string(Timestamp.format(milliseconds: $0)) } ?? .null)
        o.append("due_at", task.dueAt.map { .string(Timestamp.format(milliseconds: $0)) } ?? .null)
        switch human.onDue {
        case .fail: o.append("on_due", "fail")
        case .answer(let value):
            o.append("on_due", "answer")
            o.append("default_answer", value)
        }
        switch task.result {
        case .output(let value)?: o.append("answer", value[DataType.json.field] ?? value)
        case .failure(let message, _)?: o.append("error", .string(message))
        case nil: break
        }
        o.append("namespace", .string(task.namespace))
        o.append("workflow_id", .string(task.workflowID))
        o.append("workflow_name", workflowName.map(JSONValue.string) ?? .null)
        o.append("execution_id", .string(task.executionID))
        o.append("task", .string(task.stepID))
        o.append("attempt", .number(Double(task.attempt)))
        o.append("created_at", .string(Timestamp.format(milliseconds: task.createdAt)))
        o.append("waiting_seconds", .number(Double(max(0, now - task.createdAt)) / 1000))
        return .object(o)
    }
}
