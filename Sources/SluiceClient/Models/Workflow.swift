import Foundation
import SluiceCore

/// A workflow as `GET /workflows/{id}` shows it: one version with its definition as given, the
/// effective input schema and the checked graph.
public struct Workflow: Sendable, Hashable {
    /// The `wf-…` id.
    public var id: String
    /// The version shown (the latest, unless a version was asked for).
    public var version: Int
    public var name: String
    public var description: String?
    /// For the latest version, when the first version was stored; for a given version, when it was stored.
    public var createdAt: Date
    /// When the latest version was stored; `nil` when a given version was asked for.
    public var updatedAt: Date?
    /// The definition's `steps` (a chain), or `nil` for a DAG.
    public var steps: [JSONValue]?
    /// The definition's `tasks` (a DAG), or `nil` for a chain.
    public var tasks: [JSONValue]?
    /// The definition's `timeout_seconds` (the longest an execution may run), if it has one.
    public var timeoutSeconds: Double?
    /// The effective input schema (JSON Schema subset).
    public var inputSchema: JSONValue
    /// Every task with its types, and the edges with the type flowing along them.
    public var graph: WorkflowGraph
    /// The body that stored this version, as sent (its own `input_schema`): edit it and pass it
    /// to `updateWorkflow` to store a new version. `.null` from a server older than this field.
    public var definition: JSONValue
    /// The whole answer, for members this type does not name.
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "workflow")
        id = try f.string("workflow_id")
        version = try f.int("version")
        name = try f.string("name")
        description = try f.optionalString("description")
        createdAt = try f.date("created_at")
        updatedAt = try f.optionalDate("updated_at")
        steps = f.nonNull("steps")?.arrayValue
        tasks = f.nonNull("tasks")?.arrayValue
        timeoutSeconds = f.nonNull("timeout_seconds")?.numberValue
        inputSchema = f.value("input_schema") ?? .null
        definition = f.value("definition") ?? .null
        graph = try f.optionalObject("graph", WorkflowGraph.init(json:)) ?? WorkflowGraph(tasks: [], edges: [])
        self.json = json
    }
}

/// The checked shape of a workflow: its tasks and the types flowing between them.
public struct WorkflowGraph: Sendable, Hashable {
    /// One task of the graph.
    public struct Node: Sendable, Hashable {
        public var id: String
        /// The step type.
        public var type: String
        public var dependsOn: [String]
        /// What it receives (`none` for a source).
        public var inputType: String
        public var outputType: String
    }

    /// A dependency, with the type flowing along it.
    public struct Edge: Sendable, Hashable {
        public var from: String
        public var to: String
        public var type: String
    }

    public var tasks: [Node]
    public var edges: [Edge]

    init(tasks: [Node], edges: [Edge]) {
        self.tasks = tasks
        self.edges = edges
    }

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "graph")
        tasks = try f.list("tasks") { (v) throws(SluiceClientError) in
            let t = try Fields(v, "graph task")
            return Node(id: try t.string("id"), type: try t.string("type"), dependsOn: try t.strings("depends_on"), inputType: try t.string("input_type"), outputType: try t.string("output_type"))
        }
        edges = try f.list("edges") { (v) throws(SluiceClientError) in
            let e = try Fields(v, "graph edge")
            return Edge(from: try e.string("from"), to: try e.string("to"), type: try e.string("type"))
        }
    }
}

/// An item of `GET /workflows`: the latest version's name and number.
public struct WorkflowSummary: Sendable, Hashable {
    public var id: String
    /// The latest version.
    public var version: Int
    public var name: String
    public var description: String?
    /// When the first version was stored.
    public var createdAt: Date
    /// When the latest version was stored.
    public var updatedAt: Date
    /// The whole item as the server sent it.
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        self.json = json
        let f = try Fields(json, "workflow summary")
        id = try f.string("workflow_id")
        version = try f.int("version")
        name = try f.string("name")
        description = try f.optionalString("description")
        createdAt = try f.date("created_at")
        updatedAt = try f.date("updated_at")
    }
}

/// An item of `GET /workflows/{id}/versions`.
public struct WorkflowVersion: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var description: String?
    /// When this version was stored.
    public var createdAt: Date

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "workflow version")
        version = try f.int("version")
        name = try f.string("name")
        description = try f.optionalString("description")
        createdAt = try f.date("created_at")
    }
}

/// A step type the server knows (`GET /step-types`).
public struct StepTypeInfo: Sendable, Hashable {
    /// The name used as `type` in a definition (`TextOperation.Reverse`).
    public var name: String
    public var summary: String
    /// The value type it takes (`text`, `none`, `any`, …).
    public var inputType: String
    /// The value type it produces.
    public var outputType: String
    /// JSON Schema of its parameters (`input` in a definition); `nil` when it takes none.
    public var parameters: JSONValue?
    public var parametersRequired: Bool
    /// Whether its value becomes the execution's output (`Echo`).
    public var isOutput: Bool
    /// The whole item as the server sent it.
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        self.json = json
        let f = try Fields(json, "step type")
        name = try f.string("type")
        summary = try f.string("summary")
        inputType = try f.string("input_type")
        outputType = try f.string("output_type")
        parameters = f.nonNull("parameters")
        parametersRequired = try f.bool("parameters_required")
        isOutput = try f.bool("is_output")
    }
}

/// What `POST /workflows/validate` answers for a valid definition.
public struct WorkflowValidation: Sendable, Hashable {
    public var name: String
    public var description: String?
    /// The effective input schema.
    public var inputSchema: JSONValue
    /// Every task with its types, and the edges with the type flowing along them.
    public var graph: WorkflowGraph
    /// The whole answer as the server sent it.
    public var json: JSONValue

    init(json: JSONValue) throws(SluiceClientError) {
        let f = try Fields(json, "validation")
        name = try f.string("name")
        description = try f.optionalString("description")
        inputSchema = f.value("input_schema") ?? .null
        graph = try f.optionalObject("graph", WorkflowGraph.init(json:)) ?? WorkflowGraph(tasks: [], edges: [])
        self.json = json
    }
}
