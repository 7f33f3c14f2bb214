/// `Fail`, a step that always fails, for trying out error paths (failed executions, skipped
/// tasks, retries).
extension StepRegistry {
    static let fail = StepType(
        name: "Fail",
        summary: "Always fails with `message`; the failure may be retried only if `retryable` is true. For testing error paths.",
        input: .any, output: .sameAsInput,
        parameters: .object([
            ("message", Schema.string(minLength: 1).described("the failure's message")),
            ("retryable", Schema(type: .boolean).described("whether running the step again could succeed (it never does)").defaulting(to: false)),
        ], required: ["message"]),
        parametersRequired: true,
        implementation: .pure { _, parameters throws(StepFailure) in
            let message = try parameter(parameters, "message", of: "Fail", .string).stringValue!
            let retryable = try optionalParameter(parameters, "retryable", of: "Fail", .boolean) == .bool(true)
            throw StepFailure(message, retryable: retryable)
        }
    )
}
