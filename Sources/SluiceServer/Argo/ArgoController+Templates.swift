import HTTPTypes
import Hummingbird
import SluiceArgo
import SluiceCore
import SluiceEngine
import SluiceStore

/// WorkflowTemplates: `/api/v1/workflow-templates/{namespace}` create, list, get, update (with
/// `metadata.resourceVersion`, which Hera's update reads), delete and lint, and
/// `POST /api/v1/workflows/{namespace}/submit` from one. A WorkflowTemplate is kept as a Sluice
/// workflow too (its `origin.argoTemplate` holds the Argo object; its definition is the
/// template's translation with the default arguments, so it is checked when stored), and its
/// `resourceVersion` is that workflow's version. A Workflow's `spec.workflowTemplateRef` takes
/// the template's spec, with the Workflow's own fields and arguments over it.
extension ArgoController {
    func registerTemplates(on router: some RouterMethods<SluiceRequestContext>) {
        router.post("/api/v1/workflow-templates/:namespace", use: createTemplate)
        router.get("/api/v1/workflow-templates/:namespace", use: listTemplates)
        router.post("/api/v1/workflow-templates/:namespace/lint", use: lintTemplate)
        router.get("/api/v1/workflow-templates/:namespace/:name", use: getTemplate)
        router.put("/api/v1/workflow-templates/:namespace/:name", use: updateTemplate)
        router.delete("/api/v1/workflow-templates/:namespace/:name", use: deleteTemplate)
        router.post("/api/v1/workflows/:namespace/submit", use: submitFrom)
        router.post("/api/v1/cluster-workflow-templates", use: createClusterTemplate)
        router.get("/api/v1/cluster-workflow-templates", use: listClusterTemplates)
        router.post("/api/v1/cluster-workflow-templates/lint", use: lintClusterTemplate)
        router.get("/api/v1/cluster-workflow-templates/:name", use: getClusterTemplate)
        router.put("/api/v1/cluster-workflow-templates/:name", use: updateClusterTemplate)
        router.delete("/api/v1/cluster-workflow-templates/:name", use: deleteClusterTemplate)
    }

    /// A WorkflowTemplate (in a namespace) or a ClusterWorkflowTemplate (in every namespace,
    /// kept in the Sluice namespace `TemplateKind.clusterNamespace`).
    enum TemplateKind {
        case namespaced
        case cluster

        /// Where ClusterWorkflowTemplates are kept: the Sluice namespace whose `edit` role
        /// manages them and whose `read` role lists them.
        static let clusterNamespace = "cluster-workflow-templates"

        var kind: String { self == .cluster ? "ClusterWorkflowTemplate" : "WorkflowTemplate" }
        var resource: String { self == .cluster ? "clusterworkflowtemplates.argoproj.io" : "workflowtemplates.argoproj.io" }
        /// The member of a stored definition's `origin` that holds the Argo object.
        var origin: String { self == .cluster ? "argoClusterTemplate" : "argoTemplate" }
    }

    static func templateNotFound(_ name: String, _ kind: TemplateKind = .namespaced) -> Problem {
        Problem(status: .notFound, type: "urn:sluice:problem:not-found", title: "Not found", detail: "\(kind.resource) \"\(name)\" not found")
    }

    /// The Sluice namespace ClusterWorkflowTemplates are kept in, once `permission` there is
    /// checked (a refusal says which role to grant where).
    func clusterNamespace(_ context: SluiceRequestContext, _ permission: Permission, hiddenAsNotFound name: String? = nil) throws -> String {
        let namespace = TemplateKind.clusterNamespace
        switch context.decide(permission, in: namespace) {
        case .allowed: return namespace
        case .hidden where name != nil: throw Self.templateNotFound(name!, .cluster)
        default:
            throw AccessControl.forbidden("account \"\(context.identity?.account ?? "")\" may not \(permission.rawValue) ClusterWorkflowTemplates: that takes the \(permission.rawValue) role in namespace \"\(namespace)\", where they are kept")
        }
    }

