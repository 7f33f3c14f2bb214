import Foundation
import SluiceCore

/// A status change of an execution or a task, as lists, streams and webhooks show it.
public struct Event: Sendable, Hashable {
    /// `evt_<instance>_<seq>`; the number is the commit order.
    public var id: String
    /// `execution.completed`, `task.running`, …
    public var type: String
    public var timestamp: Date
    /// The state after the change: the execution's for `execution.*`, the task's for `task.*`.
    public var data: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "event")
        id = try f.string("id")
        type = try f.string("type")
        timestamp = try f.date("timestamp")
        data = f.value("data") ?? .null
    }

    /// The execution the event is about.
    public var executionID: String? { data["execution_id"]?.stringValue }
}

/// A page of events (`GET …/events`), oldest first.
public struct EventPage: Sendable, Hashable {
    public var events: [Event]
    /// The last event's id (or the `after` given for an empty page): pass as `after` to continue.
    public var lastEventID: String?
    /// Whether the page was full, so that more may follow.
    public var hasMore: Bool

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "event list")
        events = try f.list("events", Event.init(json:))
        lastEventID = try f.optionalString("last_event_id")
        hasMore = try f.bool("has_more")
    }
}
