import ArgumentParser
import SluiceCore
import SluiceEngine

/// `sluice serve|worker` options that bound what a node holds in memory; past one, it answers
/// `503` with `Retry-After` instead of growing.
struct LimitOptions: ParsableArguments {
    @Option(help: "The most executions driven at once (with steps with I/O or Delays under way); new ones are refused past it.")
    var maxActiveExecutions: Int = SluiceCore.Limits.defaultMaxActiveExecutions

    @Option(help: "The most requests waiting on executions at once (?wait, log follows).")
    var maxWaiters: Int = SluiceCore.Limits.defaultMaxWaiters

    @Option(help: "The most writes queued for the database; new executions are refused past it until it catches up.")
    var maxQueuedWrites: Int = SluiceCore.Limits.defaultMaxQueuedWrites

    func validate() throws {
        if maxActiveExecutions < 1 { throw ValidationError("--max-active-executions must be at least 1, found \(maxActiveExecutions)") }
        if maxWaiters < 1 { throw ValidationError("--max-waiters must be at least 1, found \(maxWaiters)") }
        if maxQueuedWrites < 1 { throw ValidationError("--max-queued-writes must be at least 1, found \(maxQueuedWrites)") }
    }

    var limits: Engine.Limits {
        Engine.Limits(maxActiveExecutions: maxActiveExecutions, maxWaiters: maxWaiters, maxQueuedWrites: maxQueuedWrites)
    }
}
