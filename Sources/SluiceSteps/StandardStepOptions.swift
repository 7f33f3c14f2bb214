import AsyncHTTPClient

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

    public init(httpClient: HTTPClient, allowPrivateNetworks: Bool = false, enableProcess: Bool = false) {
        self.httpClient = httpClient
        self.allowPrivateNetworks = allowPrivateNetworks
        self.enableProcess = enableProcess
    }
}
