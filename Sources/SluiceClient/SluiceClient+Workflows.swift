import SluiceCore

extension SluiceClient {
    /// `POST /workflows`: checks and stores a definition as version 1.
    ///
    /// - Returns: the new workflow's `wf-…` id.
    /// - Throws: ``SluiceClientError/problem(_:)`` with every problem of the definition (`400`).
    public func createWorkflow(_ definition: JSONValue) async throws -> String {
        try await createWorkflow(json: definition.jsonBytes)
    }

    /// `POST /workflows` with the definition as JSON text, sent as given (a file's bytes, say).
    public func createWorkflow(json: [UInt8]) async throws -> String {
        let reply = try await fetch(.POST, "/workflows", body: json)
        return try Fields(reply, "created workflow").string("workflow_id")
    }

    /// `POST /workflows/validate`: checks a definition exactly as ``createWorkflow(_:)`` does,
    /// without storing anything.
    ///
    /// - Returns: the checked workflow's name, effective input schema and graph.
    /// - Throws: ``SluiceClientError/problem(_:)`` with every problem of the definition (`400`),
    ///   the same problems `createWorkflow` would report.
    public func validateWorkflow(_ definition: JSONValue) async throws -> WorkflowValidation {
        try await validateWorkflow(json: definition.jsonBytes)
    }

    /// `POST /workflows/validate` with the definition as JSON text, sent as given.
    public func validateWorkflow(json: [UInt8]) async throws -> WorkflowValidation {
        try WorkflowValidation(json: try await fetch(.POST, "/workflows/validate", body: json))
    }

    /// `DELETE /workflows/{id}`: deletes the workflow with its versions, executions, logs, events
    /// and webhooks.
    ///
    /// - Throws: a `404` problem for an unknown workflow; a `409` problem while it has unfinished
    ///   executions or another workflow calls it with `Workflow.Run` (nothing is deleted then).
    public func deleteWorkflow(_ workflowID: String) async throws {
        _ = try await send(.DELETE, Self.path("workflows", workflowID))
    }

    /// `GET /workflows`: one page of workflows, newest first.
    ///
    /// - Parameters:
    ///   - limit: page size, 1–500 (the server's default, 50, when `nil`).
    ///   - cursor: the ``Page/nextCursor`` of the previous page.
    public func listWorkflows(limit: Int? = nil, cursor: String? = nil) async throws -> Page<WorkflowSummary> {
        let json = try await fetch(.GET, "/workflows", query: [("limit", limit.map(String.init)), ("cursor", cursor)])
        return try Page(json, key: "workflows", WorkflowSummary.init(json:))
    }

    /// `GET /workflows/{id}`: the latest version with its definition, input schema and graph.
    public func workflow(_ workflowID: String) async throws -> Workflow {
        try Workflow(json: try await fetch(.GET, Self.path("workflows", workflowID)))
    }

    /// `GET /workflows/{id}/versions/{version}`: one stored version (its ``Workflow/updatedAt`` is `nil`).
    public func workflow(_ workflowID: String, version: Int) async throws -> Workflow {
        try Workflow(json: try await fetch(.GET, Self.path("workflows", workflowID, "versions", String(version))))
    }

    /// `GET /workflows/{id}/versions`: one page of the workflow's versions, newest first.
    public func listWorkflowVersions(_ workflowID: String, limit: Int? = nil, cursor: String? = nil) async throws -> Page<WorkflowVersion> {
        let json = try await fetch(.GET, Self.path("workflows", workflowID, "versions"), query: [("limit", limit.map(String.init)), ("cursor", cursor)])
        return try Page(json, key: "versions", WorkflowVersion.init(json:))
    }

    /// `PUT /workflows/{id}`: stores a new version of the workflow.
    ///
    /// - Parameters:
    ///   - ifMatch: store only if this is still the latest version (else a `412` problem);
    ///     `nil` stores on top of whatever version is latest.
    /// - Returns: the new version's number.
    public func updateWorkflow(_ workflowID: String, definition: JSONValue, ifMatch version: Int? = nil) async throws -> Int {
        try await updateWorkflow(workflowID, json: definition.jsonBytes, ifMatch: version)
    }

    /// `PUT /workflows/{id}` with the definition as JSON text, sent as given.
    public func updateWorkflow(_ workflowID: String, json: [UInt8], ifMatch version: Int? = nil) async throws -> Int {
        let headers = version.map { [("If-Match", "\"\($0)\"")] } ?? []
        let reply = try await fetch(.PUT, Self.path("workflows", workflowID), headers: headers, body: json)
        return try Fields(reply, "updated workflow").int("version")
    }
}
