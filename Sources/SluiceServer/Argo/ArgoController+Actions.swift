import HTTPTypes
import Hummingbird
import SluiceArgo
import SluiceCore
import SluiceEngine
import SluiceStore

/// `PUT …/{name}/stop|terminate|retry|resubmit|suspend|resume` and `GET …/{name}/log`: Sluice's
/// cancel, retry, suspend and resume and a new workflow, and the containers' output from the task
/// logs.
extension ArgoController {
    func registerActions(on router: some RouterMethods<SluiceRequestContext>) {
        router.put("/api/v1/workflows/:namespace/:name/stop", use: stop)
        router.put("/api/v1/workflows/:namespace/:name/terminate", use: stop)
        router.put("/api/v1/workflows/:namespace/:name/retry", use: retry)
        router.put("/api/v1/workflows/:namespace/:name/resubmit", use: resubmit)
        router.put("/api/v1/workflows/:namespace/:name/suspend", use: suspend)
        router.put("/api/v1/workflows/:namespace/:name/resume", use: resume)
        router.get("/api/v1/workflows/:namespace/:name/log", use: log)
    }

    /// The workflow the path names, after the caller's right to `permission` in its namespace.
    func named(_ context: SluiceRequestContext, _ permission: Permission) async throws -> ArgoWorkflows.Stored {
        let name = context.parameters.get("name") ?? ""
        let namespace = try namespace(context, permission, hiddenAsNotFound: name)
        guard let stored = try await workflows.find(name, in: namespace) else { throw ArgoError.notFound(name) }
        return stored
    }

    /// `PUT …/suspend`: the workflow's execution is suspended — no container starts until it is
    /// resumed, the running ones go on to their end — and the answer shows `spec.suspend: true`
    /// with phase `Running`, as Argo does. Stored: a restart keeps it suspended. A finished
    /// workflow is Argo's error (`500`, code 13, "cannot suspend completed workflows").
    @Sendable func suspend(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let stored = try await named(context, .control)
        guard let detail = try await workflows.execution(of: stored) else { throw ArgoError.notFound(stored.name) }
        guard !detail.execution.status.isTerminal else { throw Self.cannotSuspendCompleted }
        do {
            _ = try await engine.suspendExecution(detail.execution.id)
        } catch EngineError.conflict {
            throw Self.cannotSuspendCompleted  // it finished meanwhile
        }
        return JSONResponse.make(try await workflows.object(stored))
    }

    /// Argo's answer to a suspend of a finished workflow (`errSuspendedCompletedWorkflow`, which
    /// its gateway answers as Internal).
    static let cannotSuspendCompleted = Problem(status: .internalServerError, type: "urn:sluice:problem:argo", title: "Internal", detail: "cannot suspend completed workflows")

    /// `PUT …/resume`: the workflow's Suspend nodes that wait end (`Succeeded`) and it is no
    /// longer suspended, so the containers held back start. With `nodeFieldSelector`
    /// (`displayName=X`, `name=X`, `templateName=X`, `id=X`, joined by commas; in the body, as
    /// Hera sends it, or the query) only the Suspend nodes it selects end, and a suspend of the
    /// whole workflow stays, as in Argo. A finished workflow is answered as it is (Argo's resume
    /// changes nothing then).
    @Sendable func resume(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let stored = try await named(context, .control)
        var selector = request.uri.queryParameters["nodeFieldSelector"].map(String.init)
        if let body = try await parsing.jsonBody(request), let text = body["nodeFieldSelector"]?.stringValue { selector = text }
        // A selector is checked first: a wrong one is a 400 whatever the workflow's state.
        let terms = try selector.flatMap { Self.trim(Substring($0)).isEmpty ? nil : try Self.nodeFieldSelector($0) }
        guard let detail = try await workflows.execution(of: stored) else { throw ArgoError.notFound(stored.name) }
        guard !detail.execution.status.isTerminal else { return JSONResponse.make(try await workflows.object(stored)) }
        var tasks: Set<String>?
        if let terms {
            guard case .success(let translation) = ArgoTranslator.translate(.object(JSONObject([("spec", stored.spec)])), name: stored.name, namespace: stored.record.namespace, uid: stored.metadata["uid"]?.stringValue ?? "") else {
                throw ArgoError.invalid("workflow \"\(stored.name)\" cannot be translated again to select its nodes")
            }
            tasks = Set(translation.nodes.filter { node in
                node.kind == .suspend && node.task != nil && terms.allSatisfy { term in
                    let value: String? = switch term.field {
                    case "displayName": node.displayName
                    case "name": node.name
                    case "id": node.id
                    case "templateName": node.templateName
                    default: nil
                    }
                    return (value == term.value) == term.equal
                }
            }.compactMap(\.task))
        }
        do {
            _ = try await engine.resumeExecution(detail.execution.id, tasks: tasks)
        } catch EngineError.conflict {
            // It finished meanwhile: as Argo, nothing to resume.
        }
        return JSONResponse.make(try await workflows.object(stored))
    }

