import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// A worker takes the next item of a pool: `POST /annotation/task/next` claims one of the
/// oldest items waiting unclaimed in the pool (the 32 oldest, in random order) for the caller and answers its human task (the same as
/// `GET /human-tasks/{id}`), or `null` when none waits. Two workers asking at once never get
/// the same item: each claim is the store's one atomic step, and a worker who loses a race
/// takes the next. Then the worker answers it with `POST /human-tasks/{id}/complete`.
struct AnnotationWorkController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }
    var people: HumanTaskController { HumanTaskController(engine: engine, configuration: configuration) }

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/annotation/task/next", use: next)
    }

    @Sendable func next(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        let object = body.objectValue ?? JSONObject()
        var issues = AnnotationFields.unknownMembers(object, allowed: ["workflowId", "pool", "account"], path: "")
        let fields = AnnotationFields(object: object)
        let workflowID = fields.integer("workflowId", required: true, issues: &issues)
        let poolIndex = fields.integer("pool", required: true, issues: &issues)
        let named = fields.string("account", maxLength: AccountName.maxLength, issues: &issues)
        var workflow: AnnotationWorkflowRecord?
        if let workflowID {
            workflow = try await engine.store.annotationWorkflow(id: workflowID)
            if let found = workflow, context.decide(.read, in: found.namespace) == .hidden, context.decide(.work, in: found.namespace) == .hidden { workflow = nil }
            if workflow == nil { issues.append(.init(path: "workflowId", code: "unknown_workflow", message: "no annotation workflow \(workflowID)")) }
        }
        var pool: AnnotationPool?
        if let workflow, let poolIndex {
            let pools = AnnotationPipeline.parse(workflow.pipeline, path: "workflow").0?.pools ?? []
            if poolIndex >= 0, poolIndex < pools.count, pools[Int(poolIndex)].type.isHuman {
                pool = pools[Int(poolIndex)]
            } else {
                let human = pools.indices.filter { pools[$0].type.isHuman }.map(String.init).joined(separator: ", ")
                issues.append(.init(path: "pool", code: "not_a_work_pool", message: "expected the index of a labeling, inspection or spot-check pool of workflow \(workflow.id) (\(human)), found \(poolIndex)"))
            }
        }
        guard issues.isEmpty, let workflow, let pool, let poolIndex else { throw AnnotationController.invalid(issues) }
        // People's work is queue @human: a worker grant limited to other queues does not take items.
        guard context.decideWork(onQueue: HumanTask.queue, in: workflow.namespace) == .allowed else {
            throw AccessControl.forbidden("taking items needs the worker or admin role in namespace \"\(workflow.namespace)\" (a worker grant naming its queues must name @human)")
        }
        let account = try people.person(named: named, context)
        if !pool.workers.isEmpty, !pool.workers.contains(account) {
            throw AccessControl.forbidden("pool \(poolIndex) (\(pool.name)) is worked by \(pool.workers.joined(separator: ", ")); account \"\(account)\" is not one of them")
        }
        // First what they hold already there — an item assigned to them (a push pool, a
        // rejection sent back to them) or taken and not answered — so nothing waits for them
        // unseen; the oldest first.
        if let id = try await engine.store.heldInPool(workflowID: workflow.runsAs, pool: Int(poolIndex), worker: account, limit: 1).first,
           let task = try await engine.store.queuedTask(id: id) {
            return AnnotationEnvelope.success(["task": HumanTaskController.representation(task, current: true, now: engine.now(), workflowName: try await people.workflowNames([task])[task.workflowID])], now: engine.now())
        }
        // Among the oldest waiting; one another worker took meanwhile is passed over.
        for _ in 0..<Self.rounds {
            let waiting = try await engine.store.waitingInPool(workflowID: workflow.runsAs, pool: Int(poolIndex), limit: Self.candidates)
            if waiting.isEmpty { break }
            // In a random order: workers asking at once mostly try different items rather than
            // all racing for the oldest.
            for id in waiting.shuffled() {
                if case .applied(let task) = try await engine.act(onHumanTask: id, .claim(account: account, token: Engine.claimToken())) {
                    return AnnotationEnvelope.success(["task": HumanTaskController.representation(task, current: true, now: engine.now(), workflowName: try await people.workflowNames([task])[task.workflowID])], now: engine.now())
                }
            }
        }
        return AnnotationEnvelope.success(["task": .null], now: engine.now())
    }

    /// How many waiting tasks one read offers, and how many reads a call makes before it says
    /// none is left (each read's tasks all taken by others meanwhile).
    static let candidates = 32
    static let rounds = 8
}
