extension StepRegistry {
    /// `Annotation.Item`: one item's way through an annotation workflow's pools. The annotation
    /// API makes the workflow an item's execution runs; its parameters carry the pipeline, the
    /// form of the project's annotations and the algorithms the pools name, so an execution
    /// runs as its workflow stood when the item came in.
    static let annotationItem = StepType(
        name: AnnotationItem.stepType,
        summary: "Takes an annotation item (its input: item_id, item_number, data) through the pools of `pipeline`: people label, inspect and spot-check it in their inboxes, algorithms run on it; produces the item's end (completed or discarded), its annotation and the algorithms' outputs. Made by the annotation API.",
        input: .any, output: .value(.json),
        parameters: .object([
            ("pipeline", Schema(type: .object).described("The pools, as the annotation API checked them ({\"pools\": [...]}).")),
            ("form", Schema(type: .object).described("The JSON Schema of an annotation (the project's label config).")),
            ("algorithms", Schema(type: .object).described("The algorithms the pools name, by name: {\"queue\": …} or {\"step\": {\"type\", \"input\"}}.")),
            ("project_id", Schema(type: .integer).described("The annotation project.")),
            ("workflow_id", Schema(type: .integer).described("The annotation workflow.")),
        ], required: ["pipeline"]),
        parametersRequired: true,
        parameterCheck: { parameters, path in AnnotationItem.problems(parameters, path: path) },
        implementation: .external
    )
}

/// The rules of `Annotation.Item`'s parameters, answers and output.
public enum AnnotationItem {
    public static let stepType = "Annotation.Item"

    /// What an inspection or a spot check is answered with.
    public static let reviewForm: JSONValue = [
        "type": "object",
        "properties": [
            "approved": ["type": "boolean", "description": "true: on to the next pool; false: back to labeling"],
            "comment": ["type": "string", "maxLength": 2000, "description": "What the labeler should change (shown to them)."],
        ],
        "required": ["approved"],
        "additionalProperties": false,
    ]

    /// An `Annotation.Item` task as its (checked) parameters describe it.
    public struct Spec: Sendable {
        public var pipeline: AnnotationPipeline
        public var form: JSONValue
        public var algorithms: [String: JSONValue]
        public var projectID: Int64?
        public var workflowID: Int64?

        public init?(parameters: JSONValue?) {
            guard let raw = parameters?["pipeline"], let pipeline = AnnotationPipeline.parse(raw, path: "pipeline").0 else { return nil }
            self.pipeline = pipeline
            form = parameters?["form"] ?? ["type": "object"]
            var algorithms: [String: JSONValue] = [:]
            for member in parameters?["algorithms"]?.objectValue?.members ?? [] { algorithms[member.key] = member.value }
            self.algorithms = algorithms
            projectID = parameters?["project_id"]?.numberValue.map { Int64($0) }
            workflowID = parameters?["workflow_id"]?.numberValue.map { Int64($0) }
        }
    }

    static func problems(_ parameters: JSONValue, path: String) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        var pipeline: AnnotationPipeline?
        if let raw = parameters["pipeline"] {
            let parsed = AnnotationPipeline.parse(raw, path: IssuePath.member(path, "pipeline"))
            issues += parsed.1
            pipeline = parsed.0
        }
        if let raw = parameters["form"] {
            issues += Schema.parse(raw, path: IssuePath.member(path, "form")).1
        }
        let algorithms = parameters["algorithms"]?.objectValue
        for name in pipeline?.pools.flatMap(\.algorithms) ?? [] where algorithms?[name] == nil {
            issues.append(.init(path: IssuePath.member(path, "algorithms"), code: "unknown_algorithm", message: "the pipeline names algorithm \"\(name)\"; expected it in algorithms"))
        }
        return issues
    }
}
