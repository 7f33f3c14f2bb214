/// Runs a step's work bounded by its own `timeout_seconds`: what `Process` and `Container.Run`
/// share. When the time passes, the work's task is cancelled (which stops its program or
/// container) and `StepDeadline.Passed` is thrown once the work has returned.
enum StepDeadline {
    /// Thrown when the work ran past its time.
    struct Passed: Error {}

    /// The result of `work`, or `Passed` if it took longer than `seconds`. Errors of `work`
    /// are rethrown as they are.
    static func run<T: Sendable>(seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9)))
                throw Passed()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
