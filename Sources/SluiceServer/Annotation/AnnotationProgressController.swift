import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// `GET /annotation/workflow/progress`: how far a workflow's items are — by state, by pool and
/// by worker — counted by the store in a few aggregate reads, so a manager's page can ask
/// every few seconds. Needs a role that reads in the project's namespace.
struct AnnotationProgressController {
    let engine: Engine

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/annotation/workflow/progress", use: progress)
    }

    @Sendable func progress(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try AnnotationController.idParameter(request, "workflowId")
        guard let workflow = try await engine.store.annotationWorkflow(id: id), context.decide(.read, in: workflow.namespace) != .hidden else {
            throw AnnotationController.notFound("no workflow \(id)")
        }
        guard context.decide(.read, in: workflow.namespace) == .allowed else {
            throw AccessControl.forbidden("reading namespace \"\(workflow.namespace)\" needs a role there that reads (viewer, runner, editor or admin)")
        }
        let counts = try await engine.store.annotationProgress(workflowID: workflow.id, runsAs: workflow.runsAs)
        let pools = AnnotationPipeline.parse(workflow.pipeline, path: "workflow").0?.pools ?? []
        return AnnotationEnvelope.success(Self.representation(workflowID: workflow.id, pools: pools, counts: counts), now: engine.now())
    }

    /// The answer's `data`. Items: `pending` (not started), `inPool`, `completed`, `discarded`
    /// (rejected where no labeling pool comes before: each such rejection ends one item),
    /// `failed`, `cancelled`. Pools: every pool of the pipeline, with the items `waiting`
    /// unclaimed and `held` now, the answers `done` there (every round) and the `rejected`
    /// verdicts. Workers: per pool, answers `done`, `rejected` (in a labeling pool: their
    /// annotations a review rejected; in a review pool: the rejections they gave),
    /// `rejectionRate` and `medianSeconds` from claim (or assignment) to answer.
    static func representation(workflowID: Int64, pools: [AnnotationPool], counts: AnnotationProgressCounts) -> JSONValue {
        let byPool = Dictionary(counts.pools.map { ($0.pool, $0) }, uniquingKeysWith: { first, _ in first })
        var discarded = 0
        for (index, pool) in pools.enumerated() where pool.type == .inspection || pool.type == .spotCheck {
            if !pools[..<index].contains(where: { $0.type == .labeling }) { discarded += byPool[index]?.rejected ?? 0 }
        }
        let executions = counts.executions
        var items = JSONObject()
        items.append("total", .number(Double(counts.items)))
        items.append("pending", .number(Double(counts.itemsWithoutExecution)))
        items.append("inPool", .number(Double((executions[.pending] ?? 0) + (executions[.running] ?? 0))))
        items.append("completed", .number(Double(max(0, (executions[.completed] ?? 0) - discarded))))
        items.append("discarded", .number(Double(discarded)))
        items.append("failed", .number(Double(executions[.failed] ?? 0)))
        items.append("cancelled", .number(Double(executions[.cancelled] ?? 0)))
        let poolList: [JSONValue] = pools.enumerated().map { index, pool in
            let counted = byPool[index] ?? .init(pool: index)
            var o = JSONObject()
            o.append("pool", .number(Double(index)))
            o.append("name", .string(pool.name))
            o.append("type", .number(Double(pool.type.rawValue)))
            o.append("waiting", .number(Double(counted.waiting)))
            o.append("held", .number(Double(counted.held)))
            o.append("done", .number(Double(counted.done)))
            o.append("rejected", .number(Double(counted.rejected)))
            return .object(o)
        }
        let workerList: [JSONValue] = counts.workers.map { worker in
            let labeling = worker.pool < pools.count && pools[worker.pool].type == .labeling
            let rejected = labeling ? worker.rejectionsReceived : worker.rejectedGiven
            var o = JSONObject()
            o.append("worker", .string(worker.worker))
            o.append("pool", .number(Double(worker.pool)))
            o.append("done", .number(Double(worker.done)))
            o.append("rejected", .number(Double(rejected)))
            o.append("rejectionRate", worker.done > 0 ? .number((Double(rejected) / Double(worker.done) * 1000).rounded() / 1000) : .null)
            o.append("medianSeconds", worker.medianMilliseconds.map { .number(Double($0) / 1000) } ?? .null)
            return .object(o)
        }
        var data = JSONObject()
        data.append("workflowId", .number(Double(workflowID)))
        data.append("items", .object(items))
        data.append("pools", .array(poolList))
        data.append("workers", .array(workerList))
        return .object(data)
    }
}
