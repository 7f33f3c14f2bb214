#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A URL that passed the destination policy, with the addresses its host resolved to (all of
/// them allowed). Connect to one of `addresses` rather than resolving the host again.
public struct Destination: Sendable, Hashable {
    public var url: URL
    /// `http` or `https`, lower-cased.
    public var scheme: String
    /// The host as the URL names it (IPv6 without brackets).
    public var host: String
    /// The port, explicit or the scheme's default.
    public var port: Int
    /// Every address the host resolved to, in resolver order (one for a literal address).
    public var addresses: [IPAddress]

    public init(url: URL, scheme: String, host: String, port: Int, addresses: [IPAddress]) {
        self.url = url
        self.scheme = scheme
        self.host = host
        self.port = port
        self.addresses = addresses
    }

    /// The `Host` header value for this destination: the host, bracketed if IPv6, with the port
    /// when it is not the scheme's default.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        let defaultPort = scheme == "https" ? 443 : 80
        return port == defaultPort ? h : "\(h):\(port)"
    }
}
