import Foundation
import SluiceCore

/// One line of a task's log.
public struct LogLine: Sendable, Hashable {
    /// Its position in the task's log (pass as `after` to read what follows).
    public var seq: Int64
    public var at: Date
    /// The attempt it belongs to (0 for lines before the first).
    public var attempt: Int
    /// `engine` or `step`.
    public var source: String
    public var line: String
    /// The whole line as the server sent it.
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        self.json = json
        let f = try Fields(json, "log line")
        seq = Int64(try f.int("seq"))
        at = try f.date("at")
        attempt = try f.int("attempt")
        source = try f.string("source")
        line = try f.string("line")
    }
}

/// A page of a task's log (`GET …/tasks/{task_id}/logs`).
public struct TaskLogs: Sendable, Hashable {
    public var taskID: String
    public var stepID: String
    /// The task's status when the page was read.
    public var status: ExecutionTask.Status
    /// Oldest first.
    public var lines: [LogLine]
    /// Pass as `after` for the next page; `nil` when the page was not full.
    public var nextCursor: String?

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "task logs")
        taskID = try f.string("task_id")
        stepID = try f.string("step_id")
        status = ExecutionTask.Status(rawValue: try f.string("status"))
        lines = try f.list("logs", LogLine.init(json:))
        nextCursor = try f.optionalString("next_cursor")
    }
}
