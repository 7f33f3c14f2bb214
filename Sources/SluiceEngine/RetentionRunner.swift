import Logging
import ServiceLifecycle
import SluiceCore

/// Runs retention's rounds (`Engine.purgeExpired`) every `interval` on the engine's clock while
/// this node leads maintenance (always on one node). Stops at shutdown.
public struct RetentionRunner: Service {
    let engine: Engine
    let logger: Logger
    /// Milliseconds between rounds.
    var interval: Int64

    /// Rounds every `interval` milliseconds, by default the engine's `retentionInterval`.
    public init(engine: Engine, logger: Logger, interval: Int64? = nil) {
        self.engine = engine
        self.logger = logger
        let (seconds, attoseconds) = engine.configuration.retentionInterval.components
        self.interval = interval ?? max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await engine.clock.sleep(until: engine.clock.now() + interval) } catch { return }
                guard engine.leadsMaintenance else { continue }
                do {
                    try await engine.purgeExpired()
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("retention: a round failed; trying again in \(interval / 1000) s", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
