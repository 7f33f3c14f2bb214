import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
@testable import SluiceServer
import SluiceTestSupport
import Testing

/// `Human.Task` through the API with access off: the person is the `account` a call names. The
/// test store (MemoryStore, or PostgreSQL in CI's PostgreSQL pass), the engine on a `ManualClock`.
@Suite(.testStores, .timeLimit(.minutes(1))) struct HumanTaskTests {
    func makeApp(clock: ManualClock = ManualClock()) async throws -> (some ApplicationProtocol, Engine) {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: .builtin, logger: logger, clock: clock)
        return (buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger), engine)
    }

    /// `text → Human.Task (a form with a required boolean "approved") → JSON.Get /approved`.
    static func workflow(assignees: [String] = ["alice", "bob"], due: String = "") -> String {
        let list = assignees.map { "\"\($0)\"" }.joined(separator: ", ")
        return #"""
            {"name": "review", "steps": [
              {"type": "StaticTextInput", "input": "a draft"},
              {"id": "review", "type": "Human.Task", "input": {"title": "Approve the draft", "instructions": "Read it.\nThen decide.",
                "form": {"type": "object", "properties": {"approved": {"type": "boolean"}, "note": {"type": "string", "maxLength": 20}}, "required": ["approved"]},
                "assignees": [\#(list)]\#(due)}},
              {"type": "JSON.Get", "input": {"pointer": "/approved"}}]}
            """#
    }

    /// The inbox of `account`, once the engine has queued what `count` says.
    func inbox(_ client: some TestClientProtocol, _ account: String, claimable count: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        var last = JSONValue.null
        for _ in 0..<1000 {
            let reply = try await client.send(.get, "/inbox?account=\(account)")
            try #require(reply.status == .ok, "\(reply.text)", sourceLocation: sourceLocation)
            last = try reply.json()
            if (last["claimable"]?.arrayValue?.count ?? 0) + (last["held"]?.arrayValue?.count ?? 0) >= count { return last }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("the inbox of \(account) never showed \(count) task(s): \(last)", sourceLocation: sourceLocation)
        return last
    }

    func act(_ client: some TestClientProtocol, _ id: String, _ action: String, _ body: String) async throws -> Reply {
        try await client.send(.post, "/human-tasks/\(id)/\(action)", body: body)
    }

    @Test func anAssigneeClaimsTheTaskAndTheirAnswerGoesOnThroughTheExecution() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow())
            let ex = try await client.startExecution(wf)
            let task = try #require(try await inbox(client, "alice")["claimable"]?.arrayValue?.first)
            #expect(task["title"] == "Approve the draft")
            #expect(task["instructions"] == "Read it.\nThen decide.")
            #expect(task["input"] == ["text": "a draft"])
            #expect(task["status"] == "WAITING")
            #expect(task["execution_id"]?.stringValue == ex)
            #expect(task["form"]?["required"] == ["approved"])
            #expect(task["workflow_name"] == "review")
            #expect(task["answered_at"] == .null)
            let id = try #require(task["human_task_id"]?.stringValue)
            #expect(try await inbox(client, "carol", claimable: 0)["claimable"] == [], "carol is not an assignee")

            let claimed = try await act(client, id, "claim", #"{"account": "alice"}"#)
            #expect(claimed.status == .ok, "\(claimed.text)")
            #expect(try claimed.json()["holder"] == "alice")
            #expect(try claimed.json()["status"] == "CLAIMED")
            #expect(try await inbox(client, "alice")["held"]?.arrayValue?.map { $0["human_task_id"] } == [.string(id)])
            #expect(try await inbox(client, "bob", claimable: 0)["claimable"] == [], "a held task left the other assignees' inboxes")
            // The execution says who holds it, and the claim is an event like the others.
            let running = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)").json()
            let waiting = try #require(running["tasks"]?.arrayValue?.first { $0["step_id"] == "review" })
            #expect(waiting["queued"]?["holder"] == "alice", "\(waiting)")
            #expect(waiting["queued"]?["human_task_id"]?.stringValue == id)
            #expect(isRFC3339(waiting["queued"]?["claimed_at"]))
            let events = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events").json()["events"]?.arrayValue ?? []
            let claimedEvent = try #require(events.first { $0["type"] == "task.claimed" }, "no task.claimed event: \(events)")
            #expect(claimedEvent["data"]?["holder"] == "alice")
            #expect(claimedEvent["data"]?["step_id"] == "review")
            let hook = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "https://example.com/hooks", "event_types": ["task.claimed", "task.released"]}"#)
            #expect(hook.status == .created, "the holder events can be subscribed to: \(hook.text)")

            let done = try await act(client, id, "complete", #"{"account": "alice", "answer": {"approved": true, "note": "fine"}}"#)
            #expect(done.status == .ok, "\(done.text)")
            #expect(try done.json()["status"] == "COMPLETED")
            #expect(isRFC3339(try done.json()["answered_at"]), "\(done.text)")
            let finished = try await client.finishedExecution(wf, ex)
            #expect(finished["status"] == "COMPLETED", "\(finished)")
            #expect(finished["output"] == ["json": true])
            let review = try #require(finished["tasks"]?.arrayValue?.first { $0["step_id"] == "review" })
            #expect(review["output"] == ["json": ["approved": true, "note": "fine"]])
            let read = try await client.send(.get, "/human-tasks/\(id)")
            #expect(try read.json()["status"] == "COMPLETED")
            #expect(try read.json()["answer"] == ["approved": true, "note": "fine"])
        }
    }

    @Test func anAnswerThatDoesNotMatchTheFormIsA400WithPathsAndChangesNothing() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow())
            let ex = try await client.startExecution(wf)
            let id = try #require(try await inbox(client, "bob")["claimable"]?.arrayValue?.first?["human_task_id"]?.stringValue)
            let wrong = try await act(client, id, "complete", #"{"account": "bob", "answer": {"approved": "yes", "note": "far too long for the form"}}"#)
            let issues = try expectProblem(wrong, status: .badRequest)
            #expect(Set(issues.map(\.path)) == ["answer.approved", "answer.note"], "\(issues)")
            let missing = try await act(client, id, "complete", #"{"account": "bob"}"#)
            #expect(try expectProblem(missing, status: .badRequest).first?.path == "answer")
            let unknown = try await act(client, id, "complete", #"{"account": "bob", "answer": {"approved": true}, "extra": 1}"#)
            #expect(try expectProblem(unknown, status: .badRequest).first?.path == "extra")
            // Nothing was claimed or answered by the refused calls.
            let read = try await client.send(.get, "/human-tasks/\(id)")
            #expect(try read.json()["status"] == "WAITING", "\(read.text)")
            #expect(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)").json()["status"] == "RUNNING")
            // Answering a task nobody holds claims it for the one who answers.
            let right = try await act(client, id, "complete", #"{"account": "bob", "answer": {"approved": false}}"#)
            #expect(right.status == .ok, "\(right.text)")
            #expect(try right.json()["holder"] == "bob")
            #expect(try await client.finishedExecution(wf, ex)["output"] == ["json": false])
        }
    }

    @Test func onlyTheHolderReleasesOrAnswersAndAnEditorReassigns() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow())
            let ex = try await client.startExecution(wf)
            let id = try #require(try await inbox(client, "alice")["claimable"]?.arrayValue?.first?["human_task_id"]?.stringValue)
            let stranger = try await act(client, id, "claim", #"{"account": "carol"}"#)
            #expect(stranger.status == .conflict)
            #expect(try stranger.json()["type"] == "urn:sluice:problem:not-assigned", "\(stranger.text)")
            #expect(try await act(client, id, "claim", #"{"account": "alice"}"#).status == .ok)
            for (action, body) in [("claim", #"{"account": "bob"}"#), ("release", #"{"account": "bob"}"#), ("complete", #"{"account": "bob", "answer": {"approved": true}}"#)] {
                let other = try await act(client, id, action, body)
                #expect(other.status == .conflict, "\(action): \(other.text)")
                #expect(try other.json()["type"] == "urn:sluice:problem:held-by-another", "\(action): \(other.text)")
                #expect(try other.json()["detail"]?.stringValue?.contains("\"alice\"") == true, "\(other.text)")
            }
            // Released: back in both assignees' inboxes.
            let released = try await act(client, id, "release", #"{"account": "alice"}"#)
            #expect(try released.json()["status"] == "WAITING", "\(released.text)")
            #expect(try await inbox(client, "bob")["claimable"]?.arrayValue?.count == 1)
            // An editor gives it to carol (not an assignee), who answers it.
            let moved = try await act(client, id, "reassign", #"{"account": "carol"}"#)
            #expect(try moved.json()["holder"] == "carol", "\(moved.text)")
            #expect(try await inbox(client, "carol")["held"]?.arrayValue?.count == 1)
            let bad = try await act(client, id, "reassign", #"{"account": 7}"#)
            #expect(try expectProblem(bad, status: .badRequest).first?.path == "account")
            #expect(try await act(client, id, "complete", #"{"account": "carol", "answer": {"approved": true}}"#).status == .ok)
            #expect(try await client.finishedExecution(wf, ex)["output"] == ["json": true])
            let late = try await act(client, id, "release", #"{"account": "carol"}"#)
            #expect(try late.json()["type"] == "urn:sluice:problem:task-finished", "\(late.text)")
        }
    }

    @Test func aTaskPastItsDueTimeFailsOrTakesItsDefaultAnswer() async throws {
        let clock = ManualClock()
        let (app, _) = try await makeApp(clock: clock)
        try await app.test(.router) { client in
            let failing = try await client.createWorkflow(Self.workflow(due: #", "due_seconds": 60"#))
            let defaulting = try await client.createWorkflow(Self.workflow(due: #", "due_seconds": 120, "on_due": "answer", "default_answer": {"approved": false}"#))
            let ex1 = try await client.startExecution(failing)
            let ex2 = try await client.startExecution(defaulting)
            let tasks = try #require(try await inbox(client, "alice", claimable: 2)["claimable"]?.arrayValue)
            #expect(Set(tasks.compactMap { $0["due_at"]?.stringValue }).count == 2)
            clock.advance(by: 59_000)
            for _ in 0..<200 { await Task.yield() }
            #expect(try await client.send(.get, "/workflows/\(failing)/executions/\(ex1)").json()["status"] == "RUNNING", "due before its time")
            clock.advance(by: 61_000)  // 120 s: both due
            let failed = try await client.finishedExecution(failing, ex1)
            #expect(failed["status"] == "FAILED")
            #expect(failed["error"]?["message"]?.stringValue?.contains("nobody answered by the due time") == true, "\(failed)")
            let defaulted = try await client.finishedExecution(defaulting, ex2)
            #expect(defaulted["status"] == "COMPLETED", "\(defaulted)")
            #expect(defaulted["output"] == ["json": false])
            #expect(try await inbox(client, "alice", claimable: 0)["claimable"] == [])
        }
    }

    @Test func aCancelledExecutionTakesTheTaskOutOfTheInboxes() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let wf = try await client.createWorkflow(Self.workflow(assignees: []))
            let ex = try await client.startExecution(wf)
            let id = try #require(try await inbox(client, "anyone")["claimable"]?.arrayValue?.first?["human_task_id"]?.stringValue)
            #expect(try await act(client, id, "claim", "{}").status == .ok, "with access off and no account, the person is anonymous")
            #expect(try await client.send(.get, "/human-tasks?holder=anonymous").json()["human_tasks"]?.arrayValue?.count == 1)
            #expect(try await client.send(.post, "/workflows/\(wf)/executions/\(ex)/cancel").status == .ok)
            var status: JSONValue?
            for _ in 0..<500 where status != "CANCELLED" {
                status = try await client.send(.get, "/human-tasks/\(id)").json()["status"]
                if status != "CANCELLED" { try await Task.sleep(for: .milliseconds(2)) }
            }
            #expect(status == "CANCELLED")
            let late = try await act(client, id, "complete", #"{"answer": {"approved": true}}"#)
            #expect(try late.json()["type"] == "urn:sluice:problem:task-finished", "\(late.text)")
            #expect(try await client.send(.get, "/human-tasks").json()["human_tasks"] == [])
            #expect(try await client.send(.get, "/human-tasks/ht-nothere").status == .notFound)
        }
    }

    /// The paths of the problems `POST /workflows` finds in a `Human.Task` with this `input`.
    func refused(_ client: some TestClientProtocol, _ input: String) async throws -> [String] {
        let reply = try await client.send(.post, "/workflows", body: #"{"name": "h", "steps": [{"type": "Human.Task", "input": \#(input)}]}"#)
        return try expectProblem(reply, status: .badRequest).map(\.path)
    }

    /// Each limit of a `Human.Task` at its edge: the largest value is accepted, one more refused
    /// at its path.
    @Test func aHumanTaskStaysWithinItsLimits() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client async throws in
            func accepted(_ input: String) async throws -> Bool {
                try await client.send(.post, "/workflows", body: #"{"name": "h", "steps": [{"type": "Human.Task", "input": \#(input)}]}"#).status == .created
            }
            let title = String(repeating: "t", count: Limits.humanTitleCharacters)
            #expect(try await accepted(#"{"title": "\#(title)"}"#))
            #expect(try await refused(client, #"{"title": "\#(title)x"}"#) == ["steps[0].input.title"])
            let instructions = String(repeating: "i", count: Limits.humanInstructionsCharacters)
            #expect(try await accepted(#"{"title": "t", "instructions": "\#(instructions)"}"#))
            #expect(try await refused(client, #"{"title": "t", "instructions": "\#(instructions)x"}"#) == ["steps[0].input.instructions"])
            let names = (0...Limits.humanAssignees).map { "\"a\($0)\"" }
            #expect(try await accepted(#"{"title": "t", "assignees": [\#(names.dropLast().joined(separator: ","))]}"#))
            #expect(try await refused(client, #"{"title": "t", "assignees": [\#(names.joined(separator: ","))]}"#) == ["steps[0].input.assignees"])
            #expect(try await accepted(#"{"title": "t", "due_seconds": \#(Limits.humanDueSeconds)}"#))
            #expect(try await refused(client, #"{"title": "t", "due_seconds": \#(Limits.humanDueSeconds + 1)}"#) == ["steps[0].input.due_seconds"])
        }
    }

    @Test func aDefinitionWithABadFormAssigneesOrDefaultIsRefusedWithPaths() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client async throws in
            #expect(try await refused(client, #"{"instructions": "x"}"#) == ["steps[0].input.title"])
            #expect(try await refused(client, #"{"title": "t", "form": {"type": "object", "properties": {"a": {"type": "date"}}}}"#) == ["steps[0].input.form.properties.a.type"])
            #expect(try await refused(client, #"{"title": "t", "form": {"type": "string"}}"#) == ["steps[0].input.form.type"])
            #expect(try await refused(client, #"{"title": "t", "assignees": ["ok", "not valid!", "ok"]}"#) == ["steps[0].input.assignees[1]", "steps[0].input.assignees[2]"])
            #expect(try await refused(client, #"{"title": "t", "due_seconds": 10, "on_due": "answer"}"#) == ["steps[0].input.default_answer"])
            #expect(try await refused(client, #"{"title": "t", "form": {"type": "object", "required": ["ok"]}, "due_seconds": 10, "on_due": "answer", "default_answer": {}}"#) == ["steps[0].input.default_answer.ok"])
            #expect(try await refused(client, #"{"title": "t", "default_answer": {}}"#) == ["steps[0].input.default_answer"])
            #expect(try await refused(client, #"{"title": "t", "on_due": "answer", "default_answer": {}}"#) == ["steps[0].input.on_due"])
            #expect(try await refused(client, #"{"title": "t", "due_seconds": 0}"#) == ["steps[0].input.due_seconds"])
        }
    }
}

/// `Human.Task` with access checked: the person is the caller's account.
@Suite(.testStores, .timeLimit(.minutes(1))) struct HumanTaskAccessTests {
    @Test func peopleActAsThemselvesInTheirNamespacesAndEditorsReassignOnlyToPeopleWhoMayWork() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        let alice = try await fixture.account("alice", [("team-a", .worker)])
        let bob = try await fixture.account("bob", [("team-a", .worker)])
        let eve = try await fixture.account("eve", [("team-b", .worker)])
        let editor = try await fixture.account("ed", [("team-a", .editor)])
        try await fixture.account("vic", [("team-a", .viewer)])
        try await fixture.app.test(.router) { client in
            let definition = #"{"name": "r", "namespace": "team-a", "tasks": [{"id": "r", "type": "Human.Task", "input": {"title": "Check", "assignees": ["alice", "vic"]}}]}"#
            let wf = try #require(try await send(client, .post, "/workflows", admin, body: definition).json()["workflow_id"]?.stringValue)
            _ = try await send(client, .post, "/workflows/\(wf)/execute", admin)
            var id: String?
            for _ in 0..<1000 where id == nil {
                id = try await send(client, .get, "/inbox", alice).json()["claimable"]?.arrayValue?.first?["human_task_id"]?.stringValue
                if id == nil { try await Task.sleep(for: .milliseconds(2)) }
            }
            let task = try #require(id, "the task never reached alice's inbox")
            #expect(try await send(client, .get, "/inbox", eve).json()["claimable"] == [], "another namespace's task")
            #expect(try await send(client, .get, "/inbox", bob).json()["claimable"] == [], "bob is not an assignee")
            #expect(try expectProblem(try await send(client, .get, "/inbox?account=bob", alice), status: .badRequest).first?.code == "not_yourself", "alice looked into bob's inbox")
            #expect(try expectProblem(try await send(client, .post, "/human-tasks/\(task)/claim", alice, body: #"{"account": "bob"}"#), status: .badRequest).first?.path == "account")
            #expect(try await send(client, .post, "/human-tasks/\(task)/claim", eve, body: "{}").status == .notFound)
            #expect(try await send(client, .post, "/human-tasks/\(task)/claim", editor, body: "{}").status == .forbidden, "an editor without the worker role claimed")
            let claimed = try await send(client, .post, "/human-tasks/\(task)/claim", alice, body: "{}")
            #expect(try claimed.json()["holder"] == "alice", "\(claimed.text)")
            #expect(try await send(client, .post, "/human-tasks/\(task)/reassign", alice, body: #"{"account": null}"#).status == .forbidden, "a worker reassigned")
            // To someone who may not work in team-a (a viewer, another namespace's worker, nobody): refused.
            for (name, code) in [("vic", "cannot_work"), ("eve", "cannot_work"), ("nobody", "unknown_account")] {
                let refused = try await send(client, .post, "/human-tasks/\(task)/reassign", editor, body: #"{"account": "\#(name)"}"#)
                #expect(try expectProblem(refused, status: .badRequest).first?.code == code, "\(name): \(refused.text)")
            }
            let moved = try await send(client, .post, "/human-tasks/\(task)/reassign", editor, body: #"{"account": "bob"}"#)
            #expect(try moved.json()["holder"] == "bob", "\(moved.text)")
            #expect(try await send(client, .get, "/inbox", bob).json()["held"]?.arrayValue?.count == 1)
            let done = try await send(client, .post, "/human-tasks/\(task)/complete", bob, body: #"{"answer": {"ok": true}}"#)
            #expect(try done.json()["status"] == "COMPLETED", "\(done.text)")
            // The audit log is written in the background: look until both entries are in.
            var audit = ""
            for _ in 0..<1000 where !(audit.contains("human_task.reassign") && audit.contains("human_task.complete")) {
                audit = try await send(client, .get, "/audit?limit=50", admin).text
                try await Task.sleep(for: .milliseconds(2))
            }
            #expect(audit.contains("human_task.reassign") && audit.contains("human_task.complete"), "\(audit)")
        }
    }
}
