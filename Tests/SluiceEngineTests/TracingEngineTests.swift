import Foundation
import InMemoryTracing
import SluiceCore
@testable import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing
import Tracing

/// One trace per execution (issue 22), with spans on the engine's clock: an `execution.start`
/// whose context is stored with the execution, a span per attempt of each task with I/O and an
/// `execution` span at its end, all children of the stored context — also after a restart.
@Suite(.testStores) struct TracingEngineTests {
    static func spans(_ tracer: InMemoryTracer, named name: String) -> [FinishedInMemorySpan] {
        tracer.finishedSpans.filter { $0.operationName == name }
    }

    /// The `execution` span of trace `traceID`, waited for a little: it is ended when the engine
    /// acts on the commit that finished the execution, which a read of the store may see first.
    static func executionSpan(_ tracer: InMemoryTracer, traceID: String) async throws -> FinishedInMemorySpan? {
        for _ in 0..<2500 {
            if let span = spans(tracer, named: "execution").first(where: { $0.traceID == traceID }) { return span }
            try await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    @Test func anExecutionsSpansHangOffItsStartAndEachAttemptHasOne() async throws {
        let tracer = InMemoryTracer()
        let clock = ManualClock(now: 1_000_000)
        try await withEngine(configuration: .init(tracer: tracer), clock: clock) { engine in
            let wf = try await engine.createWorkflow(["name": "flaky", "tasks": [
                ["id": "f", "type": "Test.Flaky", "input": ["succeed_on": 2], "retry": ["max_attempts": 3, "backoff": ["initial_seconds": 60]]],
            ]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"])).executionID
            let retrying = try await untilStored(engine, id) { $0.tasks[0].status == .retrying }
            #expect(retrying.execution.traceContext?.hasPrefix("in-memory-span-id: ") == true, "\(retrying.execution.traceContext ?? "nil")")
            clock.advance(by: try #require(retrying.tasks[0].wakeAt) - clock.now())
            let done = try await untilStored(engine, id) { $0.execution.status.isTerminal }
            #expect(done.execution.status == .completed)
            let start = try #require(Self.spans(tracer, named: "execution.start").first { $0.attributes["sluice.execution.id"]?.toSpanAttribute() == .string(id) })
            #expect(start.startInstant.nanosecondsSinceEpoch == 1_000_000 * 1_000_000, "spans are on the engine's clock")
            let attempts = Self.spans(tracer, named: "task f").filter { $0.traceID == start.traceID }
            #expect(attempts.count == 2)
            #expect(attempts.allSatisfy { $0.parentSpanID == start.spanID })
            #expect(attempts.map { $0.attributes["sluice.task.attempt"]?.toSpanAttribute() } == [.int64(1), .int64(2)])
            #expect(attempts.first?.status?.code == .error && attempts.last?.status == nil)
            let end = try #require(try await Self.executionSpan(tracer, traceID: start.traceID))
            #expect(end.parentSpanID == start.spanID)
            #expect(end.startInstant.nanosecondsSinceEpoch == UInt64(done.execution.createdAt) * 1_000_000)
            #expect(end.endInstant.nanosecondsSinceEpoch == UInt64(try #require(done.execution.completedAt)) * 1_000_000)
        }
    }

    @Test func aFailedTasksSpanAndItsExecutionsSaySo() async throws {
        let tracer = InMemoryTracer()
        try await withEngine(configuration: .init(tracer: tracer)) { engine in
            let wf = try await engine.createWorkflow(["name": "boom", "steps": [["type": "StaticTextInput", "input": "boom"], ["type": "Test.SlowUpper"]]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: [:])).executionID
            let done = try await finished(engine, id)
            #expect(done.execution.status == .failed)
            let task = try #require(Self.spans(tracer, named: "task step-2").first { $0.attributes["sluice.execution.id"]?.toSpanAttribute() == .string(id) })
            #expect(task.status?.code == .error && task.status?.message == "cannot shout boom")
            let end = try #require(try await Self.executionSpan(tracer, traceID: task.traceID))
            #expect(end.status?.code == .error)
            #expect(end.attributes["sluice.execution.status"]?.toSpanAttribute() == .string("FAILED"))
        }
    }

    @Test func anExecutionResumedAfterARestartStaysInItsTrace() async throws {
        let tracer = InMemoryTracer()
        let store = try await durableStore()
        let clock = ManualClock(now: 0)
        let (id, stored) = try await withEngine(store: store, configuration: .init(tracer: tracer), clock: clock) { engine in
            let wf = try await engine.createWorkflow(["name": "later", "steps": [["type": "Delay", "input": ["seconds": 60]], ["type": "Test.SlowUpper"]]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "x"])).executionID
            let running = try await untilStored(engine, id) { $0.tasks[0].status == .running }
            return (id, try #require(running.execution.traceContext))
        }
        let start = try #require(Self.spans(tracer, named: "execution.start").first { $0.attributes["sluice.execution.id"]?.toSpanAttribute() == .string(id) })
        clock.advance(by: .seconds(60))
        try await withEngine(store: store, configuration: .init(tracer: tracer), clock: clock) { engine in
            let done = try await finished(engine, id)
            #expect(done.execution.status == .completed && done.execution.traceContext == stored)
            let task = try #require(Self.spans(tracer, named: "task step-2").first { $0.attributes["sluice.execution.id"]?.toSpanAttribute() == .string(id) })
            #expect(task.traceID == start.traceID && task.parentSpanID == start.spanID)
        }
    }

    @Test func withoutATracerNothingIsStored() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "plain", "steps": [["type": "StaticTextInput", "input": "a"], ["type": "Test.SlowUpper"]]])
            let id = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: [:])).executionID
            let done = try await finished(engine, id)
            #expect(done.execution.status == .completed && done.execution.traceContext == nil)
        }
    }
}
