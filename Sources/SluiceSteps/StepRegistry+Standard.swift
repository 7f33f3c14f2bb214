import SluiceCore

extension StepRegistry {
    /// The step types of a Sluice server: the built-in ones, `HTTP.Request`, and `Process` when
    /// `options.enableProcess` is set.
    public static func standard(options: StandardStepOptions) -> StepRegistry {
        var registry = StepRegistry.builtin
        registry.register(HTTPRequestStep.stepType(
            client: options.httpClient,
            policy: DestinationPolicy(allowPrivate: options.allowPrivateNetworks)
        ))
        if options.enableProcess { registry.register(ProcessStep.stepType()) }
        return registry
    }
}
