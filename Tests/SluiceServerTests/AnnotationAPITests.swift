import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

@testable import SluiceServer

/// The annotation API's projects, workflows and algorithms: the seed's contract (its envelope,
/// its 400 exactly, nothing stored on a refusal) with access off and on.
@Suite(.testStores, .timeLimit(.minutes(1))) struct AnnotationAPITests {
    func makeApp(accounts: [String] = []) async throws -> (some ApplicationProtocol, Engine) {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: .builtin, logger: logger, clock: ManualClock(now: 1_715_966_541_000))
        for name in accounts {
            _ = try await engine.store.apply([.insertAccount(AccountRecord(id: Identifier.make("acct"), name: name, kind: .person, createdAt: 1))])
        }
        return (buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger), engine)
    }

    /// The seed's 400, member for member (and the one member added: `problems`).
    static func expectInvalid(_ reply: Reply, at paths: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(reply.status == .badRequest, "\(reply.text)", sourceLocation: sourceLocation)
        let json = try reply.json()
        let members = json.objectValue?.members.map(\.key) ?? []
        #expect(members == ["code", "data", "date", "message", "requestId", "success", "problems"], sourceLocation: sourceLocation)
        #expect(json["code"] == 400 && json["data"] == .null && json["date"] == "" && json["message"] == "Invalid Parameter"
                && json["requestId"] == "" && json["success"] == false, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(json["problems"]?.arrayValue?.compactMap { $0["path"]?.stringValue } == paths, "\(reply.text)", sourceLocation: sourceLocation)
    }

    /// A success's envelope; answers its `data`.
    static func data(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        #expect(reply.status == .ok, "\(reply.text)", sourceLocation: sourceLocation)
        let json = try reply.json()
        #expect(json.objectValue?.members.map(\.key) == ["code", "message", "data", "date", "requestId", "success"], sourceLocation: sourceLocation)
        #expect(json["code"] == 200 && json["message"] == "Succeed" && json["success"] == true, sourceLocation: sourceLocation)
        let requestID = json["requestId"]?.stringValue ?? ""
        #expect(requestID.count == 30 && requestID.allSatisfy(\.isHexDigit), "\(requestID)", sourceLocation: sourceLocation)
        return json["data"] ?? .null
    }

    func project(_ client: some TestClientProtocol, _ body: String = #"{"name": "cats", "labelConfig": {"kind": "choice", "labels": ["cat", "dog"]}}"#) async throws -> Int {
        let data = try Self.data(try await client.send(.post, "/annotation/project/create", body: body))
        return Int(try #require(data["projectId"]?.numberValue))
    }

    static let seedPools = #"""
        {"pools": [
          {"name": "in", "runMode": 0, "type": 0, "workers": []},
          {"name": "label", "runMode": 1, "type": 1, "workers": ["alice", "bob"]},
          {"name": "review", "runMode": 0, "type": 2, "workers": ["carol"]},
          {"name": "done", "runMode": 0, "type": 5, "workers": []}
        ]}
        """#

    @Test func theSeedsRequestCreatesAWorkflowAndAnswersItsIdInTheEnvelope() async throws {
        let (app, engine) = try await makeApp(accounts: ["alice", "bob", "carol"])
        try await app.test(.router) { client in
            let projectID = try await project(client)
            let reply = try await client.send(.post, "/annotation/workflow/create", body: #"{"projectId": \#(projectID), "workflow": \#(Self.seedPools)}"#)
            let data = try Self.data(reply)
            let json = try reply.json()
            #expect(json["date"] == "2024-05-17 17:22:21", "yyyy-MM-dd HH:mm:ss in UTC")
            let workflowID = try #require(data["workflowId"]?.numberValue)
            #expect(data.objectValue?.members.map(\.key) == ["workflowId"])
            let other = try await client.send(.post, "/annotation/workflow/create", body: #"{"projectId": \#(projectID), "workflow": \#(Self.seedPools)}"#)
            #expect(try other.json()["requestId"] != json["requestId"], "a request id is unique per request")

            let read = try Self.data(try await client.send(.get, "/annotation/workflow/get?workflowId=\(Int(workflowID))"))
            #expect(read["projectId"] == .number(Double(projectID)))
            #expect(read["workflow"]?["pools"]?.arrayValue?.map { $0["name"] } == ["in", "label", "review", "done"])
            #expect(read["workflow"]?["pools"]?.arrayValue?[1]["runMode"] == 1)
            #expect(read["workflow"]?["pools"]?.arrayValue?[1]["workers"] == ["alice", "bob"])
            let list = try Self.data(try await client.send(.get, "/annotation/workflow/list?projectId=\(projectID)"))
            #expect(list["list"]?.arrayValue?.count == 2)
            #expect(try await engine.store.annotationWorkflows(projectID: Int64(projectID)).count == 2)
        }
    }

    @Test func withoutAWorkflowTheProjectGetsTheDefaultPipeline() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let projectID = try await project(client)
            for body in [#"{"projectId": \#(projectID)}"#, #"{"projectId": \#(projectID), "workflow": null}"#] {
                let id = try #require(try Self.data(try await client.send(.post, "/annotation/workflow/create", body: body))["workflowId"]?.numberValue)
                let read = try Self.data(try await client.send(.get, "/annotation/workflow/get?workflowId=\(Int(id))"))
                #expect(read["workflow"]?["pools"]?.arrayValue?.map { $0["type"] } == [0, 1, 2, 5])
            }
        }
    }

    /// A store whose annotation reads fail, once `failing`, with words that must not leak.
    final class FailingAnnotationReads: StoreDecorator {
        let base: any Store
        let failing = Mutex(false)
        static let secret = "SQLITE_IOERR: disk I/O error reading annotation_secret_table at db.example.internal"
        init(base: any Store) { self.base = base }
        func fail() throws { if failing.withLock({ $0 }) { throw StoreError(message: Self.secret) } }
        func project(id: Int64) async throws -> AnnotationProjectRecord? {
            try fail()
            return try await base.project(id: id)
        }
        func annotationWorkflow(id: Int64) async throws -> AnnotationWorkflowRecord? {
            try fail()
            return try await base.annotationWorkflow(id: id)
        }
        func projects(namespaces: Set<String>?, after: Int64, limit: Int) async throws -> [AnnotationProjectRecord] {
            try fail()
            return try await base.projects(namespaces: namespaces, after: after, limit: limit)
        }
    }

    /// A store failure on an annotation route is the seed's envelope with code 500 (not the
    /// API's problem+json), and says nothing of the database's error.
    @Test func aStoreFailureIsTheSeedsEnvelopeWith500AndNotTheDatabasesWords() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = FailingAnnotationReads(base: try await TestStore.make())
        let engine = Engine(store: store, registry: .builtin, logger: logger, clock: ManualClock(now: 1_715_966_541_000))
        let app = buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger)
        try await app.test(.router) { client in
            let projectID = try await project(client)
            let workflow = try Self.data(try await client.send(.post, "/annotation/workflow/create", body: #"{"projectId": \#(projectID)}"#))
            let workflowID = Int(try #require(workflow["workflowId"]?.numberValue))
            store.failing.withLock { $0 = true }
            for path in ["/annotation/project/get?projectId=\(projectID)", "/annotation/project/list", "/annotation/workflow/get?workflowId=\(workflowID)",
                         "/annotation/item/list?workflowId=\(workflowID)", "/annotation/workflow/progress?workflowId=\(workflowID)"] {
                let reply = try await client.send(.get, path)
                #expect(reply.status == .internalServerError, "\(path): \(reply.text)")
                let json = try reply.json()
                #expect(json.objectValue?.members.map(\.key) == ["code", "data", "date", "message", "requestId", "success", "problems"], "\(path): \(reply.text)")
                #expect(json["code"] == 500 && json["data"] == .null && json["success"] == false && json["message"] == "Internal Server Error", "\(path): \(reply.text)")
                #expect(reply.headers[.contentType] == "application/json", "\(path): the envelope, not problem+json")
                #expect(!reply.text.contains("annotation_secret_table") && !reply.text.contains("example.internal") && !reply.text.contains("SQLITE"), "\(path): \(reply.text)")
            }
        }
    }

    @Test func everyInvalidConfigIsTheSeeds400AndStoresNothing() async throws {
        let (app, engine) = try await makeApp(accounts: ["alice"])
        try await app.test(.router) { client in
            let projectID = try await project(client)
            let cases: [(String, [String])] = [
                (#"{"projectId": 999, "workflow": {"pools": [{"type": 0}, {"type": 5}]}}"#, ["projectId"]),
                (#"{"workflow": {"pools": [{"type": 0}, {"type": 5}]}}"#, ["projectId"]),
                (#"{"projectId": "\#(projectID)"}"#, ["projectId"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": []}}"#, ["workflow.pools"]),
                (#"{"projectId": \#(projectID), "workflow": {}}"#, ["workflow.pools"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 1}, {"type": 5}]}}"#, ["workflow.pools[0].type"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 2}]}}"#, ["workflow.pools[1].type"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 7}, {"type": 5}]}}"#, ["workflow.pools[1].type"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 0}, {"type": 5}]}}"#, ["workflow.pools[1].type"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 5}, {"type": 5}]}}"#, ["workflow.pools[1].type"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 4}, {"type": 5}]}}"#, ["workflow.pools[1].algorithmList"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 4, "algorithmList": []}, {"type": 5}]}}"#, ["workflow.pools[1].algorithmList"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 1, "algorithmList": ["ocr"]}, {"type": 5}]}}"#, ["workflow.pools[1].algorithmList"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 4, "algorithmList": ["nope"]}, {"type": 5}]}}"#, ["workflow.pools[1].algorithmList[0]"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 1, "workers": ["alice", "zed"]}, {"type": 5}]}}"#, ["workflow.pools[1].workers[1]"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 1, "runMode": 9}, {"type": 5}]}}"#, ["workflow.pools[1].runMode"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 1, "workers": "alice"}, {"type": 5}]}}"#, ["workflow.pools[1].workers"]),
                (#"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0, "name": false}, {"type": 5}]}}"#, ["workflow.pools[0].name"]),
                (#"{"projectId": \#(projectID), "workflow": []}"#, ["workflow"]),
                (#"{"projectId": \#(projectID), "pools": []}"#, ["pools"]),
                (#"[1, 2]"#, [""]),
                (#"{"projectId": "#, [""]),
            ]
            for (body, paths) in cases {
                try Self.expectInvalid(try await client.send(.post, "/annotation/workflow/create", body: body), at: paths)
            }
            #expect(try await engine.store.annotationWorkflows(projectID: Int64(projectID)).isEmpty, "nothing stored")
        }
    }

    @Test func everyAnnotationAnswerUsesTheEnvelopeErrorsToo() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            for (method, path, status) in [(HTTPRequest.Method.get, "/annotation/nothing", HTTPResponse.Status.notFound), (.get, "/annotation/project/get?projectId=42", .notFound),
                                           (.delete, "/annotation/workflow/create", .methodNotAllowed)] {
                let reply = try await client.send(method, path)
                #expect(reply.status == status, "\(path): \(reply.text)")
                let json = try reply.json()
                #expect(json["code"] == .number(Double(status.code)) && json["success"] == false && json["data"] == .null, "\(reply.text)")
                #expect(reply.headers[.contentType] == "application/json")
            }
            let big = String(repeating: " ", count: ServerConfiguration().maxBodySize + 1)
            let tooLarge = try await client.send(.post, "/annotation/project/create", body: big)
            let tooLargeCode = try tooLarge.json()["code"]
            #expect(tooLarge.status == .contentTooLarge && tooLargeCode == 413, "\(tooLarge.text)")
            try Self.expectInvalid(try await client.send(.get, "/annotation/project/get?projectId=x"), at: ["projectId"])
            // Outside /annotation, problems stay problems.
            #expect(try await client.send(.get, "/workflows/wf-nothing").headers[.contentType] == "application/problem+json")
        }
    }

    @Test func aProjectIsCreatedReadAndListedWithItsLabelConfig() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let first = try await project(client)
            let second = try await project(client, #"{"name": "plain", "description": "free answers", "namespace": "team-a"}"#)
            #expect(second > first)
            let read = try Self.data(try await client.send(.get, "/annotation/project/get?projectId=\(first)"))
            #expect(read["labelConfig"] == ["kind": "choice", "labels": ["cat", "dog"]])
            #expect(read["namespace"] == "default" && read["name"] == "cats")
            let plain = try Self.data(try await client.send(.get, "/annotation/project/get?projectId=\(second)"))
            #expect(plain["labelConfig"] == ["kind": "json", "schema": ["type": "object"]], "no config: any object")
            let page = try Self.data(try await client.send(.get, "/annotation/project/list?limit=1"))
            #expect(page["list"]?.arrayValue?.map { $0["name"] } == ["cats"])
            let next = try #require(page["nextCursor"]?.numberValue)
            let rest = try Self.data(try await client.send(.get, "/annotation/project/list?limit=1&cursor=\(Int(next))"))
            #expect(rest["list"]?.arrayValue?.map { $0["name"] } == ["plain"])
        }
    }

    @Test func aProjectStaysWithinItsLimits() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let description = String(repeating: "d", count: Limits.annotationDescriptionCharacters)
            _ = try await project(client, #"{"name": "x", "description": "\#(description)"}"#)
            try Self.expectInvalid(try await client.send(.post, "/annotation/project/create", body: #"{"name": "x", "description": "\#(description)d"}"#), at: ["description"])
            let name = String(repeating: "n", count: Limits.annotationNameCharacters)
            _ = try await project(client, #"{"name": "\#(name)"}"#)
            try Self.expectInvalid(try await client.send(.post, "/annotation/project/create", body: #"{"name": "\#(name)n"}"#), at: ["name"])
            try Self.expectInvalid(try await client.send(.post, "/annotation/project/create", body: #"{"name": " ", "namespace": "Team A", "labelConfig": {"kind": "choice"}, "extra": 1}"#),
                                   at: ["extra", "name", "namespace", "labelConfig.labels"])
        }
    }

    @Test func algorithmsAreAQueueOrACheckedStepNamedOncePerNamespace() async throws {
        let (app, _) = try await makeApp()
        try await app.test(.router) { client in
            let ocr = try Self.data(try await client.send(.post, "/annotation/algorithm/create", body: #"{"name": "ocr", "queue": "ocr-v2", "description": "reads text"}"#))
            #expect(ocr["queue"] == "ocr-v2" && ocr["namespace"] == "default")
            _ = try Self.data(try await client.send(.post, "/annotation/algorithm/create", body: #"{"name": "upper", "step": {"type": "TextOperation.Uppercase"}}"#))
            try Self.expectInvalid(try await client.send(.post, "/annotation/algorithm/create", body: #"{"name": "ocr", "queue": "again"}"#), at: ["name"])
            try Self.expectInvalid(try await client.send(.post, "/annotation/algorithm/create", body: #"{"name": "bad", "step": {"type": "No.Such"}}"#), at: ["step.type"])
            try Self.expectInvalid(try await client.send(.post, "/annotation/algorithm/create", body: #"{"name": "person", "step": {"type": "Human.Task", "input": {"title": "t"}}}"#), at: ["step.type"])
            try Self.expectInvalid(try await client.send(.post, "/annotation/algorithm/create", body: #"{"name": "both", "queue": "q", "step": {"type": "TextOperation.Uppercase"}}"#), at: ["step"])
            try Self.expectInvalid(try await client.send(.post, "/annotation/algorithm/create", body: #"{"name": "neither"}"#), at: [""])
            try Self.expectInvalid(try await client.send(.post, "/annotation/algorithm/create", body: #"{"name": "x y", "queue": "@human"}"#), at: ["name", "queue"])
            let list = try Self.data(try await client.send(.get, "/annotation/algorithm/list"))
            #expect(list["list"]?.arrayValue?.map { $0["name"] } == ["ocr", "upper"])

            let projectID = try await project(client)
            let created = try await client.send(.post, "/annotation/workflow/create", body: #"{"projectId": \#(projectID), "workflow": {"pools": [{"type": 0}, {"type": 4, "algorithmList": ["upper", "ocr"]}, {"type": 5}]}}"#)
            _ = try Self.data(created)
        }
    }
}

/// The annotation API with access checked: the envelope on 401 and 403, projects outside the
/// caller's namespaces unknown, workers who may not work in the project refused.
@Suite(.testStores, .timeLimit(.minutes(1))) struct AnnotationAccessTests {
    @Test func accessIsCheckedInTheProjectsNamespaceAndAnsweredInTheEnvelope() async throws {
        let fixture = try await AccessFixture()
        let editor = try await fixture.account("ed", [("team-a", .editor)])
        let viewer = try await fixture.account("vi", [("team-a", .viewer)])
        let outsider = try await fixture.account("out", [("team-b", .editor)])
        try await fixture.account("lab", [("team-a", .worker)])
        try await fixture.account("elsewhere", [("team-b", .worker)])
        func send(_ method: HTTPRequest.Method, _ path: String, _ token: String?, _ body: String? = nil) async throws -> Reply {
            try await fixture.app.test(.router) { client in try await client.send(method, path, body: body, headers: token.map(bearer) ?? [:]) }
        }
        let unauthorized = try await send(.post, "/annotation/project/create", nil, #"{"name": "p"}"#)
        let unauthorizedCode = try unauthorized.json()["code"]
        #expect(unauthorized.status == .unauthorized && unauthorizedCode == 401 && unauthorized.headers[.wwwAuthenticate] != nil, "\(unauthorized.text)")
        let forbidden = try await send(.post, "/annotation/project/create", viewer, #"{"name": "p", "namespace": "team-a"}"#)
        let forbiddenCode = try forbidden.json()["code"]
        #expect(forbidden.status == .forbidden && forbiddenCode == 403, "\(forbidden.text)")

        let created = try await send(.post, "/annotation/project/create", editor, #"{"name": "p", "namespace": "team-a"}"#)
        let projectID = try #require(try AnnotationAPITests.data(created)["projectId"]?.numberValue)
        let pools = #"{"pools": [{"type": 0}, {"type": 1, "workers": ["lab", "elsewhere", "vi"]}, {"type": 5}]}"#
        try AnnotationAPITests.expectInvalid(try await send(.post, "/annotation/workflow/create", editor, #"{"projectId": \#(Int(projectID)), "workflow": \#(pools)}"#),
                                             at: ["workflow.pools[1].workers[1]", "workflow.pools[1].workers[2]"])
        #expect(try await fixture.engine.store.annotationWorkflows(projectID: Int64(projectID)).isEmpty, "the refused config stored nothing")
        // Outside the caller's namespaces the project is unknown, as one that does not exist.
        try AnnotationAPITests.expectInvalid(try await send(.post, "/annotation/workflow/create", outsider, #"{"projectId": \#(Int(projectID))}"#), at: ["projectId"])
        #expect(try await send(.get, "/annotation/project/get?projectId=\(Int(projectID))", outsider).status == .notFound)
        #expect(try await send(.post, "/annotation/workflow/create", viewer, #"{"projectId": \#(Int(projectID))}"#).status == .forbidden)
        let ok = try await send(.post, "/annotation/workflow/create", editor, #"{"projectId": \#(Int(projectID)), "workflow": {"pools": [{"type": 0}, {"type": 1, "workers": ["lab"]}, {"type": 5}]}}"#)
        _ = try AnnotationAPITests.data(ok)
        #expect(try await send(.get, "/annotation/project/list", outsider).text.contains("\"list\":[]"))
        #expect(try await send(.get, "/annotation/project/list", viewer).text.contains("\"name\":\"p\""))
    }
}
