/// What a project's annotations look like: the kind of labeling and its labels, from which the
/// form people fill in (a JSON Schema) follows. Every annotation is checked against that form.
///
/// | kind      | an annotation                                                        |
/// |-----------|----------------------------------------------------------------------|
/// | `choice`  | `{"label": "cat"}`: one of `labels`                                 |
/// | `choices` | `{"labels": ["cat", "dog"]}`: some of `labels` (at least one)        |
/// | `boxes`   | `{"boxes": [{"label", "x", "y", "width", "height"}]}` on an image    |
/// | `spans`   | `{"spans": [{"label", "start", "end"}]}` in a text (character offsets) |
/// | `text`    | `{"text": "…"}`: a transcription or a free answer                   |
/// | `json`    | any object matching `schema` (default: any object)                   |
public struct LabelConfig: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case choice, choices, boxes, spans, text, json
    }

    public var kind: Kind
    public var labels: [String]
    /// For `json`: the schema as written.
    public var schema: JSONValue?

    public init(kind: Kind, labels: [String] = [], schema: JSONValue? = nil) {
        self.kind = kind
        self.labels = labels
        self.schema = schema
    }

    /// When a project names none: any object.
    public static let `default` = LabelConfig(kind: .json)
    public static let maxLabels = Limits.annotationLabels
    public static let maxLabelLength = Limits.annotationNameCharacters

    /// Whether the kind needs `labels`.
    var needsLabels: Bool { kind != .text && kind != .json }

    /// As the API shows it.
    public var json: JSONValue {
        var o = JSONObject()
        o.append("kind", .string(kind.rawValue))
        if needsLabels { o.append("labels", .array(labels.map(JSONValue.string))) }
        if kind == .json { o.append("schema", schema ?? ["type": "object"]) }
        return .object(o)
    }

    /// The JSON Schema of an annotation: the form people fill in.
    public var form: JSONValue {
        let label: JSONValue = ["type": "string", "enum": .array(labels.map(JSONValue.string))]
        let number: JSONValue = ["type": "number"]
        let offset: JSONValue = ["type": "integer", "minimum": 0]
        switch kind {
        case .choice:
            return ["type": "object", "properties": ["label": label], "required": ["label"], "additionalProperties": false]
        case .choices:
            return ["type": "object", "properties": ["labels": ["type": "array", "items": label]], "required": ["labels"], "additionalProperties": false]
        case .boxes:
            let box: JSONValue = [
                "type": "object",
                "properties": ["label": label, "x": number, "y": number, "width": ["type": "number", "minimum": 0], "height": ["type": "number", "minimum": 0]],
                "required": ["label", "x", "y", "width", "height"], "additionalProperties": false,
            ]
            return ["type": "object", "properties": ["boxes": ["type": "array", "items": box]], "required": ["boxes"], "additionalProperties": false]
        case .spans:
            let span: JSONValue = [
                "type": "object", "properties": ["label": label, "start": offset, "end": offset],
                "required": ["label", "start", "end"], "additionalProperties": false,
            ]
            return ["type": "object", "properties": ["spans": ["type": "array", "items": span]], "required": ["spans"], "additionalProperties": false]
        case .text:
            return ["type": "object", "properties": ["text": ["type": "string", "minLength": 1]], "required": ["text"], "additionalProperties": false]
        case .json:
            return schema ?? ["type": "object"]
        }
    }

    /// Reads a `labelConfig` member at `path`; `nil` (and the problems) when it breaks a rule.
    public static func parse(_ value: JSONValue, path: String) -> (LabelConfig?, [ValidationIssue]) {
        guard let object = value.objectValue else {
            return (nil, [.init(path: path, code: "type_mismatch", message: "expected a label config, an object with kind and labels, found \(value.described)")])
        }
        var issues = AnnotationFields.unknownMembers(object, allowed: ["kind", "labels", "schema"], path: path)
        let fields = AnnotationFields(object: object, path: path)
        let kindPath = IssuePath.member(path, "kind")
        var kind: Kind?
        if let name = fields.string("kind", required: true, maxLength: 20, issues: &issues) {
            kind = Kind(rawValue: name)
            if kind == nil {
                issues.append(.init(path: kindPath, code: "unknown_kind", message: "expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(name)\""))
            }
        }
        let labels = fields.names("labels", max: maxLabels, what: "label", problem: labelProblem, issues: &issues)
        var schema: JSONValue?
        if let raw = fields.value("schema") {
            let schemaPath = IssuePath.member(path, "schema")
            let (parsed, schemaIssues) = Schema.parse(raw, path: schemaPath)
            issues += schemaIssues
            if let type = parsed?.type, type != .object {
                issues.append(.init(path: IssuePath.member(schemaPath, "type"), code: "invalid_schema", message: "an annotation is an object; expected \"object\", found \"\(type.rawValue)\""))
            }
            schema = raw
        }
        if let kind {
            let config = LabelConfig(kind: kind)
            if config.needsLabels {
                if labels == nil, fields.value("labels") == nil {
                    issues.append(.init(path: IssuePath.member(path, "labels"), code: "required", message: "a \(kind.rawValue) config labels with its labels; expected labels, an array of 1 to \(maxLabels) names"))
                } else if labels?.isEmpty == true {
                    issues.append(.init(path: IssuePath.member(path, "labels"), code: "no_labels", message: "expected at least one label, found an empty list"))
                }
            } else if fields.value("labels") != nil {
                issues.append(.init(path: IssuePath.member(path, "labels"), code: "unexpected", message: "a \(kind.rawValue) config has no labels; leave labels out"))
            }
            if kind != .json, schema != nil {
                issues.append(.init(path: IssuePath.member(path, "schema"), code: "unexpected", message: "only a json config has a schema (the other kinds make theirs from their labels); leave schema out"))
            }
        }
        guard issues.isEmpty, let kind else { return (nil, issues) }
        return (LabelConfig(kind: kind, labels: labels ?? [], schema: schema), [])
    }

    static func labelProblem(_ label: String) -> String? {
        if label.isEmpty { return "a label cannot be empty" }
        let count = label.unicodeScalars.count
        if count > maxLabelLength { return "a label has at most \(maxLabelLength) characters; this one has \(count)" }
        return nil
    }

    /// Why `annotation` does not fit this config (each problem under `path`), or none.
    public func problems(_ annotation: JSONValue, path: String) -> [ValidationIssue] {
        let (schema, _) = Schema.parse(form, path: "form")
        var issues = (schema ?? Schema(type: .object)).validate(annotation, path: path)
        if kind == .choices, issues.isEmpty, annotation["labels"]?.arrayValue?.isEmpty == true {
            issues.append(.init(path: IssuePath.member(path, "labels"), code: "no_labels", message: "expected at least one of the labels, found an empty list"))
        }
        return issues
    }
}
