import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `PUT /workflows/{id}`, `If-Match`/`ETag`, `GET …/versions[/{n}]`, and the version of executions.
@Suite(.testStores) struct WorkflowVersionEndpointTests {
    static let upper = #"{"name": "Upper", "description": "first", "steps": [{"type": "TextOperation.Uppercase"}, {"type": "Echo"}]}"#
    static let reverse = #"{"name": "Reverse", "description": "second", "steps": [{"type": "TextOperation.Reverse"}, {"type": "Echo"}]}"#
    static let lower = #"{"name": "Lower", "tasks": [{"id": "low", "type": "TextOperation.Lowercase"}]}"#

    /// The definition as given includes its `timeout_seconds`, so a client (the web UI's editor,
    /// `workflow get -o yaml`) can store it again unchanged; a definition without one shows none.
    @Test func aWorkflowsTimeoutIsShownWithItsDefinitionInEachVersion() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(#"{"name": "Timed", "timeout_seconds": 90.5, "steps": [{"type": "TextOperation.Reverse"}]}"#)
            let latest = try await client.send(.get, "/workflows/\(wf)").json()
            #expect(latest["timeout_seconds"] == 90.5)
            _ = try await client.send(.put, "/workflows/\(wf)", body: #"{"name": "Untimed", "steps": [{"type": "TextOperation.Reverse"}]}"#)
            #expect(try await client.send(.get, "/workflows/\(wf)").json()["timeout_seconds"] == nil)
            #expect(try await client.send(.get, "/workflows/\(wf)/versions/1").json()["timeout_seconds"] == 90.5)
            #expect(try await client.send(.get, "/workflows/\(wf)?version=1").json()["timeout_seconds"] == 90.5)
        }
    }

    /// `definition` is the body as sent — its own `input_schema`, not the effective one that
    /// `input_schema` shows — so reading it back and sending it again stores the same workflow.
    @Test func aVersionShowsTheDefinitionAsSentWhichCanBeStoredAgain() async throws {
        try await makeApp().test(.router) { client in
            let body = #"{"name": "Own schema", "description": "d", "input_schema": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 3}}}, "steps": [{"type": "TextOperation.Reverse", "timeout_seconds": 5}, {"type": "Echo"}]}"#
            let wf = try await client.createWorkflow(body)
            let read = try await client.send(.get, "/workflows/\(wf)").json()
            let sent = try JSONParser.parse(body)
            #expect(read["definition"] == sent)
            #expect(read["input_schema"]?["required"] == ["text"], "input_schema is the effective one: \(String(describing: read["input_schema"]))")
            let again = try await client.send(.put, "/workflows/\(wf)", body: read["definition"]!.jsonString)
            #expect(again.status == .ok, "\(again.text)")
            let second = try await client.send(.get, "/workflows/\(wf)").json()
            #expect(second["definition"] == sent && second["input_schema"] == read["input_schema"] && second["version"] == 2)
            #expect(try await client.send(.get, "/workflows/\(wf)/versions/1").json()["definition"] == sent)
        }
    }

