import Foundation
import SluiceCore

/// A `Human.Task` attempt as the people's API shows it.
public struct HumanTaskInfo: Sendable, Hashable {
    /// The `ht-…` id every call on it names.
    public var id: String
    /// `WAITING`, `CLAIMED`, `COMPLETED`, `FAILED` or `CANCELLED`.
    public var status: String
    public var title: String
    public var instructions: String
    /// The JSON Schema the answer must match.
    public var form: JSONValue
    /// The task's input, shown beside the form.
    public var input: JSONValue
    /// Who may claim it: account names and `group:NAME`; empty for anyone who may work in its
    /// namespace.
    public var assignees: [String]
    public var holder: String?
    public var claimedAt: Date?
    /// When its answer was stored (a person's, or the due time's); `nil` before.
    public var answeredAt: Date?
    public var dueAt: Date?
    /// `fail` or `answer`.
    public var onDue: String
    /// The answer it was completed with.
    public var answer: JSONValue?
    public var error: String?
    public var namespace: String
    public var workflowID: String
    /// The workflow's name (`nil` when the workflow is gone).
    public var workflowName: String?
    public var executionID: String
    /// The task's step id in its workflow.
    public var task: String
    public var attempt: Int
    public var createdAt: Date
    /// The server's representation, as it came.
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        self.json = json
        let f = try Fields(json, "human task")
        id = try f.string("human_task_id")
        status = try f.string("status")
        title = try f.string("title")
        instructions = try f.string("instructions")
        form = f.value("form") ?? ["type": "object"]
        input = f.value("input") ?? .null
        assignees = try f.strings("assignees")
        holder = try f.optionalString("holder")
        claimedAt = try f.optionalDate("claimed_at")
        answeredAt = try f.optionalDate("answered_at")
        dueAt = try f.optionalDate("due_at")
        onDue = try f.string("on_due")
        answer = f.value("answer")
        error = try f.optionalString("error")
        namespace = try f.string("namespace")
        workflowID = try f.string("workflow_id")
        workflowName = try f.optionalString("workflow_name")
        executionID = try f.string("execution_id")
        task = try f.string("task")
        attempt = try f.int("attempt")
        createdAt = try f.date("created_at")
    }
}

/// A person's inbox: the human tasks they hold and those they may claim.
public struct Inbox: Sendable, Hashable {
    /// Whose inbox it is.
    public var account: String
    public var held: [HumanTaskInfo]
    public var claimable: [HumanTaskInfo]
    /// The server's representation, as it came.
    public var json: JSONValue
}

extension SluiceClient {
    /// `GET /inbox`: the tasks the caller holds and those they may claim, the longest waiting
    /// first. `account` picks the person on a server that does not check access (with access
    /// checked, the person is the token's account).
    public func inbox(account: String? = nil, limit: Int? = nil) async throws -> Inbox {
        let json = try await fetch(.GET, "/inbox", query: [("account", account), ("limit", limit.map(String.init))])
        let f = try Fields(json, "inbox")
        return Inbox(
            account: try f.string("account"),
            held: try f.array("held").map { v throws(SluiceClientError) in try HumanTaskInfo(json: v) },
            claimable: try f.array("claimable").map { v throws(SluiceClientError) in try HumanTaskInfo(json: v) },
            json: json
        )
    }

    /// `GET /human-tasks/{id}`.
    public func humanTask(id: String) async throws -> HumanTaskInfo {
        try HumanTaskInfo(json: try await fetch(.GET, Self.path("human-tasks", id)))
    }

    /// `POST /human-tasks/{id}/claim`: "assign to me". A `409` problem when someone else holds
    /// it or the caller is not among its assignees.
    @discardableResult
    public func claimHumanTask(id: String, account: String? = nil) async throws -> HumanTaskInfo {
        try await act(id, "claim", [("account", account.map(JSONValue.string))])
    }

    /// `POST /human-tasks/{id}/release`: back to the inbox.
    @discardableResult
    public func releaseHumanTask(id: String, account: String? = nil) async throws -> HumanTaskInfo {
        try await act(id, "release", [("account", account.map(JSONValue.string))])
    }

    /// `POST /human-tasks/{id}/complete`: answers the task (claiming it first if nobody holds
    /// it). A `400` problem with paths such as `answer.approved` when the answer does not match
    /// the task's form; nothing changes then.
    @discardableResult
    public func completeHumanTask(id: String, answer: JSONValue, account: String? = nil) async throws -> HumanTaskInfo {
        try await act(id, "complete", [("answer", answer), ("account", account.map(JSONValue.string))])
    }

    /// `POST /human-tasks/{id}/reassign`: an editor gives the task to `account`, or back to the
    /// inbox (`nil`).
    @discardableResult
    public func reassignHumanTask(id: String, to account: String?) async throws -> HumanTaskInfo {
        try await act(id, "reassign", [("account", account.map(JSONValue.string) ?? .null)])
    }

    private func act(_ id: String, _ action: String, _ members: [(String, JSONValue?)]) async throws -> HumanTaskInfo {
        try HumanTaskInfo(json: try await fetch(.POST, Self.path("human-tasks", id, action), body: Self.body(members)))
    }
}
