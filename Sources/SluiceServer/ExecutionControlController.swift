import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceStore

/// Control of one execution: cancel, retry, rerun, and its tasks' logs.
struct ExecutionControlController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/workflows/:workflow_id/executions/:execution_id/cancel", use: cancel)
        router.post("/workflows/:workflow_id/executions/:execution_id/retry", use: retry)
        router.post("/workflows/:workflow_id/executions/:execution_id/suspend", use: suspend)
        router.post("/workflows/:workflow_id/executions/:execution_id/resume", use: resume)
        router.post("/workflows/:workflow_id/executions/:execution_id/rerun", use: rerun)
        router.get("/workflows/:workflow_id/executions/:execution_id/tasks/:task_id/logs", use: logs)
    }

    /// The execution named by the path, or 404 (also when it belongs to another workflow).
    func execution(_ context: SluiceRequestContext) async throws -> ExecutionDetail {
        try await engine.execution(named: context)
    }

    @Sendable func cancel(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let detail = try await execution(context)
        let cancelled = try await engine.cancelExecution(detail.execution.id)
        return JSONResponse.make(Representation.execution(cancelled))
    }

    /// Suspends the execution: no task of it starts until it is resumed (the running ones go on).
    @Sendable func suspend(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let detail = try await execution(context)
        return JSONResponse.make(Representation.execution(try await engine.suspendExecution(detail.execution.id)))
    }

    /// Resumes the execution: its `Suspend` tasks end, and the tasks held back start.
    @Sendable func resume(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let detail = try await execution(context)
        return JSONResponse.make(Representation.execution(try await engine.resumeExecution(detail.execution.id)))
    }

    @Sendable func retry(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let detail = try await execution(context)
        if let body = try await parsing.jsonBody(request), body != .object(JSONObject()) {
            throw Problem.badRequest(path: "", code: "invalid_body", "retry takes no body; found \(body.preview)")
        }
        try await engine.retryExecution(detail.execution.id)
        let e = detail.execution
        return JSONResponse.make(
            ["execution_id": .string(e.id), "status": .string(ExecutionStatus.running.rawValue)], status: .accepted,
            headers: [.location: "/workflows/\(e.workflowID)/executions/\(e.id)"]
        )
    }

    @Sendable func rerun(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let detail = try await execution(context)
        var fromTask: String?
        switch try await parsing.jsonBody(request) {
        case nil: break
        case .object(let o)?:
            var issues: [ValidationIssue] = []
            for key in o.keys where key != "from_task" {
                issues.append(.init(path: key, code: "unknown_field", message: "unknown field; expected from_task"))
            }
            switch o["from_task"] {
            case nil, .null?: break
            case .string(let s)? where !s.isEmpty: fromTask = s
            case .some(let v): issues.append(.init(path: "from_task", code: "type_mismatch", message: "expected a step id or task id (a non-empty string), found \(v.preview)"))
            }
            if !issues.isEmpty { throw Problem.validation(ValidationFailure(title: "Invalid rerun request", issues: issues)) }
        case .some(let v):
            throw Problem.badRequest(path: "", code: "invalid_body", "expected a JSON object such as {\"from_task\": \"step-2\"}, found \(v.kindName)")
        }
        let started = try await engine.rerunExecution(detail.execution.id, fromTask: fromTask)
        let workflowID = detail.execution.workflowID
        return JSONResponse.make(
            ["execution_id": .string(started.executionID), "rerun_of": .string(detail.execution.id)], status: .accepted,
            headers: [.location: "/workflows/\(workflowID)/executions/\(started.executionID)"]
        )
    }

    @Sendable func logs(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let detail = try await execution(context)
        let taskID = try context.parameters.require("task_id")
        guard let task = detail.tasks.first(where: { $0.taskID == taskID || $0.stepID == taskID }) else {
            let known = detail.tasks.map { "\($0.taskID) (\($0.stepID))" }.joined(separator: ", ")
            throw Problem.notFound("execution \"\(detail.execution.id)\" has no task \"\(taskID)\"; its tasks are \(known)")
        }
        var after: Int64 = 0
        if let raw = request.uri.queryParameters["after"], !raw.isEmpty {
            guard let n = Int64(raw), n >= 0 else { throw Problem.badRequest(path: "after", "expected the seq of the last line already read (an integer ≥ 0), found \"\(raw)\"") }
            after = n
        }
        let limit = try parsing.page(request).limit
        let follow: Bool
        switch request.uri.queryParameters["follow"].map(String.init) {
        case nil, "false"?, "0"?: follow = false
        case "true"?, "1"?, ""?: follow = true
        case let raw?: throw Problem.badRequest(path: "follow", "expected true or false, found \"\(raw)\"")
        }
        let executionID = detail.execution.id
        if !follow {
            let lines = try await engine.store.logs(executionID: executionID, index: task.index, after: after, limit: limit)
            var o = JSONObject()
            o.append("task_id", .string(task.taskID))
            o.append("step_id", .string(task.stepID))
            o.append("status", .string(task.status.rawValue))
            o.append("logs", .array(lines.map(Self.line)))
            o.append("next_cursor", lines.count == limit ? .string(String(lines.last!.seq)) : .null)
            return JSONResponse.make(.object(o))
        }
        // Follow: one JSON object per line (NDJSON) as lines are committed, until the task has
        // finished and every line was sent.
        let engine = self.engine
        try engine.admitWaiter()
        let index = task.index
        let start = after
        let body = ResponseBody { writer in
            var cursor = start
            while true {
                let finished = try await engine.store.execution(id: executionID)?.tasks[index].status.isTerminal ?? true
                while true {
                    let lines = try await engine.store.logs(executionID: executionID, index: index, after: cursor, limit: 500)
                    if lines.isEmpty { break }
                    var bytes: [UInt8] = []
                    for line in lines {
                        bytes += Self.line(line).jsonBytes
                        bytes.append(0x0A)
                    }
                    try await writer.write(ByteBuffer(bytes: bytes))
                    cursor = lines.last!.seq
                }
                // On a graceful shutdown the wait below returns at once: end rather than spin.
                if finished || Task.isCancelled || Task.isShuttingDownGracefully { break }
                await engine.waitForChange(executionID: executionID, timeout: .seconds(15))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"], body: body)
    }

    static func line(_ l: TaskLogLine) -> JSONValue {
        var o = JSONObject()
        o.append("seq", .number(Double(l.seq)))
        o.append("at", .string(Timestamp.format(milliseconds: l.at)))
        o.append("attempt", .number(Double(l.attempt)))
        o.append("source", .string(l.source))
        o.append("line", .string(l.line))
        return .object(o)
    }
}
