import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// Retention on an injected clock: months pass in seconds, and what is stored stays flat.
@Suite(.testStores) struct RetentionEngineTests {
    static func workflow(_ name: String, retention: JSONValue? = nil, origin: JSONValue? = nil) -> JSONValue {
        var o = JSONObject([("name", .string(name)), ("steps", [["type": "TextOperation.Uppercase"]])])
        if let retention { o["retention"] = retention }
        if let origin { o["origin"] = origin }
        return .object(o)
    }

    /// Marks every event as fanned out to webhooks, as the webhook sender does as it goes.
    func fanOut(_ store: any Store) async throws {
        let cursor = try await store.fanOutCursor()
        let last = try await store.lastEventSeq()
        if last > cursor { _ = try await store.apply([.fanOut(after: cursor, through: last, deliveries: [])]) }
    }

    func count(_ engine: Engine, _ workflowID: String) async throws -> Int {
        var n = 0
        var cursor: Int64?
        repeat {
            let page = try await engine.store.executions(workflowID: workflowID, status: nil, limit: 500, before: cursor)
            n += page.items.count
            cursor = page.nextCursor
        } while cursor != nil
        return n
    }

    /// Sixty simulated days of 30 executions a day under a 7-day policy: the executions kept stay
    /// at a week's worth and the database file stops growing (its freed pages are given back).
    /// (Seconds alone; minutes in CI's loaded PostgreSQL pass, hence the limit.)
    @Test(.timeLimit(.minutes(5))) func sixtyDaysOfRunsUnderAWeeksRetentionKeepStorageFlat() async throws {
        let store = try temporarySQLite()
        let clock = ManualClock()
        try await withEngine(store: store, clock: clock) { engine in
            #expect(try store.autoVacuumMode() == 2, "a new database gives freed pages back (incremental)")
            let kept = try await engine.createWorkflow(Self.workflow("kept")).record.id
            let week = try await engine.createWorkflow(Self.workflow("weekly", retention: ["days": 7])).record.id
            var pages: [Int] = []
            for _ in 1...60 {
                for i in 0..<30 {
                    _ = try await engine.startExecution(workflowID: week, request: ExecutionRequest(input: ["text": .string("run \(i) with some text to store")]))
                }
                _ = try await engine.startExecution(workflowID: kept, request: ExecutionRequest(input: ["text": "kept"]))
                try await fanOut(store)
                clock.advance(by: 86_400_000)
                try await engine.purgeExpired()
                pages.append(try store.pageCounts().pages)
            }
            #expect(try await count(engine, week) == 7 * 30, "the last seven days' runs")
            #expect(try await count(engine, kept) == 60, "a workflow without a policy keeps everything (the server has none)")
            let (day20, day60) = (pages[19], pages[59])
            #expect(Double(day60) <= Double(day20) * 1.15, "storage is flat from the second week on: \(pages)")
        }
    }

    /// ★ What an execution saved in the local artifact store (`<artifact dir>/<execution id>/`)
    /// goes when retention deletes the execution; a kept execution keeps its files.
    @Test func retentionRemovesTheArtifactsOfTheExecutionsItDeletes() async throws {
        let dir = Scratch.root.appendingPathComponent("retention-artifacts-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = Engine.Configuration()
        configuration.artifactDirectory = dir
        try await withEngine(configuration: configuration, clock: ManualClock()) { engine in
            let id = try await engine.createWorkflow(Self.workflow("art", retention: ["keep_last": 1])).record.id
            var started: [String] = []
            for _ in 0..<2 {
                let execution = try await engine.startExecution(workflowID: id, request: ExecutionRequest(input: ["text": "x"])).executionID
                started.append(execution)
                // As Container.Run saves one: <dir>/<execution>/<task>/<attempt>/<name>.
                try FileManager.default.createDirectory(atPath: "\(dir)/\(execution)/gen/1", withIntermediateDirectories: true)
                try "saved".write(toFile: "\(dir)/\(execution)/gen/1/report", atomically: false, encoding: .utf8)
            }
            try await fanOut(engine.store)
            #expect(try await engine.purgeExpired() == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [started[1]], "the deleted execution's artifacts are gone, the kept one's stay")
        }
    }

    @Test func theServersPolicyAppliesToWorkflowsWithoutTheirOwnButNotToOtherFrontDoors() async throws {
        let clock = ManualClock()
        try await withEngine(configuration: .init(retention: RetentionPolicy(days: 1)), clock: clock) { engine in
            let plain = try await engine.createWorkflow(Self.workflow("plain")).record.id
            let own = try await engine.createWorkflow(Self.workflow("own", retention: ["keep_last": 2])).record.id
            let argo = try await engine.createWorkflow(Self.workflow("argo", origin: ["argo": ["metadata": ["name": "x"]]])).record.id
            var started: [String] = []
            for id in [plain, own, argo] {
                for _ in 0..<3 { started.append(try await engine.startExecution(workflowID: id, request: ExecutionRequest(input: ["text": "x"])).executionID) }
            }
            #expect(try await engine.execution(id: started[0]) != nil, "finished here lately: read from memory")
            try await fanOut(engine.store)
            #expect(try await engine.purgeExpired() == 1, "keep_last 2 of 3 goes at once; the rest are younger than a day")
            clock.advance(by: 86_400_001)
            #expect(try await engine.purgeExpired() == 3)
            #expect(try await count(engine, plain) == 0, "the server's day")
            #expect(try await engine.execution(id: started[0]) == nil, "a deleted execution is not answered from memory either")
            #expect(try await count(engine, own) == 2, "its own policy replaces the server's")
            #expect(try await count(engine, argo) == 3, "an Argo workflow is kept until it is deleted")
        }
    }

    @Test(.timeLimit(.minutes(1))) func theRunnerPurgesOnTheEngineClockAndAnUnfinishedExecutionStays() async throws {
        let clock = ManualClock()
        try await withEngine(clock: clock) { engine in
            let wf = try await engine.createWorkflow(Self.workflow("hourly", retention: ["days": 0.5])).record.id
            let waiting = try await engine.createWorkflow(["name": "long", "steps": [["type": "Delay", "input": ["seconds": 864_000]], ["type": "Echo"]], "retention": ["days": 0.5]]).record.id
            _ = try await engine.startExecution(workflowID: wf, request: ExecutionRequest(input: ["text": "x"]))
            _ = try await engine.startExecution(workflowID: waiting, request: ExecutionRequest(input: ["text": "x"]))
            try await fanOut(engine.store)
            let runner = RetentionRunner(engine: engine, logger: Logger(label: "test"))
            let group = ServiceGroup(services: [runner], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                clock.advance(by: 86_400_000)
                // The runner's next round is at most a minute of the clock away.
                while try await count(engine, wf) > 0 {
                    clock.advance(by: 60_000)
                    try await Task.sleep(for: .milliseconds(5))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(try await count(engine, waiting) == 1, "a running execution is never deleted")
        }
    }
}