    /// The `template` member of a body.
    func templateBody(_ request: Request) async throws -> JSONObject {
        guard let document = try await parsing.documentBody(request), case .object(let body) = document.json else {
            throw ArgoError.invalid("expected a JSON object {\"template\": {…}}")
        }
        guard case .object(let template)? = body["template"] else { throw ArgoError.invalid("template: required field is missing; expected {\"template\": {\"metadata\": …, \"spec\": …}}") }
        for key in body.keys where !["template", "namespace", "createOptions", "name"].contains(key) {
            throw ArgoError.invalid("\(key): unknown field; expected template, namespace, createOptions")
        }
        return template
    }

    /// The Sluice definition a WorkflowTemplate is kept as: checked like a Workflow (its
    /// parameters without a value count as empty), with the Argo object in `origin`.
    func templateDefinition(_ template: JSONObject, namespace: String, metadata: JSONObject, kind templateKind: TemplateKind = .namespaced) async throws -> JSONValue {
        guard let name = metadata["name"]?.stringValue else { throw ArgoError.invalid("metadata.name: required") }
        if let kind = template["kind"]?.stringValue, kind != templateKind.kind { throw ArgoError.invalid("kind: expected \"\(templateKind.kind)\", found \"\(kind)\"") }
        var spec = template["spec"]?.objectValue ?? JSONObject()
        if case .array(let parameters)? = spec["arguments"]?["parameters"] {
            let filled: [JSONValue] = parameters.map { p in
                guard case .object(var o) = p, o["value"] == nil else { return p }
                o.set("value", .string(""))
                return .object(o)
            }
            var arguments = spec["arguments"]?.objectValue ?? JSONObject()
            arguments.set("parameters", .array(filled))
            spec.set("arguments", .object(arguments))
        }
        // A WorkflowTemplate without an entrypoint is a library for templateRef: it is checked by
        // a spec that runs each of its templates once, with "" for the inputs it does not fill.
        if spec["entrypoint"] == nil, case .array(let templates)? = spec["templates"], !templates.isEmpty {
            var steps: [JSONValue] = []
            for (k, t) in templates.enumerated() {
                guard let name = t["name"]?.stringValue else { continue }
                var parameters: [JSONValue] = []
                if case .array(let inputs)? = t["inputs"]?["parameters"] {
                    for input in inputs where input["value"] == nil && input["default"] == nil {
                        if let n = input["name"]?.stringValue { parameters.append(["name": .string(n), "value": ""]) }
                    }
                }
                // Input artifacts it does not fill are an empty raw text, as parameters are "".
                var artifacts: [JSONValue] = []
                if case .array(let inputs)? = t["inputs"]?["artifacts"] {
                    for input in inputs where input["from"] == nil && input["raw"] == nil {
                        if let n = input["name"]?.stringValue { artifacts.append(["name": .string(n), "raw": ["data": ""]]) }
                    }
                }
                var arguments = JSONObject()
                arguments.append("parameters", .array(parameters))
                if !artifacts.isEmpty { arguments.append("artifacts", .array(artifacts)) }
                steps.append(["name": .string("t\(k)"), "template": .string(name), "arguments": .object(arguments)])
            }
            spec.set("entrypoint", "/check")
            spec.set("templates", .array(templates + [["name": "/check", "steps": [.array(steps)]]]))
        }
        spec = try await resolvingTemplateRefs(.object(spec), namespace: namespace, within: templateKind).objectValue ?? spec
        let checked = JSONObject([("metadata", .object(metadata)), ("spec", .object(spec))])
        let translation: ArgoTranslation
        switch ArgoTranslator.translate(.object(checked), name: name, namespace: namespace, uid: metadata["uid"]?.stringValue ?? "") {
        case .success(let t): translation = t
        case .failure(let failure): throw ArgoError.invalid(failure.description)
        }
        guard var definition = translation.definition.objectValue else { throw ArgoError.invalid("the template could not be translated") }
        definition.set("description", .string(templateKind == .cluster ? "Argo ClusterWorkflowTemplate \(name)" : "Argo WorkflowTemplate \(namespace)/\(name)"))
        definition.append("origin", .object(JSONObject([(templateKind.origin, ["metadata": .object(metadata), "spec": template["spec"] ?? .null])])))
        if case .failure(let failure) = try await engine.validate(.object(definition), maxTasks: SluiceCore.Limits.maxTranslatedTasks) { throw Self.refusal(failure, translation) }
        return .object(definition)
    }

