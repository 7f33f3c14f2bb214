import HTTPTypes
import Hummingbird
import SluiceArgo
import SluiceCore
import SluiceEngine
import SluiceStore
import Synchronization

/// The Argo Workflows API under `/api/v1`, as Argo's server answers it, so that Hera, the
/// `argo-workflows` client and `curl` work unmodified. A thin translation: an Argo workflow is
/// checked and stored as a Sluice workflow (`SluiceArgo` translates it) and run as one Sluice
/// execution, with the same access checks as the Sluice routes.
struct ArgoController {
    let engine: Engine
    let configuration: ServerConfiguration
    /// The open streams (the watch), bounded as the Sluice event streams are.
    let streams: HeldRequests
    /// Names being created now, by namespace: two creates of one name cannot both pass the check.
    let creating = NamesInCreation()
    /// The node plans of the workflows read lately (a read needs them for the status).
    let nodePlans = ArgoNodePlans()
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }
    var workflows: ArgoWorkflows { ArgoWorkflows(engine: engine, nodePlans: nodePlans) }

    /// The version `GET /api/v1/version` reports: the Argo API version these routes follow.
    static let argoVersion = "v3.6.0"

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/api/v1/workflows/:namespace", use: create)
        router.get("/api/v1/workflows/:namespace", use: list)
        router.post("/api/v1/workflows/:namespace/lint", use: lint)
        router.get("/api/v1/workflows/:namespace/:name", use: get)
        router.delete("/api/v1/workflows/:namespace/:name", use: delete)
        router.get("/api/v1/info", use: info)
        router.get("/api/v1/version", use: version)
        router.get("/api/v1/userinfo", use: userinfo)
        registerActions(on: router)
        registerEvents(on: router)
        registerTemplates(on: router)
        registerCron(on: router)
        registerArtifacts(on: router)
    }

    /// The namespace in the path, checked, and the caller's right to `permission` there.
    func namespace(_ context: SluiceRequestContext, _ permission: Permission, hiddenAsNotFound name: String? = nil) throws -> String {
        guard let namespace = context.parameters.get("namespace") else { throw ArgoError.invalid("a namespace is required") }
        if let problem = Namespace.problem(namespace) { throw ArgoError.invalid("namespace \"\(namespace)\": \(problem)") }
        switch context.decide(permission, in: namespace) {
        case .allowed: return namespace
        case .hidden where name != nil: throw ArgoError.notFound(name!)
        default:
            let roles = context.identity?.roles(in: namespace).map(\.rawValue).sorted().joined(separator: ", ") ?? ""
            throw AccessControl.forbidden("account \"\(context.identity?.account ?? "")\" may not \(permission.rawValue) workflows in namespace \"\(namespace)\" (it has \(roles.isEmpty ? "no role" : roles) there)")
        }
    }

    /// The `workflow` member of a create or lint body (JSON, or YAML by `Content-Type`).
    func workflowBody(_ request: Request) async throws -> (workflow: JSONObject, dryRun: Bool) {
        guard let document = try await parsing.documentBody(request) else { throw ArgoError.invalid("the body is empty; expected {\"workflow\": {…}}") }
        guard case .object(let body) = document.json else { throw ArgoError.invalid("expected a JSON object {\"workflow\": {…}}, found \(document.json.kindName)") }
        guard case .object(let workflow)? = body["workflow"] else {
            throw ArgoError.invalid(body["workflow"] == nil ? "workflow: required field is missing; expected {\"workflow\": {\"metadata\": …, \"spec\": …}}" : "workflow: expected an object")
        }
        for key in body.keys where !["workflow", "namespace", "serverDryRun", "instanceID", "createOptions"].contains(key) {
            throw ArgoError.invalid("\(key): unknown field; expected workflow, namespace, serverDryRun, instanceID, createOptions")
        }
        var dryRun = body["serverDryRun"] == .bool(true)
        if case .array(let modes)? = body["createOptions"]?["dryRun"], modes.contains("All") { dryRun = true }
        return (workflow, dryRun)
    }

    /// Checks `workflow` as `create` does and answers what it would store: its name (made from
    /// `generateName` when needed), metadata, the translation and the Sluice definition.
    func prepare(_ workflow: JSONObject, namespace: String, now: Int64) async throws -> (metadata: JSONObject, spec: JSONValue, translation: ArgoTranslation, definition: JSONValue) {
        var metadata = JSONObject()
        switch workflow["metadata"] {
        case nil, .null?: break
        case .object(let m)?: metadata = m
        case .some(let v): throw ArgoError.invalid("metadata: expected an object, found \(v.kindName)")
        }
        for key in metadata.keys where !["name", "generateName", "namespace", "labels", "annotations"].contains(key) {
            throw ArgoError.invalid("metadata.\(key): not supported (supported: name, generateName, namespace, labels, annotations)")
        }
        if let given = metadata["namespace"]?.stringValue, given != namespace {
            throw ArgoError.invalid("metadata.namespace: \"\(given)\" differs from the namespace in the path, \"\(namespace)\"")
        }
        for key in ["labels", "annotations"] {
            guard let value = metadata[key] else { continue }
            guard case .object(let o) = value, o.allSatisfy({ $0.value.stringValue != nil }) else { throw ArgoError.invalid("metadata.\(key): expected an object of strings") }
        }
        let name: String
        if let given = metadata["name"]?.stringValue, !given.isEmpty {
            name = given
        } else if let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty {
            name = prefix + Self.randomSuffix()
        } else {
            throw ArgoError.invalid("metadata.name: give metadata.name or metadata.generateName")
        }
        if let problem = Self.nameProblem(name) { throw ArgoError.invalid("metadata.name: \(problem)") }
        let uid = Self.uuid()
        metadata.set("name", .string(name))
        metadata.set("namespace", .string(namespace))
        metadata.set("uid", .string(uid))
        metadata.set("creationTimestamp", .string(ArgoStatus.time(now)))
        var argo = JSONObject()
        argo.append("apiVersion", "argoproj.io/v1alpha1")
        argo.append("kind", "Workflow")
        for key in workflow.keys where !["apiVersion", "kind", "metadata", "spec", "status"].contains(key) {
            throw ArgoError.invalid("\(key): unknown field; a Workflow has apiVersion, kind, metadata, spec")
        }
        var sent = workflow
        sent.set("metadata", .object(metadata))
        let translation: ArgoTranslation
        switch ArgoTranslator.translate(.object(sent), name: name, namespace: namespace, uid: uid) {
        case .success(let t): translation = t
        case .failure(let failure): throw ArgoError.invalid(failure.description)
        }
        guard var definition = translation.definition.objectValue else { throw ArgoError.invalid("the workflow could not be translated") }
        let spec = workflow["spec"] ?? .null
        definition.append("origin", ["argo": ["metadata": .object(metadata), "spec": spec]])
        return (metadata, spec, translation, .object(definition))
    }

    /// A Sluice checker's refusal, with each problem at its path in the Argo workflow.
    static func refusal(_ failure: ValidationFailure, _ translation: ArgoTranslation) -> Problem {
        ArgoError.invalid(failure.issues.map { "\(translation.argoPath($0.path)): \($0.message)" }.joined(separator: "; "))
    }

    @Sendable func create(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let namespace = try namespace(context, .edit)
        let (workflow, dryRun) = try await workflowBody(request)
        return try await submit(workflow, namespace: namespace, dryRun: dryRun, context: context)
    }

    /// Checks, stores and starts `workflow` in `namespace` (only checks it for a dry run), and
    /// answers the stored object.
    func submit(_ sent: JSONObject, namespace: String, dryRun: Bool = false, context: SluiceRequestContext) async throws -> Response {
        var workflow = sent
        if let spec = sent["spec"] { workflow.set("spec", try await resolvingTemplateRef(spec, namespace: namespace)) }
        let prepared = try await prepare(workflow, namespace: namespace, now: engine.clock.now())
        let name = prepared.metadata["name"]?.stringValue ?? ""
        if dryRun {
            if case .failure(let failure) = try await engine.validate(prepared.definition, maxTasks: SluiceCore.Limits.maxTranslatedTasks) { throw Self.refusal(failure, prepared.translation) }
            let status = ArgoStatus.status(workflow: name, nodes: prepared.translation.nodes, execution: nil)
            return JSONResponse.make(ArgoWorkflows.object(metadata: prepared.metadata, spec: prepared.spec, status: status, resourceVersion: "0"))
        }
        let key = "\(namespace)/\(name)"
        guard creating.names.withLock({ $0.insert(key).inserted }) else { throw ArgoError.alreadyExists(name) }
        defer { _ = creating.names.withLock { $0.remove(key) } }
        if try await workflows.find(name, in: namespace) != nil { throw ArgoError.alreadyExists(name) }
        let created: Engine.LoadedWorkflow
        do {
            created = try await engine.createWorkflow(prepared.definition, maxTasks: SluiceCore.Limits.maxTranslatedTasks)
        } catch EngineError.invalid(let failure) {
            throw Self.refusal(failure, prepared.translation)
        }
        do {
            _ = try await engine.startExecution(workflowID: created.record.id, request: ExecutionRequest(input: .object(JSONObject())), idempotencyKey: "argo-\(prepared.metadata["uid"]?.stringValue ?? "")")
        } catch {
            // Nothing half-made: a workflow that could not start is not kept.
            try? await engine.deleteWorkflow(created.record.id)
            throw error
        }
        context.logger.info("argo workflow created", metadata: ["workflow.id": "\(created.record.id)", "argo.name": "\(key)"])
        guard let stored = ArgoWorkflows.stored(created.record) else { throw ArgoError.invalid("the workflow could not be stored") }
        return JSONResponse.make(try await workflows.object(stored))
    }

    @Sendable func lint(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let namespace = try namespace(context, .read)
        var (workflow, _) = try await workflowBody(request)
        if let spec = workflow["spec"] { workflow.set("spec", try await resolvingTemplateRef(spec, namespace: namespace)) }
        let prepared = try await prepare(workflow, namespace: namespace, now: engine.clock.now())
        if case .failure(let failure) = try await engine.validate(prepared.definition, maxTasks: SluiceCore.Limits.maxTranslatedTasks) { throw Self.refusal(failure, prepared.translation) }
        var answer = workflow
        answer.set("metadata", .object(prepared.metadata))
        return JSONResponse.make(.object(answer))
    }

    @Sendable func get(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        let namespace = try namespace(context, .read, hiddenAsNotFound: name)
        guard let stored = try await workflows.find(name, in: namespace) else { throw ArgoError.notFound(name) }
        let object = try await workflows.object(stored)
        return JSONResponse.make(ArgoFields(request.uri.queryParameters["fields"].map(String.init))?.apply(to: object) ?? object)
    }

    @Sendable func delete(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        let namespace = try namespace(context, .edit, hiddenAsNotFound: name)
        guard let stored = try await workflows.find(name, in: namespace) else { throw ArgoError.notFound(name) }
        if stored.executionID != nil {
            throw ArgoError.invalid("\"\(name)\" was started by CronWorkflow \"\(stored.record.name)\", whose successfulJobsHistoryLimit and failedJobsHistoryLimit decide how long it is kept (stop it with PUT …/\(name)/stop; deleting the CronWorkflow deletes it)")
        }
        // A running workflow is stopped first, as deleting an Argo workflow deletes its pods.
        if let detail = try await workflows.execution(of: stored), !detail.execution.status.isTerminal {
            _ = try? await engine.cancelExecution(detail.execution.id)
        }
        // Deleting it deletes its execution's artifacts too (Engine.sweepArtifacts).
        try await engine.deleteWorkflow(stored.record.id)
        return JSONResponse.make(.object(JSONObject()))
    }

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let namespace = try namespace(context, .read)
        let query = request.uri.queryParameters
        let selector = try ArgoLabelSelector.of(query)
        // A page holds at most the native page-size limit (`page_size`): without
        // `listOptions.limit`, or with a larger one, the page is that long and
        // `metadata.continue` leads on, as Kubernetes' API server pages.
        var limit = configuration.maxPageSize
        if let raw = query["listOptions.limit"], !raw.isEmpty {
            guard let n = Int(raw), n >= 0 else { throw ArgoError.invalid("listOptions.limit: expected a whole number, found \"\(raw)\"") }
            if n > 0 { limit = min(n, configuration.maxPageSize) }
        }
        var offset = 0
        if let raw = query["listOptions.continue"], !raw.isEmpty {
            guard let n = Int(raw), n >= 0 else { throw ArgoError.invalid("listOptions.continue: not a token this server gave") }
            offset = n
        }
        var items: [JSONValue] = []
        var matched = 0
        var more = false
        for stored in try await workflows.all(in: namespace) {
            let object = try await workflows.object(stored)
            let labels = object["metadata"]?["labels"]?.objectValue ?? JSONObject()
            guard selector.matches(labels) else { continue }
            matched += 1
            if matched <= offset { continue }
            if items.count == limit { more = true; break }
            items.append(object)
        }
        var metadata = JSONObject()
        metadata.append("resourceVersion", .string(String(engine.clock.now())))
        if more { metadata.append("continue", .string(String(offset + items.count))) }
        let answer: JSONValue = ["metadata": .object(metadata), "items": .array(items)]
        return JSONResponse.make(ArgoFields(query["fields"].map(String.init))?.apply(to: answer) ?? answer)
    }

    @Sendable func info(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        JSONResponse.make(["links": [], "columns": [], "modals": [:], "navColor": ""])
    }

    @Sendable func version(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        JSONResponse.make([
            "version": .string(Self.argoVersion), "buildDate": "", "gitCommit": "sluice", "gitTag": .string(Self.argoVersion),
            "gitTreeState": "clean", "goVersion": "", "compiler": "swift", "platform": "linux/amd64",
        ])
    }

    @Sendable func userinfo(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        var o = JSONObject()
        if let identity = context.identity {
            o.append("subject", .string(identity.account))
            o.append("issuer", "sluice")
        }
        return JSONResponse.make(.object(o))
    }

    /// Five random lowercase letters and digits, as Kubernetes' `generateName` adds.
    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }

    /// A random version-4 UUID.
    static func uuid() -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }.joined()
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }

    /// Why `name` is not a Kubernetes object name (lowercase letters, digits, `-` and `.`,
    /// starting and ending with a letter or digit, at most 253), or `nil`.
    static func nameProblem(_ name: String) -> String? {
        let ok = name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }
        guard ok, let first = name.first, let last = name.last, first.isLetter || first.isNumber, last.isLetter || last.isNumber, name.count <= 253 else {
            return "\"\(name)\" is not a valid name: expected lowercase letters, digits, \"-\" and \".\", starting and ending with a letter or digit, at most 253 characters"
        }
        return nil
    }
}

/// The `namespace/name`s whose create is under way.
final class NamesInCreation: Sendable {
    let names = Mutex<Set<String>>([])
}
