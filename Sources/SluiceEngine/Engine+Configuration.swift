extension Engine {
    /// How the engine runs.
    public struct Configuration: Sendable {
        /// The most ready tasks taken from the queue per loop turn (and so per group of commits).
        public var dispatchBatchSize: Int
        /// How long to wait before reloading an execution whose transition could not be committed.
        public var commitRetryDelay: Duration

        public init(dispatchBatchSize: Int = 512, commitRetryDelay: Duration = .seconds(1)) {
            self.dispatchBatchSize = dispatchBatchSize
            self.commitRetryDelay = commitRetryDelay
        }
    }
}
