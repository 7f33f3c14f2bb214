#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceSQLite
import SluiceSteps
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// The Argo Workflows API under `/api/v1` on the `process` container runtime: what Argo's own
/// server would answer to Hera, the argo-workflows client and curl.
@Suite(.testStores) struct ArgoAPITests {
    func app() async throws -> some ApplicationProtocol {
        try await makeApp(registry: StepRegistry.standard(options: .init(httpClient: webhookTestClient, containers: ContainerOptions(runtime: ProcessContainerRuntime()))))
    }

    static func container(_ name: String, _ script: String) -> String {
        #"{"name": "\#(name)", "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["\#(script)"]}}"#
    }

    static let hello = #"{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "hello-world-", "labels": {"team": "a"}}, "spec": {"entrypoint": "main", "serviceAccountName": "argo", "templates": [\#(container("main", "echo hello"))]}}}"#

    func finished(_ client: some TestClientProtocol, _ namespace: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        try await finishedArgoWorkflow(client, namespace, name, sourceLocation: sourceLocation)
    }

    /// ★ What Argo cannot do: 10,000 containers in one workflow (a `withItems` fan-out) run to
    /// `Succeeded` with a Pod node each, at most `--max-processes` of them at once; `fields`
    /// keeps the answers that poll it small, as Argo's CLI and UI ask.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SLUICE_TEST_LARGE"] == "1", "SLUICE_TEST_LARGE=1 is not set: the 10,000 containers run on their own (.ci/run runs them after the suite), since they would slow every timed test beside them"), .timeLimit(.minutes(15)))
    func tenThousandContainersRunToTheEnd() async throws {
        try await app().test(.router) { client in
            let items = (0..<SluiceCore.Limits.maxTranslatedTasks).map(String.init).joined(separator: ",")
            let body = #"{"workflow": {"metadata": {"name": "ten-thousand"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "dag": {"tasks": [{"name": "t", "template": "echo", "withItems": [\#(items)], "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}}]}}, {"name": "echo", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.m}}"]}}]}}}"#
            let created = try await client.send(.post, "/api/v1/workflows/argo", body: body)
            try #require(created.status == .ok, "\(created.text.prefix(500))")
            var status: JSONValue = .null
            for _ in 0..<3000 {
                let reply = try await client.send(.get, "/api/v1/workflows/argo/ten-thousand?fields=metadata.name,status.phase,status.progress")
                status = try reply.json()
                #expect(status["spec"] == nil && status["metadata"]?["uid"] == nil, "fields keeps only what it names")
                if status["status"]?["phase"] != "Running" { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(status["status"] == ["phase": "Succeeded", "progress": "10000/10000"])
            let full = try await client.send(.get, "/api/v1/workflows/argo/ten-thousand").json()
            let nodes = full["status"]?["nodes"]?.objectValue.map { Array($0) } ?? []
            #expect(nodes.count == SluiceCore.Limits.maxTranslatedTasks + 2, "the DAG, the TaskGroup and a Pod per container")
            #expect(nodes.allSatisfy { $0.value["phase"] == "Succeeded" })
            #expect(Set(nodes.compactMap { $0.value["outputs"]?["result"]?.stringValue }).count == SluiceCore.Limits.maxTranslatedTasks)
            let listed = try await client.send(.get, "/api/v1/workflows/argo?fields=items.metadata.name,items.status.phase").json()
            #expect(listed == ["items": [["metadata": ["name": "ten-thousand"], "status": ["phase": "Succeeded"]]]])
        }
    }

    /// `logOptions.follow=true` sends each line as the container writes it, and ends once the
    /// workflow has ended and every line was sent.
    @Test func aFollowedLogStreamsLinesWhileTheContainerRuns() async throws {
        try await app().test(.live) { client in
            let port = try #require(client.port)
            let body = #"{"workflow": {"metadata": {"name": "follow-me"}, "spec": {"entrypoint": "main", "templates": [\#(Self.container("main", "echo one; sleep 2; echo two"))]}}}"#
            let created = try await client.send(.post, "/api/v1/workflows/argo", body: body)
            #expect(created.status == .ok, "\(created.text)")
            for stream in [false, true] {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/workflows/argo/follow-me/log?logOptions.container=main&logOptions.follow=true")
                if stream { request.headers.add(name: "accept", value: "text/event-stream") }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                var received = ""
                var phaseAtFirstLine: JSONValue?
                for try await chunk in response.body {
                    received += String(buffer: chunk)
                    if phaseAtFirstLine == nil, received.contains("\"one\"") {
                        phaseAtFirstLine = try await client.send(.get, "/api/v1/workflows/argo/follow-me").json()["status"]?["phase"]
                    }
                }
                let contents = received.split(separator: "\n").compactMap { line -> JSONValue? in
                    let json = line.hasPrefix("data: ") ? line.dropFirst(6) : line[...]
                    return (try? JSONParser.parse(Array(json.utf8)))?["result"]?["content"]
                }
                #expect(contents == ["one", "two"], "\(received)")
                if !stream {
                    #expect(phaseAtFirstLine == "Running", "the first line came while the container ran")
                } else {
                    #expect(received.hasPrefix("data: "), "an event stream frames each line as an event")
                }
            }
        }
    }

    /// Argo's loops-param-result: a container prints a JSON list, and `withParam` over its
    /// result runs the next container once per item, each a Pod node with its output and its
    /// own log lines; the task after the loop waits for every item.
    @Test func withParamOverAContainersResultRunsAContainerPerItem() async throws {
        try await app().test(.router) { client in
            let workflow: JSONValue = ["workflow": ["metadata": ["name": "loop-result"], "spec": ["entrypoint": "main", "templates": [
                ["name": "main", "dag": ["tasks": [
                    ["name": "gen", "template": "gen"],
                    ["name": "each", "template": "show", "dependencies": ["gen"], "withParam": "{{tasks.gen.outputs.result}}",
                     "arguments": ["parameters": [["name": "m", "value": "{{item}}"]]]],
                    ["name": "after", "template": "gen", "dependencies": ["each"]],
                ]]],
                ["name": "gen", "container": ["image": "busybox", "command": ["sh", "-c"], "args": [#"echo '[1, "two", {"k": "v"}]'"#]]],
                ["name": "show", "inputs": ["parameters": [["name": "m"]]], "container": ["image": "busybox", "command": ["echo"], "args": ["item={{inputs.parameters.m}}"]]],
            ]]]]
            let created = try await client.send(.post, "/api/v1/workflows/argo", body: workflow.jsonString)
            try #require(created.status == .ok, "\(created.text.prefix(400))")
            let done = try await finished(client, "argo", "loop-result")
            #expect(done["status"]?["phase"] == "Succeeded", "\(done["status"]?["message"] ?? .null)")
            #expect(done["status"]?["progress"] == "5/5", "gen, three items, after")
            let nodes = try #require(done["status"]?["nodes"]?.objectValue)
            let group = try #require(nodes.first { $0.value["displayName"] == "each" }?.value)
            #expect(group["type"] == "TaskGroup")
            let items = group["children"]?.arrayValue?.compactMap { $0.stringValue.flatMap { nodes[$0] } } ?? []
            #expect(items.map { $0["displayName"] } == ["each(0:1)", "each(1:two)", #"each(2:{"k":"v"})"#])
            #expect(items.map { $0["outputs"]?["result"] } == ["item=1", "item=two", #"item={"k":"v"}"#])
            #expect(items.allSatisfy { $0["type"] == "Pod" && $0["phase"] == "Succeeded" })
            let after = try #require(nodes.first { $0.value["displayName"] == "after" }?.value)
            #expect(items.allSatisfy { $0["children"] == [after["id"]!] }, "each item leads to the task after the loop")
            // Each item's lines are its own pod's.
            let podID = try #require(items[1]["id"]?.stringValue)
            let log = try await client.send(.get, "/api/v1/workflows/argo/loop-result/log?podName=\(podID)&logOptions.container=main")
            #expect(log.status == .ok)
            #expect(log.text.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)) } == [["result": ["content": "item=two", "podName": .string(podID)]]])
        }
    }

    /// A run-time withParam whose result is not a JSON list fails the workflow, saying so.
    @Test func withParamOverAResultThatIsNotAListFailsTheWorkflow() async throws {
        try await app().test(.router) { client in
            let workflow: JSONValue = ["workflow": ["metadata": ["name": "loop-bad"], "spec": ["entrypoint": "main", "templates": [
                ["name": "main", "steps": [
                    [["name": "gen", "template": "gen"]],
                    [["name": "each", "template": "gen", "withParam": "{{steps.gen.outputs.result}}"]],
                ]],
                ["name": "gen", "container": ["image": "busybox", "command": ["echo"], "args": ["not json"]]],
            ]]]]
            let created = try await client.send(.post, "/api/v1/workflows/argo", body: workflow.jsonString)
            try #require(created.status == .ok, "\(created.text.prefix(400))")
            let done = try await finished(client, "argo", "loop-bad")
            #expect(done["status"]?["phase"] == "Failed")
            #expect(done["status"]?["message"]?.stringValue?.contains("not valid JSON") == true, "\(done["status"]?["message"] ?? .null)")
        }
    }

    @Test func createAnswersTheStoredObjectRunningThenItSucceedsWithItsPodOutput() async throws {
        try await app().test(.router) { client in
            let reply = try await client.send(.post, "/api/v1/workflows/argo", body: Self.hello)
            #expect(reply.status == .ok, "\(reply.text)")
            let created = try reply.json()
            let name = try #require(created["metadata"]?["name"]?.stringValue)
            #expect(name.hasPrefix("hello-world-") && name.count == "hello-world-".count + 5)
            #expect(created["metadata"]?["namespace"] == "argo")
            #expect(created["metadata"]?["uid"]?.stringValue?.count == 36)
            #expect(created["metadata"]?["creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
            #expect(created["metadata"]?["resourceVersion"]?.stringValue != nil)
            #expect(created["metadata"]?["labels"]?["team"] == "a")
            #expect(created["metadata"]?["labels"]?["workflows.argoproj.io/phase"] == "Running")
            #expect(created["status"]?["phase"] == "Running")
            #expect(created["spec"]?["entrypoint"] == "main")

            let done = try await finished(client, "argo", name)
            #expect(done["status"]?["phase"] == "Succeeded", "\(done)")
            #expect(done["status"]?["progress"] == "1/1")
            #expect(done["status"]?["finishedAt"]?.stringValue?.hasSuffix("Z") == true)
            #expect(done["metadata"]?["labels"]?["workflows.argoproj.io/phase"] == "Succeeded")
            let pod = try #require(done["status"]?["nodes"]?[name])
            #expect(pod["type"] == "Pod")
            #expect(pod["templateName"] == "main")
            #expect(pod["outputs"] == ["result": "hello", "exitCode": "0"])
        }
    }

    /// Argo's output-parameter example: the file a container writes (`valueFrom.path`) is the
    /// parameter a later task reads and the Pod node shows; a file not written takes its
    /// `default`. (On the process runtime the path is the host's own.)
    @Test func anOutputParameterIsTheFileTheContainerWrote() async throws {
        let file = "/tmp/sluice-argo-\(UInt32.random(in: 0...UInt32.max)).txt"
        defer { unlink(file) }
        try await app().test(.router) { client in
            let body = #"{"workflow": {"metadata": {"name": "out-param"}, "spec": {"entrypoint": "d", "templates": [{"name": "d", "dag": {"tasks": [{"name": "gen", "template": "gen"}, {"name": "use", "template": "use", "dependencies": ["gen"], "arguments": {"parameters": [{"name": "m", "value": "{{tasks.gen.outputs.parameters.hello-param}}/{{tasks.gen.outputs.parameters.unset}}"}]}}]}}, {"name": "gen", "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["echo hello world > \#(file)"]}, "outputs": {"parameters": [{"name": "hello-param", "valueFrom": {"path": "\#(file)"}}, {"name": "unset", "valueFrom": {"path": "\#(file).none", "default": "fallback"}}]}}, {"name": "use", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo", "got {{inputs.parameters.m}}"]}}]}}}"#
            let created = try await client.send(.post, "/api/v1/workflows/argo", body: body)
            #expect(created.status == .ok, "\(created.text)")
            let done = try await finished(client, "argo", "out-param")
            #expect(done["status"]?["phase"] == "Succeeded", "\(done)")
            let nodes = try #require(done["status"]?["nodes"]?.objectValue)
            let gen = try #require(nodes.first { $0.value["displayName"] == "gen" }?.value)
            #expect(gen["outputs"]?["parameters"] == [["name": "hello-param", "value": "hello world"], ["name": "unset", "value": "fallback"]])
            #expect(nodes.first { $0.value["displayName"] == "use" }?.value["outputs"]?["result"] == "got hello world/fallback")
        }
    }

    @Test func aDAGPassesOneTaskResultToTheNextAndAFailingExitCodeFailsTheWorkflow() async throws {
        try await app().test(.router) { client in
            let dag = #"{"workflow": {"metadata": {"name": "pass"}, "spec": {"entrypoint": "d", "templates": [{"name": "d", "dag": {"tasks": [{"name": "A", "template": "a"}, {"name": "B", "template": "b", "dependencies": ["A"], "arguments": {"parameters": [{"name": "m", "value": "{{tasks.A.outputs.result}}"}]}}]}}, \#(Self.container("a", "echo hi")), {"name": "b", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["echo {{inputs.parameters.m}} there"]}}]}}}"#
            do { let r = try await client.send(.post, "/api/v1/workflows/argo", body: dag); #expect(r.status == .ok) }
            let done = try await finished(client, "argo", "pass")
            #expect(done["status"]?["phase"] == "Succeeded", "\(done)")
            let b = try #require(done["status"]?["nodes"]?.objectValue?.first { $0.value["displayName"] == "B" }?.value)
            #expect(b["outputs"]?["result"] == "hi there")
            #expect(b["boundaryID"] == "pass")
            #expect(done["status"]?["nodes"]?["pass"]?["type"] == "DAG")

            let failing = #"{"workflow": {"metadata": {"name": "boom"}, "spec": {"entrypoint": "f", "templates": [\#(Self.container("f", "exit 3"))]}}}"#
            do { let r = try await client.send(.post, "/api/v1/workflows/argo", body: failing); #expect(r.status == .ok) }
            let failed = try await finished(client, "argo", "boom")
            #expect(failed["status"]?["phase"] == "Failed")
            #expect(failed["status"]?["message"]?.stringValue?.contains("exited with code 3") == true, "\(failed)")
            #expect(failed["status"]?["nodes"]?["boom"]?["outputs"]?["exitCode"] == "3")
            #expect(failed["status"]?["nodes"]?["boom"]?["phase"] == "Failed")
        }
    }

    @Test func getListAndDeleteWithinANamespaceAndErrorsAsArgosGateway() async throws {
        try await app().test(.router) { client in
            let one = #"{"workflow": {"metadata": {"name": "same", "labels": {"k": "v"}}, "spec": {"entrypoint": "m", "templates": [\#(Self.container("m", "true"))]}}}"#
            do { let r = try await client.send(.post, "/api/v1/workflows/argo", body: one); #expect(r.status == .ok) }
            // A namespace scopes names: the same name elsewhere is another workflow.
            do { let r = try await client.send(.post, "/api/v1/workflows/other", body: one); #expect(r.status == .ok) }
            let again = try await client.send(.post, "/api/v1/workflows/argo", body: one)
            #expect(again.status == .conflict)
            #expect(try again.json() == ["code": 6, "message": "workflows.argoproj.io \"same\" already exists", "error": "workflows.argoproj.io \"same\" already exists", "details": []])
            let two = #"{"workflow": {"metadata": {"name": "second"}, "spec": {"entrypoint": "m", "templates": [\#(Self.container("m", "true"))]}}}"#
            do { let r = try await client.send(.post, "/api/v1/workflows/argo", body: two); #expect(r.status == .ok) }

            let all = try await client.send(.get, "/api/v1/workflows/argo").json()
            #expect(all["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue }.sorted() == ["same", "second"])
            let selected = try await client.send(.get, "/api/v1/workflows/argo?listOptions.labelSelector=k%3Dv").json()
            #expect(selected["items"]?.arrayValue?.count == 1)
            let page = try await client.send(.get, "/api/v1/workflows/argo?listOptions.limit=1").json()
            #expect(page["items"]?.arrayValue?.count == 1)
            let token = try #require(page["metadata"]?["continue"]?.stringValue)
            let rest = try await client.send(.get, "/api/v1/workflows/argo?listOptions.limit=1&listOptions.continue=\(token)").json()
            #expect(rest["items"]?.arrayValue?.count == 1)
            #expect(rest["metadata"]?["continue"] == nil)
            let empty = try await client.send(.get, "/api/v1/workflows/nobody").json()
            #expect(empty["items"] == [], "items is never null")

            _ = try await finished(client, "argo", "same")
            do { let r = try await client.send(.delete, "/api/v1/workflows/argo/same"); #expect(r.status == .ok) }
            let gone = try await client.send(.get, "/api/v1/workflows/argo/same")
            #expect(gone.status == .notFound)
            #expect(try gone.json()["code"] == 5)
            #expect(try gone.json()["message"] == "workflows.argoproj.io \"same\" not found")
            do { let r = try await client.send(.get, "/api/v1/workflows/other/same"); #expect(r.status == .ok) }
        }
    }

    @Test func lintAndCreateRefuseWhatSluiceCannotRunWithItsPath() async throws {
        try await app().test(.router) { client in
            let bad = #"{"workflow": {"metadata": {"name": "bad"}, "spec": {"entrypoint": "d", "templates": [{"name": "c", "container": {"image": "busybox", "command": ["true"]}}, {"name": "d", "dag": {"tasks": [{"name": "a", "template": "c"}, {"name": "b", "template": "c"}, {"name": "e", "template": "c", "dependencies": ["x"]}]}}]}}}"#
            for uri in ["/api/v1/workflows/argo/lint", "/api/v1/workflows/argo"] {
                let reply = try await client.send(.post, uri, body: bad)
                #expect(reply.status == .badRequest)
                #expect(try reply.json()["code"] == 3)
                #expect(try reply.json()["message"] == "spec.templates[1].dag.tasks[2].dependencies: task \"x\" does not exist")
            }
            // What the Sluice checker finds is reported at the Argo path too: the process
            // runtime needs a command.
            let noCommand = #"{"workflow": {"metadata": {"name": "nocmd"}, "spec": {"entrypoint": "c", "templates": [{"name": "c", "container": {"image": "busybox"}}]}}}"#
            let reply = try await client.send(.post, "/api/v1/workflows/argo", body: noCommand)
            #expect(reply.status == .badRequest)
            #expect(try reply.json()["message"]?.stringValue?.hasPrefix("spec.templates[0].container") == true, "\(reply.text)")
            let good = #"{"workflow": {"metadata": {"name": "good"}, "spec": {"entrypoint": "c", "templates": [\#(Self.container("c", "true"))]}}}"#
            let lint = try await client.send(.post, "/api/v1/workflows/argo/lint", body: good)
            #expect(lint.status == .ok, "\(lint.text)")
            // Nothing was stored by lint, nor by a refused create, nor by a dry run.
            let dry = #"{"serverDryRun": true, "workflow": {"metadata": {"name": "dry"}, "spec": {"entrypoint": "c", "templates": [\#(Self.container("c", "true"))]}}}"#
            let dryReply = try await client.send(.post, "/api/v1/workflows/argo", body: dry)
            #expect(dryReply.status == .ok)
            #expect(try dryReply.json()["status"]?["phase"] == "Running")
            do { let r = try await client.send(.get, "/api/v1/workflows/argo"); #expect(try r.json()["items"] == []) }
            do { let r = try await client.send(.get, "/workflows"); #expect(try r.json()["workflows"] == []) }
        }
    }

    @Test func versionInfoAndUserinfoAnswer() async throws {
        try await app().test(.router) { client in
            let version = try await client.send(.get, "/api/v1/version").json()
            #expect(version["version"] == "v3.6.0")
            let info = try await client.send(.get, "/api/v1/info")
            #expect(info.status == .ok)
            let user = try await client.send(.get, "/api/v1/userinfo")
            #expect(user.status == .ok)
        }
    }

    @Test func accessIsCheckedAsOnTheSluiceRoutesAndRefusalsTakeArgosForm() async throws {
        let fixture = try await AccessFixture()
        let reader = try await fixture.account("reader", [("team-a", .viewer)])
        try await fixture.app.test(.router) { client in
            let anonymous = try await client.send(.get, "/api/v1/workflows/team-a")
            #expect(anonymous.status == .unauthorized)
            #expect(try anonymous.json()["code"] == 16)
            let listed = try await send(client, .get, "/api/v1/workflows/team-a", reader)
            #expect(listed.status == .ok)
            let create = try await send(client, .post, "/api/v1/workflows/team-a", reader, body: Self.hello)
            #expect(create.status == .forbidden)
            #expect(try create.json()["code"] == 7)
            // Elsewhere the reader has no role: a workflow there is not found, a list refused.
            let hidden = try await send(client, .get, "/api/v1/workflows/team-b/x", reader)
            #expect(hidden.status == .notFound)
            let refused = try await send(client, .get, "/api/v1/workflows/team-b", reader)
            #expect(refused.status == .forbidden)
        }
    }

    /// Reads the workflow until `done` holds of it (or fails the test after 10 s): a poll for a
    /// state, not a wait for a time.
    func until(_ client: some TestClientProtocol, _ name: String, sourceLocation: SourceLocation = #_sourceLocation, _ done: (JSONValue) -> Bool) async throws -> JSONValue {
        var object: JSONValue = .null
        for _ in 0..<200 {
            let reply = try await client.send(.get, "/api/v1/workflows/argo/\(name)")
            try #require(reply.status == .ok, "\(reply.text.prefix(300))", sourceLocation: sourceLocation)
            object = try reply.json()
            if done(object) { return object }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the workflow never reached the state waited for: \(object["status"]?["phase"] ?? .null)", sourceLocation: sourceLocation)
        return object
    }

    /// The node of `object` shown as `displayName`.
    static func node(_ object: JSONValue, _ displayName: String) -> JSONValue? {
        object["status"]?["nodes"]?.objectValue?.first { $0.value["displayName"]?.stringValue == displayName }?.value
    }

    static func phase(_ object: JSONValue, _ displayName: String) -> String? { node(object, displayName)?["phase"]?.stringValue }

    /// A steps workflow with an approval (`suspend: {}`) and a 1-hour pause between two
    /// containers: it stays Running, its Suspend nodes Running and the last container not
    /// started, until `PUT …/resume` (with Hera's body) ends both; then it Succeeds.
    @Test func aSuspendWithoutADurationWaitsForTheResumeAndAResumeEndsOneWithADurationToo() async throws {
        try await app().test(.router) { client in
            let body = #"{"workflow": {"metadata": {"name": "approval"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[{"name": "build", "template": "say"}], [{"name": "approve", "template": "approval"}, {"name": "pause", "template": "pause"}], [{"name": "ship", "template": "say"}]]}, {"name": "approval", "suspend": {}}, {"name": "pause", "suspend": {"duration": "1h"}}, \#(Self.container("say", "echo hi"))]}}}"#
            let created = try await client.send(.post, "/api/v1/workflows/argo", body: body)
            try #require(created.status == .ok, "\(created.text.prefix(300))")
            let waiting = try await until(client, "approval") { Self.phase($0, "approve") == "Running" && Self.phase($0, "pause") == "Running" }
            #expect(Self.node(waiting, "approve")?["type"] == "Suspend")
            #expect(waiting["status"]?["phase"] == "Running")
            #expect(Self.phase(waiting, "build") == "Succeeded")
            #expect(Self.phase(waiting, "ship") != "Running" && Self.phase(waiting, "ship") != "Succeeded", "nothing after the approval starts")
            let resumed = try await client.send(.put, "/api/v1/workflows/argo/approval/resume", body: #"{"name": "approval", "namespace": "argo"}"#)
            #expect(resumed.status == .ok, "\(resumed.text.prefix(300))")
            #expect(try resumed.json()["kind"] == "Workflow", "the answer is the workflow, as Argo's gateway answers")
            let done = try await finished(client, "argo", "approval")
            #expect(done["status"]?["phase"] == "Succeeded")
            #expect(Self.phase(done, "approve") == "Succeeded" && Self.phase(done, "pause") == "Succeeded", "the resume ended the 1-hour pause too")
            #expect(Self.phase(done, "ship") == "Succeeded")
        }
    }

    /// `PUT …/suspend` on a running DAG: the container running goes on to its end (its gate is a
    /// file the test creates), the one after it does not start — the workflow shows
    /// `spec.suspend: true` and phase Running — until `PUT …/resume`.
    @Test func suspendHoldsBackTheNextContainersUntilResume() async throws {
        let gate = Scratch.root.appendingPathComponent("sluice-gate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: gate) }
        try await app().test(.router) { client in
            let body = #"{"workflow": {"metadata": {"name": "held"}, "spec": {"entrypoint": "d", "templates": [{"name": "d", "dag": {"tasks": [{"name": "A", "template": "gated"}, {"name": "B", "template": "say", "dependencies": ["A"]}]}}, \#(Self.container("gated", "while [ ! -e \(gate) ]; do sleep 0.02; done; echo A")), \#(Self.container("say", "echo B"))]}}}"#
            let created = try await client.send(.post, "/api/v1/workflows/argo", body: body)
            try #require(created.status == .ok, "\(created.text.prefix(300))")
            _ = try await until(client, "held") { Self.phase($0, "A") == "Running" }
            let suspended = try await client.send(.put, "/api/v1/workflows/argo/held/suspend", body: #"{"name": "held", "namespace": "argo"}"#)
            #expect(suspended.status == .ok, "\(suspended.text.prefix(300))")
            let answer = try suspended.json()
            #expect(answer["spec"]?["suspend"] == true && answer["status"]?["phase"] == "Running")
            FileManager.default.createFile(atPath: gate, contents: Data())
            let afterA = try await until(client, "held") { Self.phase($0, "A") == "Succeeded" }
            // A's end and what follows it are one transition: B would be Running by now.
            #expect(Self.phase(afterA, "B") == "Pending", "B does not start while the workflow is suspended")
            #expect(afterA["status"]?["phase"] == "Running" && afterA["spec"]?["suspend"] == true)
            #expect(try await client.send(.put, "/api/v1/workflows/argo/held/suspend", body: "{}").status == .ok, "suspending again changes nothing")
            let resumed = try await client.send(.put, "/api/v1/workflows/argo/held/resume", body: "{}")
            #expect(resumed.status == .ok)
            #expect(try resumed.json()["spec"]?["suspend"] == nil)
            let done = try await finished(client, "argo", "held")
            #expect(done["status"]?["phase"] == "Succeeded" && Self.phase(done, "B") == "Succeeded")
        }
    }

    /// A finished workflow cannot be suspended (Argo's answer: 500, code 13, "cannot suspend
    /// completed workflows"); resuming it changes nothing; an unknown one is 404.
    @Test func suspendOfAFinishedWorkflowIsArgosErrorAndResumeChangesNothing() async throws {
        try await app().test(.router) { client in
            #expect(try await client.send(.post, "/api/v1/workflows/argo", body: Self.hello.replacingOccurrences(of: #""generateName": "hello-world-""#, with: #""name": "over""#)).status == .ok)
            #expect(try await finished(client, "argo", "over")["status"]?["phase"] == "Succeeded")
            let reply = try await client.send(.put, "/api/v1/workflows/argo/over/suspend", body: "{}")
            #expect(reply.status == .internalServerError)
            let answer = try reply.json()
            #expect(answer["code"] == 13 && answer["message"] == "cannot suspend completed workflows", "\(answer)")
            let resumed = try await client.send(.put, "/api/v1/workflows/argo/over/resume", body: "{}")
            let unchanged = try resumed.json()
            #expect(resumed.status == .ok && unchanged["status"]?["phase"] == "Succeeded")
            for action in ["suspend", "resume"] {
                #expect(try await client.send(.put, "/api/v1/workflows/argo/absent/\(action)", body: "{}").status == .notFound)
            }
            let bad = try await client.send(.put, "/api/v1/workflows/argo/over/resume", body: #"{"nodeFieldSelector": "phase=Running"}"#)
            let refusal = try bad.json()
            #expect(bad.status == .badRequest && refusal["message"]?.stringValue?.hasPrefix("nodeFieldSelector: field \"phase\" is not supported") == true, "\(refusal)")
        }
    }

    /// A server restart keeps a suspended workflow suspended and its Suspend node waiting: a
    /// resume of that node alone (`nodeFieldSelector`) ends it but, the workflow still
    /// suspended, starts nothing after it; the resume of the workflow runs it to its end.
    @Test func aRestartKeepsTheWorkflowSuspendedAndItsSuspendNodeWaiting() async throws {
        let path = Scratch.root.appendingPathComponent("sluice-argo-suspend-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func server() throws -> some ApplicationProtocol {
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            let registry = StepRegistry.standard(options: .init(httpClient: webhookTestClient, containers: ContainerOptions(runtime: ProcessContainerRuntime())))
            let engine = Engine(store: try SQLiteStore(path: path), registry: registry, logger: logger)
            return buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger)
        }
        try await server().test(.router) { client in
            let body = #"{"workflow": {"metadata": {"name": "kept"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[{"name": "approve", "template": "approval"}], [{"name": "ship", "template": "say"}]]}, {"name": "approval", "suspend": {}}, \#(Self.container("say", "echo shipped"))]}}}"#
            try #require(try await client.send(.post, "/api/v1/workflows/argo", body: body).status == .ok)
            _ = try await until(client, "kept") { Self.phase($0, "approve") == "Running" }
            #expect(try await client.send(.put, "/api/v1/workflows/argo/kept/suspend", body: "{}").status == .ok)
        }
        try await server().test(.router) { client in
            let after = try await client.send(.get, "/api/v1/workflows/argo/kept").json()
            #expect(after["spec"]?["suspend"] == true && after["status"]?["phase"] == "Running")
            #expect(Self.phase(after, "approve") == "Running", "the Suspend node still waits")
            let one = try await client.send(.put, "/api/v1/workflows/argo/kept/resume", body: #"{"nodeFieldSelector": "displayName=approve"}"#)
            #expect(one.status == .ok)
            let approved = try await until(client, "kept") { Self.phase($0, "approve") == "Succeeded" }
            #expect(Self.phase(approved, "ship") == "Pending" && approved["spec"]?["suspend"] == true, "still suspended: nothing after it starts")
            #expect(try await client.send(.put, "/api/v1/workflows/argo/kept/resume", body: "{}").status == .ok)
            let done = try await finished(client, "argo", "kept")
            #expect(done["status"]?["phase"] == "Succeeded" && Self.phase(done, "ship") == "Succeeded")
        }
    }

    /// A container that fails every attempt: the Retry node has one Failed Pod child per attempt
    /// (`limit` 2: three), not one more for the last attempt kept in the task's history too.
    @Test func aRetryNodeWhoseAttemptsAllFailHasAChildPerAttempt() async throws {
        try await app().test(.router) { client in
            let body = #"{"workflow": {"metadata": {"name": "always-fails"}, "spec": {"entrypoint": "f", "templates": [{"name": "f", "retryStrategy": {"limit": 2, "backoff": {"duration": "0"}}, "container": {"image": "busybox", "command": ["sh", "-c", "exit 1"]}}]}}}"#
            #expect(try await client.send(.post, "/api/v1/workflows/argo", body: body).status == .ok)
            let done = try await finished(client, "argo", "always-fails")
            #expect(done["status"]?["phase"] == "Failed")
            let nodes = try #require(done["status"]?["nodes"]?.objectValue)
            let children = nodes.first { $0.key == "always-fails" }?.value["children"]?.arrayValue ?? []
            #expect(children.count == 3, "\(children)")
            #expect(children.allSatisfy { c in nodes.first { $0.key == c.stringValue }?.value["phase"] == "Failed" })
        }
    }

    @Test func stopRetryResubmitAndLogAct() async throws {
        try await app().test(.router) { client in
            // stop: a running container is stopped and the workflow fails.
            let sleeper = #"{"workflow": {"metadata": {"name": "sleeper"}, "spec": {"entrypoint": "s", "templates": [\#(Self.container("s", "echo started; sleep 30"))]}}}"#
            #expect(try await client.send(.post, "/api/v1/workflows/argo", body: sleeper).status == .ok)
            for _ in 0..<100 {
                let o = try await client.send(.get, "/api/v1/workflows/argo/sleeper").json()
                if o["status"]?["nodes"]?["sleeper"]?["phase"] == "Running" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let stopped = try await client.send(.put, "/api/v1/workflows/argo/sleeper/stop", body: "{}")
            #expect(stopped.status == .ok, "\(stopped.text)")
            let done = try await finished(client, "argo", "sleeper")
            #expect(done["status"]?["phase"] == "Failed")

            // retry: a failed workflow runs its failed container again, in place.
            let marker = "/tmp/sluice-argo-retry-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileManager.default.removeItem(atPath: marker) }
            let flaky = #"{"workflow": {"metadata": {"name": "flaky"}, "spec": {"entrypoint": "f", "templates": [\#(Self.container("f", "if [ -f \(marker) ]; then echo second; else touch \(marker); exit 1; fi"))]}}}"#
            #expect(try await client.send(.post, "/api/v1/workflows/argo", body: flaky).status == .ok)
            #expect(try await finished(client, "argo", "flaky")["status"]?["phase"] == "Failed")
            let retried = try await client.send(.put, "/api/v1/workflows/argo/flaky/retry", body: "{}")
            #expect(retried.status == .ok, "\(retried.text)")
            let again = try await finished(client, "argo", "flaky")
            #expect(again["status"]?["phase"] == "Succeeded", "\(again)")
            #expect(again["status"]?["nodes"]?["flaky"]?["outputs"]?["result"] == "second")
            let notFailed = try await client.send(.put, "/api/v1/workflows/argo/flaky/retry", body: "{}")
            #expect(notFailed.status == .badRequest)

            // log: the container's output lines, framed as Argo's log stream.
            let log = try await client.send(.get, "/api/v1/workflows/argo/flaky/log?logOptions.container=main")
            #expect(log.status == .ok)
            let frames = log.text.split(separator: "\n").map { try? JSONParser.parse(String($0)) }
            #expect(frames.contains { $0?["result"]?["content"] == "second" }, "\(log.text)")
            #expect(frames.allSatisfy { $0?["result"]?["podName"] == "flaky" })

            // resubmit: a new workflow with the same spec, named after the old one.
            let resubmitted = try await client.send(.put, "/api/v1/workflows/argo/flaky/resubmit", body: "{}")
            #expect(resubmitted.status == .ok, "\(resubmitted.text)")
            let name = try #require(try resubmitted.json()["metadata"]?["name"]?.stringValue)
            #expect(name.hasPrefix("flaky-") && name.count == "flaky-".count + 5)
            #expect(try await finished(client, "argo", name)["status"]?["phase"] == "Succeeded")
        }
    }

    @Test func theWatchStreamAddsEachWorkflowThenReportsItsChanges() async throws {
        try await app().test(.router) { client in
            let one = #"{"workflow": {"metadata": {"name": "watched"}, "spec": {"entrypoint": "m", "templates": [\#(Self.container("m", "true"))]}}}"#
            #expect(try await client.send(.post, "/api/v1/workflows/argo", body: one).status == .ok)
            _ = try await finished(client, "argo", "watched")
            let reply = try await client.send(.get, "/api/v1/workflow-events/argo?listOptions.fieldSelector=metadata.name%3Dwatched&listOptions.timeoutSeconds=1")
            #expect(reply.status == .ok)
            let frames = reply.text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
            #expect(frames.count == 1, "\(reply.text)")
            #expect(frames.first?["result"]?["type"] == "ADDED")
            #expect(frames.first?["result"]?["object"]?["status"]?["phase"] == "Succeeded")
            let sse = try await client.send(.get, "/api/v1/workflow-events/argo?listOptions.timeoutSeconds=1", headers: [.accept: "text/event-stream"])
            #expect(sse.text.hasPrefix("data: {\"result\":{\"type\":\"ADDED\""), "\(sse.text.prefix(100))")
        }
    }

    /// A workflow created while the watch is open is ADDED and then MODIFIED as it changes (here
    /// terminated), read by the path between full reads alone: the full read (every 5 s) is kept
    /// out of the watch's 8 s here, so without that path nothing of the workflow would show.
    @Test func theWatchReportsAWorkflowCreatedWhileItIsOpenAsItRuns() async throws {
        try await ArgoController.$watchFullReadInterval.withValue(.seconds(600)) {
            try await app().test(.router) { client in
                async let watching = client.send(.get, "/api/v1/workflow-events/argo?listOptions.timeoutSeconds=8")
                try await Task.sleep(for: .milliseconds(300))
                let later = #"{"workflow": {"metadata": {"name": "later"}, "spec": {"entrypoint": "m", "templates": [\#(Self.container("m", "sleep 30"))]}}}"#
                #expect(try await client.send(.post, "/api/v1/workflows/argo", body: later).status == .ok)
                let stopped = try await client.send(.put, "/api/v1/workflows/argo/later/terminate", body: "{}")
                #expect(stopped.status == .ok, "\(stopped.text)")
                let reply = try await watching
                let frames = reply.text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }.filter { $0["result"]?["object"]?["metadata"]?["name"] == "later" }
                #expect(frames.first?["result"]?["type"] == "ADDED", "\(reply.text.prefix(500))")
                #expect(frames.dropFirst().contains { $0["result"]?["type"] == "MODIFIED" }, "\(reply.text.suffix(800))")
                _ = try await finished(client, "argo", "later")
            }
        }
    }

    /// A WorkflowTemplate without an entrypoint is a library: a DAG task and a step call its
    /// templates with `templateRef` (a DAG of it calls its own templates), which are copied into
    /// the workflow as `<WorkflowTemplate>/<template>`; a reference to a WorkflowTemplate or a
    /// template that does not exist is refused with its path.
    @Test func templateRefCallsATemplateOfAWorkflowTemplate() async throws {
        try await app().test(.router) { client in
            let library = #"{"template": {"metadata": {"name": "lib"}, "spec": {"templates": [{"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo", "said {{inputs.parameters.m}}"]}}, {"name": "twice", "dag": {"tasks": [{"name": "one", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "1"}]}}, {"name": "two", "template": "say", "dependencies": ["one"], "arguments": {"parameters": [{"name": "m", "value": "{{tasks.one.outputs.result}}+2"}]}}]}}]}}}"#
            let stored = try await client.send(.post, "/api/v1/workflow-templates/argo", body: library)
            #expect(stored.status == .ok, "\(stored.text)")
            let body = #"{"workflow": {"metadata": {"name": "uses-lib"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[{"name": "hello", "templateRef": {"name": "lib", "template": "say"}, "arguments": {"parameters": [{"name": "m", "value": "hi"}]}}], [{"name": "both", "templateRef": {"name": "lib", "template": "twice"}}]]}]}}}"#
            let created = try await client.send(.post, "/api/v1/workflows/argo", body: body)
            #expect(created.status == .ok, "\(created.text)")
            let done = try await finished(client, "argo", "uses-lib")
            #expect(done["status"]?["phase"] == "Succeeded", "\(done)")
            let nodes = try #require(done["status"]?["nodes"]?.objectValue)
            func result(_ display: String) -> JSONValue? { nodes.first { $0.value["displayName"]?.stringValue == display }?.value["outputs"]?["result"] }
            #expect(result("hello") == "said hi")
            #expect(result("two") == "said said 1+2")
            let templates = done["spec"]?["templates"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(templates == ["main", "lib/say", "lib/twice"])

            for (ref, message) in [
                (#"{"name": "absent", "template": "say"}"#, #"spec.templates[0].steps[0][0].templateRef: workflowtemplates.argoproj.io "absent" not found in namespace "argo""#),
                (#"{"name": "lib", "template": "nope"}"#, #"spec.templates[0].steps[0][0].templateRef: WorkflowTemplate "lib" has no template "nope" (it has: say, twice)"#),
            ] {
                let bad = #"{"workflow": {"metadata": {"name": "bad-ref"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[{"name": "s", "templateRef": \#(ref)}]]}]}}}"#
                let refused = try await client.send(.post, "/api/v1/workflows/argo", body: bad)
                #expect(refused.status == .badRequest)
                #expect(try refused.json()["message"]?.stringValue == message)
            }
        }
    }

    /// ClusterWorkflowTemplates: stored once, outside any namespace, and called from workflows
    /// of every namespace with `clusterScope: true` (a WorkflowTemplate of the same name stays
    /// apart); submitted with `workflowTemplateRef.clusterScope` or `resourceKind:
    /// ClusterWorkflowTemplate`; read, updated (stale `resourceVersion` → 409) and deleted.
    @Test func clusterWorkflowTemplatesServeEveryNamespace() async throws {
        try await app().test(.router) { client in
            let shared = #"{"template": {"metadata": {"name": "shared", "namespace": "ignored"}, "spec": {"templates": [{"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo", "cluster {{inputs.parameters.m}}"]}}]}}}"#
            let stored = try await client.send(.post, "/api/v1/cluster-workflow-templates", body: shared)
            #expect(stored.status == .ok, "\(stored.text)")
            let object = try stored.json()
            #expect(object["kind"] == "ClusterWorkflowTemplate")
            #expect(object["metadata"]?["namespace"] == nil, "cluster-scoped: no namespace")
            #expect(try await client.send(.post, "/api/v1/cluster-workflow-templates", body: shared).status == .conflict)
            let local = #"{"template": {"metadata": {"name": "shared"}, "spec": {"templates": [{"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo", "local {{inputs.parameters.m}}"]}}]}}}"#
            #expect(try await client.send(.post, "/api/v1/workflow-templates/argo", body: local).status == .ok, "a WorkflowTemplate may have the same name")

            for (namespace, cluster, expected) in [("argo", true, "cluster a"), ("team-b", true, "cluster a"), ("argo", false, "local a")] {
                let name = "uses-\(cluster ? "cluster" : "local")"
                let body = #"{"workflow": {"metadata": {"name": "\#(name)"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[{"name": "hello", "templateRef": {"name": "shared", "template": "say", "clusterScope": \#(cluster)}, "arguments": {"parameters": [{"name": "m", "value": "a"}]}}]]}]}}}"#
                let created = try await client.send(.post, "/api/v1/workflows/\(namespace)", body: body)
                try #require(created.status == .ok, "\(created.text)")
                let done = try await finished(client, namespace, name)
                #expect(done["status"]?["phase"] == "Succeeded", "\(done["status"]?["message"] ?? .null)")
                let pod = done["status"]?["nodes"]?.objectValue?.first { $0.value["displayName"] == "hello" }?.value
                #expect(pod?["outputs"]?["result"] == .string(expected), "\(namespace), clusterScope \(cluster)")
            }

            // A whole workflow from one: workflowTemplateRef and submit.
            let runnable = #"{"template": {"metadata": {"name": "runnable"}, "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "m", "value": "x"}]}, "templates": [{"name": "main", "container": {"image": "busybox", "command": ["echo", "ran {{workflow.parameters.m}}"]}}]}}}"#
            #expect(try await client.send(.post, "/api/v1/cluster-workflow-templates", body: runnable).status == .ok)
            let byRef = #"{"workflow": {"metadata": {"name": "by-ref"}, "spec": {"workflowTemplateRef": {"name": "runnable", "clusterScope": true}, "arguments": {"parameters": [{"name": "m", "value": "y"}]}}}}"#
            #expect(try await client.send(.post, "/api/v1/workflows/team-b", body: byRef).status == .ok)
            #expect(try await finished(client, "team-b", "by-ref")["status"]?["nodes"]?["by-ref"]?["outputs"]?["result"] == "ran y")
            let submitted = try await client.send(.post, "/api/v1/workflows/team-c/submit", body: #"{"resourceKind": "ClusterWorkflowTemplate", "resourceName": "runnable", "submitOptions": {"name": "sub"}}"#)
            #expect(submitted.status == .ok, "\(submitted.text)")
            #expect(try submitted.json()["metadata"]?["labels"]?["workflows.argoproj.io/cluster-workflow-template"] == "runnable")
            #expect(try await finished(client, "team-c", "sub")["status"]?["nodes"]?["sub"]?["outputs"]?["result"] == "ran x")

            // Listed, read, updated with its version, deleted.
            let listed = try await client.send(.get, "/api/v1/cluster-workflow-templates").json()
            #expect(Set(listed["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []) == ["shared", "runnable"])
            let read = try await client.send(.get, "/api/v1/cluster-workflow-templates/runnable").json()
            let version = try #require(read["metadata"]?["resourceVersion"]?.stringValue)
            let update = { (v: String) in #"{"template": {"metadata": {"name": "runnable", "resourceVersion": "\#(v)"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "busybox", "command": ["echo", "v2"]}}]}}}"# }
            #expect(try await client.send(.put, "/api/v1/cluster-workflow-templates/runnable", body: update(version)).status == .ok)
            #expect(try await client.send(.put, "/api/v1/cluster-workflow-templates/runnable", body: update(version)).status == .conflict, "a stale version")
            #expect(try await client.send(.delete, "/api/v1/cluster-workflow-templates/runnable").status == .ok)
            let gone = try await client.send(.get, "/api/v1/cluster-workflow-templates/runnable")
            #expect(gone.status == .notFound)
            #expect(try gone.json()["message"] == #"clusterworkflowtemplates.argoproj.io "runnable" not found"#)

            // Inside a ClusterWorkflowTemplate, a templateRef names another one.
            let leaky = #"{"template": {"metadata": {"name": "leaky"}, "spec": {"templates": [{"name": "t", "steps": [[{"name": "s", "templateRef": {"name": "shared", "template": "say"}}]]}]}}}"#
            let refused = try await client.send(.post, "/api/v1/cluster-workflow-templates", body: leaky)
            #expect(refused.status == .badRequest)
            #expect(try refused.json()["message"]?.stringValue?.contains("names another ClusterWorkflowTemplate (clusterScope: true)") == true)
        }
    }

    /// Managing ClusterWorkflowTemplates takes `edit` in the namespace they are kept in, not
    /// in one's own; reading them to submit takes nothing more than the submit.
    @Test func clusterWorkflowTemplatesAreManagedByTheirNamespacesEditors() async throws {
        let fixture = try await AccessFixture()
        let teamEditor = try await fixture.account("team", [("team-a", .editor)])
        let platform = try await fixture.account("platform", [("cluster-workflow-templates", .editor)])
        try await fixture.app.test(.router) { client in
            // (A suspend: this server has the built-in steps only, no container runtime.)
            let shared = #"{"template": {"metadata": {"name": "shared"}, "spec": {"templates": [{"name": "say", "suspend": {"duration": "1"}}]}}}"#
            let refused = try await send(client, .post, "/api/v1/cluster-workflow-templates", teamEditor, body: shared)
            #expect(refused.status == .forbidden)
            #expect(try refused.json()["message"]?.stringValue?.contains("namespace \"cluster-workflow-templates\"") == true)
            let created = try await send(client, .post, "/api/v1/cluster-workflow-templates", platform, body: shared)
            #expect(created.status == .ok, "\(created.text)")
            let body = #"{"serverDryRun": true, "workflow": {"metadata": {"name": "w"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[{"name": "s", "templateRef": {"name": "shared", "template": "say", "clusterScope": true}}]]}]}}}"#
            let used = try await send(client, .post, "/api/v1/workflows/team-a", teamEditor, body: body)
            #expect(used.status == .ok, "\(used.text)")
        }
    }

    /// The `templateRef`s of one workflow copy at most `Limits.argoReferencedTemplates`
    /// templates into it; one more is refused, naming the limit.
    @Test func templateRefsCopyAtMostTheLimitOfTemplates() async throws {
        try await app().test(.router) { client in
            let count = SluiceCore.Limits.argoReferencedTemplates
            let templates = (0...count).map { #"{"name": "s\#($0)", "suspend": {"duration": "1"}}"# }.joined(separator: ", ")
            let stored = try await client.send(.post, "/api/v1/workflow-templates/argo", body: #"{"template": {"metadata": {"name": "lib"}, "spec": {"templates": [\#(templates)]}}}"#)
            try #require(stored.status == .ok, "\(stored.text.prefix(300))")
            let workflow = { (n: Int) in
                let tasks = (0..<n).map { #"{"name": "t\#($0)", "templateRef": {"name": "lib", "template": "s\#($0)"}}"# }.joined(separator: ", ")
                return #"{"serverDryRun": true, "workflow": {"metadata": {"name": "refs"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "dag": {"tasks": [\#(tasks)]}}]}}}"#
            }
            let largest = try await client.send(.post, "/api/v1/workflows/argo", body: workflow(count))
            #expect(largest.status == .ok, "\(largest.text.prefix(300))")
            #expect(try largest.json()["spec"]?["templates"]?.arrayValue?.count == count + 1)
            let refused = try await client.send(.post, "/api/v1/workflows/argo", body: workflow(count + 1))
            #expect(refused.status == .badRequest)
            #expect(try refused.json()["message"]?.stringValue == "spec.templates[0].dag.tasks[\(count)].templateRef: templateRefs copy more than \(count) templates into this workflow")
        }
    }

    /// A list page holds at most the native page-size limit (`page_size`): without
    /// `listOptions.limit` or with a larger one the page is that long, and
    /// `metadata.continue` leads to the rest.
    @Test func aListPageHoldsAtMostThePageSizeLimit() async throws {
        #expect(ServerConfiguration().maxPageSize == SluiceCore.Limits.maxPageSize)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = Engine(store: try await TestStore.make(), registry: StepRegistry.standard(options: .init(httpClient: webhookTestClient, containers: ContainerOptions(runtime: ProcessContainerRuntime()))), logger: logger)
        let app = buildApplication(engine: engine, configuration: ServerConfiguration(defaultPageSize: 2, maxPageSize: 3), logger: logger)
        try await app.test(.router) { client in
            for i in 0..<4 {
                let created = try await client.send(.post, "/api/v1/workflows/argo", body: #"{"workflow": {"metadata": {"name": "w\#(i)"}, "spec": {"entrypoint": "wait", "templates": [{"name": "wait", "suspend": {"duration": "3600"}}]}}}"#)
                try #require(created.status == .ok, "\(created.text)")
            }
            func page(_ query: String) async throws -> (names: [String], next: String?) {
                let listed = try await client.send(.get, "/api/v1/workflows/argo?\(query)").json()
                return (listed["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? [], listed["metadata"]?["continue"]?.stringValue)
            }
            let first = try await page("")
            #expect(first.names.count == 3 && first.next != nil, "no limit: a page of the page-size limit, and a continue token: \(first)")
            let rest = try await page("listOptions.continue=\(first.next ?? "")")
            #expect(rest.names.count == 1 && rest.next == nil)
            #expect(Set(first.names + rest.names) == ["w0", "w1", "w2", "w3"])
            let atLimit = try await page("listOptions.limit=3")
            #expect(atLimit.names == first.names && atLimit.next != nil)
            let above = try await page("listOptions.limit=4")
            #expect(above.names == first.names && above.next != nil, "a larger limit is the page-size limit")
            let below = try await page("listOptions.limit=2")
            #expect(below.names == Array(first.names.prefix(2)) && below.next != nil)
        }
    }

    @Test func workflowTemplatesAreStoredVersionedAndSubmittedFrom() async throws {
        try await app().test(.router) { client in
            let template = #"{"template": {"metadata": {"name": "greet", "labels": {"kind": "t"}}, "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "who"}]}, "templates": [{"name": "main", "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["echo hello {{workflow.parameters.who}}"]}}]}}}"#
            let created = try await client.send(.post, "/api/v1/workflow-templates/argo", body: template)
            #expect(created.status == .ok, "\(created.text)")
            #expect(try created.json()["metadata"]?["resourceVersion"] == "1")
            #expect(try created.json()["kind"] == "WorkflowTemplate")
            #expect(try await client.send(.post, "/api/v1/workflow-templates/argo", body: template).status == .conflict)
            let listed = try await client.send(.get, "/api/v1/workflow-templates/argo").json()
            #expect(listed["items"]?.arrayValue?.count == 1)
            // Templates are not workflows: the workflow list stays empty.
            #expect(try await client.send(.get, "/api/v1/workflows/argo").json()["items"] == [])

            // An update with the current resourceVersion is stored as the next; a stale one is 409.
            let v1 = template.replacingOccurrences(of: #""name": "greet","#, with: #""name": "greet", "resourceVersion": "1","#)
            let updated = try await client.send(.put, "/api/v1/workflow-templates/argo/greet", body: v1.replacingOccurrences(of: "echo hello", with: "echo hi"))
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(try updated.json()["metadata"]?["resourceVersion"] == "2")
            let stale = try await client.send(.put, "/api/v1/workflow-templates/argo/greet", body: v1)
            #expect(stale.status == .conflict)
            #expect(try stale.json()["code"] == 6)

            // Submit from it with a parameter, and reference it from a Workflow.
            let submitted = try await client.send(.post, "/api/v1/workflows/argo/submit", body: #"{"resourceKind": "WorkflowTemplate", "resourceName": "greet", "submitOptions": {"parameters": ["who=world"]}}"#)
            #expect(submitted.status == .ok, "\(submitted.text)")
            let name = try #require(try submitted.json()["metadata"]?["name"]?.stringValue)
            let done = try await finished(client, "argo", name)
            #expect(done["status"]?["nodes"]?[name]?["outputs"]?["result"] == "hi world", "\(done)")
            #expect(done["metadata"]?["labels"]?["workflows.argoproj.io/workflow-template"] == "greet")
            let byRef = #"{"workflow": {"metadata": {"name": "by-ref"}, "spec": {"workflowTemplateRef": {"name": "greet"}, "arguments": {"parameters": [{"name": "who", "value": "ref"}]}}}}"#
            #expect(try await client.send(.post, "/api/v1/workflows/argo", body: byRef).status == .ok)
            #expect(try await finished(client, "argo", "by-ref")["status"]?["nodes"]?["by-ref"]?["outputs"]?["result"] == "hi ref")
            let missing = #"{"workflow": {"metadata": {"name": "nope"}, "spec": {"workflowTemplateRef": {"name": "absent"}}}}"#
            let refused = try await client.send(.post, "/api/v1/workflows/argo", body: missing)
            #expect(refused.status == .badRequest)
            #expect(try refused.json()["message"]?.stringValue?.hasPrefix("spec.workflowTemplateRef.name:") == true)

            #expect(try await client.send(.delete, "/api/v1/workflow-templates/argo/greet").status == .ok)
            #expect(try await client.send(.get, "/api/v1/workflow-templates/argo/greet").status == .notFound)
        }
    }
}

extension String {
    /// The string with every `target` replaced (no Foundation here).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

/// Reads the Argo workflow until its phase is no longer Running (the process runtime is quick).
func finishedArgoWorkflow(_ client: some TestClientProtocol, _ namespace: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
    for _ in 0..<200 {
        let reply = try await client.send(.get, "/api/v1/workflows/\(namespace)/\(name)")
        try #require(reply.status == .ok, "\(reply.text)", sourceLocation: sourceLocation)
        let object = try reply.json()
        if object["status"]?["phase"] != "Running" { return object }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("the workflow did not finish", sourceLocation: sourceLocation)
    return .null
}
