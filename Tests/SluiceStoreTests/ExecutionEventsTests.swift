import SluiceCore
import SluiceStore
import Testing

/// The rule for which events a change emits (`ExecutionDetail.apply(_:)`), written once above the
/// drivers: pure, so each case is a microsecond test.
struct ExecutionEventsTests {
    func data(_ e: EventDraft) throws -> JSONValue { try JSONParser.parse(e.data) }

    struct Refused: Error {}
    func required(_ events: [EventDraft]?) throws -> [EventDraft] {
        guard let events else { throw Refused() }
        return events
    }

    @Test func aNewExecutionIsRecordedWithItsStatus() throws {
        let d = execution("ex-1")
        #expect(d.creationEvent.type == "execution.pending")
        #expect(try data(d.creationEvent)["execution_id"] == "ex-1")
        #expect(try data(d.creationEvent)["workflow_id"] == "wf-1")
    }

    @Test func anExecutionsStartComesBeforeItsTaskEventsAndItsEnd() throws {
        var d = execution("ex-1", tasks: 1)
        let events = try required(d.apply(ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .completed, output: ["text": "x"], startedAt: 3, completedAt: 4, attempt: 1),
        ], execution: ExecutionChange(status: .completed, output: ["text": "x"], startedAt: 3, completedAt: 4))))
        #expect(events.map(\.type) == ["execution.running", "task.completed", "execution.completed"])
        #expect(try data(events[0])["started_at"] == .string(Timestamp.format(milliseconds: 3)))
        #expect(try data(events[1])["output"] == ["text": "x"] && (try data(events[1]))["task_id"] == "task-0")
        #expect(d.execution.status == .completed && d.tasks[0].status == .completed, "the record is left as the store leaves it")
    }

    @Test func aTaskEventCarriesTheTasksStateAfterTheChangeNotOnlyWhatChanged() throws {
        var d = execution("ex-1")
        _ = d.apply(ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .running, startedAt: 10, attempt: 1),
        ], execution: ExecutionChange(status: .running, startedAt: 10)))
        let events = try required(d.apply(ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.running], status: .completed, output: ["text": "out"], completedAt: 20),
        ])))
        #expect(events.map(\.type) == ["task.completed"])
        let task = try data(events[0])
        #expect(task["started_at"] == .string(Timestamp.format(milliseconds: 10)) && task["attempt"] == 1 && task["step_id"] == "step-1")
    }

    @Test func aChangeTheStoreWouldRefuseEmitsNothingAndChangesNothing() {
        var d = execution("ex-1")
        let before = d
        #expect(d.apply(ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .completed),
            TaskChange(index: 1, expected: [.running], status: .completed),
        ], execution: ExecutionChange(status: .completed))) == nil)
        #expect(d == before)
        let t = ExecutionTransition(executionID: "ex-1", tasks: [TaskChange(index: 1, expected: [.running], status: .completed)])
        #expect(d.recording(t).events.isEmpty, "left without events: the store reports it stale")
    }

    @Test func aCancelOfAPendingExecutionDoesNotReportAStart() throws {
        var d = execution("ex-1", tasks: 1)
        let events = try required(d.apply(ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .cancelled, completedAt: 4),
        ], execution: ExecutionChange(status: .cancelled, error: ["message": "cancelled"], completedAt: 4))))
        #expect(events.map(\.type) == ["task.cancelled", "execution.cancelled"])
        #expect(try data(events[1])["error"] == ["message": "cancelled"])
    }

    @Test func aRetriedExecutionReportsRunningAgain() throws {
        var d = execution("ex-1", tasks: 1)
        _ = d.apply(ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.pending], status: .failed, error: ["message": "no"], startedAt: 1, completedAt: 2, attempt: 1),
        ], execution: ExecutionChange(status: .failed, error: ["message": "no"], startedAt: 1, completedAt: 2)))
        let events = try required(d.apply(ExecutionTransition(executionID: "ex-1", tasks: [
            TaskChange(index: 0, expected: [.failed], status: .pending, reset: true, attemptBase: 1),
        ], execution: ExecutionChange(status: .running, reopen: true))))
        #expect(events.map(\.type) == ["task.pending", "execution.running"])
        #expect(try data(events[1])["completed_at"] == .null, "a reopened execution has no completion time")
        #expect(d.tasks[0].attempt == 1 && d.tasks[0].attemptBase == 1, "attempt numbers go on after a retry")
    }
}
