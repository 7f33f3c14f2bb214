import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// Items of an annotation workflow: uploaded in batches (each becomes an execution of the
/// workflow's `Annotation.Item` step), read one by one with their state and history, listed.
/// People work on them through their inbox (`/inbox`, `/human-tasks/…`). Uploading starts
/// executions, so it needs `run` in the project's namespace; reading needs `read`.
struct AnnotationItemController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    static let maxBatch = Limits.annotationItemsPerUpload

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/annotation/item/upload", use: upload)
        router.get("/annotation/item/get", use: get)
        router.get("/annotation/item/list", use: list)
        router.get("/annotation/item/export", use: export)
    }

    @Sendable func upload(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        let object = body.objectValue ?? JSONObject()
        var issues = AnnotationFields.unknownMembers(object, allowed: ["workflowId", "items"], path: "")
        var workflow: AnnotationWorkflowRecord?
        if let id = AnnotationFields(object: object).integer("workflowId", required: true, issues: &issues) {
            workflow = try await visibleWorkflow(id, context)
            if let workflow {
                guard context.decide(.run, in: workflow.namespace) == .allowed else {
                    throw AccessControl.forbidden("uploading items starts executions in namespace \"\(workflow.namespace)\"; that needs the runner, editor or admin role there")
                }
            } else {
                issues.append(.init(path: "workflowId", code: "unknown_workflow", message: "no annotation workflow \(id); create one with POST /annotation/workflow/create"))
            }
        }
        let now = engine.now()
        var drafts: [AnnotationItemRecord] = []
        switch object["items"] {
        case nil, .null?:
            issues.append(.init(path: "items", code: "required", message: "expected items, an array of 1 to \(Self.maxBatch) items ({\"data\": …, \"externalId\": …})"))
        case .array(let list)?:
            if list.isEmpty || list.count > Self.maxBatch {
                issues.append(.init(path: "items", code: list.isEmpty ? "no_items" : "too_many", message: "expected 1 to \(Self.maxBatch) items in a batch, found \(list.count)"))
            } else {
                for (i, raw) in list.enumerated() {
                    let path = "items[\(i)]"
                    guard let item = raw.objectValue else {
                        issues.append(.init(path: path, code: "type_mismatch", message: "expected an item, an object with data (a URL, a text or any JSON) and an optional externalId, found \(raw.described)"))
                        continue
                    }
                    issues += AnnotationFields.unknownMembers(item, allowed: ["data", "externalId"], path: path)
                    let fields = AnnotationFields(object: item, path: path)
                    let external = fields.string("externalId", maxLength: Limits.annotationNameCharacters, issues: &issues)
                    guard let data = fields.value("data") else {
                        issues.append(.init(path: "\(path).data", code: "required", message: "expected the item's data: a URL, a text or any JSON"))
                        continue
                    }
                    drafts.append(AnnotationItemRecord(workflowID: workflow?.id ?? 0, externalID: external, data: data, createdAt: now))
                }
            }
        case let other?:
            issues.append(.init(path: "items", code: "type_mismatch", message: "expected an array of items, found \(other.described)"))
        }
        guard issues.isEmpty, let workflow else { throw AnnotationController.invalid(issues) }
        switch try await engine.store.insertItems(drafts) {
        case .duplicate(let index):
            throw AnnotationController.invalid([.init(path: "items[\(index)].externalId", code: "duplicate", message: "workflow \(workflow.id) has an item with externalId \"\(drafts[index].externalID ?? "")\" already (or this batch has it twice)")])
        case .inserted(let items):
            // Stored, so accepted: they are answered 200 even when their executions cannot
            // start now (a store error, the engine full). Those stay `pending` and
            // `AnnotationItemStarter` starts them (so does a restart), with the same keys.
            var pending = 0
            do {
                try await Self.start(items, runsAs: workflow.runsAs, engine: engine)
            } catch let failure as StartFailure {
                pending = failure.pending
                context.logger.warning("annotation items stored; \(pending) of their executions start later: \(failure.cause)", metadata: ["annotation.workflow": "\(workflow.id)"])
            }
            return AnnotationEnvelope.success(["itemIds": .array(items.map { .number(Double($0.id)) }), "pending": .number(Double(pending))], now: engine.now())
        }
    }

    @Sendable func get(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try AnnotationController.idParameter(request, "itemId")
        guard let item = try await engine.store.item(id: id), let workflow = try await visibleWorkflow(item.workflowID, context) else {
            throw Problem.notFound("no item \(id)")
        }
        try requireRead(context, workflow)
        // Who held each round, in order, released ones too: from the execution's task.claimed and
        // task.released events (one read, for this item only; lists and exports name the
        // holder that answered).
        var holders: [String: [JSONValue]] = [:]
        if let executionID = item.executionID {
            let events = try await engine.store.events(executionID: executionID, after: 0, limit: Self.holderEventLimit)
            holders = Self.holders(from: events)
        }
        return AnnotationEnvelope.success(try await representations([item], history: true, holders: holders)[0], now: engine.now())
    }

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try AnnotationController.idParameter(request, "workflowId")
        guard let workflow = try await visibleWorkflow(id, context) else { throw Problem.notFound("no workflow \(id)") }
        try requireRead(context, workflow)
        let limit = try parsing.page(request).limit
        let after = try AnnotationController.idParameter(request, "cursor", required: false) ?? 0
        let filter = try Self.filter(request, workflow)
        let items = filter == AnnotationItemFilter()
            ? try await engine.store.items(workflowID: workflow.id, after: after, limit: limit)
            : try await engine.store.items(workflowID: workflow.id, filter: filter, after: after, limit: limit)
        let list = try await representations(items, history: false)
        return AnnotationEnvelope.success(["list": .array(list), "nextCursor": items.count == limit ? .number(Double(items.last!.id)) : .null], now: engine.now())
    }

    /// `state=` (one of the states an item reports) and `pool=` (a pool of the workflow, by its
    /// index or its name: the items waiting or held there), both optional; the problems of both
    /// in one 400.
    static func filter(_ request: Request, _ workflow: AnnotationWorkflowRecord) throws -> AnnotationItemFilter {
        var filter = AnnotationItemFilter()
        var issues: [ValidationIssue] = []
        if let raw = request.uri.queryParameters["state"].map(String.init) {
            if let state = AnnotationItemFilter.State(rawValue: raw) {
                filter.state = state
            } else {
                let states = AnnotationItemFilter.State.allCases.map(\.rawValue).joined(separator: ", ")
                issues.append(.init(path: "state", code: "invalid_value", message: "expected one of \(states), found \"\(raw)\""))
            }
        }
        if let raw = request.uri.queryParameters["pool"].map(String.init) {
            let pools = AnnotationPipeline.parse(workflow.pipeline, path: "workflow").0?.pools ?? []
            if let index = Int(raw), pools.indices.contains(index) {
                filter.pool = index
            } else if let index = pools.firstIndex(where: { $0.name == raw }) {
                filter.pool = index
            } else {
                let known = pools.enumerated().map { "\($0.offset) (\($0.element.name))" }.joined(separator: ", ")
                issues.append(.init(path: "pool", code: "unknown_pool", message: "expected a pool of workflow \(workflow.id), by index or name: \(known); found \"\(raw)\""))
            }
        }
        guard issues.isEmpty else { throw AnnotationController.invalid(issues) }
        return filter
    }

    /// The completed items of a workflow with their annotations, the algorithms' outputs and
    /// their history, oldest first, streamed a page at a time: `format=json` (the default) in
    /// the envelope (`data.list`), `format=jsonl` one item per line (`application/jsonl`, no
    /// envelope: a file to save).
    @Sendable func export(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try AnnotationController.idParameter(request, "workflowId")
        let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard format == "json" || format == "jsonl" else {
            throw AnnotationController.invalid([.init(path: "format", code: "invalid_value", message: "expected json or jsonl, found \"\(format)\"")])
        }
        guard let workflow = try await visibleWorkflow(id, context) else { throw Problem.notFound("no workflow \(id)") }
        try requireRead(context, workflow)
        let lines = format == "jsonl"
        let controller = self
        let now = engine.now()
        let body = ResponseBody { writer in
            if !lines {
                try await writer.write(ByteBuffer(string: #"{"code":200,"message":"Succeed","data":{"list":["#))
            }
            var after: Int64 = 0
            var first = true
            while true {
                let page = try await controller.engine.store.items(workflowID: workflow.id, after: after, limit: 500)
                if page.isEmpty { break }
                var bytes: [UInt8] = []
                for value in try await controller.representations(page, history: true) {
                    guard value["state"] == "completed" else { continue }
                    if !lines, !first { bytes.append(UInt8(ascii: ",")) }
                    bytes += value.jsonBytes
                    if lines { bytes.append(0x0A) }
                    first = false
                }
                if !bytes.isEmpty { try await writer.write(ByteBuffer(bytes: bytes)) }
                after = page.last!.id
                if Task.isCancelled { break }
            }
            if !lines {
                let tail = #"]},"date":"# + JSONValue.string(AnnotationEnvelope.date(now)).jsonString + #","requestId":"# + JSONValue.string(AnnotationEnvelope.requestID()).jsonString + #","success":true}"#
                try await writer.write(ByteBuffer(string: tail + "\n"))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: lines ? "application/jsonl" : "application/json"], body: body)
    }

    // MARK: Starting items

    /// Starts the executions of `items` (the idempotency key `annotation-item-<id>` makes a
    /// second start of one find the first), and records the ones that started — also when
    /// others could not: then it throws `StartFailure` with how many are left.
    static func start(_ items: [AnnotationItemRecord], runsAs: String, engine: Engine) async throws {
        let (started, failure) = await withTaskGroup(of: (Int64, Result<String, any Error>).self) { group in
            var pairs: [(item: Int64, execution: String)] = []
            var failure: (any Error)?
            var next = 0
            var running = 0
            // A bounded number at once: the group committer stores them in shared batches. (No
            // nested function adds to the group: one that captured it put a release build's
            // tasks outside it, so none was waited for and none recorded.)
            while true {
                // After a failure the rest is left to the starter: the store or the engine is
                // refusing now.
                while failure == nil, next < items.count, running < 64 {
                    let item = items[next]
                    next += 1
                    running += 1
                    let id = item.id
                    group.addTask {
                        // The tuple is made after the await: one built around `try await` (the
                        // id read before the suspension) came out with id 0 in a release build.
                        do {
                            let execution = try await startOne(item, runsAs: runsAs, engine: engine)
                            return (id, .success(execution))
                        } catch {
                            return (id, .failure(error))
                        }
                    }
                }
                guard let (id, result) = await group.next() else { break }
                running -= 1
                switch result {
                case .success(let execution): pairs.append((id, execution))
                case .failure(let error): failure = failure ?? error
                }
            }
            return (pairs, failure)
        }
        if !started.isEmpty {
            do { try await engine.store.setItemExecutions(started) } catch { throw StartFailure(pending: items.count, cause: error) }
        }
        if let failure { throw StartFailure(pending: items.count - started.count, cause: failure) }
    }

    /// Some of a batch's executions did not start (or were not recorded): `pending` items are
    /// left to the starter.
    struct StartFailure: Error {
        var pending: Int
        var cause: any Error
    }

    static func startOne(_ item: AnnotationItemRecord, runsAs: String, engine: Engine) async throws -> String {
        var input = JSONObject()
        input.append("item_id", .number(Double(item.id)))
        input.append("item_number", .number(Double(item.number)))
        input.append("external_id", item.externalID.map(JSONValue.string) ?? .null)
        input.append("data", item.data)
        return try await engine.startExecution(workflowID: runsAs, request: ExecutionRequest(input: .object(input)), idempotencyKey: "annotation-item-\(item.id)").executionID
    }

    /// Starts the items stored without an execution (a crash came between, or their start
    /// failed): called when the server starts and by `AnnotationItemStarter`. Stops at the
    /// first error (the next round tries again).
    /// With `olderThan` (milliseconds), only items stored at least that long ago: younger ones
    /// are most likely being started by their upload right now.
    static func startPending(engine: Engine, olderThan: Int64? = nil) async throws {
        while true {
            var pending = try await engine.store.itemsWithoutExecution(limit: 500)
            if let olderThan {
                let before = engine.now() - olderThan
                pending = pending.filter { $0.createdAt <= before }
            }
            if pending.isEmpty { return }
            var byWorkflow: [Int64: [AnnotationItemRecord]] = [:]
            for item in pending { byWorkflow[item.workflowID, default: []].append(item) }
            for (workflowID, items) in byWorkflow {
                guard let workflow = try await engine.store.annotationWorkflow(id: workflowID) else { continue }
                try await start(items, runsAs: workflow.runsAs, engine: engine)
            }
        }
    }

    // MARK: Helpers

    func visibleWorkflow(_ id: Int64, _ context: SluiceRequestContext) async throws -> AnnotationWorkflowRecord? {
        guard let workflow = try await engine.store.annotationWorkflow(id: id), context.decide(.read, in: workflow.namespace) != .hidden else { return nil }
        return workflow
    }

    func requireRead(_ context: SluiceRequestContext, _ workflow: AnnotationWorkflowRecord) throws {
        guard context.decide(.read, in: workflow.namespace) == .allowed else {
            throw AccessControl.forbidden("reading namespace \"\(workflow.namespace)\" needs a role there that reads (viewer, runner, editor or admin)")
        }
    }

    /// An item with its state: `pending` (its execution not started yet), `in_pool` (waiting in
    /// or held in `pool`), `completed`, `discarded`, `failed` or `cancelled`; with `history`,
    /// every label, verdict and algorithm output in order, with who and when.
    /// Reads what their representations need in two reads for the whole page (their executions,
    /// their queued tasks), not two per item.
    func representations(_ items: [AnnotationItemRecord], history: Bool, holders: [String: [JSONValue]] = [:]) async throws -> [JSONValue] {
        let executionIDs = items.compactMap(\.executionID)
        let executions = try await engine.executionRecords(ids: executionIDs)
        // The tasks: for the history, or for where an unfinished item waits.
        let needed = executionIDs.filter { id in history || executions[id].map { !$0.status.isTerminal } ?? false }
        let tasks = try await engine.store.queuedTasks(executionIDs: needed)
        return items.map { item in
            Self.representation(item, execution: item.executionID.flatMap { executions[$0] }, tasks: item.executionID.flatMap { tasks[$0] } ?? [], history: history, holders: holders)
        }
    }

    /// The most events of one item's execution read for its holders (an item taken and released
    /// more often than this shows the holders of its first events).
    static let holderEventLimit = 10_000

    /// Every holder of each of an execution's human tasks, by task id, in order:
    /// `{"by", "claimedAt", "releasedAt"}`, `releasedAt` `null` for the one holding it now or
    /// who answered it. A new holder replacing one (a reassignment) ends the previous one.
    static func holders(from events: [EventRecord]) -> [String: [JSONValue]] {
        var open: [String: (by: String, claimedAt: Int64)] = [:]
        var result: [String: [JSONValue]] = [:]
        func close(_ id: String, at: Int64?) {
            guard let held = open.removeValue(forKey: id) else { return }
            var h = JSONObject()
            h.append("by", .string(held.by))
            h.append("claimedAt", .string(AnnotationEnvelope.date(held.claimedAt)))
            h.append("releasedAt", at.map { .string(AnnotationEnvelope.date($0)) } ?? .null)
            result[id, default: []].append(.object(h))
        }
        for event in events where event.type == EventType.taskClaimed || event.type == EventType.taskReleased {
            guard let data = try? JSONParser.parse(event.data), let id = data["human_task_id"]?.stringValue else { continue }
            close(id, at: event.at)
            if event.type == EventType.taskClaimed, let by = data["holder"]?.stringValue {
                open[id] = (by, data["claimed_at"]?.stringValue.flatMap(Timestamp.parse) ?? event.at)
            }
        }
        for id in open.keys.sorted() { close(id, at: nil) }
        return result
    }

    static func representation(_ item: AnnotationItemRecord, execution: ExecutionRecord?, tasks: [QueuedTaskRecord], history: Bool, holders: [String: [JSONValue]] = [:]) -> JSONValue {
        var o = JSONObject()
        o.append("itemId", .number(Double(item.id)))
        o.append("workflowId", .number(Double(item.workflowID)))
        o.append("externalId", item.externalID.map(JSONValue.string) ?? .null)
        o.append("data", item.data)
        var state = "pending"
        var pool: JSONValue = .null
        var annotation: JSONValue = .null
        var outputs: JSONValue = .null
        if let execution {
            switch execution.status {
            case .completed:
                let result = execution.output?[DataType.json.field]
                state = result?["status"]?.stringValue ?? "completed"
                annotation = result?["annotation"] ?? .null
                outputs = result?["outputs"] ?? .null
            case .failed: state = "failed"
            case .cancelled: state = "cancelled"
            default:
                state = "in_pool"
            }
            if state == "in_pool", let open = tasks.last(where: { $0.result == nil }) {
                let index = Int(open.input["pool_index"]?.numberValue ?? -1)
                var p = JSONObject()
                p.append("index", .number(Double(index)))
                p.append("name", open.input["pool"] ?? .null)
                p.append("holder", open.claim.map { .string($0.worker) } ?? .null)
                p.append("taskId", .string(open.id))
                pool = .object(p)
                annotation = open.input["annotation"] ?? tasks.last(where: { $0.human?.form != AnnotationItem.reviewForm && $0.result != nil }).map { Engine.answerValue($0) } ?? .null
            }
        }
        o.append("state", .string(state))
        o.append("pool", pool)
        o.append("annotation", annotation)
        if outputs != .null { o.append("outputs", outputs) }
        o.append("executionId", item.executionID.map(JSONValue.string) ?? .null)
        o.append("createdAt", .string(AnnotationEnvelope.date(item.createdAt)))
        if history {
            o.append("history", .array(tasks.map { task in
                var h = JSONObject()
                h.append("pool", task.input["pool"] ?? .null)
                h.append("poolIndex", task.input["pool_index"] ?? .null)
                if let algorithm = task.input["algorithm"] { h.append("algorithm", algorithm) }
                h.append("taskId", .string(task.id))
                h.append("by", task.claim.map { .string($0.worker) } ?? .null)
                h.append("queuedAt", .string(AnnotationEnvelope.date(task.createdAt)))
                h.append("claimedAt", task.claim.map { .string(AnnotationEnvelope.date($0.claimedAt)) } ?? .null)
                // When the answer was stored (`null` while unanswered): with claimedAt, how long it took.
                h.append("answeredAt", task.answeredAt.map { .string(AnnotationEnvelope.date($0)) } ?? .null)
                h.append("answer", task.result.map { _ in Engine.answerValue(task) } ?? .null)
                // Read one by one (`GET /annotation/item/get`): everyone who held it, in order.
                if let held = holders[task.id] { h.append("holders", .array(held)) }
                return .object(h)
            }))
        }
        return .object(o)
    }
}
