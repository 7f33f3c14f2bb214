import Logging
import ServiceLifecycle
import SluiceEngine

/// Starts the executions of annotation items that are stored without one — their upload was
/// accepted while the store or the engine refused to start them — every `interval` on the
/// engine's clock, until shutdown. (A crash between storing and starting is covered when the
/// server starts: `beforeServerStarts`.) On several nodes each one runs it; the items'
/// idempotency keys make a second start find the first.
struct AnnotationItemStarter: Service {
    let engine: Engine
    let logger: Logger
    /// Milliseconds between rounds.
    var interval: Int64 = 2_000
    /// Items younger than this (milliseconds) are left to their upload, which is most likely
    /// starting them right now.
    var grace: Int64 = 10_000

    func run() async throws {
        // Cancelled at shutdown: the sleep ends and the loop returns, no error.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await engine.clock.sleep(until: engine.clock.now() + interval) } catch { return }
                do {
                    try await AnnotationItemController.startPending(engine: engine, olderThan: grace)
                } catch is CancellationError {
                    return
                } catch let failure as AnnotationItemController.StartFailure where failure.cause is CancellationError || Task.isCancelled {
                    return  // shutting down mid-round: the next start does the rest
                } catch {
                    logger.warning("annotation items: starting the pending ones failed; trying again in \(interval) ms: \(error)")
                }
            }
        }
    }
}
