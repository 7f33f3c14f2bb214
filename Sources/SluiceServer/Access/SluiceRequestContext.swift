import Hummingbird
import HummingbirdAuth
import NIOCore
import SluiceCore

/// The request context of every Sluice route: the core context, the caller (when auth is on
/// and a token was accepted), and the client's address (for the audit log and the rate limit
/// of failed sign-ins).
public struct SluiceRequestContext: AuthRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller; `nil` when auth is off or the route is open and no token came.
    public var identity: Principal?
    /// Whether access is checked at all (`--auth required`); when not, every caller may do
    /// everything.
    public var authEnabled = false
    /// How the caller signed in: a session cookie (mutations then need the CSRF header).
    public var signedInWithCookie = false
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The namespaces where the caller may do `permission`; `nil` means every namespace (auth
    /// off, or a grant on `*`).
    public func namespaces(where permission: Permission) -> Set<String>? {
        guard authEnabled else { return nil }
        // No caller: nothing. (Not `identity?.namespaces(…) ?? []`, which would turn the
        // principal's `nil`, every namespace, into none.)
        guard let identity else { return [] }
        return identity.namespaces(where: permission)
    }

    /// The namespaces where the caller may work on the tasks of `queue` (a grant may name its
    /// queues); `nil` means every namespace.
    public func namespaces(workingOn queue: String) -> Set<String>? {
        guard authEnabled else { return nil }
        guard let identity else { return [] }
        return identity.namespaces(workingOn: queue)
    }

    /// The decision for working on `queue` in `namespace` (always allowed when auth is off).
    public func decideWork(onQueue queue: String, in namespace: String) -> AccessDecision {
        guard authEnabled else { return .allowed }
        return identity?.decideWork(onQueue: queue, in: namespace) ?? .hidden
    }

    /// The decision for `permission` in `namespace` (always allowed when auth is off).
    public func decide(_ permission: Permission, in namespace: String) -> AccessDecision {
        guard authEnabled else { return .allowed }
        return identity?.decide(permission, in: namespace) ?? .hidden
    }

    /// Whether the caller may do `permission` everywhere (an `admin` on `*`; anyone when auth
    /// is off).
    public func mayEverywhere(_ permission: Permission) -> Bool {
        guard authEnabled else { return true }
        return identity?.mayEverywhere(permission) ?? false
    }

    /// The client's address as the audit log and the rate limiter name it (`10.0.0.7`).
    public var clientAddress: String? {
        remoteAddress?.ipAddress
    }
}
