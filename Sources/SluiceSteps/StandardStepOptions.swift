import AsyncHTTPClient
import SluiceCore

/// What `StepRegistry.standard(options:)` offers, and with what.
public struct StandardStepOptions: Sendable {
    /// The client every `HTTP.Request` task uses. Build it with `HTTPRequestStep.makeHTTPClient()`
    /// (redirects must be left to the step) and shut it down when the server stops.
    public var httpClient: HTTPClient
    /// Lets `HTTP.Request` reach loopback, private, link-local and other inside addresses
    /// (`sluice serve --allow-private-networks`).
    public var allowPrivateNetworks: Bool
    /// Offers the `Process` step, which runs programs on the host (`sluice serve --enable-process-steps`).
    public var enableProcess: Bool
    /// The runtime `Container.Run` uses, and why there is none.
    public var containers: ContainerOptions

    public init(httpClient: HTTPClient, allowPrivateNetworks: Bool = false, enableProcess: Bool = false, containers: ContainerOptions = .none) {
        self.httpClient = httpClient
        self.allowPrivateNetworks = allowPrivateNetworks
        self.enableProcess = enableProcess
        self.containers = containers
    }
}

/// How a server runs `Container.Run` (`sluice serve --container-runtime`).
public struct ContainerOptions: Sendable {
    /// The runtime; `nil` when the server has none, and `Container.Run` is refused.
    public var runtime: (any ContainerRuntime)?
    /// Whether a step that does not say `network` gets the runtime's network (`--container-network`).
    public var networkByDefault: Bool
    /// Why there is no runtime and what gives one, for the `400` of a workflow that uses
    /// `Container.Run` (naming `--container-runtime`).
    public var unavailableReason: String
    /// How many programs — containers and `Process` tasks — run at once (`--max-processes`).
    public var slots: ProcessSlots
    /// Where `Container.Run` keeps its artifacts (`output_artifacts`, `input_artifacts`);
    /// `nil`: a step that uses them fails, saying so.
    public var artifacts: ArtifactStore?

    public init(runtime: (any ContainerRuntime)?, networkByDefault: Bool = false, unavailableReason: String = ContainerOptions.defaultReason, slots: ProcessSlots = ProcessSlots(limit: Limits.defaultMaxProcesses), artifacts: ArtifactStore? = nil) {
        self.runtime = runtime
        self.artifacts = artifacts
        self.networkByDefault = networkByDefault
        self.unavailableReason = unavailableReason
        self.slots = slots
    }

    /// The reason when no runtime was configured.
    public static let defaultReason = "this server has no container runtime. Start it with --container-runtime podman or --container-runtime docker (or --container-runtime process, which runs command and args on the host without containers, for development)"

    /// No runtime: `Container.Run` is refused with `defaultReason`.
    public static let none = ContainerOptions(runtime: nil)
}
