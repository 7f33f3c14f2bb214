import Metrics
import SluiceCore
import Synchronization

/// What Sluice reports to an operator, through swift-metrics: the server passes a factory (the
/// Prometheus one behind `GET /metrics`), tests pass their own, and without one nothing is
/// recorded (`NOOPMetricsHandler`). Names and labels follow Prometheus' conventions (`_total` on
/// counters, `_seconds` on durations, snake_case). No label carries an execution id; labels whose
/// values users choose (workflow ids, queue names, step types) keep at most
/// `maxValuesPerLabel` distinct values, later ones are reported as `other`, so a server that
/// runs for months cannot grow its metrics without bound.
public final class SluiceMetrics: Sendable {
    /// Distinct values one user-chosen label keeps before the rest are reported as `other`.
    public static let maxValuesPerLabel = 500

    /// Nothing recorded.
    public static let none = SluiceMetrics(factory: NOOPMetricsHandler.instance)

    let factory: any MetricsFactory
    let seen = Mutex<[String: Set<String>]>([:])
    /// The handles made so far, by name and label values as given: the hot path (several
    /// updates per execution) takes one lock and one lookup instead of the factory's.
    let handles = Mutex<[HandleKey: any AnyObject & Sendable]>([:])

    struct HandleKey: Hashable {
        var name: String
        var a: String = ""
        var b: String = ""
        var c: String = ""
    }

    let batchSize: Recorder

    public init(factory: any MetricsFactory) {
        self.factory = factory
        batchSize = Recorder(label: Name.commitBatchSize, dimensions: [], aggregate: true, factory: factory)
    }

    /// The names, in one place (the docs' table lists them).
    public enum Name {
        public static let executionsStarted = "sluice_executions_started_total"
        public static let executionsFinished = "sluice_executions_finished_total"
        public static let executionDuration = "sluice_execution_duration_seconds"
        public static let taskDuration = "sluice_task_duration_seconds"
        public static let queueWait = "sluice_queue_wait_seconds"
        public static let commitBatchSize = "sluice_store_commit_batch_size"
        public static let commitDuration = "sluice_store_commit_duration_seconds"
        public static let storeErrors = "sluice_store_errors_total"
        public static let webhookDeliveries = "sluice_webhook_delivery_attempts_total"
        public static let httpRequests = "sluice_http_requests_total"
        public static let httpDuration = "sluice_http_request_duration_seconds"
        public static let leaseRenewals = "sluice_cluster_lease_renewals_total"
        public static let scheduleFires = "sluice_schedule_fires_total"
        public static let retentionDeleted = "sluice_retention_deleted_executions_total"
        public static let executionsRunning = "sluice_executions_running"
        public static let commitQueue = "sluice_store_commit_queue"
        public static let leader = "sluice_cluster_leader"
        public static let ready = "sluice_ready"
    }

    /// `value`, or `other` once `label` has kept `maxValuesPerLabel` distinct values.
    func bounded(_ label: String, _ value: String) -> String {
        seen.withLock { seen in
            if seen[label]?.contains(value) == true { return value }
            if seen[label, default: []].count >= Self.maxValuesPerLabel { return "other" }
            seen[label, default: []].insert(value)
            return value
        }
    }

    /// The handle (`Counter`, `Timer`) `name` with `labels` (names and values as given; those
    /// named in `bounded` keep at most `maxValuesPerLabel` values), made by `make` once. A value
    /// past the cap is not kept in the cache: it is counted under `other`, through the factory.
    func handle<Handle: AnyObject & Sendable>(_ name: String, _ labels: [(String, String)], bounded: Set<String>, make: ([(String, String)]) -> Handle) -> Handle {
        let key = Self.key(name, labels)
        if let known = handles.withLock({ $0[key] }) { return known as! Handle }
        var admitted = true
        let dimensions = labels.map { label, value in
            guard bounded.contains(label) else { return (label, value) }
            let kept = self.bounded(label, value)
            if kept != value { admitted = false }
            return (label, kept)
        }
        let made = make(dimensions)
        if admitted { handles.withLock { $0[key] = made } }
        return made
    }

