import Logging
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

/// Schedules fired by the engine on an injected clock: one execution per fire time, whatever
/// crashes, restarts or second leaders come between.
@Suite(.testStores) struct ScheduleEngineTests {
    static let echo: JSONValue = [
        "name": "scheduled", "steps": [["type": "Echo"]],
        "input_schema": ["type": "object", "properties": ["text": ["type": "string"]], "required": ["text"]],
    ]
    static let waiting: JSONValue = ["name": "long", "steps": [["type": "Delay", "input": ["seconds": 3600]], ["type": "Echo"]]]

    func every(_ seconds: Int64, overlap: ScheduleSpec.Overlap = .skip, input: JSONValue = ["text": "tick"]) -> ScheduleSpec {
        ScheduleSpec(timing: .interval(seconds: seconds), overlap: overlap, input: input)
    }

    func executions(_ engine: Engine, _ workflowID: String) async throws -> [ExecutionRecord] {
        try await engine.store.executions(workflowID: workflowID, status: nil, limit: 500, before: nil).items
    }

    @Test func eachFireTimeStartsOneExecutionWithTheScheduleInputAndIsRecorded() async throws {
        let clock = ManualClock()
        try await withEngine(clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.echo).record.id
            let schedule = try await engine.createSchedule(workflowID: wf, spec: every(60), createdBy: "ana")
            #expect(schedule.nextFireAt == clock.now() + 60_000)
            #expect(try await engine.runDueSchedules() == 0, "nothing is due before the first fire time")
            clock.advance(by: 60_000)
            #expect(try await engine.runDueSchedules() == 1)
            #expect(try await engine.runDueSchedules() == 0, "a fire time fires once")
            let started = try await executions(engine, wf)
            #expect(started.count == 1)
            #expect(started.first?.input == ["text": "tick"])
            #expect(started.first?.idempotencyKey == Engine.scheduleKey(schedule.id, due: schedule.schedule.createdAt + 60_000))
            let fires = try await engine.scheduleFires(workflowID: wf, id: schedule.id, limit: 10, before: nil).items
            #expect(fires.map(\.outcome) == [.fired])
            #expect(fires.first?.executionID == started.first?.id)
            let stored = try await engine.schedule(workflowID: wf, id: schedule.id)
            #expect(stored.schedule.lastDue == schedule.schedule.createdAt + 60_000)
            #expect(stored.nextFireAt == schedule.schedule.createdAt + 120_000)
            #expect(stored.revision == 2)
        }
    }

    @Test func aRestartNeitherRepeatsNorLosesAFireTime() async throws {
        let store = try temporarySQLite()
        let clock = ManualClock()
        let (wf, id) = try await withEngine(store: store, clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.echo).record.id
            let id = try await engine.createSchedule(workflowID: wf, spec: every(60)).id
            clock.advance(by: 60_000)
            try await engine.runDueSchedules()
            return (wf, id)
        }
        try await withEngine(store: try SQLiteStore(path: store.path), clock: clock) { engine in
            try await engine.runDueSchedules()
            #expect(try await executions(engine, wf).count == 1, "the fire time handled before the restart does not fire again")
            // Down over the next fire time: it is still within the late tolerance, so it fires.
            clock.advance(by: 90_000)
            try await engine.runDueSchedules()
            #expect(try await executions(engine, wf).count == 2)
            #expect(try await engine.scheduleFires(workflowID: wf, id: id, limit: 10, before: nil).items.count == 2)
        }
    }

    /// The schedule's write fails after its execution was committed (a crash between the two):
    /// the next round decides the same fire time and finds that execution instead of starting
    /// another.
    @Test func aFailureBetweenTheExecutionAndTheScheduleWriteStartsNoSecondExecution() async throws {
        let clock = ManualClock()
        let store = RefusingScheduleWrites(base: try await TestStore.make())
        try await withEngine(store: store, clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.echo).record.id
            let id = try await engine.createSchedule(workflowID: wf, spec: every(60)).id
            clock.advance(by: 60_000)
            store.refusing.withLock { $0 = true }
            await #expect(throws: EngineError.self) { try await engine.runDueSchedules() }
            #expect(try await executions(engine, wf).count == 1, "the execution was committed")
            store.refusing.withLock { $0 = false }
            #expect(try await engine.runDueSchedules() == 1)
            let started = try await executions(engine, wf)
            #expect(started.count == 1, "the same fire time found its execution")
            let fires = try await engine.scheduleFires(workflowID: wf, id: id, limit: 10, before: nil).items
            #expect(fires.map(\.executionID) == [started.first?.id])
        }
    }

    /// Two leaders for a moment (a lease that ran out while its node still worked): both tick the
    /// same schedules at once, and each fire time still starts one execution.
    @Test func twoRoundsAtOnceStartOneExecutionPerFireTime() async throws {
        let clock = ManualClock()
        try await withEngine(clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.echo).record.id
            for _ in 0..<5 { _ = try await engine.createSchedule(workflowID: wf, spec: every(60, overlap: .allow)) }
            for _ in 0..<3 {
                clock.advance(by: 60_000)
                async let a = engine.runDueSchedules()
                async let b = engine.runDueSchedules()
                _ = try await (a, b)
            }
            let started = try await executions(engine, wf)
            #expect(started.count == 15)
            #expect(Set(started.compactMap(\.idempotencyKey)).count == 15)
        }
    }

    @Test func overlapSkipSkipsWhileItsExecutionRunsAndQueueOneStartsTheWaitingOneAfter() async throws {
        let clock = ManualClock()
        try await withEngine(clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.waiting).record.id
            let skip = try await engine.createSchedule(workflowID: wf, spec: every(60, overlap: .skip, input: [:])).id
            let queue = try await engine.createSchedule(workflowID: wf, spec: every(60, overlap: .queueOne, input: [:])).id
            clock.advance(by: 60_000)
            try await engine.runDueSchedules()
            clock.advance(by: 60_000)
            try await engine.runDueSchedules()
            clock.advance(by: 60_000)
            try await engine.runDueSchedules()
            let skipFires = try await engine.scheduleFires(workflowID: wf, id: skip, limit: 10, before: nil).items
            #expect(skipFires.map(\.outcome) == [.skipped, .skipped, .fired])
            #expect(skipFires.first?.reason == "running")
            let queueFires = try await engine.scheduleFires(workflowID: wf, id: queue, limit: 10, before: nil).items
            #expect(queueFires.map(\.outcome) == [.skipped, .queued, .fired])
            #expect(queueFires.first?.reason == "queue_full")
            let queued = try #require(try await engine.schedule(workflowID: wf, id: queue).schedule.queuedDue)
            // The running execution of the queue_one schedule ends: the waiting time fires.
            let running = try #require(queueFires.last?.executionID)
            _ = try await engine.cancelExecution(running)
            #expect(try await engine.runDueSchedules() == 1)
            let after = try await engine.scheduleFires(workflowID: wf, id: queue, limit: 10, before: nil).items
            #expect(after.map(\.outcome) == [.skipped, .fired, .fired])
            #expect(after[1].due == queued)
            #expect(try await engine.schedule(workflowID: wf, id: queue).schedule.queuedDue == nil)
        }
    }

    @Test func aFireWhoseInputTheWorkflowNoLongerTakesIsRecordedAsFailedAndTheScheduleGoesOn() async throws {
        let clock = ManualClock()
        try await withEngine(clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.echo).record.id
            let id = try await engine.createSchedule(workflowID: wf, spec: every(60)).id
            let changed: JSONValue = [
                "name": "scheduled", "steps": [["type": "Echo"]],
                "input_schema": ["type": "object", "properties": ["n": ["type": "number"]], "required": ["n"]],
            ]
            _ = try await engine.updateWorkflow(wf, definition: changed)
            clock.advance(by: 60_000)
            try await engine.runDueSchedules()
            #expect(try await executions(engine, wf).isEmpty)
            let stored = try await engine.schedule(workflowID: wf, id: id)
            #expect(stored.lastError?.contains("input.n") == true, "\(stored.lastError ?? "nil")")
            #expect(stored.nextFireAt == stored.schedule.createdAt + 120_000, "the schedule goes on")
            let fires = try await engine.scheduleFires(workflowID: wf, id: id, limit: 10, before: nil).items
            #expect(fires.map(\.outcome) == [.failed])
        }
    }

    @Test func anInputTheWorkflowDoesNotTakeIsRefusedAtCreation() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(Self.echo).record.id
            await #expect(throws: EngineError.self) { try await engine.createSchedule(workflowID: wf, spec: every(60, input: ["text": 5])) }
            #expect(try await engine.schedules(workflowID: wf).isEmpty)
            await #expect(throws: EngineError.self) { try await engine.createSchedule(workflowID: "wf-none", spec: every(60)) }
        }
    }

    @Test func aPausedScheduleFiresNothingAndResumingCatchesNothingUp() async throws {
        let clock = ManualClock()
        try await withEngine(clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.echo).record.id
            let id = try await engine.createSchedule(workflowID: wf, spec: every(60, overlap: .allow)).id
            let paused = try await engine.updateSchedule(workflowID: wf, id: id) { spec in
                var spec = spec
                spec.paused = true
                return spec
            }
            #expect(paused.nextFireAt == nil)
            clock.advance(by: 600_000)
            #expect(try await engine.runDueSchedules() == 0)
            let resumedAt = clock.now()
            let resumed = try await engine.updateSchedule(workflowID: wf, id: id, expectedRevision: paused.revision) { spec in
                var spec = spec
                spec.paused = false
                return spec
            }
            #expect(resumed.schedule.lastDue == resumedAt)
            try await engine.runDueSchedules()
            #expect(try await executions(engine, wf).isEmpty, "the ten fire times of the pause are let go")
            await #expect(throws: EngineError.self, "a stale If-Match") {
                try await engine.updateSchedule(workflowID: wf, id: id, expectedRevision: paused.revision) { $0 }
            }
            clock.advance(by: 60_000)
            try await engine.runDueSchedules()
            #expect(try await executions(engine, wf).count == 1)
        }
    }

    @Test(.timeLimit(.minutes(1))) func theRunnerFiresOnTheEngineClockAndStopsAtShutdown() async throws {
        let clock = ManualClock()
        try await withEngine(clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.echo).record.id
            _ = try await engine.createSchedule(workflowID: wf, spec: every(60))
            // On PostgreSQL the runner fires only while this node leads maintenance, which it wins
            // in real time; a round run before that sleeps on the test's clock, which moves once
            // per fire, and the test would wait for a fire that never comes (a loaded CI run).
            while !engine.leadsMaintenance { try await Task.sleep(for: .milliseconds(10)) }
            let runner = ScheduleRunner(engine: engine, logger: Logger(label: "test"))
            let group = ServiceGroup(services: [runner], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for round in 1...3 {
                    clock.advance(by: 60_000)
                    while try await executions(engine, wf).count < round { try await Task.sleep(for: .milliseconds(5)) }
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(try await executions(engine, wf).count == 3)
        }
    }
}

/// Fails every commit that writes a schedule while `refusing`, after letting the batch's other
/// writes through (a crash between an execution's commit and its schedule's).
final class RefusingScheduleWrites: StoreDecorator, @unchecked Sendable {
    let base: any Store
    let refusing = Mutex(false)
    init(base: any Store) { self.base = base }

    func apply(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        if refusing.withLock({ $0 }), mutations.contains(where: { if case .updateSchedule = $0 { true } else { false } }) {
            throw StoreError(message: "the disk is full")
        }
        return try await base.apply(mutations)
    }
}
