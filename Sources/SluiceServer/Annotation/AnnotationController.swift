import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// The annotation API's projects, workflows and algorithms (`/annotation/…`), answered in its
/// envelope (`AnnotationEnvelope`). A project lives in a namespace: creating one, its workflows
/// and algorithms needs `edit` there, reading needs `read`; a project in a namespace where the
/// caller has no role is unknown to them.
struct AnnotationController {
    let engine: Engine
    let configuration: ServerConfiguration
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/annotation/project/create", use: createProject)
        router.get("/annotation/project/get", use: getProject)
        router.get("/annotation/project/list", use: listProjects)
        router.post("/annotation/workflow/create", use: createWorkflow)
        router.get("/annotation/workflow/get", use: getWorkflow)
        router.get("/annotation/workflow/list", use: listWorkflows)
        router.post("/annotation/workflow/update", use: updateWorkflow)
        router.post("/annotation/algorithm/create", use: createAlgorithm)
        router.get("/annotation/algorithm/list", use: listAlgorithms)
    }

    static let projectMembers = ["name", "description", "namespace", "labelConfig"]

    // MARK: Projects

    @Sendable func createProject(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        let object = body.objectValue ?? JSONObject()
        var issues = AnnotationFields.unknownMembers(object, allowed: Self.projectMembers, path: "")
        let name = AnnotationFields(object: object).string("name", required: true, maxLength: Limits.annotationNameCharacters, issues: &issues)
        let description = AnnotationFields(object: object).string("description", maxLength: Limits.annotationDescriptionCharacters, issues: &issues) ?? ""
        let namespace = try namespaceField(object, issues: &issues)
        var config = LabelConfig.default
        if let raw = object["labelConfig"], raw != .null {
            let (parsed, configIssues) = LabelConfig.parse(raw, path: "labelConfig")
            issues += configIssues
            if let parsed { config = parsed }
        }
        if let namespace, issues.isEmpty { try requireEdit(context, in: namespace, to: "create a project") }
        guard issues.isEmpty, let name, let namespace else { throw Self.invalid(issues) }
        let project = try await engine.store.insertProject(AnnotationProjectRecord(
            namespace: namespace, name: name, description: description, labelConfig: config.json, createdAt: engine.now()
        ))
        return AnnotationEnvelope.success(["projectId": .number(Double(project.id))], now: engine.now())
    }

    @Sendable func getProject(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try Self.idParameter(request, "projectId")
        guard let project = try await visibleProject(id, context) else { throw Self.notFound("no project \(id)") }
        return AnnotationEnvelope.success(Self.representation(project), now: engine.now())
    }

    @Sendable func listProjects(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let limit = try parsing.page(request).limit
        let after = try Self.idParameter(request, "cursor", required: false) ?? 0
        let projects = try await engine.store.projects(namespaces: context.namespaces(where: .read), after: after, limit: limit)
        return AnnotationEnvelope.success([
            "list": .array(projects.map(Self.representation)),
            "nextCursor": projects.count == limit ? .number(Double(projects.last!.id)) : .null,
        ], now: engine.now())
    }

    // MARK: Workflows

    @Sendable func createWorkflow(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        let object = body.objectValue ?? JSONObject()
        var issues = AnnotationFields.unknownMembers(object, allowed: ["projectId", "workflow"], path: "")
        var project: AnnotationProjectRecord?
        if let id = AnnotationFields(object: object).integer("projectId", required: true, issues: &issues) {
            project = try await visibleProject(id, context)
            if let project {
                try requireEdit(context, in: project.namespace, to: "create a workflow of project \(id)")
            } else {
                issues.append(.init(path: "projectId", code: "unknown_project", message: "no project \(id); create one with POST /annotation/project/create"))
            }
        }
        var pipeline = AnnotationPipeline.default
        if let raw = object["workflow"], raw != .null {
            let (parsed, pipelineIssues) = AnnotationPipeline.parse(raw, path: "workflow")
            issues += pipelineIssues
            if let parsed {
                pipeline = parsed
                if let project { issues += try await referenceProblems(pipeline, namespace: project.namespace, authEnabled: context.authEnabled) }
            }
        }
        guard issues.isEmpty, let project else { throw Self.invalid(issues) }
        // The Sluice workflow its items' executions run, stored first: a crash before the
        // annotation workflow is stored leaves an unused workflow, never an annotation workflow
        // whose items cannot run.
        let runsAs = try await engine.createWorkflow(try await Self.itemWorkflow(project: project, pipeline: pipeline, store: engine.store)).record.id
        let now = engine.now()
        guard let stored = try await engine.store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: project.id, namespace: project.namespace, pipeline: pipeline.json, createdAt: now, runsAs: runsAs)) else {
            throw Self.invalid([.init(path: "projectId", code: "unknown_project", message: "no project \(project.id) (it was deleted meanwhile)")])
        }
        return AnnotationEnvelope.success(["workflowId": .number(Double(stored.id))], now: now)
    }

    @Sendable func getWorkflow(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try Self.idParameter(request, "workflowId")
        guard let workflow = try await engine.store.annotationWorkflow(id: id), context.decide(.read, in: workflow.namespace) != .hidden else {
            throw Self.notFound("no workflow \(id)")
        }
        try requireRead(context, in: workflow.namespace)
        return AnnotationEnvelope.success(Self.representation(workflow), now: engine.now())
    }

    @Sendable func listWorkflows(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try Self.idParameter(request, "projectId")
        guard let project = try await visibleProject(id, context) else { throw Self.notFound("no project \(id)") }
        try requireRead(context, in: project.namespace)
        let workflows = try await engine.store.annotationWorkflows(projectID: project.id)
        return AnnotationEnvelope.success(["list": .array(workflows.map(Self.representation))], now: engine.now())
    }

    /// An edit of a workflow's pools (`AnnotationPipelineEdit` says how pools are matched and
    /// when items block it). Checked like a new workflow, then against the items it holds;
    /// stored as a new version of the Sluice workflow its items run (items that start from now
    /// on run it; items on their way continue on it from their next answer), then as the
    /// annotation workflow's pipeline with its waiting items re-pointed, in one transaction.
    @Sendable func updateWorkflow(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        let object = body.objectValue ?? JSONObject()
        var issues = AnnotationFields.unknownMembers(object, allowed: ["workflowId", "workflow", "moveItems", "version"], path: "")
        var existing: AnnotationWorkflowRecord?
        if let id = AnnotationFields(object: object).integer("workflowId", required: true, issues: &issues) {
            existing = try await engine.store.annotationWorkflow(id: id).flatMap { context.decide(.read, in: $0.namespace) == .hidden ? nil : $0 }
            if let existing {
                try requireEdit(context, in: existing.namespace, to: "edit workflow \(id)")
            } else {
                issues.append(.init(path: "workflowId", code: "unknown_workflow", message: "no workflow \(id); create one with POST /annotation/workflow/create"))
            }
        }
        let expected = AnnotationFields(object: object).integer("version", issues: &issues).map { Int($0) }
        var moves: [String: String] = [:]
        if let raw = object["moveItems"], raw != .null {
            if let members = raw.objectValue {
                for member in members {
                    if let target = member.value.stringValue { moves[member.key] = target } else {
                        issues.append(.init(path: IssuePath.member("moveItems", member.key), code: "type_mismatch", message: "expected the name of a pool of the edited workflow (a string), found \(member.value.described)"))
                    }
                }
            } else {
                issues.append(.init(path: "moveItems", code: "type_mismatch", message: "expected an object naming, for each removed pool, the pool its items go to ({\"Review\": \"Review 2\"}), found \(raw.described)"))
            }
        }
        var pipeline: AnnotationPipeline?
        if let raw = object["workflow"], raw != .null {
            let (parsed, pipelineIssues) = AnnotationPipeline.parse(raw, path: "workflow")
            issues += pipelineIssues
            pipeline = parsed
            if let parsed, let existing { issues += try await referenceProblems(parsed, namespace: existing.namespace, authEnabled: context.authEnabled) }
        } else {
            issues.append(.init(path: "workflow", code: "required", message: "expected the edited workflow: {\"pools\": [...]}, all of its pools (the ones it keeps, matched by name, and the new ones)"))
        }
        var edit: AnnotationPipelineEdit?
        if let existing, let pipeline, let old = AnnotationPipeline.parse(existing.pipeline, path: "workflow").0 {
            let counts = try await engine.store.annotationProgress(workflowID: existing.id, runsAs: existing.runsAs)
            var occupancy: [Int: AnnotationPipelineEdit.Occupancy] = [:]
            for pool in counts.pools { occupancy[pool.pool] = .init(waiting: pool.waiting, held: pool.held) }
            let checked = AnnotationPipelineEdit(old: old, new: pipeline, moves: moves)
            issues += checked.problems(occupancy: occupancy)
            edit = checked
        }
        guard issues.isEmpty, let existing, let pipeline, let edit else { throw Self.invalid(issues) }
        if let expected, expected != existing.version {
            throw Self.conflict(existing, expected: expected)
        }
        guard let project = try await engine.store.project(id: existing.projectID), let head = try await engine.store.workflow(id: existing.runsAs) else {
            throw Self.notFound("no workflow \(existing.id) (it was deleted meanwhile)")
        }
        let stored: Int
        do {
            stored = try await engine.updateWorkflow(existing.runsAs, definition: try await Self.itemWorkflow(project: project, pipeline: pipeline, store: engine.store), expectedVersion: head.version).record.version
        } catch EngineError.versionConflict {
            throw Self.conflict(existing, expected: expected ?? existing.version)
        }
        var updated = existing
        updated.pipeline = pipeline.json
        updated.version = stored
        updated.updatedAt = engine.now()
        guard try await engine.store.updateAnnotationWorkflow(updated, expectedVersion: existing.version, repoint: { $0.repointed(edit) }) else {
            throw Self.conflict(existing, expected: expected ?? existing.version)
        }
        return AnnotationEnvelope.success(Self.representation(updated), now: updated.updatedAt)
    }

    static func conflict(_ workflow: AnnotationWorkflowRecord, expected: Int) -> Problem {
        Problem(status: .conflict, type: "urn:sluice:problem:conflict", title: "Conflict",
                detail: "workflow \(workflow.id) was edited by someone else meanwhile (it was at version \(expected)); nothing was stored: read it again (GET /annotation/workflow/get) and send your edit on top of it")
    }

    /// The definition of the workflow an annotation workflow's items run: one `Annotation.Item`
    /// step with the pipeline, the form of the project's annotations and the algorithms it names.
    static func itemWorkflow(project: AnnotationProjectRecord, pipeline: AnnotationPipeline, store: any Store) async throws -> JSONValue {
        var algorithms = JSONObject()
        for name in pipeline.pools.flatMap(\.algorithms) where algorithms[name] == nil {
            guard let algorithm = try await store.algorithm(namespace: project.namespace, name: name) else { continue }
            algorithms.append(name, algorithm.spec)
        }
        let form = LabelConfig.parse(project.labelConfig, path: "labelConfig").0?.form ?? ["type": "object"]
        let name = "Annotation: \(project.name)"
        return [
            "name": .string(String(name.prefix(Limits.workflowNameCharacters))),
            "description": .string("Items of annotation project \(project.id) through their pools (made by the annotation API)."),
            "namespace": .string(project.namespace),
            "steps": [[
                "id": "item", "type": .string(AnnotationItem.stepType),
                "input": ["pipeline": pipeline.json, "form": form, "algorithms": .object(algorithms), "project_id": .number(Double(project.id))],
            ]],
        ]
    }

    // MARK: Algorithms

    @Sendable func createAlgorithm(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await parsing.jsonObject(request)
        let object = body.objectValue ?? JSONObject()
        var issues = AnnotationFields.unknownMembers(object, allowed: ["name", "namespace", "description", "queue", "step"], path: "")
        let name = AnnotationFields(object: object).string("name", required: true, maxLength: AlgorithmName.maxLength, issues: &issues)
        if let name, let problem = AlgorithmName.problem(name) { issues.append(.init(path: "name", code: "invalid_name", message: problem)) }
        let description = AnnotationFields(object: object).string("description", maxLength: Limits.annotationDescriptionCharacters, issues: &issues) ?? ""
        let namespace = try namespaceField(object, issues: &issues)
        let queue = AnnotationFields(object: object).string("queue", maxLength: Limits.queueNameBytes, issues: &issues)
        let step = object["step"].flatMap { $0 == .null ? nil : $0 }
        var spec: JSONValue?
        switch (queue, step) {
        case (let queue?, nil):
            if let problem = WorkerTask.queueNameProblem(queue) { issues.append(.init(path: "queue", code: "invalid_queue", message: problem)) }
            spec = ["queue": .string(queue)]
        case (nil, let step?):
            issues += try await stepProblems(step)
            spec = ["step": step]
        case (nil, nil):
            issues.append(.init(path: "", code: "required", message: "an algorithm is a worker queue its items go to (queue) or a step Sluice runs on them (step); expected one of them"))
        case (_?, _?):
            issues.append(.init(path: "step", code: "unexpected", message: "an algorithm is a worker queue or a step, not both; expected queue or step"))
        }
        if let namespace, issues.isEmpty { try requireEdit(context, in: namespace, to: "register an algorithm") }
        guard issues.isEmpty, let name, let namespace, let spec else { throw Self.invalid(issues) }
        let record = AnnotationAlgorithmRecord(namespace: namespace, name: name, description: description, spec: spec, createdAt: engine.now())
        guard try await engine.store.insertAlgorithm(record) else {
            throw Self.invalid([.init(path: "name", code: "name_taken", message: "namespace \"\(namespace)\" has an algorithm named \"\(name)\" already")])
        }
        return AnnotationEnvelope.success(Self.representation(record), now: engine.now())
    }

    @Sendable func listAlgorithms(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let namespace = request.uri.queryParameters["namespace"].map(String.init) ?? Namespace.default
        if let problem = Namespace.problem(namespace) { throw Self.invalid([.init(path: "namespace", code: "invalid_namespace", message: problem)]) }
        guard context.decide(.read, in: namespace) != .hidden else { throw Self.notFound("no namespace \"\(namespace)\"") }
        try requireRead(context, in: namespace)
        let list = try await engine.store.algorithms(namespace: namespace)
        return AnnotationEnvelope.success(["list": .array(list.map(Self.representation))], now: engine.now())
    }

    // MARK: Checks

    /// Accounts in `workers` that do not exist (or, with access checked, may not work in the
    /// project's namespace), and algorithms not registered there.
    func referenceProblems(_ pipeline: AnnotationPipeline, namespace: String, authEnabled: Bool) async throws -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let references = pipeline.references(path: "workflow")
        var accounts: [String: ValidationIssue?] = [:]
        for reference in references.workers {
            if accounts[reference.name] == nil {
                accounts[reference.name] = try await workerProblem(reference.name, namespace: namespace, authEnabled: authEnabled)
            }
            if let issue = accounts[reference.name]!, var issue = Optional(issue) {
                issue.path = reference.path
                issues.append(issue)
            }
        }
        for reference in references.algorithms where try await engine.store.algorithm(namespace: namespace, name: reference.name) == nil {
            issues.append(.init(path: reference.path, code: "unknown_algorithm", message: "namespace \"\(namespace)\" has no algorithm named \"\(reference.name)\"; register it with POST /annotation/algorithm/create"))
        }
        return issues
    }

    func workerProblem(_ name: String, namespace: String, authEnabled: Bool) async throws -> ValidationIssue? {
        guard let account = try await engine.store.account(name: name) else {
            return .init(path: "", code: "unknown_account", message: "no account is named \"\(name)\"")
        }
        guard authEnabled else { return nil }
        let grants = try await engine.store.grants(accountID: account.id, namespace: nil)
        let principal = Principal(accountID: account.id, account: account.name, grants: grants, tokenID: "")
        guard principal.may(.work, in: namespace) else {
            return .init(path: "", code: "cannot_work", message: "account \"\(name)\" may not work in the project's namespace \"\(namespace)\" (it needs the worker or admin role there)")
        }
        return nil
    }

    /// The problems of an algorithm's `step`: checked as the one step of a workflow would be.
    func stepProblems(_ step: JSONValue) async throws -> [ValidationIssue] {
        guard step.objectValue != nil else {
            return [.init(path: "step", code: "type_mismatch", message: "expected a step, an object with type and input (as a workflow's step), found \(step.described)")]
        }
        if step["type"]?.stringValue == HumanTask.stepType {
            return [.init(path: "step.type", code: "not_an_algorithm", message: "people work in labeling, inspection and spot-check pools; an algorithm is a step Sluice runs or a worker queue")]
        }
        switch try await engine.validate(["name": "algorithm", "steps": [step]]) {
        case .success: return []
        case .failure(let failure):
            return failure.issues.map { issue in
                var issue = issue
                issue.path = issue.path.hasPrefix("steps[0]") ? "step" + issue.path.dropFirst("steps[0]".count) : "step"
                return issue
            }
        }
    }

    func visibleProject(_ id: Int64, _ context: SluiceRequestContext) async throws -> AnnotationProjectRecord? {
        guard let project = try await engine.store.project(id: id), context.decide(.read, in: project.namespace) != .hidden else { return nil }
        return project
    }

    func requireEdit(_ context: SluiceRequestContext, in namespace: String, to what: String) throws {
        guard context.decide(.edit, in: namespace) == .allowed else {
            throw AccessControl.forbidden("to \(what) in namespace \"\(namespace)\" needs the editor or admin role there")
        }
    }

    func requireRead(_ context: SluiceRequestContext, in namespace: String) throws {
        guard context.decide(.read, in: namespace) == .allowed else {
            throw AccessControl.forbidden("reading namespace \"\(namespace)\" needs a role there that reads (viewer, runner, editor or admin)")
        }
    }

    /// `namespace` of a body: a valid namespace name, `default` when left out.
    func namespaceField(_ object: JSONObject, issues: inout [ValidationIssue]) throws -> String? {
        guard let raw = object["namespace"], raw != .null else { return Namespace.default }
        guard let name = raw.stringValue else {
            issues.append(.init(path: "namespace", code: "type_mismatch", message: "expected a namespace name (a string), found \(raw.described)"))
            return nil
        }
        if let problem = Namespace.problem(name) {
            issues.append(.init(path: "namespace", code: "invalid_namespace", message: problem))
            return nil
        }
        return name
    }

    static func invalid(_ issues: [ValidationIssue]) -> Problem {
        Problem.validation(ValidationFailure(title: "Invalid Parameter", issues: issues))
    }

    static func notFound(_ detail: String) -> Problem {
        Problem.notFound(detail)
    }

    /// A positive integer id in the query (`?projectId=7`).
    static func idParameter(_ request: Request, _ name: String, required: Bool = true) throws -> Int64? {
        guard let raw = request.uri.queryParameters[Substring(name)] else {
            if required { throw invalid([.init(path: name, code: "required", message: "expected \(name), an integer, in the query (?\(name)=…)")]) }
            return nil
        }
        guard let id = Int64(raw), id > 0 else {
            throw invalid([.init(path: name, code: "type_mismatch", message: "expected a positive integer, found \"\(raw)\"")])
        }
        return id
    }

    static func idParameter(_ request: Request, _ name: String) throws -> Int64 {
        try idParameter(request, name, required: true)!
    }

    // MARK: Representations

    static func representation(_ project: AnnotationProjectRecord) -> JSONValue {
        var o = JSONObject()
        o.append("projectId", .number(Double(project.id)))
        o.append("name", .string(project.name))
        o.append("description", .string(project.description))
        o.append("namespace", .string(project.namespace))
        o.append("labelConfig", project.labelConfig)
        o.append("createdAt", .string(AnnotationEnvelope.date(project.createdAt)))
        return .object(o)
    }

    static func representation(_ workflow: AnnotationWorkflowRecord) -> JSONValue {
        var o = JSONObject()
        o.append("workflowId", .number(Double(workflow.id)))
        o.append("projectId", .number(Double(workflow.projectID)))
        o.append("namespace", .string(workflow.namespace))
        o.append("version", .number(Double(workflow.version)))
        o.append("workflow", workflow.pipeline)
        o.append("createdAt", .string(AnnotationEnvelope.date(workflow.createdAt)))
        o.append("updatedAt", .string(AnnotationEnvelope.date(workflow.updatedAt)))
        return .object(o)
    }

    static func representation(_ algorithm: AnnotationAlgorithmRecord) -> JSONValue {
        var o = JSONObject()
        o.append("name", .string(algorithm.name))
        o.append("namespace", .string(algorithm.namespace))
        o.append("description", .string(algorithm.description))
        for member in algorithm.spec.objectValue?.members ?? [] { o.append(member.key, member.value) }
        o.append("createdAt", .string(AnnotationEnvelope.date(algorithm.createdAt)))
        return .object(o)
    }
}