    static func key(_ name: String, _ labels: [(String, String)]) -> HandleKey {
        var key = HandleKey(name: name)
        if labels.count > 0 { key.a = labels[0].1 }
        if labels.count > 1 { key.b = labels[1].1 }
        if labels.count > 2 { key.c = labels[2].1 }
        return key
    }

    func timer(_ name: String, _ labels: [(String, String)], bounded: Set<String> = []) -> Timer {
        handle(name, labels, bounded: bounded) { Timer(label: name, dimensions: $0, factory: factory) }
    }

    func count(_ name: String, _ labels: [(String, String)], by amount: Int = 1, bounded: Set<String> = []) {
        handle(name, labels, bounded: bounded) { Counter(label: name, dimensions: $0, factory: factory) }.increment(by: amount)
    }

    func seconds(_ name: String, _ labels: [(String, String)], milliseconds: Int64, bounded: Set<String> = []) {
        timer(name, labels, bounded: bounded).recordNanoseconds(max(0, milliseconds) * 1_000_000)
    }

    /// An execution was stored (queued or started).
    public func executionStarted(workflowID: String) {
        count(Name.executionsStarted, [("workflow", workflowID)], bounded: ["workflow"])
    }

    /// An execution ended (`status` completed, failed or cancelled) after `milliseconds` from its
    /// creation; its tasks' durations are recorded with it, by step type and how they ended.
    public func executionFinished(_ detail: ExecutionDetail) {
        let e = detail.execution
        let labels = [("workflow", e.workflowID), ("status", e.status.rawValue)]
        count(Name.executionsFinished, labels, bounded: ["workflow"])
        if let completed = e.completedAt {
            seconds(Name.executionDuration, labels, milliseconds: completed - e.createdAt, bounded: ["workflow"])
        }
        for task in detail.tasks {
            guard let started = task.startedAt, let completed = task.completedAt else { continue }
            seconds(Name.taskDuration, [("step_type", task.type), ("status", task.status.rawValue)], milliseconds: completed - started, bounded: ["step_type"])
        }
    }

    /// A worker claimed a task of `queue` that waited `milliseconds` since it was queued.
    public func queueWait(queue: String, milliseconds: Int64) {
        seconds(Name.queueWait, [("queue", queue)], milliseconds: milliseconds, bounded: ["queue"])
    }

    /// One transaction of the group committer: how many writes it took, how long it took, and
    /// whether it failed.
    public func commit(writes: Int, duration: Duration, failed: Bool) {
        batchSize.record(writes)
        timer(Name.commitDuration, []).record(duration: duration)
        if failed { count(Name.storeErrors, [("operation", "commit")]) }
    }

    /// A webhook delivery attempt ended: `delivered`, `retrying` (failed, another attempt comes)
    /// or `failed` (no attempt left, or refused for good).
    public func webhookAttempt(outcome: String) {
        count(Name.webhookDeliveries, [("outcome", outcome)])
    }

    /// An HTTP request was answered; `route` is the router's template (`/workflows/{workflow_id}`),
    /// never the path asked, so ids do not become labels.
    public func httpRequest(route: String, method: String, status: Int, duration: Duration) {
        // Methods are the client's word (any token): bounded like the labels users choose.
        count(Name.httpRequests, [("route", route), ("method", method), ("status", String(status))], bounded: ["method"])
        timer(Name.httpDuration, [("route", route), ("method", method)], bounded: ["method"]).record(duration: duration)
    }

    /// On a cluster: this node's lease was renewed, or the renewal failed.
    /// A schedule's fire times were decided: each fired, queued, skipped or failed.
    public func scheduleFires(_ fires: [ScheduleFireRecord]) {
        for fire in fires { count(Name.scheduleFires, [("outcome", fire.outcome.rawValue)]) }
    }

    /// Retention deleted `count` finished executions.
    public func retentionDeleted(_ count: Int) {
        guard count > 0 else { return }
        self.count(Name.retentionDeleted, [], by: count)
    }

    public func leaseRenewal(succeeded: Bool) {
        count(Name.leaseRenewals, [("outcome", succeeded ? "renewed" : "failed")])
    }

    /// Values read when the metrics are asked for (`GET /metrics`), not counted as they happen.
    public func gauge(_ name: String, _ value: Double, _ dimensions: [(String, String)] = []) {
        Gauge(label: name, dimensions: dimensions, factory: factory).record(value)
    }
}
