import HTTPTypes
import Hummingbird
import ServiceLifecycle
import SluiceArgo
import SluiceCore
import SluiceEngine

/// `GET /api/v1/workflow-events/{namespace}`: Argo's watch of a namespace's workflows, as its
/// server frames it — newline-delimited `{"result": {"type": "ADDED"|"MODIFIED"|"DELETED",
/// "object": …}}`, or with `Accept: text/event-stream` `data:` events and a `:` keep-alive every
/// 15 s. Each workflow is ADDED once when the watch starts (and when created later), MODIFIED
/// whenever its `resourceVersion` changes, DELETED when it goes (within 5 s: every workflow is
/// read again that often; between those reads, a commit makes the watch read only the workflows
/// whose executions' events it names). `listOptions.fieldSelector`
/// `metadata.name=NAME` and `listOptions.labelSelector` narrow it; `listOptions.timeoutSeconds`
/// ends it after that many seconds, as a Kubernetes watch does.
extension ArgoController {
    func registerEvents(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/api/v1/workflow-events/:namespace", use: events)
    }

    @Sendable func events(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let namespace = try namespace(context, .read)
        let query = request.uri.queryParameters
        let selector = try ArgoLabelSelector.of(query)
        var onlyName: String?
        if let field = query["listOptions.fieldSelector"], !field.isEmpty {
            guard field.hasPrefix("metadata.name=") else { throw ArgoError.invalid("listOptions.fieldSelector: only metadata.name=NAME is supported") }
            onlyName = String(field.dropFirst("metadata.name=".count))
        }
        var deadline: ContinuousClock.Instant?
        if let raw = query["listOptions.timeoutSeconds"], !raw.isEmpty {
            guard let n = Int(raw), n > 0 else { throw ArgoError.invalid("listOptions.timeoutSeconds: expected a positive whole number, found \"\(raw)\"") }
            deadline = .now + .seconds(n)
        }
        let sse = (request.headers[.accept] ?? "").contains("text/event-stream")
        // Paths from the frame's root, as Argo's UI sends them: `result.object.metadata.name`.
        let fields = ArgoFields(query["fields"].map(String.init))
        let (name, end) = (onlyName, deadline)
        let ticket = try streams.admit(HeldRequests.client(context))
        let workflows = self.workflows
        let store = engine.store
        let signal = engine.committer.committed
        let body = ResponseBody { writer in
            defer { ticket.release() }
            var known: [String: String] = [:]  // name → resourceVersion
            var idle = ContinuousClock.now
            var lastFullRead = ContinuousClock.now
            // Events after this seq name the workflows that changed since the last read.
            var cursor = try await store.lastEventSeq()
            var first = true
            try await withGracefulShutdownHandler {
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    let seen = signal.generation
                    var bytes: [UInt8] = []
                    func emit(_ type: String, _ object: JSONValue) {
                        if sse { bytes += Array("data: ".utf8) }
                        let frame = JSONValue.object(JSONObject([("result", .object(JSONObject([("type", .string(type)), ("object", object)])))]))
                        bytes += (fields?.apply(to: frame) ?? frame).jsonBytes
                        bytes += sse ? [0x0A, 0x0A] : [0x0A]
                    }
                    /// Emits `stored` as ADDED or MODIFIED when it is new to this watch or changed.
                    func consider(_ stored: ArgoWorkflows.Stored) async throws {
                        guard name == nil || stored.name == name else { return }
                        let object = try await workflows.object(stored)
                        guard selector.matches(object["metadata"]?["labels"]?.objectValue ?? JSONObject()) else { return }
                        let version = object["metadata"]?["resourceVersion"]?.stringValue ?? ""
                        if known[stored.name] == nil { emit("ADDED", object) } else if known[stored.name] != version { emit("MODIFIED", object) }
                        known[stored.name] = version
                    }
                    // Every workflow at the start and every 5 s (deletions, and whatever the
                    // events do not name); in between only those the events since the last read
                    // name: a commit costs the watch what it changed, not what the namespace holds.
                    let next = try await store.lastEventSeq()
                    if first || ContinuousClock.now - lastFullRead >= Self.watchFullReadInterval {
                        var now: [String: ArgoWorkflows.Stored] = [:]
                        for stored in try await workflows.all(in: namespace) where now[stored.name] == nil { now[stored.name] = stored }
                        for stored in now.sorted(by: { $0.key < $1.key }).map(\.value) { try await consider(stored) }
                        for gone in known.keys.sorted() where now[gone] == nil {
                            emit("DELETED", ["metadata": ["name": .string(gone), "namespace": .string(namespace)]])
                            known[gone] = nil
                        }
                        lastFullRead = ContinuousClock.now
                        first = false
                    } else if next > cursor {
                        var changed: [String] = []
                        var seenIDs = Set<String>()
                        var after = cursor
                        while after < next {
                            let page = try await store.events(workflowID: nil, after: after, limit: 1000)
                            for event in page where event.seq <= next && seenIDs.insert(event.workflowID).inserted { changed.append(event.workflowID) }
                            guard let last = page.last?.seq, page.count == 1000 else { break }
                            after = last
                        }
                        for id in changed {
                            guard let record = try await store.workflow(id: id), record.namespace == namespace else { continue }
                            if let stored = ArgoWorkflows.Stored.of(record) {
                                try await consider(stored)
                            } else if record.definition["origin"]?["argoCron"] != nil {
                                for run in try await workflows.runs(of: record) { try await consider(run) }
                            }
                        }
                    }
                    cursor = max(cursor, next)
                    if !bytes.isEmpty {
                        try await writer.write(ByteBuffer(bytes: bytes))
                        idle = ContinuousClock.now
                    } else if sse, ContinuousClock.now - idle >= .seconds(15) {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        idle = ContinuousClock.now
                    }
                    if let end, ContinuousClock.now >= end { break }
                    // The next commit, or a second (deletes and other nodes do not signal).
                    await signal.wait(after: seen, timeout: .seconds(1))
                }
            } onGracefulShutdown: {
                signal.notify()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: sse ? "text/event-stream" : "application/json", .cacheControl: "no-cache"], body: body)
    }
}

extension ArgoController {
    /// How often a watch reads every workflow of its namespace (for deletions, and whatever the
    /// events do not name): 5 s. A task-local so that a test can keep the full read out of its
    /// window and see the path between full reads alone, without a window short enough for a
    /// loaded machine to miss.
    @TaskLocal static var watchFullReadInterval: Duration = .seconds(5)
}
