import Foundation
import Logging
import PostgresNIO
import SluiceCore
import SluiceStore

/// Several nodes on one database (`ClusterStore`): claims, leases, rescue, the maintenance leader
/// and the NOTIFY announcements.
struct ClusterState: Sendable {
    var nodeID: String?
    var kind = "serve"
    /// The listener (LISTEN on the store's channel, reconnecting) and its connection.
    var listener: Task<Void, Never>?
    var listenerConnection: PostgresConnection?
    /// The connection that holds the maintenance leader's advisory lock, while this node leads.
    var leaderConnection: PostgresConnection?
    var leaderAttemptInFlight = false
    /// Set once the store's cluster connections were stopped (`close`, shutdown): a leadership
    /// attempt that finishes after that closes its connection instead of keeping it.
    var stopped = false
}

extension PostgresStore {
    /// Now by the database's clock, in ms since the epoch: leases do not depend on the nodes'
    /// clocks agreeing.
    static let nowSQL = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

    var currentNode: String? { cluster.withLock { $0.nodeID } }

    func requireNode() throws -> String {
        guard let node = currentNode else { throw StoreError(message: "this store has not joined a cluster (join(nodeID:kind:lease:) first)") }
        return node
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        let (s, a) = d.components
        return s * 1000 + a / 1_000_000_000_000_000
    }

    public func join(nodeID: String, kind: String, lease: Duration) async throws {
        try await register(nodeID: nodeID, kind: kind, lease: lease, strict: true)
        let start = cluster.withLock { state -> Bool in
            state.nodeID = nodeID
            state.kind = kind
            return state.listener == nil
        }
        if start { startListening() }
    }

    /// Registers the node. `strict` (joining): refused while another process holds a current
    /// lease under the same id, since two processes under one id would both run its executions.
    func register(nodeID: String, kind: String, lease: Duration, strict: Bool = false) async throws {
        let ms = Self.milliseconds(lease)
        let host = ProcessInfo.processInfo.hostName
        let pid = Int64(ProcessInfo.processInfo.processIdentifier)
        let rows = try await rows("""
            INSERT INTO sluice_nodes AS n (id, kind, host, pid, started_at, heartbeat_at, lease_until)
            VALUES (\(nodeID), \(kind), \(host), \(pid), \(unescaped: Self.nowSQL), \(unescaped: Self.nowSQL), \(unescaped: Self.nowSQL) + \(ms))
            ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, host = EXCLUDED.host, pid = EXCLUDED.pid, started_at = EXCLUDED.started_at,
                heartbeat_at = EXCLUDED.heartbeat_at, lease_until = EXCLUDED.lease_until
            WHERE NOT \(strict) OR n.lease_until < \(unescaped: Self.nowSQL) OR (n.host = EXCLUDED.host AND n.pid = EXCLUDED.pid)
            RETURNING 1
            """)
        guard rows.isEmpty else { return }
        let holder = try await self.rows("SELECT host, pid FROM sluice_nodes WHERE id = \(nodeID)").first
        let (otherHost, otherPID) = try holder.map { (try $0[0].decode(String.self), try $0[1].decode(Int64.self)) } ?? ("?", 0)
        throw StoreError(message: "node id \(nodeID) is in use by a running node (host \(otherHost), pid \(otherPID)); give each node its own --node-id, or none for a random one")
    }

    public func heartbeat(lease: Duration) async throws -> Bool {
        let node = try requireNode()
        let ms = Self.milliseconds(lease)
        let renewed = try await rows("""
            UPDATE sluice_nodes SET heartbeat_at = \(unescaped: Self.nowSQL), lease_until = \(unescaped: Self.nowSQL) + \(ms) WHERE id = \(node) RETURNING 1
            """)
        if !renewed.isEmpty { return true }
        logger.warning("this node's lease ran out and its executions were handed to other nodes; joining again", metadata: ["node.id": "\(node)"])
        return false
    }

