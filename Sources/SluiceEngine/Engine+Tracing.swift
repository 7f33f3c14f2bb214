import SluiceCore
import SluiceStore
import Tracing

/// Traces (issue 22): one trace per execution. When the engine has a tracer
/// (`Configuration.tracer`, `sluice serve --otlp-endpoint`), starting an execution records a
/// span `execution.start` — a child of the request's span when a request started it, whose
/// `traceparent` the HTTP layer honoured — and stores its propagation headers with the
/// execution (`ExecutionRecord.traceContext`). Every later span of the execution is a child of
/// that stored context, so one trace holds the whole run across restarts and nodes: one span
/// per attempt of each task that does I/O, run as the current context (AsyncHTTPClient makes
/// a client span per request under it and sends its `traceparent`; sub-workflows it starts
/// join the trace), and `execution` from its creation to its end. Webhook deliveries are sent
/// under the stored context too. Without a tracer none of this runs: no span, no column written.
extension Engine {
    /// The stored context of a new execution: its `execution.start` span's propagation headers,
    /// one `name: value` per line; `nil` without a tracer.
    func traceStart(executionID: String, workflowID: String, version: Int, at now: Int64) -> String? {
        guard let tracer = configuration.tracer else { return nil }
        let span = tracer.startSpan("execution.start", context: ServiceContext.current ?? .topLevel, ofKind: .internal, at: TraceInstant(milliseconds: now))
        span.attributes["sluice.execution.id"] = executionID
        span.attributes["sluice.workflow.id"] = workflowID
        span.attributes["sluice.workflow.version"] = version
        var carrier: [String: String] = [:]
        tracer.inject(span.context, into: &carrier, using: TraceHeaders())
        span.end(at: TraceInstant(milliseconds: now))
        return TraceContextLines.encode(carrier)
    }

    /// The context an execution's spans are children of (its stored one); `nil` without a tracer
    /// or for an execution started while tracing was off.
    func traceParent(_ stored: String?) -> ServiceContext? {
        guard let tracer = configuration.tracer, let stored else { return nil }
        var context = ServiceContext.topLevel
        tracer.extract(TraceContextLines.decode(stored), into: &context, using: TraceHeaders())
        return context
    }

    /// A span for one attempt of a task that does I/O, started now; the step runs with it as
    /// the current context (so sub-workflows it starts and requests it sends join the trace).
    func traceTask(_ dispatch: ExecutionStateMachine.Dispatch, stepID: String, type: String, stored: String?, at startedAt: Int64) -> (any Span)? {
        guard let tracer = configuration.tracer, let parent = traceParent(stored) else { return nil }
        let span = tracer.startSpan("task \(stepID)", context: parent, ofKind: type == "HTTP.Request" ? .client : .internal, at: TraceInstant(milliseconds: startedAt))
        span.attributes["sluice.execution.id"] = dispatch.executionID
        span.attributes["sluice.task.step_id"] = stepID
        span.attributes["sluice.task.type"] = type
        span.attributes["sluice.task.attempt"] = dispatch.attempt
        return span
    }

    /// Ends a task attempt's span with its outcome.
    func traceTaskEnded(_ span: (any Span)?, _ result: Result<JSONValue, StepFailure>, at now: Int64) {
        guard let span else { return }
        if case .failure(let failure) = result {
            span.setStatus(SpanStatus(code: .error, message: failure.message))
            span.attributes["sluice.task.retryable"] = failure.retryable
        }
        span.end(at: TraceInstant(milliseconds: now))
    }

    /// The `execution` span of an execution that has ended: from its creation to its end.
    func traceFinished(_ detail: ExecutionDetail) {
        guard let parent = traceParent(detail.execution.traceContext), let tracer = configuration.tracer else { return }
        let e = detail.execution
        let span = tracer.startSpan("execution", context: parent, ofKind: .internal, at: TraceInstant(milliseconds: e.createdAt))
        span.attributes["sluice.execution.id"] = e.id
        span.attributes["sluice.workflow.id"] = e.workflowID
        span.attributes["sluice.execution.status"] = e.status.rawValue
        span.attributes["sluice.execution.tasks"] = detail.tasks.count
        if e.status != .completed {
            span.setStatus(SpanStatus(code: .error, message: e.error?["message"]?.stringValue ?? e.status.rawValue))
        }
        span.end(at: TraceInstant(milliseconds: e.completedAt ?? clock.now()))
    }
}

/// An instant on the engine's clock (milliseconds since the epoch), for spans.
struct TraceInstant: TracerInstant {
    var nanosecondsSinceEpoch: UInt64

    init(milliseconds: Int64) { nanosecondsSinceEpoch = UInt64(max(0, milliseconds)) * 1_000_000 }

    static func < (a: Self, b: Self) -> Bool { a.nanosecondsSinceEpoch < b.nanosecondsSinceEpoch }
}

/// Propagation headers as a dictionary (stored as `TraceContextLines`).
struct TraceHeaders: Injector, Extractor {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
