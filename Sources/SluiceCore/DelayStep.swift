extension StepRegistry {
    /// `Delay`: waits `seconds` (a durable timer: the wake-up time is stored, survives a restart,
    /// and no worker is held while it waits), then passes its input on unchanged.
    static let delay = StepType(
        name: "Delay",
        summary: "Waits the given number of seconds (a durable timer that survives a restart), then passes its input on unchanged.",
        input: .any, output: .sameAsInput,
        parameters: {
            var seconds = Schema(type: .number)
            seconds.minimum = 0
            seconds.maximum = Double(Limits.maxDelaySeconds)
            seconds.description = "How long to wait, in seconds (up to 30 days)."
            var schema = Schema(type: .object)
            schema.setProperty("seconds", seconds)
            schema.required = ["seconds"]
            schema.additionalProperties = .allowed(false)
            return schema
        }(),
        parametersRequired: true,
        implementation: .timer { _, parameters in parameters?["seconds"]?.numberValue ?? 0 }
    )
}

extension StepRegistry {
    /// The name of the step that waits for its execution to be resumed (`Suspend`).
    public static let suspendName = "Suspend"

    /// `Suspend`: waits until its execution is resumed (`POST /executions/{id}/resume`, Argo's
    /// `PUT …/resume`), or until `seconds` have passed when given (a durable timer, as a
    /// `Delay`'s); then passes its input on unchanged. It holds no worker; a restart keeps it
    /// waiting.
    static let suspend = StepType(
        name: suspendName,
        summary: "Waits until its execution is resumed (or, with `seconds`, until that time has passed, whichever is first), then passes its input on unchanged.",
        input: .any, output: .sameAsInput,
        parameters: {
            var seconds = Schema(type: .number)
            seconds.minimum = 0
            seconds.maximum = Double(Limits.maxDelaySeconds)
            seconds.description = "The longest it waits, in seconds (up to 30 days); without it, it waits for a resume."
            var schema = Schema(type: .object)
            schema.setProperty("seconds", seconds)
            schema.additionalProperties = .allowed(false)
            return schema
        }(),
        implementation: .timer { _, parameters in parameters?["seconds"]?.numberValue ?? .infinity }
    )
}

extension StepType {
    /// Whether a task of this type ends when its execution is resumed (`Suspend`).
    public var waitsForResume: Bool { name == StepRegistry.suspendName }
}
