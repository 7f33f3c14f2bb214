import SluiceCore

/// Which events a change to an execution emits, decided once, here, above the store drivers:
/// the engine keeps each execution it drives as an `ExecutionDetail`, applies every transition to
/// it as the store will, and the transition carries the events this computes. A driver only
/// writes them, in order, when the transition applies.
extension ExecutionDetail {
    /// The event that records a newly stored execution (`execution.pending`, or the status it is
    /// stored with).
    public var creationEvent: EventDraft {
        let e = execution
        return EventDraft(type: EventType.execution(e.status), data: EventData.execution(
            id: e.id, workflowID: e.workflowID, workflowVersion: e.workflowVersion, status: e.status, createdAt: e.createdAt,
            startedAt: e.startedAt, completedAt: e.completedAt, outputJSON: e.output?.jsonString, errorJSON: e.error?.jsonString))
    }

    /// Whether every change of `t` finds its task in an expected status, each checked against the
    /// status the changes before it leave (a merged transition may start and complete one task):
    /// whether a store would apply it.
    /// Costs the transition's changes, not the execution's tasks.
    public func accepts(_ t: ExecutionTransition) -> Bool {
        var changed: [Int: TaskStatus] = [:]
        for change in t.tasks {
            guard change.index >= 0, change.index < tasks.count, change.expected.contains(changed[change.index] ?? tasks[change.index].status) else { return false }
            if t.tasks.count > 1 { changed[change.index] = change.status }
        }
        return true
    }

    /// Applies `t` to this record as a store does and returns the events that record it, in
    /// order: `execution.running` first when `t` starts the execution (also when it goes on
    /// further in the same transition), then each task change with the task's state after it,
    /// then the execution's own change. `nil`, and nothing changed, if the store would refuse `t`
    /// (`accepts(_:)`).
    public mutating func apply(_ t: ExecutionTransition) -> [EventDraft]? {
        guard accepts(t) else { return nil }
        var events: [EventDraft] = []
        events.reserveCapacity(t.tasks.count + 2)
        let before = execution
        let reportsStart = before.status == .pending && t.execution.map { $0.status != .pending && $0.status != .cancelled } == true
        if reportsStart, let change = t.execution {
            events.append(EventDraft(type: EventType.execution(.running), data: EventData.execution(
                id: before.id, workflowID: before.workflowID, workflowVersion: before.workflowVersion, status: .running, createdAt: before.createdAt,
                startedAt: change.startedAt ?? before.startedAt, completedAt: nil, outputJSON: nil, errorJSON: nil)))
        }
        for change in t.tasks {
            tasks[change.index].apply(change)
            let task = tasks[change.index]
            events.append(EventDraft(type: EventType.task(task.status), data: EventData.task(
                executionID: before.id, workflowID: before.workflowID, taskID: task.taskID, stepID: task.stepID, type: task.type, status: task.status,
                attempt: task.attempt, startedAt: task.startedAt, completedAt: task.completedAt, wakeAt: task.wakeAt,
                outputJSON: change.output?.jsonString, errorJSON: change.error?.jsonString)))
        }
        if let change = t.execution {
            execution.apply(change)
            if !(reportsStart && change.status == .running) {
                let e = execution
                events.append(EventDraft(type: EventType.execution(e.status), data: EventData.execution(
                    id: e.id, workflowID: e.workflowID, workflowVersion: e.workflowVersion, status: e.status, createdAt: e.createdAt,
                    startedAt: e.startedAt, completedAt: e.completedAt, outputJSON: change.output?.jsonString, errorJSON: change.error?.jsonString)))
            }
        }
        return events
    }

    /// `t` with its events, computed by applying it to this record; `t` unchanged (and this record
    /// too) if the store would refuse it, so that the store reports it `stale`.
    public mutating func recording(_ t: ExecutionTransition) -> ExecutionTransition {
        var t = t
        if let events = apply(t) { t.events = events }
        return t
    }
}

extension Mutation {
    /// Stores a new execution with the event that records its creation.
    public static func insertExecution(_ detail: ExecutionDetail) -> Mutation {
        .insertExecution(detail, events: [detail.creationEvent])
    }
}
