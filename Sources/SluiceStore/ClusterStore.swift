import SluiceCore

/// A store that several Sluice processes (nodes) share: PostgreSQL. Each unfinished execution is
/// held by at most one node at a time, which runs all its tasks:
///
/// - New executions are stored unheld. Nodes claim them in batches (`claim(limit:)`, `FOR UPDATE
///   SKIP LOCKED`): two nodes never claim the same one.
/// - Once a node has joined (`join`), the store applies that node's transitions only to executions
///   it holds (anything else is `stale`), except a cancel (any node may cancel) and the reopening
///   of a finished execution (a retry), which makes the retrying node its holder.
/// - A node renews its lease with `heartbeat`; when a lease runs out, `rescue` (run by the
///   maintenance leader) releases the node's executions and other nodes claim them.
/// - Each committed batch is announced to the other nodes (`notifications`): new work, changed
///   and finished executions.
public protocol ClusterStore: Store {
    /// Registers this process as node `id` ("serve" or "worker" `kind`) with a lease of `lease`
    /// from now (by the database's clock); from now on transitions need the execution's lease.
    func join(nodeID: String, kind: String, lease: Duration) async throws
    /// Renews the lease. `false` when the node is no longer registered: its lease ran out and its
    /// executions were rescued. It stays unregistered (its claims find nothing) until `rejoin`.
    func heartbeat(lease: Duration) async throws -> Bool
    /// After a `heartbeat` that answered `false`, once the node has dropped what it was driving:
    /// lets go of anything still marked as this node's and registers it again, holding nothing.
    /// (Registering before the drop let a claim made in between be dropped while still held.)
    func rejoin(lease: Duration) async throws
    /// Claims up to `limit` unheld unfinished executions, oldest first, with their tasks.
    func claim(limit: Int) async throws -> [ExecutionDetail]
    /// The ids of the unfinished executions this node holds, oldest first: after a `claim` that
    /// failed (its answer may have been lost after it committed), the node drives those it is
    /// not driving yet.
    func heldExecutionIDs() async throws -> [String]
    /// Execution `id` if this node holds it and it is unfinished.
    func heldExecution(id: String) async throws -> ExecutionDetail?
    /// Releases the unfinished executions this node holds (a graceful shutdown) and leaves the
    /// cluster; other nodes are told there is work.
    func leave() async throws
    /// Releases the executions of nodes whose lease has run out and forgets those nodes.
    /// Returns how many executions were released.
    func rescue() async throws -> Int
    /// Whether this node is the maintenance leader (rescue, webhook delivery). Tries to become
    /// it when there is none; leadership lasts while the node's leader connection lives.
    func lead() async -> Bool
    /// What other nodes committed, as it is announced. Ends when the store closes.
    func notifications() -> AsyncStream<ClusterNotification>
}

/// One announcement of a committed batch by another node.
public struct ClusterNotification: Sendable, Hashable {
    /// The node that committed it.
    public var nodeID: String
    /// Whether it stored executions that any node may claim.
    public var work: Bool
    /// Executions that changed (transitions, log lines, new executions).
    public var changed: [String]
    /// Executions that reached COMPLETED, FAILED or CANCELLED.
    public var finished: [String]
    /// `Worker.Task` queues that got a task (the claims waiting on them look again).
    public var queues: [String]

    public init(nodeID: String, work: Bool, changed: [String], finished: [String], queues: [String] = []) {
        self.nodeID = nodeID
        self.work = work
        self.changed = changed
        self.finished = finished
        self.queues = queues
    }

    /// `node|w|changed,ids|finished,ids[|queues]`: fits in a NOTIFY payload when split with
    /// `payloads`. The queues part is left out when empty, as nodes before it wrote it.
    public var payload: String {
        let base = "\(nodeID)|\(work ? "w" : "")|\(changed.joined(separator: ","))|\(finished.joined(separator: ","))"
        return queues.isEmpty ? base : base + "|" + queues.joined(separator: ",")
    }

    public init?(payload: String) {
        let parts = payload.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4 || parts.count == 5 else { return nil }
        nodeID = String(parts[0])
        work = parts[1] == "w"
        changed = parts[2].split(separator: ",").map(String.init)
        finished = parts[3].split(separator: ",").map(String.init)
        queues = parts.count == 5 ? parts[4].split(separator: ",").map(String.init) : []
    }

    /// This notification split into payloads of at most `limit` bytes (PostgreSQL's is 8000).
    public func payloads(limit: Int = 7000) -> [String] {
        if payload.utf8.count <= limit { return [payload] }
        var out: [String] = []
        var current = ClusterNotification(nodeID: nodeID, work: work, changed: [], finished: [], queues: queues)
        var size = current.payload.utf8.count
        func flush() {
            out.append(current.payload)
            current = ClusterNotification(nodeID: nodeID, work: false, changed: [], finished: [])
            size = current.payload.utf8.count
        }
        for id in changed {
            if size + id.utf8.count + 1 > limit { flush() }
            current.changed.append(id)
            size += id.utf8.count + 1
        }
        for id in finished {
            if size + id.utf8.count + 1 > limit { flush() }
            current.finished.append(id)
            size += id.utf8.count + 1
        }
        if !current.changed.isEmpty || !current.finished.isEmpty || current.work || !current.queues.isEmpty { out.append(current.payload) }
        return out
    }
}
