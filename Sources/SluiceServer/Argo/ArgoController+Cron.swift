import HTTPTypes
import Hummingbird
import SluiceArgo
import SluiceCore
import SluiceEngine
import SluiceStore

/// CronWorkflows: `/api/v1/cron-workflows/{namespace}` create, list, get, update, delete, lint,
/// suspend and resume, onto Sluice's schedules. A CronWorkflow is kept as a Sluice workflow (its
/// definition the translation of `spec.workflowSpec`, so it is checked when stored; the Argo
/// object in `origin.argoCron`) with one Sluice schedule per cron expression (`schedule`, or each
/// of `schedules`). Each fire starts an execution of it — exactly once per due time, across
/// restarts and nodes, as every schedule — which the Workflow routes list as the Argo Workflow
/// `<cron>-<scheduled unix seconds>` (ArgoWorkflows.runs). How the fields map:
/// `timezone` → the schedule's time zone; `concurrencyPolicy` `Allow` → overlap `allow`,
/// `Forbid` → `skip` (`Replace` is refused: Sluice does not stop a run for the next);
/// `startingDeadlineSeconds` → the catch-up window; `suspend` → paused;
/// `successfulJobsHistoryLimit` + `failedJobsHistoryLimit` (3 and 1 by default) → the workflow's
/// `retention.keep_last` (their sum: Sluice keeps the newest N runs whatever their outcome).
extension ArgoController {
    func registerCron(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/api/v1/cron-workflows/:namespace", use: createCron)
        router.get("/api/v1/cron-workflows/:namespace", use: listCron)
        router.post("/api/v1/cron-workflows/:namespace/lint", use: lintCron)
        router.get("/api/v1/cron-workflows/:namespace/:name", use: getCron)
        router.put("/api/v1/cron-workflows/:namespace/:name", use: updateCron)
        router.delete("/api/v1/cron-workflows/:namespace/:name", use: deleteCron)
        router.put("/api/v1/cron-workflows/:namespace/:name/suspend", use: suspendCron)
        router.put("/api/v1/cron-workflows/:namespace/:name/resume", use: resumeCron)
    }

    static func cronNotFound(_ name: String) -> Problem {
        Problem(status: .notFound, type: "urn:sluice:problem:not-found", title: "Not found", detail: "cronworkflows.argoproj.io \"\(name)\" not found")
    }

    static func cronExists(_ name: String) -> Problem {
        Problem(status: .conflict, type: "urn:sluice:problem:conflict", title: "Already exists", detail: "cronworkflows.argoproj.io \"\(name)\" already exists")
    }