    static func trim(_ s: Substring) -> Substring {
        var s = s
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }

    /// The terms of a `nodeFieldSelector` (`displayName=approve,templateName!=x`): Kubernetes
    /// field selector syntax over the fields a Sluice node has.
    static func nodeFieldSelector(_ text: String) throws -> [(field: String, value: String, equal: Bool)] {
        let fields = ["displayName", "name", "id", "templateName"]
        return try text.split(separator: ",").map { raw in
            let term = String(Self.trim(raw))
            let equal: Bool
            let parts: [Substring]
            if let r = term.firstRange(of: "!=") {
                equal = false
                parts = [term[..<r.lowerBound], term[r.upperBound...]]
            } else if let r = term.firstRange(of: "==") ?? term.firstRange(of: "=") {
                equal = true
                parts = [term[..<r.lowerBound], term[r.upperBound...]]
            } else {
                throw ArgoError.invalid("nodeFieldSelector: \"\(term)\" is not a field selector term such as displayName=approve")
            }
            let field = String(Self.trim(parts[0]))
            guard fields.contains(field) else {
                throw ArgoError.invalid("nodeFieldSelector: field \"\(field)\" is not supported by Sluice (supported: \(fields.joined(separator: ", ")))")
            }
            return (field, String(Self.trim(parts[1])), equal)
        }
    }

    /// Stops a running workflow: its execution is cancelled (`stop` and `terminate` are the same
    /// in Sluice). A finished workflow is answered as it is.
    @Sendable func stop(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let stored = try await named(context, .control)
        if let detail = try await workflows.execution(of: stored), !detail.execution.status.isTerminal {
            do { _ = try await engine.cancelExecution(detail.execution.id) } catch EngineError.conflict { /* it finished meanwhile */ }
        }
        return JSONResponse.make(try await workflows.object(stored))
    }

    /// Retries a Failed workflow in place: its failed, stopped and skipped containers run again,
    /// the succeeded ones keep their results.
    @Sendable func retry(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let stored = try await named(context, .control)
        guard let detail = try await workflows.execution(of: stored) else { throw ArgoError.notFound(stored.name) }
        guard detail.execution.status == .failed || detail.execution.status == .cancelled else {
            throw ArgoError.invalid("workflow must be Failed/Error to retry; \"\(stored.name)\" is \(ArgoStatus.phase(detail.execution.status))")
        }
        try await engine.retryExecution(detail.execution.id)
        return JSONResponse.make(try await workflows.object(stored))
    }

    /// Submits the workflow again as a new one named `<name>-xxxxx`, with the same spec and labels.
    @Sendable func resubmit(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let stored = try await named(context, .edit)
        var metadata = JSONObject()
        metadata.append("generateName", .string("\(stored.name)-"))
        if let labels = stored.metadata["labels"] { metadata.append("labels", labels) }
        var workflow = JSONObject()
        workflow.append("metadata", .object(metadata))
        workflow.append("spec", stored.spec)
        return try await submit(workflow, namespace: stored.record.namespace, context: context)
    }

