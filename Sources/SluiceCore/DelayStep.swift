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