    @Test func putStoresTheNextVersionAndTheWorkflowShowsItWithItsETag() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.upper)
            let first = try await client.send(.get, "/workflows/\(wf)")
            #expect(first.headers[.eTag] == #""1""#)
            #expect(try first.json()["version"] == 1)

            let put = try await client.send(.put, "/workflows/\(wf)", body: Self.reverse)
            #expect(put.status == .ok, "\(put.text)")
            #expect(try put.json() == ["workflow_id": .string(wf), "version": 2])
            #expect(put.headers[.eTag] == #""2""#)

            let read = try await client.send(.get, "/workflows/\(wf)")
            #expect(read.headers[.eTag] == #""2""#)
            let json = try read.json()
            #expect(json["version"] == 2)
            #expect(json["name"] == "Reverse" && json["description"] == "second")
            #expect(json["steps"]?.arrayValue?.first?["type"] == "TextOperation.Reverse")
            #expect(json["graph"]?["tasks"]?.arrayValue?.first?["type"] == "TextOperation.Reverse")
            let firstCreated = try first.json()["created_at"]
            #expect(json["created_at"] == firstCreated, "created_at stays the first version's")
            #expect(isRFC3339(json["updated_at"]))

            let list = try await client.send(.get, "/workflows").json()
            let item = try #require(list["workflows"]?.arrayValue?.first)
            #expect(item["name"] == "Reverse" && item["version"] == 2, "the list shows the latest version")
        }
    }

    @Test func putReportsEveryProblemOfTheDefinitionAndStoresNothing() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.upper)
            let reply = try await client.send(.put, "/workflows/\(wf)", body: #"{"steps": [{"type": "TextOperation.Reverse"}, {"type": "Nope"}]}"#)
            try expectValidation(reply, path: "name", code: "required")
            try expectValidation(reply, path: "steps[1].type", code: "unknown_step_type")
            #expect(try reply.json()["title"] == "Invalid workflow definition")
            try expectValidation(try await client.send(.put, "/workflows/\(wf)", body: nil), path: "", code: "invalid_body")
            try expectValidation(try await client.send(.put, "/workflows/\(wf)", body: "{"), path: "", code: "invalid_json")
            let read = try await client.send(.get, "/workflows/\(wf)")
            #expect(try read.json()["version"] == 1 && read.headers[.eTag] == #""1""#, "nothing was stored")
            #expect(try await client.send(.get, "/workflows/\(wf)/versions").json()["versions"]?.arrayValue?.count == 1)
        }
    }

    @Test func putToAnUnknownWorkflowIsNotFound() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.put, "/workflows/wf-00000000", body: Self.upper)
            try expectProblem(reply, status: .notFound)
            #expect(try reply.json()["detail"]?.stringValue?.contains("wf-00000000") == true)
            try expectProblem(try await client.send(.put, "/workflows/wf-00000000", body: "{"), status: .notFound)
            #expect(try await client.send(.get, "/workflows").json()["workflows"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func ifMatchStoresOnlyOnTopOfTheVersionItNames() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.upper)
            let ok = try await client.send(.put, "/workflows/\(wf)", body: Self.reverse, headers: [.ifMatch: #""1""#])
            #expect(ok.status == .ok, "\(ok.text)")
            #expect(try ok.json()["version"] == 2)

            // A second writer that also read version 1 loses.
            let stale = try await client.send(.put, "/workflows/\(wf)", body: Self.lower, headers: [.ifMatch: #""1""#])
            try expectProblem(stale, status: .preconditionFailed)
            let problem = try stale.json()
            #expect(problem["type"] == "urn:sluice:problem:precondition-failed")
            let detail = try #require(problem["detail"]?.stringValue)
            #expect(detail.contains("is at version 2, not version 1"), "\(detail)")
            #expect(try await client.send(.get, "/workflows/\(wf)").json()["name"] == "Reverse", "nothing was stored")

            let third = try await client.send(.put, "/workflows/\(wf)", body: Self.lower, headers: [.ifMatch: #""2""#])
            #expect(third.status == .ok && third.headers[.eTag] == #""3""#, "\(third.text)")
            let any = try await client.send(.put, "/workflows/\(wf)", body: Self.upper, headers: [.ifMatch: "*"])
            #expect(try any.json()["version"] == 4, "* matches any version")

            let unquoted = try await client.send(.put, "/workflows/\(wf)", body: Self.upper, headers: [.ifMatch: "4"])
            let message = try expectValidation(unquoted, path: "If-Match", code: "invalid_parameter")
            #expect(message.contains(#"such as "3" with its quotes"#) && message.hasSuffix("found 4"), "\(message)")
            #expect(try await client.send(.get, "/workflows/\(wf)").json()["version"] == 4)
        }
    }

    @Test func versionsAreListedNewestFirstAndPaged() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.upper)
            _ = try await client.send(.put, "/workflows/\(wf)", body: Self.reverse)
            _ = try await client.send(.put, "/workflows/\(wf)", body: Self.lower)
            let first = try await client.send(.get, "/workflows/\(wf)/versions?limit=2")
            #expect(first.status == .ok, "\(first.text)")
            let json = try first.json()
            let items = try #require(json["versions"]?.arrayValue)
            #expect(items.map { $0["version"] } == [3, 2])
            #expect(items.map { $0["name"] } == ["Lower", "Reverse"])
            #expect(items.map { $0["description"] } == [.null, "second"])
            #expect(items.allSatisfy { isRFC3339($0["created_at"]) && $0["steps"] == nil })
            let cursor = try #require(json["next_cursor"]?.stringValue)
            let second = try await client.send(.get, "/workflows/\(wf)/versions?limit=2&cursor=\(cursor)").json()
            #expect(second["versions"]?.arrayValue?.map { $0["version"] } == [1])
            #expect(second["versions"]?.arrayValue?.first?["name"] == "Upper")
            #expect(second["next_cursor"] == .null)
            try expectProblem(try await client.send(.get, "/workflows/wf-00000000/versions"), status: .notFound)
            try expectValidation(try await client.send(.get, "/workflows/\(wf)/versions?limit=0"), path: "limit")
        }
    }

    @Test func oneVersionHasTheShapeOfTheWorkflow() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.upper)
            let original = try await client.send(.get, "/workflows/\(wf)").json()
            _ = try await client.send(.put, "/workflows/\(wf)", body: Self.lower)

            let reply = try await client.send(.get, "/workflows/\(wf)/versions/1")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.headers[.eTag] == #""1""#)
            let json = try reply.json()
            #expect(json["workflow_id"] == .string(wf) && json["version"] == 1 && json["name"] == "Upper")
            for key in ["steps", "input_schema", "graph", "description", "created_at"] {
                #expect(json[key] == original[key], "\(key) is version 1's")
            }
            let latest = try await client.send(.get, "/workflows/\(wf)/versions/2").json()
            #expect(latest["tasks"]?.arrayValue?.first?["id"] == "low" && latest["steps"] == nil)

            let alias = try await client.send(.get, "/workflows/\(wf)?version=1")
            #expect(alias.status == .ok)
            #expect(try alias.json() == json, "?version=1 is the same as /versions/1")

            let missing = try await client.send(.get, "/workflows/\(wf)/versions/3")
            try expectProblem(missing, status: .notFound)
            #expect(try missing.json()["detail"]?.stringValue?.contains("has no version 3; its versions are 1 to 2") == true)
            try expectProblem(try await client.send(.get, "/workflows/\(wf)/versions/abc"), status: .notFound)
            try expectProblem(try await client.send(.get, "/workflows/wf-00000000/versions/1"), status: .notFound)
            try expectProblem(try await client.send(.get, "/workflows/\(wf)?version=9"), status: .notFound)
            try expectValidation(try await client.send(.get, "/workflows/\(wf)?version=x"), path: "version")
        }
    }

    @Test func executionsShowTheVersionTheyRun() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.upper)
            let first = try await client.startExecution(wf, #"{"input": {"text": "Hi"}}"#)
            let done = try await client.finishedExecution(wf, first)
            #expect(done["workflow_version"] == 1 && done["output"] == ["text": "HI"])
            _ = try await client.send(.put, "/workflows/\(wf)", body: Self.reverse)
            let second = try await client.startExecution(wf, #"{"input": {"text": "Hi"}}"#)
            let latest = try await client.finishedExecution(wf, second)
            #expect(latest["workflow_version"] == 2 && latest["output"] == ["text": "iH"])
            let list = try await client.send(.get, "/workflows/\(wf)/executions").json()
            #expect(list["executions"]?.arrayValue?.map { $0["workflow_version"] } == [2, 1])
        }
    }

    @Test func anExecutionRunningAcrossAnUpdateFinishesWithItsVersion() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(#"{"name": "d", "steps": [{"type": "Delay", "input": {"seconds": 0.3}}, {"type": "TextOperation.Uppercase"}]}"#)
            let ex = try await client.startExecution(wf, #"{"input": {"text": "Hi"}}"#)
            let put = try await client.send(.put, "/workflows/\(wf)", body: #"{"name": "d", "steps": [{"type": "Delay", "input": {"seconds": 0.3}}, {"type": "TextOperation.Reverse"}]}"#)
            #expect(put.status == .ok)
            let done = try await client.finishedExecution(wf, ex)
            #expect(done["workflow_version"] == 1)
            #expect(done["output"] == ["text": "HI"])
        }
    }

    @Test func executeRunsTheVersionItsBodyNames() async throws {
        try await makeApp().test(.router) { client in
            let wf = try await client.createWorkflow(Self.upper)
            _ = try await client.send(.put, "/workflows/\(wf)", body: Self.reverse)
            let old = try await client.startExecution(wf, #"{"version": 1, "input": {"text": "Hi"}}"#)
            let done = try await client.finishedExecution(wf, old)
            #expect(done["workflow_version"] == 1 && done["output"] == ["text": "HI"])

            let unknown = try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"version": 3, "input": {"text": "Hi"}}"#)
            let message = try expectValidation(unknown, path: "version", code: "invalid_value")
            #expect(message == "workflow \(wf) has no version 3; expected a version from 1 to 2")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"version": "1"}"#), path: "version", code: "type_mismatch")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"version": 1.5}"#), path: "version", code: "invalid_value")
            try expectValidation(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"version": 0}"#), path: "version", code: "invalid_value")
            try expectProblem(try await client.send(.post, "/workflows/wf-00000000/execute", body: #"{"version": 1}"#), status: .notFound)
            #expect(try await client.send(.get, "/workflows/\(wf)/executions").json()["executions"]?.arrayValue?.count == 1, "rejected requests recorded nothing")
        }
    }
}
