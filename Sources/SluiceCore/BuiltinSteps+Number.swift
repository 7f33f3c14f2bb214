/// The number step types: Add, Multiply and Compare.
extension StepRegistry {
    static func numberOperation(_ name: String, _ summary: String, _ operation: @escaping @Sendable (Double, Double) -> Double) -> StepType {
        let fullName = "NumberOperation.\(name)"
        return StepType(
            name: fullName, summary: summary,
            input: .value(.number), output: .value(.number),
            parameters: .object([("value", Schema(type: .number).described("the operand"))], required: ["value"]),
            parametersRequired: true,
            implementation: .pure { input, parameters throws(StepFailure) in
                let n = try require(.number, input).numberValue!
                let value = try parameter(parameters, "value", of: fullName, .number).numberValue!
                let result = operation(n, value)
                guard result.isFinite else {
                    throw StepFailure("\(fullName) of \(JSONValue.number(n).jsonString) and \(JSONValue.number(value).jsonString) is too large to be a JSON number")
                }
                return ["number": .number(result)]
            }
        )
    }

    /// The operators `NumberOperation.Compare` knows.
    static let comparisonOperators = ["==", "!=", "<", "<=", ">", ">="]

    static let numberCompare = StepType(
        name: "NumberOperation.Compare",
        summary: "Compares the number with `value` using `operator` (==, !=, <, <=, >, >=) and produces the boolean result (number operator value).",
        input: .value(.number), output: .value(.boolean),
        parameters: .object([
            ("operator", Schema(type: .string).oneOf(comparisonOperators.map(JSONValue.string)).described("how to compare: the input number on the left, value on the right")),
            ("value", Schema(type: .number).described("the number to compare with")),
        ], required: ["operator", "value"]),
        parametersRequired: true,
        implementation: .pure { input, parameters throws(StepFailure) in
            let name = "NumberOperation.Compare"
            let n = try require(.number, input).numberValue!
            let op = try parameter(parameters, "operator", of: name, .string).stringValue!
            let value = try parameter(parameters, "value", of: name, .number).numberValue!
            let result: Bool
            switch op {
            case "==": result = n == value
            case "!=": result = n != value
            case "<": result = n < value
            case "<=": result = n <= value
            case ">": result = n > value
            case ">=": result = n >= value
            default: throw StepFailure("\(name)'s parameter \"operator\" must be one of \(comparisonOperators.joined(separator: ", ")), found \(JSONValue.string(op).jsonString)")
            }
            return ["boolean": .bool(result)]
        }
    )
}
