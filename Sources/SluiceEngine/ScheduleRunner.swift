import Logging
import ServiceLifecycle
import SluiceCore

/// Fires schedules: while this node leads maintenance (always on one node), it ticks the
/// schedules that are due (`Engine.runDueSchedules`), then waits on the engine's clock until the
/// next fire time, a schedule changed here, or `poll` (changes made on other nodes, queued fire
/// times waiting for running executions to end) — whichever comes first. Stops at shutdown.
public struct ScheduleRunner: Service {
    let engine: Engine
    let logger: Logger
    /// The longest wait between rounds, milliseconds.
    var poll: Int64

    public init(engine: Engine, logger: Logger, poll: Int64 = 1_000) {
        self.engine = engine
        self.logger = logger
        self.poll = poll
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                let seen = engine.scheduleSignal.generation
                var wake = engine.clock.now() + poll
                if engine.leadsMaintenance {
                    do {
                        try await engine.runDueSchedules()
                        if let next = try await engine.store.nextScheduleFireAt() { wake = min(wake, next) }
                        failures = 0
                    } catch {
                        if Task.isCancelled { return }
                        failures += 1
                        // Each failure once, then every 60th: a store that stays down does not flood the log.
                        if failures == 1 || failures % 60 == 0 {
                            logger.warning("schedules: a round failed; trying again", metadata: ["error": "\(error)", "failures": "\(failures)"])
                        }
                    }
                }
                await wait(until: wake, orAfter: seen)
            }
        }
    }

    /// Returns at `deadline` on the engine's clock, or once a schedule changed after `seen`.
    func wait(until deadline: Int64, orAfter seen: UInt64) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await engine.clock.sleep(until: deadline) }
            group.addTask { await engine.scheduleSignal.wait(after: seen, timeout: .seconds(3600)) }
            await group.next()
            group.cancelAll()
        }
    }
}