    public func rejoin(lease: Duration) async throws {
        let node = try requireNode()
        // Anything claimed since the rescue (before the heartbeat noticed) is let go too: the
        // engine has dropped everything it held. Claims find nothing until the register below.
        _ = try await rows("""
            WITH r AS (UPDATE executions SET owner = NULL WHERE owner = \(node) AND status IN ('PENDING', 'RUNNING') RETURNING 1)
            SELECT (SELECT count(*) FROM r), pg_notify(\(channel), \(ClusterNotification(nodeID: node, work: true, changed: [], finished: []).payload))
            """)
        try await register(nodeID: node, kind: cluster.withLock { $0.kind }, lease: lease)
    }

    public func claim(limit: Int) async throws -> [ExecutionDetail] {
        let node = try requireNode()
        // One statement: pick and mark (rows another node is claiming are skipped, not waited
        // for), then read them with their tasks. Only while this node's lease is current.
        //
        // The claim commits without waiting for its WAL flush (synchronous_commit off for this
        // statement's transaction): a claim lost in a database crash leaves the execution unheld,
        // to be claimed again, and any transition of it commits durably, flushing the claim
        // before it. That saves one disk flush on every execution's way to its first task.
        return try Self.details(try await rows("""
            WITH c AS (
                SELECT seq FROM executions
                WHERE owner IS NULL AND status IN ('PENDING', 'RUNNING')
                    AND EXISTS (SELECT 1 FROM sluice_nodes WHERE id = \(node) AND lease_until > \(unescaped: Self.nowSQL))
                ORDER BY seq LIMIT \(Int64(limit)) FOR NO KEY UPDATE SKIP LOCKED),
            x AS (UPDATE executions e SET owner = \(node) FROM c WHERE e.seq = c.seq RETURNING e.*)
            SELECT \(unescaped: Self.executionColumns), \(unescaped: Self.taskColumns), set_config('synchronous_commit', 'off', true)
            FROM x LEFT JOIN tasks t ON t.execution_seq = x.seq ORDER BY x.seq, t.idx
            """))
    }

    public func heldExecutionIDs() async throws -> [String] {
        let node = try requireNode()
        return try await rows("""
            SELECT id FROM executions WHERE owner = \(node) AND status IN ('PENDING', 'RUNNING') ORDER BY seq
            """).map { try $0[0].decode(String.self) }
    }

    public func heldExecution(id: String) async throws -> ExecutionDetail? {
        let node = try requireNode()
        return try Self.details(try await rows("""
            SELECT \(unescaped: Self.executionColumns), \(unescaped: Self.taskColumns)
            FROM executions x LEFT JOIN tasks t ON t.execution_seq = x.seq
            WHERE x.id = \(id) AND x.owner = \(node) AND x.status IN ('PENDING', 'RUNNING') ORDER BY t.idx
            """)).first
    }

    public func leave() async throws {
        guard let node = currentNode else { return }
        _ = try await rows("""
            WITH r AS (UPDATE executions SET owner = NULL WHERE owner = \(node) AND status IN ('PENDING', 'RUNNING') RETURNING 1),
            d AS (DELETE FROM sluice_nodes WHERE id = \(node))
            SELECT (SELECT count(*) FROM r), pg_notify(\(channel), \(ClusterNotification(nodeID: node, work: true, changed: [], finished: []).payload))
            """)
        cluster.withLock { $0.nodeID = nil }
        await stopClusterConnections()
    }