    /// `GET …/log`: the output of the workflow's containers (or of `podName`'s), as Argo's log
    /// stream frames it — newline-delimited `{"result": {"content", "podName"}}`, or with
    /// `Accept: text/event-stream` `data:` events. Kept after the containers are gone. With
    /// `logOptions.follow=true` the lines are sent as they are written, until the workflow has
    /// ended and every line was sent (with a `:` keep-alive every 15 s on an event stream).
    @Sendable func log(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let stored = try await named(context, .read)
        let query = request.uri.queryParameters
        let podName = query["podName"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        guard let detail = try await workflows.execution(of: stored) else { throw ArgoError.notFound(stored.name) }
        var pods: [String: String] = [:]  // task id → node id
        var groups: [String: ArgoNodePlan] = [:]  // task id → TaskGroup of a run-time withParam
        if case .success(let translation) = ArgoTranslator.translate(.object(JSONObject([("spec", stored.spec)])), name: stored.name, namespace: stored.record.namespace, uid: "") {
            for node in translation.nodes {
                guard let task = node.task else { continue }
                if node.runtimeItems { groups[task] = node } else { pods[task] = node.id }
            }
        }
        // A run-time withParam's items are Pods of one mapped task, whose lines say
        // `[item N] …`: the pod of each item, from the list the task was given.
        var itemPods: [String: [String]] = [:]
        for task in detail.tasks {
            guard let group = groups[task.stepID], case .array(let items)? = task.input?["list"] else { continue }
            itemPods[task.stepID] = items.enumerated().map { ArgoStatus.itemNode(group, $0.offset, $0.element, workflow: stored.name).id }
        }
        if let podName, !pods.values.contains(podName), !itemPods.values.contains(where: { $0.contains(podName) }) {
            throw ArgoError.notFound(podName)
        }
        let stream = (request.headers[.accept] ?? "").contains("text/event-stream")
        let headers: HTTPFields = [.contentType: stream ? "text/event-stream" : "application/json"]
        // The tasks whose output is asked for, with the pod each is (or its items' pods).
        let tasks = detail.tasks.compactMap { task -> (index: Int, pod: String, items: [String]?)? in
            if let items = itemPods[task.stepID] {
                guard podName == nil || items.contains(podName!) else { return nil }
                return (task.index, "", items)
            }
            guard let pod = pods[task.stepID], podName == nil || podName == pod else { return nil }
            return (task.index, pod, nil)
        }
        let executionID = detail.execution.id
        let engine = self.engine
        /// The frames of the lines written after `cursors` (per task), which move past them.
        @Sendable func frames(_ cursors: inout [Int: Int64]) async throws -> [UInt8] {
            var out: [UInt8] = []
            for (index, taskPod, items) in tasks {
                while true {
                    let lines = try await engine.store.logs(executionID: executionID, index: index, after: cursors[index] ?? 0, limit: 1000)
                    for line in lines where line.source == "step" {
                        var text = Substring(line.line)
                        var pod = taskPod
                        if let items {
                            guard text.hasPrefix("[item "), let close = text.firstIndex(of: "]"), let n = Int(text[text.index(text.startIndex, offsetBy: 6)..<close]), n >= 0, n < items.count else { continue }
                            pod = items[n]
                            if let podName, podName != pod { continue }
                            text = text[text.index(after: close)...].drop { $0 == " " }
                        }
                        let content: String
                        if text.hasPrefix("stdout: ") { content = String(text.dropFirst(8)) } else if text.hasPrefix("stderr: ") { content = String(text.dropFirst(8)) } else { continue }
                        let frame: JSONValue = ["result": ["content": .string(content), "podName": .string(pod)]]
                        if stream { out += Array("data: ".utf8) }
                        out += frame.jsonBytes
                        out += stream ? [0x0A, 0x0A] : [0x0A]
                    }
                    guard let last = lines.last else { break }
                    cursors[index] = last.seq
                    if lines.count < 1000 { break }
                }
            }
            return out
        }
        guard query["logOptions.follow"] == "true", !detail.execution.status.isTerminal else {
            var cursors: [Int: Int64] = [:]
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try await frames(&cursors))))
        }
        try engine.admitWaiter()
        let body = ResponseBody { writer in
            var cursors: [Int: Int64] = [:]
            var idle = ContinuousClock.now
            while true {
                // Whether it had ended before this read: then the read holds every line.
                let seen = engine.changeCount(executionID: executionID)
                let ended = try await engine.execution(id: executionID)?.execution.status.isTerminal ?? true
                let bytes = try await frames(&cursors)
                if !bytes.isEmpty {
                    try await writer.write(ByteBuffer(bytes: bytes))
                    idle = ContinuousClock.now
                } else if stream, ContinuousClock.now - idle >= .seconds(15) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    idle = ContinuousClock.now
                }
                if ended || Task.isCancelled || Task.isShuttingDownGracefully { break }
                await engine.waitForChange(executionID: executionID, timeout: .seconds(15), after: seen)
            }
            try await writer.finish(nil)
        }
        var streaming = headers
        streaming[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: streaming, body: body)
    }
}
