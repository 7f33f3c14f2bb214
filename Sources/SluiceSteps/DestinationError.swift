/// Why the destination policy did not let a request go out.
public struct DestinationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Hashable {
        /// The URL is not an absolute `http` or `https` URL with a host.
        case invalidURL
        /// The host did not resolve to any address.
        case unresolved
        /// The host is, or resolved to, an address the policy refuses.
        case refused(IPAddress, IPAddress.Scope)
    }

    public var reason: Reason
    /// A sentence saying what was wrong and what would be accepted.
    public var message: String
    /// Whether trying again later could succeed (a temporary name-resolution failure).
    public var retryable: Bool

    public init(_ reason: Reason, message: String, retryable: Bool = false) {
        self.reason = reason
        self.message = message
        self.retryable = retryable
    }

    public var description: String { message }
}