    /// Metadata a create keeps: name (or generateName), labels, annotations; with uid and time.
    func templateMetadata(_ template: JSONObject, namespace: String, kind: TemplateKind = .namespaced) throws -> JSONObject {
        let given = template["metadata"]?.objectValue ?? JSONObject()
        for key in given.keys where !["name", "generateName", "namespace", "labels", "annotations", "resourceVersion", "uid", "creationTimestamp"].contains(key) {
            throw ArgoError.invalid("metadata.\(key): not supported (supported: name, generateName, namespace, labels, annotations, resourceVersion)")
        }
        var metadata = JSONObject()
        let name: String
        if let n = given["name"]?.stringValue, !n.isEmpty { name = n } else if let p = given["generateName"]?.stringValue, !p.isEmpty { name = p + Self.randomSuffix() } else {
            throw ArgoError.invalid("metadata.name: give metadata.name or metadata.generateName")
        }
        if let problem = Self.nameProblem(name) { throw ArgoError.invalid("metadata.name: \(problem)") }
        metadata.append("name", .string(name))
        if kind == .namespaced { metadata.append("namespace", .string(namespace)) }
        if let labels = given["labels"] { metadata.append("labels", labels) }
        if let annotations = given["annotations"] { metadata.append("annotations", annotations) }
        return metadata
    }

    /// The Argo object of a stored template.
    static func templateObject(_ record: WorkflowRecord) -> JSONValue? {
        let kind: TemplateKind = record.definition["origin"]?[TemplateKind.cluster.origin] != nil ? .cluster : .namespaced
        guard case .object(let argo)? = record.definition["origin"]?[kind.origin], var metadata = argo["metadata"]?.objectValue else { return nil }
        metadata.set("resourceVersion", .string(String(record.version)))
        return ["apiVersion": "argoproj.io/v1alpha1", "kind": .string(kind.kind), "metadata": .object(metadata), "spec": argo["spec"] ?? .null]
    }

    func templates(in namespace: String, kind: TemplateKind = .namespaced) async throws -> [WorkflowRecord] {
        try await workflows(in: namespace, origin: kind.origin)
    }

    /// The Sluice workflows of `namespace` that stand for an Argo object of one kind: those whose
    /// definition's `origin` has the member `origin` (`argoTemplate`, `argoCron`), every page read.
    func workflows(in namespace: String, origin: String) async throws -> [WorkflowRecord] {
        var out: [WorkflowRecord] = []
        var before: Int64?
        repeat {
            let page = try await engine.store.workflows(limit: 500, before: before, namespaces: [namespace])
            out += page.items.filter { $0.definition["origin"]?[origin] != nil }
            before = page.nextCursor
        } while before != nil
        return out
    }

    func template(_ name: String, in namespace: String, kind: TemplateKind = .namespaced) async throws -> WorkflowRecord? {
        let namespace = kind == .cluster ? TemplateKind.clusterNamespace : namespace
        return try await engine.store.workflows(named: name, namespace: namespace).first { $0.definition["origin"]?[kind.origin] != nil }
    }

