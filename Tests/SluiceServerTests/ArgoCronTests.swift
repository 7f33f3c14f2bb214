import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceSteps
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// Argo's CronWorkflows onto Sluice's schedules, on a `ManualClock` (2026-01-01T00:00:00Z) and
/// the `process` container runtime: each fire is an Argo Workflow `<cron>-<unix seconds>` in
/// the Workflow list, with the cron's label; suspend, resume, update and delete act on the
/// schedules; what cannot be kept is refused before anything is stored.
@Suite(.testStores, .timeLimit(.minutes(3))) struct ArgoCronTests {
    func makeApp(clock: ManualClock) async throws -> (some ApplicationProtocol, Engine) {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let registry = StepRegistry.standard(options: .init(httpClient: webhookTestClient, containers: ContainerOptions(runtime: ProcessContainerRuntime())))
        let engine = Engine(store: try await TestStore.make(), registry: registry, logger: logger, clock: clock)
        return (buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger), engine)
    }

    static func cron(_ name: String = "hello-cron", schedule: String = #""* * * * *""#, extra: String = "") -> String {
        #"{"cronWorkflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "\#(name)", "labels": {"team": "a"}}, "spec": {"schedule": \#(schedule), "concurrencyPolicy": "Forbid"\#(extra), "workflowMetadata": {"labels": {"kind": "nightly"}}, "workflowSpec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["echo tick"]}}]}}}}"#
    }

    /// The Argo workflows listed in `namespace` whose names start with `prefix`.
    func runs(_ client: some TestClientProtocol, _ prefix: String) async throws -> [JSONValue] {
        let reply = try await client.send(.get, "/api/v1/workflows/argo")
        return (try reply.json()["items"]?.arrayValue ?? []).filter { $0["metadata"]?["name"]?.stringValue?.hasPrefix(prefix) == true }
    }

    /// Waits (up to 20 s) until `count` runs of the cron are listed (the server's schedule
    /// runner fires them on the engine's clock; on PostgreSQL once this node leads).
    func waitForRuns(_ client: some TestClientProtocol, _ prefix: String, count: Int) async throws -> [JSONValue] {
        var listed: [JSONValue] = []
        for _ in 0..<1000 {
            listed = try await runs(client, prefix)
            if listed.count >= count { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        return listed
    }

    @Test func eachFireIsAnArgoWorkflowNamedForItsTimeAndTheCronSaysWhatRan() async throws {
        let clock = ManualClock()
        let (app, engine) = try await makeApp(clock: clock)
        try await app.test(.live) { client in
            let created = try await client.send(.post, "/api/v1/cron-workflows/argo", body: Self.cron())
            #expect(created.status == .ok, "\(created.text)")
            let cron = try created.json()
            #expect(cron["kind"] == "CronWorkflow" && cron["metadata"]?["name"] == "hello-cron" && cron["metadata"]?["labels"]?["team"] == "a")
            #expect(cron["metadata"]?["uid"]?.stringValue?.count == 36 && cron["spec"]?["suspend"] == false)
            #expect(cron["status"]?["active"] == [] && cron["status"]?["lastScheduledTime"] == nil)
            #expect(try await runs(client, "hello-cron").isEmpty, "nothing runs before the first minute")

            clock.advance(by: 60_000)
            var listed = try await waitForRuns(client, "hello-cron", count: 1)
            #expect(listed.map { $0["metadata"]?["name"] } == ["hello-cron-1767225660"], "named <cron>-<unix seconds of the fire>")
            let run = try #require(listed.first)
            #expect(run["metadata"]?["labels"]?["workflows.argoproj.io/cron-workflow"] == "hello-cron")
            #expect(run["metadata"]?["labels"]?["kind"] == "nightly", "workflowMetadata labels the runs")
            #expect(run["metadata"]?["annotations"]?["workflows.argoproj.io/scheduled-time"] == "2026-01-01T00:01:00Z")
            #expect(run["spec"]?["entrypoint"] == "main")
            // The run is an Argo workflow like any: it finishes with its container's output.
            var phase: JSONValue?
            for _ in 0..<400 {
                let got = try await client.send(.get, "/api/v1/workflows/argo/hello-cron-1767225660")
                #expect(got.status == .ok, "\(got.text)")
                phase = try got.json()["status"]?["phase"]
                if phase != "Running" && phase != "Pending" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(phase == "Succeeded")
            let after = try await client.send(.get, "/api/v1/cron-workflows/argo/hello-cron").json()
            #expect(after["status"]?["lastScheduledTime"] == "2026-01-01T00:01:00Z")
            #expect(after["status"]?["succeeded"] == 1 && after["status"]?["active"] == [])
            #expect(try await client.send(.get, "/api/v1/cron-workflows/argo").json()["items"]?.arrayValue?.map { $0["metadata"]?["name"] } == ["hello-cron"])
            #expect(try await client.send(.get, "/api/v1/cron-workflows/argo?listOptions.labelSelector=team%3Db").json()["items"] == [])

            // A run is kept by the cron's history limits, not deleted by hand.
            let refused = try await client.send(.delete, "/api/v1/workflows/argo/hello-cron-1767225660")
            #expect(refused.status == .badRequest && refused.text.contains("successfulJobsHistoryLimit"), "\(refused.text)")

            // Suspended, a due time passes without a run; resumed, the next one runs.
            let suspended = try await client.send(.put, "/api/v1/cron-workflows/argo/hello-cron/suspend", body: #"{"name": "hello-cron", "namespace": "argo"}"#)
            #expect(try suspended.json()["spec"]?["suspend"] == true, "\(suspended.text)")
            clock.advance(by: 60_000)
            #expect(try await engine.runDueSchedules() == 0, "a suspended cron does not fire")
            let resumed = try await client.send(.put, "/api/v1/cron-workflows/argo/hello-cron/resume", body: "{}")
            #expect(try resumed.json()["spec"]?["suspend"] == false)
            clock.advance(by: 60_000)
            listed = try await waitForRuns(client, "hello-cron", count: 2)
            #expect(listed.map { $0["metadata"]?["name"] } == ["hello-cron-1767225780", "hello-cron-1767225660"], "newest first; none for the suspended minute")

            // Deleting the cron deletes its runs with it.
            #expect(try await client.send(.delete, "/api/v1/cron-workflows/argo/hello-cron").status == .ok)
            #expect(try await client.send(.get, "/api/v1/cron-workflows/argo/hello-cron").status == .notFound)
            #expect(try await runs(client, "hello-cron").isEmpty)
        }
    }

    @Test func anUpdateReplacesTheScheduleAndAStaleOneIsRefused() async throws {
        let clock = ManualClock()
        let (app, engine) = try await makeApp(clock: clock)
        try await app.test(.live) { client in
            let created = try await client.send(.post, "/api/v1/cron-workflows/argo", body: Self.cron()).json()
            let version = try #require(created["metadata"]?["resourceVersion"]?.stringValue)
            let body = Self.cron(schedule: #""0 * * * *""#).replacingOccurrences(of: #""labels": {"team": "a"}"#, with: #""labels": {"team": "a"}, "resourceVersion": "\#(version)""#)
            let updated = try await client.send(.put, "/api/v1/cron-workflows/argo/hello-cron", body: body)
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(try updated.json()["spec"]?["schedule"] == "0 * * * *")
            #expect(try updated.json()["metadata"]?["uid"] == created["metadata"]?["uid"], "the object keeps its uid")
            let stale = try await client.send(.put, "/api/v1/cron-workflows/argo/hello-cron", body: body)
            #expect(stale.status == .conflict, "\(stale.text)")
            clock.advance(by: 60_000)
            #expect(try await engine.runDueSchedules() == 0, "every minute no more: hourly now")
            clock.advance(by: 59 * 60_000)
            #expect(try await waitForRuns(client, "hello-cron", count: 1).map { $0["metadata"]?["name"] } == ["hello-cron-1767229200"], "the first run is on the hour")
        }
    }

    @Test func whatCannotBeKeptIsRefusedNamingTheFieldAndNothingIsStored() async throws {
        let (app, _) = try await makeApp(clock: ManualClock())
        try await app.test(.router) { client in
            let cases: [(String, String)] = [
                (Self.cron(schedule: #""61 * * * *""#), "spec.schedule"),
                (Self.cron(extra: #", "timezone": "Mars/Olympus""#), "spec.timezone"),
                (Self.cron().replacingOccurrences(of: "Forbid", with: "Replace"), "spec.concurrencyPolicy: Replace is not supported"),
                (Self.cron(extra: #", "stopStrategy": {}"#), "spec.stopStrategy: not supported"),
                (Self.cron(extra: #", "successfulJobsHistoryLimit": -1"#), "spec.successfulJobsHistoryLimit"),
                (Self.cron().replacingOccurrences(of: #""entrypoint": "main""#, with: #""entrypoint": "nope""#), "spec.workflowSpec"),
                (#"{"cronWorkflow": {"metadata": {"name": "x"}, "spec": {"workflowSpec": {}}}}"#, "spec.schedule: required"),
                (#"{"cron": {}}"#, "cronWorkflow: required"),
            ]
            for (body, expected) in cases {
                let reply = try await client.send(.post, "/api/v1/cron-workflows/argo", body: body)
                #expect(reply.status == .badRequest, "\(expected): \(reply.text)")
                #expect(reply.text.contains(expected), "\(expected): \(reply.text)")
                let lint = try await client.send(.post, "/api/v1/cron-workflows/argo/lint", body: body)
                #expect(lint.status == .badRequest, "lint \(expected): \(lint.text)")
            }
            #expect(try await client.send(.get, "/api/v1/cron-workflows/argo").json()["items"] == [])
            #expect(try await client.send(.get, "/workflows").json()["workflows"] == [], "no Sluice workflow was left behind")
            #expect(try await client.send(.post, "/api/v1/cron-workflows/argo", body: Self.cron()).status == .ok)
            let again = try await client.send(.post, "/api/v1/cron-workflows/argo", body: Self.cron())
            #expect(again.status == .conflict && again.text.contains("already exists"), "\(again.text)")
            #expect(try await client.send(.post, "/api/v1/cron-workflows/argo/lint", body: Self.cron()).status == .ok)
        }
    }
}