    static let cronSpecMembers = ["schedule", "schedules", "timezone", "concurrencyPolicy", "startingDeadlineSeconds", "suspend", "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "workflowSpec", "workflowMetadata"]

    /// The `cronWorkflow` member of a body.
    func cronBody(_ request: Request) async throws -> JSONObject {
        guard let document = try await parsing.documentBody(request) else { throw ArgoError.invalid("the body is empty; expected {\"cronWorkflow\": {…}}") }
        guard case .object(let body) = document.json else { throw ArgoError.invalid("expected a JSON object {\"cronWorkflow\": {…}}, found \(document.json.kindName)") }
        guard case .object(let cron)? = body["cronWorkflow"] else {
            throw ArgoError.invalid(body["cronWorkflow"] == nil ? "cronWorkflow: required field is missing; expected {\"cronWorkflow\": {\"metadata\": …, \"spec\": …}}" : "cronWorkflow: expected an object")
        }
        for key in body.keys where !["cronWorkflow", "namespace", "name", "createOptions"].contains(key) {
            throw ArgoError.invalid("\(key): unknown field; expected cronWorkflow, namespace, createOptions")
        }
        return cron
    }

    /// What a CronWorkflow is kept as: its metadata (given `uid` and creation time kept), the
    /// Sluice definition, and the schedules it fires on. Every field is checked before anything
    /// is stored.
    func prepareCron(_ cron: JSONObject, namespace: String, keeping old: JSONObject? = nil) async throws -> (metadata: JSONObject, spec: JSONObject, definition: JSONValue, schedules: [ScheduleSpec]) {
        if let kind = cron["kind"]?.stringValue, kind != "CronWorkflow" { throw ArgoError.invalid("kind: expected \"CronWorkflow\", found \"\(kind)\"") }
        for key in cron.keys where !["apiVersion", "kind", "metadata", "spec", "status"].contains(key) {
            throw ArgoError.invalid("\(key): unknown field; a CronWorkflow has apiVersion, kind, metadata, spec")
        }
        var metadata = try templateMetadata(cron, namespace: namespace)
        if let given = cron["metadata"]?["namespace"]?.stringValue, given != namespace {
            throw ArgoError.invalid("metadata.namespace: \"\(given)\" differs from the namespace in the path, \"\(namespace)\"")
        }
        let now = engine.clock.now()
        metadata.set("uid", old?["uid"] ?? .string(Self.uuid()))
        metadata.set("creationTimestamp", old?["creationTimestamp"] ?? .string(ArgoStatus.time(now)))
        let name = metadata["name"]?.stringValue ?? ""
        guard case .object(let spec)? = cron["spec"] else { throw ArgoError.invalid("spec: required, an object with schedule and workflowSpec") }
        for key in spec.keys where !Self.cronSpecMembers.contains(key) {
            throw ArgoError.invalid("spec.\(key): not supported (supported: \(Self.cronSpecMembers.joined(separator: ", ")))")
        }
        // The cron expressions: `schedule`, or `schedules` (Argo 3.6), not both.
        var expressions: [(path: String, text: String)] = []
        if let one = spec["schedule"], one != .null, one != "" {
            guard let text = one.stringValue else { throw ArgoError.invalid("spec.schedule: expected a cron expression such as \"0 9 * * *\", found \(one.kindName)") }
            expressions.append(("spec.schedule", text))
        }
        if case .array(let many)? = spec["schedules"] {
            if !expressions.isEmpty, !many.isEmpty { throw ArgoError.invalid("spec.schedules: give schedule or schedules, not both") }
            for (i, v) in many.enumerated() {
                guard let text = v.stringValue else { throw ArgoError.invalid("spec.schedules[\(i)]: expected a cron expression, found \(v.kindName)") }
                expressions.append(("spec.schedules[\(i)]", text))
            }
        } else if let other = spec["schedules"], other != .null {
            throw ArgoError.invalid("spec.schedules: expected a list of cron expressions, found \(other.kindName)")
        }
        if expressions.isEmpty { throw ArgoError.invalid("spec.schedule: required, a cron expression such as \"0 9 * * *\"") }
        if expressions.count > SluiceCore.Limits.schedulesPerWorkflow {
            throw ArgoError.invalid("spec.schedules: at most \(SluiceCore.Limits.schedulesPerWorkflow) cron expressions, found \(expressions.count)")
        }
        var members: [(String, JSONValue)] = []
        if let zone = spec["timezone"], zone != .null, zone != "" { members.append(("time_zone", zone)) }
        switch spec["concurrencyPolicy"]?.stringValue ?? "Allow" {
        case "Allow", "": members.append(("overlap", "allow"))
        case "Forbid": members.append(("overlap", "skip"))
        case "Replace":
            throw ArgoError.invalid("spec.concurrencyPolicy: Replace is not supported (Sluice does not stop a running workflow for the next one); use Allow or Forbid")
        case let other: throw ArgoError.invalid("spec.concurrencyPolicy: expected Allow, Forbid or Replace, found \"\(other)\"")
        }
        if let deadline = spec["startingDeadlineSeconds"], deadline != .null { members.append(("catchup_seconds", deadline)) }
        if let suspend = spec["suspend"], suspend != .null {
            guard case .bool(let b) = suspend else { throw ArgoError.invalid("spec.suspend: expected true or false, found \(suspend.kindName)") }
            members.append(("paused", .bool(b)))
        }
        var schedules: [ScheduleSpec] = []
        for (path, text) in expressions {
            let (parsed, issues) = ScheduleSpec.parse(.object(JSONObject([("cron", .string(text))] + members)))
            if let issue = issues.first {
                let at = ["cron": path, "time_zone": "spec.timezone", "catchup_seconds": "spec.startingDeadlineSeconds", "paused": "spec.suspend"][issue.path] ?? "spec"
                throw ArgoError.invalid("\(at): \(issue.message)")
            }
            if let parsed { schedules.append(parsed) }
        }
        var keep = 0
        for (key, fallback) in [("successfulJobsHistoryLimit", 3), ("failedJobsHistoryLimit", 1)] {
            guard let v = spec[key], v != .null else { keep += fallback; continue }
            guard v.kindName == "integer", let n = v.numberValue, n >= 0 else { throw ArgoError.invalid("spec.\(key): expected a whole number of 0 or more, found \(v.preview)") }
            keep += Int(n)
        }
        guard case .object(let workflowSpec)? = spec["workflowSpec"] else { throw ArgoError.invalid("spec.workflowSpec: required, the spec of the Workflows it starts") }
        if let extra = spec["workflowMetadata"], extra != .null {
            guard case .object(let o) = extra, o.keys.allSatisfy({ ["labels", "annotations"].contains($0) }),
                o.allSatisfy({ $0.value.objectValue?.allSatisfy { $0.value.stringValue != nil } == true })
            else { throw ArgoError.invalid("spec.workflowMetadata: expected {\"labels\": {…}, \"annotations\": {…}} of strings") }
        }
        // The workflow it starts is checked as a submitted Workflow would be, under its name.
        let resolved = try await resolvingTemplateRef(.object(workflowSpec), namespace: namespace)
        let prepared: (metadata: JSONObject, spec: JSONValue, translation: ArgoTranslation, definition: JSONValue)
        do {
            prepared = try await prepare(JSONObject([("metadata", ["name": .string(name)]), ("spec", resolved)]), namespace: namespace, now: now)
        } catch let problem as Problem {
            throw ArgoError.invalid("spec.workflowSpec: " + (problem.detail ?? problem.title))
        }
        guard var definition = prepared.definition.objectValue else { throw ArgoError.invalid("spec.workflowSpec: could not be translated") }
        definition.set("origin", ["argoCron": ["metadata": .object(metadata), "spec": .object(spec)]])
        definition.set("retention", ["keep_last": .number(Double(max(1, min(keep, RetentionPolicy.maxKeepLast))))])
        if case .failure(let failure) = try await engine.validate(.object(definition), maxTasks: SluiceCore.Limits.maxTranslatedTasks) {
            throw ArgoError.invalid(failure.issues.map { "spec.workflowSpec: \(prepared.translation.argoPath($0.path)): \($0.message)" }.joined(separator: "; "))
        }
        return (metadata, spec, .object(definition), schedules)
    }

    /// The CronWorkflows of `namespace`, newest first.
    func crons(in namespace: String) async throws -> [WorkflowRecord] {
        try await workflows(in: namespace, origin: "argoCron")
    }

    func cron(_ name: String, in namespace: String) async throws -> WorkflowRecord? {
        try await engine.store.workflows(named: name, namespace: namespace).first { $0.definition["origin"]?["argoCron"] != nil }
    }

    /// The Argo object of a stored CronWorkflow with its status now: the runs under way
    /// (`active`), the last fire time, how many runs kept succeeded or failed. `spec.suspend`
    /// says whether its schedules are paused.
    func cronObject(_ record: WorkflowRecord) async throws -> JSONValue {
        guard case .object(let argo)? = record.definition["origin"]?["argoCron"], var metadata = argo["metadata"]?.objectValue else { return .null }
        var spec = argo["spec"]?.objectValue ?? JSONObject()
        let schedules = try await engine.schedules(workflowID: record.id)
        spec.set("suspend", .bool(!schedules.isEmpty && schedules.allSatisfy(\.schedule.spec.paused)))
        var active: [JSONValue] = []
        var (succeeded, failed) = (0, 0)
        for run in try await workflows.runs(of: record) {
            guard let id = run.executionID, let detail = try await engine.execution(id: id) else { continue }
            switch detail.execution.status {
            case .completed: succeeded += 1
            case .failed, .cancelled: failed += 1
            default:
                active.append(["apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": .string(run.name), "namespace": .string(record.namespace), "uid": .string(id)])
            }
        }
        var status = JSONObject()
        status.append("active", .array(active))
        if let last = schedules.compactMap(\.schedule.lastDue).max() { status.append("lastScheduledTime", .string(ArgoStatus.time(last))) }
        status.append("conditions", .array([]))
        status.append("succeeded", .number(Double(succeeded)))
        status.append("failed", .number(Double(failed)))
        status.append("phase", "Active")
        metadata.set("resourceVersion", .string(String(record.version)))
        return ["apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": .object(metadata), "spec": .object(spec), "status": .object(status)]
    }

    @Sendable func createCron(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let namespace = try namespace(context, .edit)
        let prepared = try await prepareCron(try await cronBody(request), namespace: namespace)
        let name = prepared.metadata["name"]?.stringValue ?? ""
        let key = "cron:\(namespace)/\(name)"
        guard creating.names.withLock({ $0.insert(key).inserted }) else { throw Self.cronExists(name) }
        defer { _ = creating.names.withLock { $0.remove(key) } }
        if try await cron(name, in: namespace) != nil { throw Self.cronExists(name) }
        let created = try await engine.createWorkflow(prepared.definition, maxTasks: SluiceCore.Limits.maxTranslatedTasks)
        do {
            for spec in prepared.schedules { _ = try await engine.createSchedule(workflowID: created.record.id, spec: spec, createdBy: context.identity?.account) }
        } catch {
            // Nothing half-made: a CronWorkflow whose schedules could not be stored is not kept.
            try? await engine.deleteWorkflow(created.record.id)
            throw error
        }
        context.logger.info("argo cron workflow created", metadata: ["workflow.id": "\(created.record.id)", "argo.name": "\(key)"])
        return JSONResponse.make(try await cronObject(created.record))
    }

    @Sendable func lintCron(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let namespace = try namespace(context, .read)
        let cron = try await cronBody(request)
        let prepared = try await prepareCron(cron, namespace: namespace)
        var answer = cron
        answer.set("metadata", .object(prepared.metadata))
        return JSONResponse.make(.object(answer))
    }

    @Sendable func listCron(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let namespace = try namespace(context, .read)
        let selector = try ArgoLabelSelector.of(request.uri.queryParameters)
        var items: [JSONValue] = []
        for record in try await crons(in: namespace) {
            let object = try await cronObject(record)
            if selector.matches(object["metadata"]?["labels"]?.objectValue ?? JSONObject()) { items.append(object) }
        }
        return JSONResponse.make(["metadata": ["resourceVersion": .string(String(engine.clock.now()))], "items": .array(items)])
    }

    /// The CronWorkflow the path names, after the caller's right to `permission` there.
    func namedCron(_ context: SluiceRequestContext, _ permission: Permission) async throws -> WorkflowRecord {
        let name = context.parameters.get("name") ?? ""
        let namespace = try namespace(context, permission, hiddenAsNotFound: name)
        guard let record = try await cron(name, in: namespace) else { throw Self.cronNotFound(name) }
        return record
    }

    @Sendable func getCron(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        JSONResponse.make(try await cronObject(try await namedCron(context, .read)))
    }

    /// Replaces the CronWorkflow's spec (with `metadata.resourceVersion`, only if it is still
    /// that version): a new version of its workflow, and its schedules made anew (each keeps
    /// firing from now; runs under way go on).
    @Sendable func updateCron(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let record = try await namedCron(context, .edit)
        let cron = try await cronBody(request)
        if let given = cron["metadata"]?["name"]?.stringValue, given != record.name { throw ArgoError.invalid("metadata.name: \"\(given)\" differs from the name in the path, \"\(record.name)\"") }
        var expected: Int?
        if let raw = cron["metadata"]?["resourceVersion"]?.stringValue, !raw.isEmpty {
            guard let v = Int(raw) else { throw ArgoError.invalid("metadata.resourceVersion: not a version this server gave") }
            expected = v
        }
        let prepared = try await prepareCron(cron, namespace: record.namespace, keeping: record.definition["origin"]?["argoCron"]?["metadata"]?.objectValue)
        let updated: Engine.LoadedWorkflow
        do {
            updated = try await engine.updateWorkflow(record.id, definition: prepared.definition, expectedVersion: expected, maxTasks: SluiceCore.Limits.maxTranslatedTasks)
        } catch EngineError.versionConflict {
            throw Problem(status: .conflict, type: "urn:sluice:problem:conflict", title: "Conflict", detail: "Operation cannot be fulfilled on cronworkflows.argoproj.io \"\(record.name)\": the object has been modified; please apply your changes to the latest version and try again")
        }
        for old in try await engine.schedules(workflowID: record.id) { try await engine.deleteSchedule(workflowID: record.id, id: old.id) }
        for spec in prepared.schedules { _ = try await engine.createSchedule(workflowID: record.id, spec: spec, createdBy: context.identity?.account) }
        return JSONResponse.make(try await cronObject(updated.record))
    }

    /// Deletes the CronWorkflow with its schedules and the workflows it started (Argo's
    /// workflows are owned by their CronWorkflow); runs under way are stopped first.
    @Sendable func deleteCron(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let record = try await namedCron(context, .edit)
        // Nothing new fires while the runs under way are stopped.
        try await setPaused(record, true)
        var cancelled: [String] = []
        for run in try await workflows.runs(of: record) {
            guard let id = run.executionID, let detail = try await engine.execution(id: id), !detail.execution.status.isTerminal else { continue }
            _ = try? await engine.cancelExecution(id)
            cancelled.append(id)
        }
        // A cancel is committed at once, but on PostgreSQL the node driving a run may record its
        // end a moment later; the workflow is deleted once its runs have ended (up to 10 s).
        for id in cancelled { await engine.waitUntilFinished(executionID: id, timeout: .seconds(10)) }
        var attempt = 0
        while true {
            do {
                try await engine.deleteWorkflow(record.id)
                break
            } catch EngineError.conflict where attempt < 50 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        return JSONResponse.make(.object(JSONObject()))
    }

    @Sendable func suspendCron(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await pauseCron(context, true)
    }

    @Sendable func resumeCron(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await pauseCron(context, false)
    }

    func pauseCron(_ context: SluiceRequestContext, _ paused: Bool) async throws -> Response {
        let record = try await namedCron(context, .edit)
        try await setPaused(record, paused)
        return JSONResponse.make(try await cronObject(record))
    }

    /// Pauses or resumes every schedule of a CronWorkflow (those already so are left alone).
    func setPaused(_ record: WorkflowRecord, _ paused: Bool) async throws {
        for schedule in try await engine.schedules(workflowID: record.id) where schedule.schedule.spec.paused != paused {
            _ = try await engine.updateSchedule(workflowID: record.id, id: schedule.id) { spec in
                var changed = spec
                changed.paused = paused
                return changed
            }
        }
    }
}