    public func rescue() async throws -> Int {
        let node = currentNode ?? "-"
        // Forgetting a node and releasing its executions happen in one statement; a batch of the
        // node still in flight holds its rows, so the release waits for it to commit.
        let row = try await rows("""
            WITH dead AS (DELETE FROM sluice_nodes WHERE lease_until < \(unescaped: Self.nowSQL) RETURNING id),
            r AS (UPDATE executions SET owner = NULL
                WHERE owner IN (SELECT id FROM dead) AND status IN ('PENDING', 'RUNNING') RETURNING 1)
            SELECT (SELECT count(*) FROM dead), (SELECT count(*) FROM r)
            """).first
        var (nodes, released): (Int64, Int64) = (0, 0)
        if let row { (nodes, released) = (try row[0].decode(Int64.self), try row[1].decode(Int64.self)) }
        if released > 0 {
            _ = try await rows("SELECT pg_notify(\(channel), \(ClusterNotification(nodeID: node, work: true, changed: [], finished: []).payload))")
        }
        if nodes > 0 {
            logger.warning("rescued the executions of nodes whose lease ran out", metadata: ["nodes.count": "\(nodes)", "executions.count": "\(released)"])
        }
        return Int(released)
    }

    /// How many executions each node holds or has run (the `owner` that claimed them; `""` for
    /// unclaimed ones). For `sluice bench`, which reports how the work was spread over its nodes.
    public func executionCountsByOwner() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await rows("SELECT coalesce(owner, ''), count(*) FROM executions GROUP BY 1") {
            counts[try row[0].decode(String.self)] = Int(try row[1].decode(Int64.self))
        }
        return counts
    }

    public func lead() async -> Bool {
        let (existing, busy) = cluster.withLock { state -> (PostgresConnection?, Bool) in
            if state.leaderConnection == nil, !state.leaderAttemptInFlight {
                state.leaderAttemptInFlight = true
                return (nil, false)
            }
            return (state.leaderConnection, state.leaderConnection == nil)
        }
        if busy { return false }
        if let existing {
            // Still leading while the connection that holds the lock lives. `checkedQuery`: after
            // PostgreSQL went away, a plain query on this closed connection never returned, and
            // the maintenance loop (and so the server's shutdown) waited for it forever.
            if (try? await existing.checkedQuery("SELECT 1", logger: logger)) != nil { return true }
            logger.warning("lost the maintenance leader's connection; another node may lead now")
            cluster.withLock { $0.leaderConnection = nil }
            try? await existing.close()
            return false
        }
        defer { cluster.withLock { $0.leaderAttemptInFlight = false } }
        guard currentNode != nil else { return false }
        do {
            let connection = try await PostgresConnection.connect(configuration: try configuration.connectionConfiguration(), id: 2, logger: logger)
            let won: Bool
            do {
                // Named after the node, so that others can tell whose session holds the lock.
                try await connection.checkedQuery("SELECT set_config('application_name', \(Self.leaderApplicationName(currentNode ?? "")), false)", logger: logger)
                won = try await connection.checkedQuery("SELECT pg_try_advisory_lock(\(leaderLock))", logger: logger).decode(Bool.self).first { _ in true } ?? false
                if !won { try await deposeStaleLeader(connection) }
            } catch {
                // A connection must be closed before it goes (a shutdown can cancel the query).
                try? await connection.close()
                throw error
            }
            let kept = won && currentNode != nil && cluster.withLock { state in
                guard !state.stopped else { return false }
                state.leaderConnection = connection
                return true
            }
            guard kept else {
                // Lost, or the store closed while the attempt was under way: a connection must
                // be closed before it goes.
                try? await connection.close()
                return false
            }
            logger.info("this node is the maintenance leader (rescue, webhook delivery)", metadata: ["node.id": "\(currentNode ?? "-")"])
            return true
        } catch {
            logger.error("could not try for maintenance leadership", metadata: ["error": "\(Self.describe(error))"])
            return false
        }
    }

    /// The `application_name` of a node's leader session (at most 63 bytes, PostgreSQL's limit).
    static func leaderApplicationName(_ node: String) -> String {
        var name = "sluice-leader:" + node
        while name.utf8.count > 63 { name.removeLast() }
        return name
    }

    /// Ends the session holding the leader lock when its node's lease has run out (or the node is
    /// gone): a leader paused (`SIGSTOP`) or stalled keeps its session — and so the lock — open,
    /// and no other node would rescue anything until it woke. Its next check finds the session
    /// gone and it stops leading. Sessions of other programs are never touched: only one named
    /// after a node of this schema's cluster (`leaderApplicationName`) whose lease is over.
    func deposeStaleLeader(_ connection: PostgresConnection) async throws {
        let deposed = try await connection.checkedQuery("""
            SELECT a.application_name, pg_terminate_backend(a.pid)
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND ((l.classid::bigint << 32) | l.objid::bigint) = \(leaderLock)
                AND a.application_name LIKE 'sluice-leader:%'
                AND NOT EXISTS (SELECT 1 FROM sluice_nodes n WHERE left('sluice-leader:' || n.id, 63) = a.application_name AND n.lease_until > \(unescaped: Self.nowSQL))
            """, logger: logger).collect()
        for row in deposed {
            let name = (try? row.makeRandomAccess()[0].decode(String.self)) ?? "?"
            logger.warning("ended the session of a maintenance leader whose lease ran out; this node may lead now", metadata: ["leader": "\(name)"])
        }
    }

    public func notifications() -> AsyncStream<ClusterNotification> { noticeStream }

    /// Listens on the store's channel on a connection of its own, reconnecting after a failure.
    /// After each (re)connection it announces "anything may have changed" (work, no ids), since
    /// notifications sent while it was away are lost.
    func startListening() {
        let task = Task {
            var delay = Duration.milliseconds(100)
            while !Task.isCancelled {
                var opened: PostgresConnection?
                do {
                    let connection = try await PostgresConnection.connect(configuration: try configuration.connectionConfiguration(), id: 1, logger: logger)
                    opened = connection
                    // A close that came while this was connecting found no connection to close:
                    // this one is closed here, never left listening (which would keep the close,
                    // waiting for this task, from returning; suspected in a CI pass that hung
                    // with one idle LISTEN session left in the database).
                    let keep = cluster.withLock { state -> Bool in
                        guard !state.stopped else { return false }
                        state.listenerConnection = connection
                        return true
                    }
                    guard keep, !Task.isCancelled else {
                        try? await connection.close()
                        break
                    }
                    // Cancelling this task ends the listen by closing its connection: the
                    // notification sequence does not end on cancellation by itself.
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: channel) { notifications in
                            delay = .milliseconds(100)
                            noticeContinuation.yield(ClusterNotification(nodeID: "", work: true, changed: [], finished: []))
                            for try await n in notifications {
                                if let notice = ClusterNotification(payload: n.payload) { noticeContinuation.yield(notice) }
                            }
                        }
                    } onCancel: {
                        let closing: EventLoopFuture<Void> = connection.close()
                        _ = closing
                    }
                    try? await connection.close()
                } catch {
                    // A connection must be closed before it goes, also when a shutdown ended the listen.
                    try? await opened?.close()
                    if Task.isCancelled { break }
                    logger.error("lost the connection that listens for other nodes; reconnecting", metadata: ["error": "\(Self.describe(error))"])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        cluster.withLock { $0.listener = task }
    }

    func stopClusterConnections() async {
        let (listener, listening, leading) = cluster.withLock { state in
            defer {
                state.stopped = true
                state.listener = nil
                state.listenerConnection = nil
                state.leaderConnection = nil
            }
            return (state.listener, state.listenerConnection, state.leaderConnection)
        }
        listener?.cancel()
        try? await listening?.close()
        if let leading {
            // The lock is let go before the connection closes: PostgreSQL releases a closed
            // session's locks only once its backend has exited, a moment after the close returns,
            // and a node trying for the lead right after this one left lost to that moment (CI's
            // `oneMaintenanceLeaderAtATime`). An unlock answered is a lock released. At most a
            // second: then the close ends the wait (a database paused or gone never answers).
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [logger] in _ = try? await leading.checkedQuery("SELECT pg_advisory_unlock_all()", logger: logger) }
                group.addTask { try? await Task.sleep(for: .seconds(1)) }
                await group.next()
                try? await leading.close()
                group.cancelAll()
            }
        }
        await listener?.value
    }
}
