import Tracing
import SluiceCore

extension Engine {
    /// How the engine runs.
    public struct Configuration: Sendable {
        /// How long to wait before reloading an execution whose transition could not be committed.
        public var commitRetryDelay: Duration
        /// How this node takes part in a cluster (used when the store is a `ClusterStore`).
        public var cluster: Cluster
        /// What the engine holds in memory at most; past a limit it refuses new work (`503` with
        /// `Retry-After`) rather than grow.
        public var limits: Limits
        /// How long finished executions are kept when their workflow says nothing
        /// (`--retention-days`, `--retention-keep-last`); `nil` keeps them.
        public var retention: RetentionPolicy?
        /// How often the maintenance leader looks for executions retention lets go
        /// (`--retention-interval`).
        public var retentionInterval: Duration
        /// Where the spans of executions go (Engine+Tracing.swift); `nil`: no tracing, nothing
        /// recorded or stored for it.
        public var tracer: (any Tracer)?
        /// The local artifact store's directory (`--artifact-dir`), where `Container.Run` keeps
        /// an execution's artifacts in `<dir>/<execution id>/`; that directory goes when
        /// retention deletes the execution. `nil`: no artifact store.
        public var artifactDirectory: String?

        public init(commitRetryDelay: Duration = .seconds(1), cluster: Cluster = .init(), limits: Limits = .init(), retention: RetentionPolicy? = nil, retentionInterval: Duration = .seconds(60), tracer: (any Tracer)? = nil) {
            self.tracer = tracer
            self.limits = limits
            self.retention = retention
            self.retentionInterval = retentionInterval
            self.commitRetryDelay = commitRetryDelay
            self.cluster = cluster
        }
    }

    /// Bounds on what the engine keeps in memory.
    public struct Limits: Sendable {
        /// The most executions driven at once (those with steps with I/O or Delays under way):
        /// past it, new executions are refused. On a cluster, `Cluster.maxActiveExecutions` also
        /// bounds what a node claims.
        public var maxActiveExecutions: Int
        /// The most requests waiting on executions at once (`?wait`, log follows).
        public var maxWaiters: Int
        /// The most writes queued for the group committer: past it, new executions are refused
        /// until the store catches up.
        public var maxQueuedWrites: Int
        /// The `Retry-After` of a refusal, in seconds.
        public var retryAfterSeconds: Int

        public init(maxActiveExecutions: Int = SluiceCore.Limits.defaultMaxActiveExecutions, maxWaiters: Int = SluiceCore.Limits.defaultMaxWaiters, maxQueuedWrites: Int = SluiceCore.Limits.defaultMaxQueuedWrites, retryAfterSeconds: Int = SluiceCore.Limits.retryAfterSeconds) {
            self.maxActiveExecutions = maxActiveExecutions
            self.maxWaiters = maxWaiters
            self.maxQueuedWrites = maxQueuedWrites
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// Settings of a node sharing its store with other nodes.
    public struct Cluster: Sendable {
        /// This node's id; a new random one (`node-…`) when `nil`.
        public var nodeID: String?
        /// `serve` (API and execution) or `worker` (execution only); shown in the nodes table.
        public var kind: String
        /// How long a node holds its executions without a heartbeat; heartbeats come every third
        /// of it. After a node dies, its executions run elsewhere within about this long.
        public var lease: Duration
        /// The most executions claimed in one statement.
        public var claimBatch: Int
        /// The most executions this node drives at once; it claims no more until some finish.
        public var maxActiveExecutions: Int
        /// How often an idle node looks for work when no notification came (a fallback: new work
        /// is announced with NOTIFY).
        public var pollInterval: Duration

        public init(nodeID: String? = nil, kind: String = "serve", lease: Duration = .seconds(30), claimBatch: Int = 100, maxActiveExecutions: Int = SluiceCore.Limits.defaultMaxActiveExecutions, pollInterval: Duration = .seconds(5)) {
            self.nodeID = nodeID
            self.kind = kind
            self.lease = lease
            self.claimBatch = claimBatch
            self.maxActiveExecutions = maxActiveExecutions
            self.pollInterval = pollInterval
        }
    }
}