    @Sendable func createTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await createTemplate(request, namespace: try namespace(context, .edit), kind: .namespaced)
    }

    @Sendable func createClusterTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await createTemplate(request, namespace: try clusterNamespace(context, .edit), kind: .cluster)
    }

    func createTemplate(_ request: Request, namespace: String, kind: TemplateKind) async throws -> Response {
        let template = try await templateBody(request)
        var metadata = try templateMetadata(template, namespace: namespace, kind: kind)
        metadata.set("uid", .string(Self.uuid()))
        metadata.set("creationTimestamp", .string(ArgoStatus.time(engine.clock.now())))
        let name = metadata["name"]?.stringValue ?? ""
        let key = "template:\(kind.origin):\(namespace)/\(name)"
        guard creating.names.withLock({ $0.insert(key).inserted }) else { throw Self.templateExists(name, kind) }
        defer { _ = creating.names.withLock { $0.remove(key) } }
        if try await self.template(name, in: namespace, kind: kind) != nil { throw Self.templateExists(name, kind) }
        let definition = try await templateDefinition(template, namespace: namespace, metadata: metadata, kind: kind)
        let created = try await engine.createWorkflow(definition, maxTasks: SluiceCore.Limits.maxTranslatedTasks)
        return JSONResponse.make(Self.templateObject(created.record) ?? .null)
    }

    static func templateExists(_ name: String, _ kind: TemplateKind = .namespaced) -> Problem {
        Problem(status: .conflict, type: "urn:sluice:problem:conflict", title: "Already exists", detail: "\(kind.resource) \"\(name)\" already exists")
    }

    @Sendable func lintTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await lintTemplate(request, namespace: try namespace(context, .read), kind: .namespaced)
    }

    @Sendable func lintClusterTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await lintTemplate(request, namespace: try clusterNamespace(context, .read), kind: .cluster)
    }

    func lintTemplate(_ request: Request, namespace: String, kind: TemplateKind) async throws -> Response {
        let template = try await templateBody(request)
        let metadata = try templateMetadata(template, namespace: namespace, kind: kind)
        _ = try await templateDefinition(template, namespace: namespace, metadata: metadata, kind: kind)
        var answer = template
        answer.set("metadata", .object(metadata))
        return JSONResponse.make(.object(answer))
    }

    @Sendable func listTemplates(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await listTemplates(request, namespace: try namespace(context, .read), kind: .namespaced)
    }

    @Sendable func listClusterTemplates(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        try await listTemplates(request, namespace: try clusterNamespace(context, .read), kind: .cluster)
    }

    func listTemplates(_ request: Request, namespace: String, kind: TemplateKind) async throws -> Response {
        let selector = try ArgoLabelSelector.of(request.uri.queryParameters)
        let items = try await templates(in: namespace, kind: kind).compactMap(Self.templateObject).filter {
            selector.matches($0["metadata"]?["labels"]?.objectValue ?? JSONObject())
        }
        return JSONResponse.make(["metadata": [:], "items": .array(items)])
    }

    @Sendable func getTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        return try await getTemplate(name, namespace: try namespace(context, .read, hiddenAsNotFound: name), kind: .namespaced)
    }

    @Sendable func getClusterTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        return try await getTemplate(name, namespace: try clusterNamespace(context, .read, hiddenAsNotFound: name), kind: .cluster)
    }

    func getTemplate(_ name: String, namespace: String, kind: TemplateKind) async throws -> Response {
        guard let record = try await template(name, in: namespace, kind: kind), let object = Self.templateObject(record) else { throw Self.templateNotFound(name, kind) }
        return JSONResponse.make(object)
    }

    /// Replaces the template; with `metadata.resourceVersion`, only if it is still the current
    /// one (else `409`, as Kubernetes answers a stale update).
    @Sendable func updateTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        return try await updateTemplate(request, name: name, namespace: try namespace(context, .edit, hiddenAsNotFound: name), kind: .namespaced)
    }

    @Sendable func updateClusterTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        return try await updateTemplate(request, name: name, namespace: try clusterNamespace(context, .edit, hiddenAsNotFound: name), kind: .cluster)
    }

    func updateTemplate(_ request: Request, name: String, namespace: String, kind: TemplateKind) async throws -> Response {
        let template = try await templateBody(request)
        guard let record = try await self.template(name, in: namespace, kind: kind), case .object(let old)? = record.definition["origin"]?[kind.origin]?["metadata"] else { throw Self.templateNotFound(name, kind) }
        if let given = template["metadata"]?["name"]?.stringValue, given != name { throw ArgoError.invalid("metadata.name: \"\(given)\" differs from the name in the path, \"\(name)\"") }
        var expected: Int?
        if let raw = template["metadata"]?["resourceVersion"]?.stringValue, !raw.isEmpty {
            guard let v = Int(raw) else { throw ArgoError.invalid("metadata.resourceVersion: not a version this server gave") }
            expected = v
        }
        var metadata = try templateMetadata(template, namespace: namespace, kind: kind)
        for key in ["uid", "creationTimestamp"] { if let v = old[key] { metadata.set(key, v) } }
        let definition = try await templateDefinition(template, namespace: namespace, metadata: metadata, kind: kind)
        do {
            let updated = try await engine.updateWorkflow(record.id, definition: definition, expectedVersion: expected, maxTasks: SluiceCore.Limits.maxTranslatedTasks)
            return JSONResponse.make(Self.templateObject(updated.record) ?? .null)
        } catch EngineError.versionConflict {
            throw Problem(status: .conflict, type: "urn:sluice:problem:conflict", title: "Conflict", detail: "Operation cannot be fulfilled on \(kind.resource) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again")
        }
    }

    @Sendable func deleteTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        return try await deleteTemplate(name, namespace: try namespace(context, .edit, hiddenAsNotFound: name), kind: .namespaced)
    }

    @Sendable func deleteClusterTemplate(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        return try await deleteTemplate(name, namespace: try clusterNamespace(context, .edit, hiddenAsNotFound: name), kind: .cluster)
    }

    func deleteTemplate(_ name: String, namespace: String, kind: TemplateKind) async throws -> Response {
        guard let record = try await template(name, in: namespace, kind: kind) else { throw Self.templateNotFound(name, kind) }
        try await engine.deleteWorkflow(record.id)
        return JSONResponse.make(.object(JSONObject()))
    }

    /// `POST /api/v1/workflows/{namespace}/submit`: a new Workflow from a WorkflowTemplate
    /// (`resourceKind` `WorkflowTemplate`, `resourceName`), with `submitOptions` `name` or
    /// `generateName` (default `<template>-`), `labels` (`a=b,c=d`), `parameters` (`["k=v"]`) and
    /// `entryPoint`.
    @Sendable func submitFrom(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let namespace = try namespace(context, .edit)
        guard let document = try await parsing.documentBody(request), case .object(let body) = document.json else { throw ArgoError.invalid("expected {\"resourceKind\": \"WorkflowTemplate\", \"resourceName\": …}") }
        let kind: TemplateKind
        switch body["resourceKind"]?.stringValue?.lowercased() {
        case "workflowtemplate"?: kind = .namespaced
        case "clusterworkflowtemplate"?: kind = .cluster
        default: throw ArgoError.invalid("resourceKind: expected WorkflowTemplate or ClusterWorkflowTemplate, found \(body["resourceKind"]?.preview ?? "nothing")")
        }
        guard let resource = body["resourceName"]?.stringValue else { throw ArgoError.invalid("resourceName: required") }
        guard let record = try await template(resource, in: namespace, kind: kind), case .object(let spec)? = record.definition["origin"]?[kind.origin]?["spec"] else { throw Self.templateNotFound(resource, kind) }
        let options = body["submitOptions"]?.objectValue ?? JSONObject()
        var metadata = JSONObject()
        if let name = options["name"]?.stringValue, !name.isEmpty { metadata.append("name", .string(name)) } else {
            metadata.append("generateName", .string(options["generateName"]?.stringValue ?? "\(resource)-"))
        }
        var labels = JSONObject([(kind == .cluster ? "workflows.argoproj.io/cluster-workflow-template" : "workflows.argoproj.io/workflow-template", .string(resource))])
        for pair in (options["labels"]?.stringValue ?? "").split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw ArgoError.invalid("submitOptions.labels: expected key=value pairs, found \"\(pair)\"") }
            labels.set(kv[0], .string(kv[1]))
        }
        metadata.append("labels", .object(labels))
        var given: [(String, String)] = []
        if case .array(let list)? = options["parameters"] {
            for (j, p) in list.enumerated() {
                let kv = (p.stringValue ?? "").split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw ArgoError.invalid("submitOptions.parameters[\(j)]: expected \"name=value\"") }
                given.append((kv[0], kv[1]))
            }
        }
        var merged = Self.withArguments(spec, given)
        if let entry = options["entryPoint"]?.stringValue, !entry.isEmpty { merged.set("entrypoint", .string(entry)) }
        return try await submit(JSONObject([("metadata", .object(metadata)), ("spec", .object(merged))]), namespace: namespace, context: context)
    }

    /// `spec` with its `arguments.parameters` set from `given` (by name; new names added).
    static func withArguments(_ spec: JSONObject, _ given: [(String, String)]) -> JSONObject {
        guard !given.isEmpty else { return spec }
        var parameters: [JSONValue] = []
        if case .array(let list)? = spec["arguments"]?["parameters"] { parameters = list }
        for (name, value) in given {
            if let i = parameters.firstIndex(where: { $0["name"]?.stringValue == name }), case .object(var o) = parameters[i] {
                o.set("value", .string(value))
                parameters[i] = .object(o)
            } else {
                parameters.append(["name": .string(name), "value": .string(value)])
            }
        }
        var out = spec
        var arguments = spec["arguments"]?.objectValue ?? JSONObject()
        arguments.set("parameters", .array(parameters))
        out.set("arguments", .object(arguments))
        return out
    }

    /// A Workflow's spec with its `workflowTemplateRef` resolved (the template's spec, the
    /// Workflow's own members over it, arguments merged by name) and then the `templateRef`s of
    /// its DAG tasks and steps (`resolvingTemplateRefs`). Unchanged without either.
    func resolvingTemplateRef(_ spec: JSONValue, namespace: String) async throws -> JSONValue {
        try await resolvingTemplateRefs(try await resolvingWorkflowTemplateRef(spec, namespace: namespace), namespace: namespace, within: .namespaced)
    }

    /// The most templates `templateRef`s may copy into one spec.
    static let maxReferencedTemplates = SluiceCore.Limits.argoReferencedTemplates

    /// `spec` with every `templateRef` of a DAG task or a step (`{"name": WorkflowTemplate,
    /// "template": its template}`) resolved, as Argo resolves it when the workflow starts: the
    /// referenced template — and the templates it calls in its WorkflowTemplate, and those their
    /// own `templateRef`s name — copied into `spec.templates` as `<WorkflowTemplate>/<template>`
    /// (a `/` no template name of the spec can hold), and the call pointed at that copy. A
    /// WorkflowTemplate changed later does not change a workflow already submitted.
    ///
    /// `clusterScope: true` names a ClusterWorkflowTemplate, copied in as
    /// `cluster/<ClusterWorkflowTemplate>/<template>`. Inside a ClusterWorkflowTemplate
    /// (`within: .cluster`) every `templateRef` names another ClusterWorkflowTemplate: there is no
    /// namespace to look a WorkflowTemplate up in when it is stored.
    func resolvingTemplateRefs(_ spec: JSONValue, namespace: String, within: TemplateKind) async throws -> JSONValue {
        guard case .object(var object) = spec, case .array(var templates)? = object["templates"] else { return spec }
        struct Owner: Hashable { var name: String; var cluster: Bool }
        var owners: [Owner?] = Array(repeating: nil, count: templates.count)
        var libraries: [Owner: [String: JSONValue]] = [:]
        var copied = Set<String>()
        /// The name of the copy of `template` of (Cluster)WorkflowTemplate `owner`, copied in if needed.
        func copy(_ owner: Owner, _ template: String, path: String) async throws -> String {
            let kind: TemplateKind = owner.cluster ? .cluster : .namespaced
            let name = owner.cluster ? "cluster/\(owner.name)/\(template)" : "\(owner.name)/\(template)"
            if copied.contains(name) { return name }
            if libraries[owner] == nil {
                guard let record = try await self.template(owner.name, in: namespace, kind: kind), case .array(let list)? = record.definition["origin"]?[kind.origin]?["spec"]?["templates"] else {
                    throw ArgoError.invalid("\(path): \(kind.resource) \"\(owner.name)\" not found" + (owner.cluster ? "" : " in namespace \"\(namespace)\""))
                }
                var byName: [String: JSONValue] = [:]
                for t in list { if let n = t["name"]?.stringValue { byName[n] = t } }
                libraries[owner] = byName
            }
            guard case .object(var found)? = libraries[owner]?[template] else {
                let known = (libraries[owner] ?? [:]).keys.sorted().joined(separator: ", ")
                throw ArgoError.invalid("\(path): \(kind.kind) \"\(owner.name)\" has no template \"\(template)\" (it has: \(known))")
            }
            guard copied.count < Self.maxReferencedTemplates else {
                throw ArgoError.invalid("\(path): templateRefs copy more than \(Self.maxReferencedTemplates) templates into this workflow")
            }
            copied.insert(name)
            found.set("name", .string(name))
            templates.append(.object(found))
            owners.append(owner)
            return name
        }
        /// A DAG task or a step with its template resolved.
        func resolved(_ call: JSONValue, owner: Owner?, path: String) async throws -> JSONValue {
            guard case .object(var c) = call else { return call }
            if let ref = c["templateRef"] {
                let p = IssuePath.member(path, "templateRef")
                guard case .object(let r) = ref, let name = r["name"]?.stringValue, !name.isEmpty, let template = r["template"]?.stringValue, !template.isEmpty else {
                    throw ArgoError.invalid("\(p): expected {\"name\": a WorkflowTemplate, \"template\": one of its templates}")
                }
                for key in r.keys where !["name", "template", "clusterScope"].contains(key) { throw ArgoError.invalid("\(p).\(key): unknown field; expected name, template, clusterScope") }
                var cluster = false
                switch r["clusterScope"] {
                case nil, .null?, .bool(false)?: break
                case .bool(true)?: cluster = true
                case .some(let v): throw ArgoError.invalid("\(p).clusterScope: expected true or false, found \(v.preview)")
                }
                if within == .cluster || owner?.cluster == true, !cluster {
                    throw ArgoError.invalid("\(p): a ClusterWorkflowTemplate's templateRef names another ClusterWorkflowTemplate (clusterScope: true); it has no namespace to find a WorkflowTemplate in")
                }
                if c["template"] != nil { throw ArgoError.invalid("\(path): give either template or templateRef, not both") }
                c.remove("templateRef")
                c.set("template", .string(try await copy(Owner(name: name, cluster: cluster), template, path: p)))
            } else if let owner, let template = c["template"]?.stringValue {
                // Inside a copied template, a template name is one of its own WorkflowTemplate.
                c.set("template", .string(try await copy(owner, template, path: IssuePath.member(path, "template"))))
            }
            return .object(c)
        }
        var i = 0
        while i < templates.count {
            guard case .object(var t) = templates[i] else { i += 1; continue }
            let owner = owners[i]
            let path = owner.map { "templateRef \($0.cluster ? "cluster/" : "")\($0.name): spec.templates[\(i)]" } ?? "spec.templates[\(i)]"
            if case .object(var dag)? = t["dag"], case .array(let tasks)? = dag["tasks"] {
                var out: [JSONValue] = []
                for (j, task) in tasks.enumerated() { out.append(try await resolved(task, owner: owner, path: "\(path).dag.tasks[\(j)]")) }
                dag.set("tasks", .array(out))
                t.set("dag", .object(dag))
            }
            if case .array(let groups)? = t["steps"] {
                var out: [JSONValue] = []
                for (g, group) in groups.enumerated() {
                    guard case .array(let steps) = group else { out.append(group); continue }
                    var resolvedGroup: [JSONValue] = []
                    for (s, step) in steps.enumerated() { resolvedGroup.append(try await resolved(step, owner: owner, path: "\(path).steps[\(g)][\(s)]")) }
                    out.append(.array(resolvedGroup))
                }
                t.set("steps", .array(out))
            }
            templates[i] = .object(t)
            i += 1
        }
        guard !copied.isEmpty else { return spec }
        object.set("templates", .array(templates))
        return .object(object)
    }

    /// A Workflow's spec with its `workflowTemplateRef` resolved: the template's spec, the
    /// Workflow's own members over it, arguments merged by name. Unchanged without one.
    func resolvingWorkflowTemplateRef(_ spec: JSONValue, namespace: String) async throws -> JSONValue {
        guard case .object(var own) = spec, let ref = own["workflowTemplateRef"] else { return spec }
        guard let name = ref["name"]?.stringValue else { throw ArgoError.invalid("spec.workflowTemplateRef.name: required") }
        let kind: TemplateKind = ref["clusterScope"] == .bool(true) ? .cluster : .namespaced
        guard let record = try await template(name, in: namespace, kind: kind), case .object(let base)? = record.definition["origin"]?[kind.origin]?["spec"] else {
            throw ArgoError.invalid("spec.workflowTemplateRef.name: \(kind.resource) \"\(name)\" not found" + (kind == .cluster ? "" : " in namespace \"\(namespace)\""))
        }
        own.remove("workflowTemplateRef")
        var given: [(String, String)] = []
        if case .array(let list)? = own["arguments"]?["parameters"] {
            for p in list { if let n = p["name"]?.stringValue { given.append((n, p["value"]?.stringValue ?? p["value"]?.jsonString ?? "")) } }
        }
        own.remove("arguments")
        var merged = Self.withArguments(base, given)
        for member in own { merged.set(member.key, member.value) }
        return .object(merged)
    }
}

extension JSONObject {
    /// Removes member `key` if it is there.
    mutating func remove(_ key: String) {
        self = JSONObject(filter { $0.key != key }.map { ($0.key, $0.value) })
    }
}
