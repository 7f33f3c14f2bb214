import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// Every operation of `openapi.yaml` × every kind of caller → the status the access model says:
/// a new route without a rule, or a rule that lets the wrong caller in, fails here.
@Suite(.testStores, .serialized, .timeLimit(.minutes(3))) struct AccessMatrixTests {
    enum Caller: String, CaseIterable, CustomTestStringConvertible {
        case none, malformed, unknown, expired, revoked, viewer, runner, editor, admin, worker, otherEditor
        var testDescription: String { rawValue }
        var isSignedIn: Bool { ![.none, .malformed, .unknown, .expired, .revoked].contains(self) }
    }

    enum Outcome: Equatable { case allowed, unauthorized, forbidden, hidden }

    /// What each operation should ask, from the access model's words (docs/operating.md, "Accounts
    /// and access"), stated apart from `AccessRules` so that a changed rule fails here: reading needs
    /// `read`, starting an execution `run`, cancel and retry `control`, every other change to a
    /// workflow or what belongs to it `edit`; accounts and the audit log an admin everywhere;
    /// one's own tokens, the session, validation and the step catalogue any account.
    static func modelRule(_ route: String) -> AccessRule {
        let open = ["GET /healthz", "GET /readyz", "GET /openapi.yaml", "GET /openapi.json", "GET /docs", "GET /", "GET /ui", "GET /ui/assets/{asset}", "POST /session"]
        if open.contains(route) { return .open }
        if ["GET /me", "DELETE /session", "GET /step-types", "POST /workflows/validate"].contains(route) || route.contains("/accounts/{account}/tokens") { return .signedIn }
        if route.hasPrefix("GET /accounts") || route.hasPrefix("POST /accounts") || route.hasPrefix("DELETE /accounts") || route == "GET /audit" { return .everywhere(.administer) }
        // Groups of accounts are managed as accounts are.
        if route.hasPrefix("GET /groups") || route.hasPrefix("POST /groups") || route.hasPrefix("DELETE /groups") { return .everywhere(.administer) }
        if route.contains("/grants") { return .byHandler(.administer) }
        if route == "GET /workflows" || route == "GET /events" { return .byHandler(.read) }
        // Metrics count every namespace's workflows: readers of all of them.
        if route == "GET /metrics" { return .everywhere(.read) }
        // Workers: claim and answer the tasks of the namespaces where they may work.
        if route.hasPrefix("GET /queues") || route.hasPrefix("POST /queues") { return .byHandler(.work) }
        // People: their inbox and the human tasks of the namespaces where they may work;
        // reading a human task is reading, reassigning one is control (an editor's).
        if route == "GET /inbox" { return .byHandler(.work) }
        if route.hasPrefix("GET /human-tasks") { return .byHandler(.read) }
        if route.hasSuffix("/reassign") { return .byHandler(.control) }
        if route.hasPrefix("POST /human-tasks") { return .byHandler(.work) }
        if route == "POST /workflows" { return .byHandler(.edit) }
        // The annotation API: the namespace is the body's or the project's.
        if route == "POST /annotation/item/upload" { return .byHandler(.run) }
        if route == "POST /annotation/task/next" { return .byHandler(.work) }
        if route.hasPrefix("POST /annotation/") { return .byHandler(.edit) }
        if route.hasPrefix("GET /annotation/") { return .byHandler(.read) }
        if route.hasPrefix("GET ") { return .namespaced(.read) }
        if route.hasSuffix("/execute") || route.hasSuffix("/rerun") { return .namespaced(.run) }
        if route.hasSuffix("/cancel") || route.hasSuffix("/retry") || route.hasSuffix("/suspend") || route.hasSuffix("/resume") { return .namespaced(.control) }
        return .namespaced(.edit)
    }

    /// What `caller` gets from a route with `rule` on objects of namespace `team-a`.
    static func expected(_ caller: Caller, _ rule: AccessRule, route: String) -> Outcome {
        if caller == .none { return rule == .open ? .allowed : .unauthorized }
        if !caller.isSignedIn { return .unauthorized }
        switch rule {
        case .open, .signedIn:
            return .allowed
        case .everywhere:
            return caller == .admin ? .allowed : .forbidden
        case .namespaced(let permission):
            let roles: [Caller: Role] = [.viewer: .viewer, .runner: .runner, .editor: .editor, .admin: .admin, .worker: .worker]
            guard let role = roles[caller] else { return .hidden }  // otherEditor: no role in team-a
            return role.permissions.contains(permission) ? .allowed : .forbidden
        case .byHandler:
            switch route {
            case "POST /workflows": return [.editor, .admin].contains(caller) ? .allowed : .forbidden
            case "POST /grants": return caller == .admin ? .allowed : .forbidden
            case "DELETE /grants/{grant_id}": return caller == .admin ? .allowed : .hidden
            case "POST /queues/{queue}/claim": return [.worker, .admin].contains(caller) ? .allowed : .forbidden
            case _ where route.hasPrefix("POST /queues/{queue}/tasks/"): return [.worker, .admin].contains(caller) ? .allowed : .hidden
            // A human task of team-a: hidden from a caller without a role there, forbidden to
            // one whose role lacks the permission.
            case "GET /human-tasks/{human_task_id}": return caller == .otherEditor ? .hidden : .allowed
            case "POST /human-tasks/{human_task_id}/reassign": return caller == .otherEditor ? .hidden : [.editor, .admin].contains(caller) ? .allowed : .forbidden
            case _ where route.hasPrefix("POST /human-tasks/"): return caller == .otherEditor ? .hidden : [.worker, .admin].contains(caller) ? .allowed : .forbidden
            // A project of team-a outside the caller's namespaces is unknown: the seed's 400 (the
            // annotation API answers no 404 for a body's id), as for a project that does not exist.
            case "POST /annotation/workflow/create": return caller == .otherEditor ? .allowed : [.editor, .admin].contains(caller) ? .allowed : .forbidden
            case "POST /annotation/workflow/update": return caller == .otherEditor ? .allowed : [.editor, .admin].contains(caller) ? .allowed : .forbidden
            case "POST /annotation/task/next": return caller == .otherEditor ? .allowed : [.worker, .admin].contains(caller) ? .allowed : .forbidden
            case "POST /annotation/item/upload": return caller == .otherEditor ? .allowed : [.runner, .editor, .admin].contains(caller) ? .allowed : .forbidden
            case _ where route.hasPrefix("POST /annotation/"): return [.editor, .admin].contains(caller) ? .allowed : .forbidden
            default: return .allowed  // lists: they show what the caller may see (tested apart)
            }
        }
    }

    /// The fixtures one caller's requests act on: its own, so that a deletion by one caller does
    /// not change what the next one sees.
    struct Objects {
        var values: [String: String]
        var tokens: (main: String, spare: String)
        var account: String
    }

    static func makeObjects(_ caller: Caller, fixture: AccessFixture, client: some TestClientProtocol, admin: String) async throws -> Objects {
        let seed = #"{"name": "Dummy", "namespace": "team-a", "steps": [{"type": "StaticTextInput", "input": "Hello"}, {"type": "TextOperation.Reverse"}, {"type": "Echo"}]}"#
        let wf = try await client.send(.post, "/workflows", body: seed, headers: bearer(admin))
        let workflowID = try #require(try wf.json()["workflow_id"]?.stringValue, "\(wf.text)")
        let ex = try await client.send(.post, "/workflows/\(workflowID)/execute", headers: bearer(admin))
        let executionID = try #require(try ex.json()["execution_id"]?.stringValue, "\(ex.text)")
        let done = try await client.send(.get, "/workflows/\(workflowID)/executions/\(executionID)?wait=5", headers: bearer(admin))
        let taskID = try #require(try done.json()["tasks"]?.arrayValue?.first?["task_id"]?.stringValue, "\(done.text)")
        // A Worker.Task of team-a waiting in a queue of this caller's own, claimed by the admin:
        // the task calls carry that claim's token.
        let queue = "matrix-\(caller.rawValue.lowercased())"
        let work = #"{"name": "Work", "namespace": "team-a", "tasks": [{"id": "w", "type": "Worker.Task", "input": {"queue": "\#(queue)"}}]}"#
        let workflow = try await client.send(.post, "/workflows", body: work, headers: bearer(admin))
        let workID = try #require(try workflow.json()["workflow_id"]?.stringValue, "\(workflow.text)")
        _ = try await client.send(.post, "/workflows/\(workID)/execute", headers: bearer(admin))
        var json = bearer(admin)
        json[.contentType] = "application/json"
        let claimed = try await client.send(.post, "/queues/\(queue)/claim", body: #"{"wait": 10}"#, headers: json)
        let queuedTask = try #require(try claimed.json()["tasks"]?.arrayValue?.first, "\(claimed.text)")
        // A Human.Task of team-a for anyone who may work there, waiting in the inboxes.
        let review = #"{"name": "Review", "namespace": "team-a", "tasks": [{"id": "r", "type": "Human.Task", "input": {"title": "Check \#(caller.rawValue)"}}]}"#
        let reviewWorkflow = try await client.send(.post, "/workflows", body: review, headers: bearer(admin))
        let reviewID = try #require(try reviewWorkflow.json()["workflow_id"]?.stringValue, "\(reviewWorkflow.text)")
        let reviewExecution = try await client.send(.post, "/workflows/\(reviewID)/execute", headers: bearer(admin))
        let reviewExecutionID = try #require(try reviewExecution.json()["execution_id"]?.stringValue, "\(reviewExecution.text)")
        var humanTaskID: String?
        for _ in 0..<1000 where humanTaskID == nil {
            let open = try await client.send(.get, "/human-tasks?limit=500", headers: bearer(admin))
            humanTaskID = try open.json()["human_tasks"]?.arrayValue?.first { $0["execution_id"]?.stringValue == reviewExecutionID }?["human_task_id"]?.stringValue
            if humanTaskID == nil { try await Task.sleep(for: .milliseconds(2)) }
        }
        // An annotation project of team-a.
        let project = try await client.send(.post, "/annotation/project/create", body: #"{"name": "p", "namespace": "team-a"}"#, headers: json)
        let projectID = try #require(try project.json()["data"]?["projectId"]?.numberValue, "\(project.text)")
        let annotationWorkflow = try await client.send(.post, "/annotation/workflow/create", body: #"{"projectId": \#(Int(projectID))}"#, headers: json)
        let annotationWorkflowID = try #require(try annotationWorkflow.json()["data"]?["workflowId"]?.numberValue, "\(annotationWorkflow.text)")
        let wh = try await client.send(.post, "/workflows/\(workflowID)/webhooks", body: #"{"url": "https://example.com/hook"}"#, headers: bearer(admin))
        let webhookID = try #require(try wh.json()["webhook_id"]?.stringValue, "\(wh.text)")

        // The caller's account (its own tokens are what the token routes act on) and a target
        // account for the admin routes.
        let name = "caller-\(caller.rawValue.lowercased())"
        let grants: [(String, Role)] = switch caller {
        case .viewer: [("team-a", .viewer)]
        case .runner: [("team-a", .runner)]
        case .editor: [("team-a", .editor)]
        case .admin: [("*", .admin)]
        case .worker: [("team-a", .worker)]
        case .otherEditor: [("team-b", .editor)]
        case .expired: [("*", .admin)]
        case .revoked: [("*", .admin)]
        default: []
        }
        let now = fixture.clock.now()
        let main = try await fixture.account(name, grants, expiresAt: caller == .expired ? now - 1 : nil)
        let account = try #require(try await fixture.engine.store.account(name: name))
        let spare = TokenValue.make()
        let spareID = Identifier.make("tok")
        _ = try await fixture.engine.store.apply([.insertToken(TokenRecord(id: spareID, accountID: account.id, name: "spare", hash: TokenValue.hash(spare), createdAt: now))])
        if caller == .revoked {
            let tokens = try await fixture.engine.store.tokens(accountID: account.id)
            _ = try await fixture.engine.store.apply([.revokeToken(id: tokens.first { $0.name == "test" }!.id, at: now)])
        }
        try await fixture.account("target-\(caller.rawValue.lowercased())", [("team-a", .viewer)])
        let target = try #require(try await fixture.engine.store.account(name: "target-\(caller.rawValue.lowercased())"))
        let grant = try #require(try await fixture.engine.store.grants(accountID: target.id, namespace: "team-a").first)
        let group = "group-\(caller.rawValue.lowercased())"
        _ = try await fixture.engine.store.apply([.insertGroup(GroupRecord(id: Identifier.make("grp"), name: group, createdAt: now))])
        return Objects(values: [
            "workflow_id": workflowID, "execution_id": executionID, "task_id": taskID, "webhook_id": webhookID,
            "project_id": String(Int(projectID)), "annotation_workflow_id": String(Int(annotationWorkflowID)), "delivery_id": "dlv-00000000", "version": "1", "token_id": spareID, "grant_id": grant.id, "asset": "app.js",
            "account": target.name, "own_account": name, "group": group,
            "human_task_id": try #require(humanTaskID, "the human task was not queued"),
            "queue": queue, "queued_task_id": queuedTask["queued_task_id"]?.stringValue ?? "", "claim_token": queuedTask["claim_token"]?.stringValue ?? "",
        ], tokens: (main, spare), account: name)
    }

    /// A body that passes validation, so that a refusal is the access check's.
    static func body(_ route: String, _ objects: Objects) -> String? {
        switch route {
        case "POST /workflows", "PUT /workflows/{workflow_id}", "POST /workflows/validate":
            #"{"name": "Dummy", "namespace": "team-a", "steps": [{"type": "StaticTextInput", "input": "Hello"}, {"type": "Echo"}]}"#
        case "POST /workflows/{workflow_id}/webhooks": #"{"url": "https://example.com/other"}"#
        case "POST /accounts": #"{"name": "new-\#(objects.account)"}"#
        case "POST /groups": #"{"name": "new-\#(objects.account)"}"#
        case "POST /groups/{group}/members": #"{"account": "\#(objects.values["account"]!)"}"#
        case "POST /accounts/{account}/tokens": #"{"name": "laptop"}"#
        case "POST /grants": #"{"account": "\#(objects.values["account"]!)", "namespace": "team-a", "role": "runner"}"#
        case "POST /session": #"{"token": "\#(objects.tokens.spare)"}"#
        case "POST /queues/{queue}/claim": #"{"limit": 1}"#
        case "POST /annotation/project/create": #"{"name": "p", "namespace": "team-a"}"#
        case "POST /annotation/algorithm/create": #"{"name": "alg", "namespace": "team-a", "queue": "q"}"#
        case "POST /annotation/workflow/create": #"{"projectId": \#(objects.values["project_id"]!)}"#
        case "POST /annotation/workflow/update": #"{"workflowId": \#(objects.values["annotation_workflow_id"]!), "workflow": {"pools": [{"type": 0}, {"type": 1}, {"type": 2}, {"type": 5}]}}"#
        case "POST /annotation/task/next": #"{"workflowId": \#(objects.values["annotation_workflow_id"]!), "pool": 1}"#
        case "POST /annotation/item/upload": #"{"workflowId": \#(objects.values["annotation_workflow_id"]!), "items": [{"data": "x"}]}"#
        case "POST /human-tasks/{human_task_id}/complete": #"{"answer": {}}"#
        case "POST /human-tasks/{human_task_id}/reassign": #"{"account": null}"#
        case "POST /human-tasks/{human_task_id}/claim", "POST /human-tasks/{human_task_id}/release": "{}"
        case "POST /queues/{queue}/tasks/{queued_task_id}/complete": #"{"claim_token": "\#(objects.values["claim_token"]!)", "output": {"done": true}}"#
        case "POST /queues/{queue}/tasks/{queued_task_id}/fail": #"{"claim_token": "\#(objects.values["claim_token"]!)", "message": "no"}"#
        case "POST /queues/{queue}/tasks/{queued_task_id}/heartbeat": #"{"claim_token": "\#(objects.values["claim_token"]!)"}"#
        default: nil
        }
    }

    @Test(arguments: Caller.allCases)
    func everyOperationAnswersEachCallerAsTheModelSays(caller: Caller) async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        try await fixture.app.test(.router) { client in
            let objects = try await Self.makeObjects(caller, fixture: fixture, client: client, admin: admin)
            let spec = try await client.send(.get, "/openapi.json").json()
            let paths = try #require(spec["paths"]?.objectValue)
            var count = 0
            // Mutations that end what the caller acts on go last.
            let order = ["DELETE /session", "DELETE /accounts/{account}/tokens/{token_id}", "DELETE /workflows/{workflow_id}"]
            var routes: [(String, String, String)] = []
            for member in paths {
                for method in ["get", "put", "post", "delete", "patch"] where member.value[method] != nil {
                    routes.append((method.uppercased(), member.key, "\(method.uppercased()) \(member.key)"))
                }
            }
            routes.sort { (order.firstIndex(of: $0.2) ?? -1, $0.2) < (order.firstIndex(of: $1.2) ?? -1, $1.2) }
            for (method, template, route) in routes {
                let entry = try #require(AccessRules.entry(method: HTTPRequest.Method(method)!, path: template), "\(route) has no access rule")
                let ownAccount = route.hasPrefix("GET /accounts/{account}/tokens") || route.hasPrefix("POST /accounts/{account}/tokens") || route.hasPrefix("DELETE /accounts/{account}/tokens")
                let path = template.split(separator: "/").map { segment -> String in
                    guard segment.hasPrefix("{") else { return String(segment) }
                    let name = String(segment.dropFirst().dropLast())
                    return (ownAccount && name == "account" ? objects.values["own_account"] : objects.values[name]) ?? "zz-unknown"
                }.joined(separator: "/")
                var headers: HTTPFields = [:]
                switch caller {
                case .none: break
                case .malformed: headers = bearer("not-a-token")
                case .unknown: headers = bearer(TokenValue.make())
                default: headers = bearer(objects.tokens.main)
                }
                if Self.body(route, objects) != nil { headers[.contentType] = "application/json" }
                let reply = try await client.send(HTTPRequest.Method(method)!, "/" + path, body: Self.body(route, objects), headers: headers)
                #expect(entry.rule == Self.modelRule(route), "\(route): the table says \(entry.rule), the model \(Self.modelRule(route))")
                let want = Self.expected(caller, Self.modelRule(route), route: route)
                let detail = (try? reply.json()["detail"]?.stringValue) ?? nil
                switch want {
                case .unauthorized:
                    #expect(reply.status == .unauthorized && reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(route) as \(caller): \(reply.status) \(reply.text)")
                case .forbidden:
                    #expect(reply.status == .forbidden, "\(route) as \(caller): \(reply.status) \(reply.text)")
                case .hidden:
                    #expect(reply.status == .notFound, "\(route) as \(caller): \(reply.status) \(reply.text)")
                case .allowed:
                    let hiddenAnswer = reply.status == .notFound && (detail?.hasPrefix("no workflow with id") == true || detail?.hasPrefix("no execution with id") == true)
                    #expect(reply.status != .unauthorized && reply.status != .forbidden && !hiddenAnswer, "\(route) as \(caller): \(reply.status) \(reply.text)")
                }
                count += 1
            }
            #expect(count >= 45, "the contract lists the operations")
        }
    }

    /// Every route the router has is in the table, and the table has nothing the contract
    /// lacks but the web UI's files.
    @Test func theRulesTableAndTheContractNameTheSameOperations() async throws {
        try await makeApp().test(.router) { client in
            let spec = try await client.send(.get, "/openapi.json").json()
            var documented = Set<String>()
            for member in try #require(spec["paths"]?.objectValue) {
                for method in ["get", "put", "post", "delete", "patch"] where member.value[method] != nil {
                    documented.insert("\(method.uppercased()) \(member.key)")
                }
            }
            let ui: Set<String> = ["GET /", "GET /ui", "GET /ui/**", "GET /ui/assets/{asset}", "GET /openapi.json", "GET /docs"]
            // The Argo Workflows API follows Argo's own contract (its swagger), not openapi.yaml.
            let argo = Set(AccessRules.table.keys.filter { $0.contains(" /api/v1/") || $0.contains(" /artifacts/") })
            #expect(Set(AccessRules.table.keys).subtracting(ui).subtracting(argo) == documented.subtracting(ui))
        }
    }

    /// With auth on, no route the router knows answers 2xx without a token but the open ones;
    /// nothing answers a token's value or a secret to a caller without one.
    @Test func noRouteAnswersWithoutATokenButTheOpenOnes() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        try await fixture.app.test(.router) { client in
            let objects = try await Self.makeObjects(.viewer, fixture: fixture, client: client, admin: admin)
            for (key, entry) in AccessRules.table {
                let parts = key.split(separator: " ", maxSplits: 1)
                let path = parts[1].replacingOccurrences(of: "**", with: "executions/x").split(separator: "/").map { s -> String in
                    s.hasPrefix("{") ? objects.values[String(s.dropFirst().dropLast())] ?? "x" : String(s)
                }.joined(separator: "/")
                let reply = try await client.send(HTTPRequest.Method(String(parts[0]))!, "/" + path, body: Self.body(key, objects), headers: [.contentType: "application/json"])
                if entry.rule == .open {
                    #expect(!reply.text.contains(objects.values["workflow_id"]!) || key.hasPrefix("GET /ui"), "\(key) shows a workflow id without a token: \(reply.text.prefix(200))")
                } else {
                    #expect(reply.status == .unauthorized, "\(key) without a token: \(reply.status) \(reply.text.prefix(200))")
                }
            }
            // And the same for paths no route has.
            let unknown = try await client.send(.get, "/nothing/here")
            #expect(unknown.status == .notFound)
        }
    }
}
