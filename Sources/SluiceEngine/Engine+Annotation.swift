import SluiceCore
import SluiceStore

/// `Annotation.Item`: an item's way through its pools as one step of its execution. Each thing
/// the item waits for — a person's label or verdict, an algorithm's output — is one queued task
/// of the step's attempt, phase after phase; the pure `AnnotationWalk` says what comes next.
/// After a restart the step runs again from phase 0: the phases answered before are found in
/// the store (answered) and replayed, so nothing a person or an algorithm gave is lost or asked
/// again, and the item waits where it was.
extension Engine {
    /// Where a parked item's walk stands: what the loop of `runAnnotationItem` holds, and the
    /// row of the phase it waits on.
    struct ItemProgress: Sendable {
        var spec: AnnotationItem.Spec
        var version: Int
        var stored: [Int: QueuedTaskRecord]?
        var walk: AnnotationWalk
        var phase: Int
        var waiting: QueuedTaskRecord
    }

    /// `mayPark`: a wait for a person parks (`Engine+Parking`) and goes on from `resuming`.
    func runAnnotationItem(_ context: StepContext, index: Int, workflowID: String, version started: Int, namespace: String, mayPark: Bool = false, resuming: ItemProgress? = nil, handed: QueuedTaskRecord? = nil) async throws(StepFailure) -> JSONValue {
        guard var spec = resuming?.spec ?? AnnotationItem.Spec(parameters: context.parameters) else { throw StepFailure("the annotation item's pipeline is not valid") }
        // The version of the workflow whose pipeline the walk follows: the execution's own,
        // until an edit of the annotation workflow stores a newer one (see `editedSpec`).
        var version = resuming?.version ?? started
        // The phases stored before (a restart): each says which version it was made under, so
        // a replay continues on an edited pipeline exactly where the item did. Read once, at the
        // first phase found stored already: a walk that has not run before never reads them.
        var stored: [Int: QueuedTaskRecord]? = resuming?.stored
        let item = context.input
        let itemKey = item["item_id"].map { $0.stringValue ?? $0.jsonString } ?? context.executionID
        let itemNumber = Int(item["item_number"]?.numberValue ?? 0)
        var walk = resuming?.walk ?? AnnotationWalk(pipeline: spec.pipeline, itemKey: itemKey, itemNumber: itemNumber, annotation: item["annotation"])
        var phase = resuming?.phase ?? 0
        // The row a resumed walk waited on (its phase's), read again rather than queued again.
        var waiting = resuming?.waiting
        while true {
            let now = clock.now()
            let answer: AnnotationWalk.Answer
            var answeredIn: (pool: String, algorithm: String?)
            // Whether this phase's task was stored before this run (a replay after a restart).
            let replayed: Bool
            switch walk.step {
            case .ended(let end):
                var o = JSONObject()
                o.append("status", .string(end.rawValue))
                o.append("annotation", walk.annotation ?? .null)
                o.append("outputs", .object(JSONObject(walk.outputs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })))
                o.append("rounds", .number(Double(walk.rounds)))
                return [DataType.json.field: .object(o)]
            case .person(let poolIndex, let type, let workers, let assignee):
                let pool = walk.pipeline.pools[poolIndex]
                var input = JSONObject()
                input.append("item", item)
                input.append("pool", .string(pool.name))
                input.append("pool_index", .number(Double(poolIndex)))
                input.append("version", .number(Double(version)))
                if type != .labeling || walk.annotation != nil { input.append("annotation", walk.annotation ?? .null) }
                if let comment = walk.comment, type == .labeling { input.append("comment", .string(comment)) }
                // A review names whose annotation it judges: a rejection counts against them.
                if type != .labeling, let back = walk.pipeline.pools[..<poolIndex].lastIndex(where: { $0.type == .labeling }), let labeler = walk.labelers[back] {
                    input.append("labeled_by", .string(labeler))
                    input.append("labeled_in", .number(Double(back)))
                }
                let title = "\(pool.name): \(type == .labeling ? "label" : "review") item \(item["item_id"].map { $0.stringValue ?? $0.jsonString } ?? "")"
                let human = HumanTask.Spec(
                    title: String(title.prefix(HumanTask.maxTitleLength)),
                    instructions: type == .labeling ? (walk.comment.map { "Sent back by a reviewer: \($0)" } ?? "Label the item.") : "Approve the annotation, or reject it with a comment for the labeler.",
                    form: type == .labeling ? spec.form : AnnotationItem.reviewForm,
                    assignees: assignee.map { [$0] } ?? workers
                )
                let claim = assignee.map { QueueClaim(token: Self.claimToken(), worker: $0, claimedAt: now, heartbeatAt: now, leaseUntil: QueuedTaskRecord.heldUntilAnswered) }
                let fresh = QueuedTaskRecord(
                    id: Identifier.make("ht"), executionID: context.executionID, workflowID: workflowID, namespace: namespace, index: index,
                    stepID: context.stepID, attempt: context.attempt, queue: HumanTask.queue, input: .object(input), outputType: DataType.json.name,
                    leaseMilliseconds: 0, createdAt: now, claim: claim, human: human, phase: phase, pool: poolIndex
                )
                let wait: QueueWait
                // The row the walk waited on when it parked: its own phase's, not a replay.
                let resumedRow = waiting
                if let row = resumedRow {
                    waiting = nil
                    wait = try await queueOrPark(row, context, log: nil, stored: true, mayPark: mayPark, announce: false, known: handed)
                } else {
                    wait = try await queueOrPark(fresh, context, log: "\(pool.name): waiting for \(assignee ?? (workers.isEmpty ? "anyone who may work in \(namespace)" : workers.joined(separator: ", "))) as \(fresh.id)", mayPark: mayPark)
                }
                let answered: QueuedTaskRecord
                switch wait {
                case .answered(let task):
                    answered = task
                    // A row stored before this run of the walk: a replay after a restart.
                    replayed = resumedRow == nil && answered.id != fresh.id
                case .parked(let ticket, let row):
                    let progress = ItemProgress(spec: spec, version: version, stored: stored, walk: walk, phase: phase, waiting: row)
                    throw park(context, index: index, ticket: ticket) { context, handed throws(StepFailure) in
                        try await self.runAnnotationItem(context, index: index, workflowID: workflowID, version: started, namespace: namespace, mayPark: true, resuming: progress, handed: handed)
                    }
                }
                let value = Self.answerValue(answered)
                let by = answered.claim?.worker ?? ""
                // Its pool as stored: an edit may have moved the waiting item to another pool.
                answeredIn = (answered.input["pool"]?.stringValue ?? pool.name, nil)
                if type == .labeling {
                    answer = .labeled(annotation: value, by: by)
                } else {
                    answer = .reviewed(approved: value["approved"] == .bool(true), comment: value["comment"]?.stringValue, by: by)
                }
                context.log("\(pool.name): \(Self.describe(answer))")
            case .algorithm(let poolIndex, let name):
                let pool = walk.pipeline.pools[poolIndex]
                let ran = try await runAlgorithm(name, spec.algorithms[name], pool: poolIndex, poolName: pool.name, item: item, walk: walk, context, index: index, workflowID: workflowID, namespace: namespace, phase: phase, version: version)
                replayed = ran.replayed
                answer = .algorithm(output: ran.output)
                answeredIn = (pool.name, name)
                context.log("\(pool.name): algorithm \(name) answered")
            }
            // Was the pipeline edited meanwhile? A replay reads what the next phase was made
            // under; a live walk, the workflow's latest version.
            if replayed, stored == nil {
                do {
                    let records = try await store.queuedTasks(executionID: context.executionID)
                    stored = Dictionary(records.filter { $0.index == index && $0.attempt == context.attempt }.map { ($0.phase, $0) }, uniquingKeysWith: { first, _ in first })
                } catch {
                    throw StepFailure("could not read the item's answers so far: \(error)", retryable: true)
                }
            }
            let next: Int
            if let later = stored?[phase + 1] {
                next = later.input["version"]?.numberValue.map { Int($0) } ?? version
            } else {
                next = (try? await store.workflow(id: workflowID))?.version ?? version
            }
            let edited = next == version ? nil : await editedSpec(workflowID: workflowID, version: next)
            if let edited, let anchor = edited.pipeline.pools.firstIndex(where: { $0.name == answeredIn.pool }),
               var moved = walk.rebased(onto: edited.pipeline, at: anchor, algorithm: answeredIn.algorithm), moved.apply(answer) {
                // The answer counts where its pool stands in the edited pipeline.
                walk = moved
                spec = edited
                version = next
                context.log("the workflow was edited (version \(next)): the answer of pool \(answeredIn.pool) counts there, and the item goes on by the edited pools")
            } else {
                walk.apply(answer)
                // The answered pool is not in the edit (it was removed while the answer was
                // on its way): the item joins the edited pipeline at the pool it went on to,
                // when that one is in it; otherwise it finishes as it was.
                if let edited, case .person(let at, _, _, _) = walk.step, let anchor = edited.pipeline.pools.firstIndex(where: { $0.name == walk.pipeline.pools[at].name }),
                   let moved = walk.rebased(onto: edited.pipeline, at: anchor) {
                    walk = moved
                    spec = edited
                    version = next
                }
            }
            phase += 1
        }
    }

    /// The `Annotation.Item` parameters of version `version` of workflow `workflowID`: the
    /// pipeline an edit stored. `nil` when it cannot be read now (the walk goes on as it was,
    /// and looks again at its next answer).
    func editedSpec(workflowID: String, version: Int) async -> AnnotationItem.Spec? {
        guard let record = try? await store.workflowVersion(id: workflowID, version: version) else { return nil }
        let step = record.definition["steps"]?.arrayValue?.first { $0["type"]?.stringValue == AnnotationItem.stepType }
        return AnnotationItem.Spec(parameters: step?["input"])
    }

    /// The records of executions `ids` that exist: from memory for those that finished here
    /// lately (the store may not have their end yet), the rest in one store read.
    public func executionRecords(ids: [String]) async throws -> [String: ExecutionRecord] {
        var found: [String: ExecutionRecord] = [:]
        var rest: [String] = []
        for id in ids {
            if let detail = finished.withLock({ $0.detail(id) }) { found[id] = detail.execution } else { rest.append(id) }
        }
        for (id, record) in try await store.executionRecords(ids: rest) { found[id] = record }
        return found
    }

    /// What a queued task was answered with: a person's answer object (`{"json": answer}` as
    /// stored), an algorithm's output.
    public static func answerValue(_ task: QueuedTaskRecord) -> JSONValue {
        guard case .output(let value)? = task.result else { return .null }
        return value[DataType.json.field] ?? value
    }

    static func describe(_ answer: AnnotationWalk.Answer) -> String {
        switch answer {
        case .labeled(_, let by): "labeled by \(by)"
        case .reviewed(true, _, let by): "approved by \(by)"
        case .reviewed(false, let comment, let by): "rejected by \(by)" + (comment.map { ": \($0)" } ?? "")
        case .algorithm: "algorithm answered"
        }
    }

    /// Runs algorithm `name` on the item: a worker queue's task (answered by a program outside
    /// the server), or a step run here whose output is stored as the phase's answer (after a
    /// restart before it was stored, the step runs again; the first output stored is kept).
    /// Runs (or, in a replay, reads the stored answer of) algorithm `name`; `replayed` says its
    /// phase was stored before this run.
    func runAlgorithm(_ name: String, _ algorithm: JSONValue?, pool: Int, poolName: String, item: JSONValue, walk: AnnotationWalk, _ context: StepContext, index: Int, workflowID: String, namespace: String, phase: Int, version: Int) async throws(StepFailure) -> (output: JSONValue, replayed: Bool) {
        var input = JSONObject()
        input.append("item", item)
        input.append("annotation", walk.annotation ?? .null)
        input.append("algorithm", .string(name))
        input.append("pool", .string(poolName))
        input.append("pool_index", .number(Double(pool)))
        input.append("version", .number(Double(version)))
        let now = clock.now()
        func record(queue: String, lease: Int64, result: QueuedTaskResult?) -> QueuedTaskRecord {
            QueuedTaskRecord(
                id: Identifier.make("qt"), executionID: context.executionID, workflowID: workflowID, namespace: namespace, index: index,
                stepID: context.stepID, attempt: context.attempt, queue: queue, input: .object(input), outputType: DataType.json.name,
                leaseMilliseconds: lease, createdAt: now, result: result, answeredAt: result == nil ? nil : now, phase: phase, pool: pool
            )
        }
        if let queue = algorithm?["queue"]?.stringValue {
            let fresh = record(queue: queue, lease: Self.algorithmLeaseMilliseconds, result: nil)
            let answered = try await queueAndWait(fresh, context, log: "algorithm \(name): queued in \(queue)")
            return (Self.answerValue(answered), answered.id != fresh.id)
        }
        guard let step = algorithm?["step"], let typeName = step["type"]?.stringValue, let type = checker.registry[typeName] else {
            throw StepFailure("algorithm \(name) is not a queue or a known step")
        }
        // The item as the step's input: its data as text when it is a string, else as JSON.
        let data = item["data"] ?? .null
        let stepInput: JSONValue = data.stringValue.map { [DataType.text.field: .string($0)] } ?? [DataType.json.field: data]
        let output: JSONValue
        switch type.implementation {
        case .pure(let function):
            output = try function(stepInput, step["input"])
        case .run(let function):
            output = try await function(StepContext(input: stepInput, parameters: step["input"], executionID: context.executionID, stepID: context.stepID, attempt: context.attempt, log: context.log))
        default:
            throw StepFailure("algorithm \(name) is a \(typeName) step, which cannot run inside an item; use a queue or a step that runs at once or reaches out")
        }
        let fresh = record(queue: Self.algorithmQueue, lease: 0, result: .output([DataType.json.field: output]))
        let stored = try await queueAndWait(fresh, context, log: nil)
        return (Self.answerValue(stored), stored.id != fresh.id)
    }

    /// Where a step algorithm's answered phase is kept (no worker can claim from it).
    static let algorithmQueue = "@algorithm"
    /// How long a worker holds an algorithm's task without a heartbeat.
    static let algorithmLeaseMilliseconds: Int64 = 300_000
}
