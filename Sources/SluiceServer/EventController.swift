import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceStore

/// `GET /workflows/{id}/executions/{eid}/events` and `GET /events`: lists of events, or with
/// `Accept: text/event-stream` a live Server-Sent Events stream resuming after `Last-Event-ID`.
struct EventController {
    let engine: Engine
    let configuration: ServerConfiguration
    let access: AccessControl
    /// The event streams open, bounded in all and per client.
    let streams: HeldRequests
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/workflows/:workflow_id/executions/:execution_id/events", use: executionEvents)
        router.get("/events", use: allEvents)
    }

    /// Where to start: `?after=` or the `Last-Event-ID` header (an event id, or its seq as a bare
    /// number); 0 for the beginning. An id of another database is refused rather than read as a
    /// position in this one (that would silently skip events).
    func after(_ request: Request) throws -> Int64 {
        // Both are checked when both are given (a malformed `Last-Event-ID` is refused even
        // though `after` takes precedence).
        var position: Int64?
        if let h = request.headers[Self.lastEventID], !h.isEmpty {
            position = try parse(h, path: "Last-Event-ID")
        }
        if let q = request.uri.queryParameters["after"].map(String.init), !q.isEmpty {
            position = try parse(q, path: "after")
        }
        return position ?? 0
    }

    func parse(_ raw: String, path: String) throws -> Int64 {
        guard let parsed = EventID.parse(raw) else {
            throw Problem.badRequest(path: path, "expected an event id such as \"evt_k3j9x2ab_42\" (the id of the last event already read), found \"\(raw)\"")
        }
        if let instance = parsed.instance, instance != engine.store.instanceID {
            throw Problem.badRequest(path: path, "\"\(raw)\" is an event id of another database (this one's ids start with evt_\(engine.store.instanceID)_); start without it to read from the beginning")
        }
        return parsed.seq
    }

    func limit(_ request: Request) throws -> Int {
        guard let raw = request.uri.queryParameters["limit"] else { return configuration.maxPageSize }
        guard let n = Int(raw), n >= 1, n <= configuration.maxPageSize else {
            throw Problem.badRequest(path: "limit", "expected an integer from 1 to \(configuration.maxPageSize), found \"\(raw)\"")
        }
        return n
    }

    static func wantsStream(_ request: Request) -> Bool {
        request.headers[values: .accept].contains { $0.lowercased().contains("text/event-stream") }
    }

    @Sendable func executionEvents(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let executionID = try await engine.execution(named: context).execution.id
        let after = try after(request)
        let store = engine.store
        if Self.wantsStream(request) {
            // The stream ends once the execution has finished and every event up to then was sent.
            return stream(try streams.admit(HeldRequests.client(context)), after: after, read: { try await store.events(executionID: executionID, after: $0, limit: 500) }, finished: {
                try await store.execution(id: executionID)?.execution.status.isTerminal ?? true
            })
        }
        let events = try await store.events(executionID: executionID, after: after, limit: limit(request))
        return try await list(events, after: after, limit: try limit(request))
    }

    @Sendable func allEvents(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        var workflowID: String?
        if let raw = request.uri.queryParameters["workflow_id"].map(String.init), !raw.isEmpty {
            guard try await engine.store.workflow(id: raw) != nil else { throw EngineError.workflowNotFound(raw) }
            workflowID = raw
        }
        let after = try after(request)
        let store = engine.store
        let filter = workflowID
        // With auth on, only events of workflows in namespaces the caller may read (one
        // workflow's events were checked above, by its namespace).
        var visible: (@Sendable (EventRecord) async throws -> Bool)?
        if let workflowID {
            if let namespace = try await access.namespace(ofWorkflow: workflowID) {
                switch context.decide(.read, in: namespace) {
                case .allowed: break
                case .hidden: throw EngineError.workflowNotFound(workflowID)
                case .forbidden: throw AccessControl.forbidden("reading the events of workflow \(workflowID) needs a role that may read in namespace \"\(namespace)\"")
                }
            }
        } else if let namespaces = context.namespaces(where: .read) {
            let access = self.access
            visible = { event in
                guard let namespace = try await access.namespace(ofWorkflow: event.workflowID) else { return false }
                return namespaces.contains(namespace)
            }
        }
        if Self.wantsStream(request) {
            return stream(try streams.admit(HeldRequests.client(context)), after: after, read: { try await store.events(workflowID: filter, after: $0, limit: 500) }, visible: visible, finished: { false })
        }
        let limit = try limit(request)
        return try await list(try await store.events(workflowID: workflowID, after: after, limit: limit), after: after, limit: limit, visible: visible)
    }

    /// A page of events; with `visible`, only those it accepts (the position and `has_more`
    /// still follow every event read, so the next page starts after the hidden ones too).
    func list(_ read: [EventRecord], after: Int64, limit: Int, visible: (@Sendable (EventRecord) async throws -> Bool)? = nil) async throws -> Response {
        var events = read
        if let visible {
            events = []
            for e in read where try await visible(e) { events.append(e) }
        }
        let instance = engine.store.instanceID
        var bytes = Array("{\"events\":[".utf8)
        for (i, e) in events.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += Self.envelope(e, instance: instance)
        }
        let last = read.last.map { EventID.make(instance: instance, seq: $0.seq) } ?? (after > 0 ? EventID.make(instance: instance, seq: after) : nil)
        bytes += Array("],\"last_event_id\":".utf8)
        bytes += (last.map(JSONValue.string) ?? .null).jsonBytes
        bytes += Array(",\"has_more\":\(read.count == limit)}\n".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// An event as the API shows it: `{id, type, timestamp, data}`.
    static func envelope(_ e: EventRecord, instance: String) -> [UInt8] {
        e.envelope(id: EventID.make(instance: instance, seq: e.seq))
    }

    /// A Server-Sent Events stream: each event as `id`, `event` (its type) and `data` (its
    /// envelope), read after every commit; a comment every 15 s keeps idle connections open.
    /// A graceful shutdown ends it at once (the server waits for open responses before it
    /// stops); the client resumes elsewhere or later with `Last-Event-ID`. The stream holds
    /// `ticket`, its place among the open streams, until it ends.
    func stream(_ ticket: HeldRequests.Ticket, after: Int64, read: @escaping @Sendable (Int64) async throws -> [EventRecord], visible: (@Sendable (EventRecord) async throws -> Bool)? = nil, finished: @escaping @Sendable () async throws -> Bool) -> Response {
        let signal = engine.committer.committed
        let instance = engine.store.instanceID
        let body = ResponseBody { writer in
            defer { ticket.release() }
            var cursor = after
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            var idle = ContinuousClock.now
            try await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let seen = signal.generation
                // Whether it had finished before this read: then the read has every event.
                let done = try await finished()
                while true {
                    let events = try await read(cursor)
                    if events.isEmpty { break }
                    var bytes: [UInt8] = []
                    for e in events {
                        if let visible, !(try await visible(e)) { continue }
                        bytes += Array("id: \(EventID.make(instance: instance, seq: e.seq))\nevent: \(e.type)\ndata: ".utf8)
                        bytes += Self.envelope(e, instance: instance)
                        bytes += [0x0A, 0x0A]
                    }
                    if !bytes.isEmpty {
                        try await writer.write(ByteBuffer(bytes: bytes))
                        idle = ContinuousClock.now
                    }
                    cursor = events.last!.seq
                    if events.count < 500 { break }
                }
                if done { break }
                if ContinuousClock.now - idle >= .seconds(15) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    idle = ContinuousClock.now
                }
                // The next commit, or a second (commits of other processes on a shared database
                // do not signal this one).
                await signal.wait(after: seen, timeout: .seconds(1))
            }
            } onGracefulShutdown: {
                // Wakes every stream's wait; each sees the shutdown and ends.
                signal.notify()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}
