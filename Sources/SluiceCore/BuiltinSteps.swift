extension StepRegistry {
    /// The step types every Sluice server has.
    public static let builtin = StepRegistry([
        StepType(
            name: "StaticTextInput",
            summary: "Produces the text given as its `input` (a string, or {\"text\": string}).",
            input: .none, output: .value(.text),
            parameters: Schema(type: .string), parametersRequired: true,
            implementation: .pure { input, _ in input }
        ),
        textOperation("Reverse", "Reverses the text, character by character.") { String($0.reversed()) },
        textOperation("Uppercase", "Converts the text to upper case.") { $0.uppercased() },
        textOperation("Lowercase", "Converts the text to lower case.") { $0.lowercased() },
        textOperation("Trim", "Removes white space and new lines from both ends of the text.") { trim($0) },
        StepType(
            name: "TextOperation.Length",
            summary: "Counts the characters of the text.",
            input: .value(.text), output: .value(.number),
            implementation: .pure { input, _ throws(StepFailure) in
                let text = try requireText(input)
                return ["number": .number(Double(text.count))]
            }
        ),
        StepType(
            name: "Echo",
            summary: "Passes its input through unchanged; the value becomes the execution's output.",
            input: .any, output: .sameAsInput, isOutput: true,
            implementation: .pure { input, _ in input }
        ),
        textReplace, textSplit, textJoin, textTemplate,
        numberOperation("Add", "Adds `value` to the number.") { $0 + $1 },
        numberOperation("Multiply", "Multiplies the number by `value`.") { $0 * $1 },
        numberCompare,
        jsonBuild, jsonGet, jsonParse, jsonFormat,
        fail,
        delay,
        suspend,
        subworkflow,
        workerTask,
        humanTask,
        annotationItem,
    ])

    /// The value a source step starts from, built from its parameters: StaticTextInput's text
    /// becomes `{"text": ...}`. `nil` for steps that take an input.
    public static func sourceValue(for type: StepType, parameters: JSONValue?) -> JSONValue? {
        guard type.input == .none else { return nil }
        switch parameters {
        case .string(let s): return ["text": .string(s)]
        case .some(let value): return value
        case nil: return .object(JSONObject())
        }
    }

    static func textOperation(_ name: String, _ summary: String, _ transform: @escaping @Sendable (String) -> String) -> StepType {
        StepType(
            name: "TextOperation.\(name)", summary: summary,
            input: .value(.text), output: .value(.text),
            implementation: .pure { input, _ throws(StepFailure) in
                ["text": .string(transform(try requireText(input)))]
            }
        )
    }

    static func requireText(_ input: JSONValue) throws(StepFailure) -> String {
        guard let text = input["text"]?.stringValue else {
            throw StepFailure("expected input {\"text\": string}, found \(input.preview)")
        }
        return text
    }

    /// The member of `input` that carries a value of `type`, checked (deeply, for lists).
    static func require(_ type: DataType, _ input: JSONValue) throws(StepFailure) -> JSONValue {
        guard let value = input[type.field] else {
            throw StepFailure("expected input \(type.wireDescription), found \(input.preview)")
        }
        if let why = type.mismatch(in: value) {
            throw StepFailure("expected input \(type.wireDescription), but its \"\(type.field)\" member is not \(type.name): \(why)")
        }
        return value
    }

    /// The input's members (an input that is not an object has none).
    static func members(_ input: JSONValue) -> JSONObject { input.objectValue ?? JSONObject() }

    /// Parameter `name` of `step`, which the type checker made sure is there and valid; checked
    /// again for callers that bypass it.
    static func parameter(_ parameters: JSONValue?, _ name: String, of step: String, _ kind: Schema.Kind) throws(StepFailure) -> JSONValue {
        guard let value = parameters?[name] else {
            throw StepFailure("\(step) requires the parameter \"\(name)\" (\(Schema.article(kind))) in its \"input\"")
        }
        guard Schema.matches(value, kind) else {
            throw StepFailure("\(step)'s parameter \"\(name)\" must be \(Schema.article(kind)), found \(value.kindName) \(value.preview)")
        }
        return value
    }

    /// Optional parameter `name` of `step`: `nil` when absent (or null).
    static func optionalParameter(_ parameters: JSONValue?, _ name: String, of step: String, _ kind: Schema.Kind) throws(StepFailure) -> JSONValue? {
        guard let value = parameters?[name], value != .null else { return nil }
        return try parameter(parameters, name, of: step, kind)
    }

    static func trim(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
