import SluiceCore

extension StepRegistry {
    /// The step types of a Sluice server: the built-in ones, `HTTP.Request`, `Process` when
    /// `options.enableProcess` is set and `Container.Run` when there is a container runtime.
    /// Without them, a workflow using `Process` or `Container.Run` is refused with the flag that
    /// offers it.
    public static func standard(options: StandardStepOptions) -> StepRegistry {
        var registry = StepRegistry.builtin
        registry.register(HTTPRequestStep.stepType(
            client: options.httpClient,
            policy: DestinationPolicy(allowPrivate: options.allowPrivateNetworks)
        ))
        if options.enableProcess {
            registry.register(ProcessStep.stepType(slots: options.containers.slots))
        } else {
            registry.markUnavailable(ProcessStep.name, reason: "it runs programs on the server's host, so a server offers it only when started with --enable-process-steps (env SLUICE_ENABLE_PROCESS_STEPS=1)")
        }
        if let runtime = options.containers.runtime {
            registry.register(ContainerRunStep.stepType(runtime: runtime, networkByDefault: options.containers.networkByDefault, slots: options.containers.slots, artifacts: options.containers.artifacts))
        } else {
            registry.markUnavailable(ContainerRunStep.name, reason: options.containers.unavailableReason)
        }
        return registry
    }
}
