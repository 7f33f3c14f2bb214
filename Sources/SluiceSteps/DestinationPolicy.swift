#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix
import SluiceCore
import Synchronization

/// Decides whether the server may send a request to a URL: outside addresses only, unless the
/// server was started with `--allow-private-networks`.
///
/// `check(url:)` resolves the host and checks every address it resolves to, so a name that points
/// at an inside address is refused as the address itself would be. Callers should connect to one
/// of the returned `Destination.addresses` instead of resolving the name again (DNS rebinding:
/// a name can resolve to a public address for the check and to a private one a moment later).
/// Literal addresses are checked without resolving, in every form the C resolver accepts
/// (`[::1]`, `2130706433`, `0x7f.1`, `::ffff:10.0.0.1`).
///
/// Refused unless allowed: loopback, private (RFC 1918, carrier-grade NAT, IPv6 site-local),
/// link-local (including cloud metadata at 169.254.169.254), IPv6 unique-local, unspecified,
/// multicast and reserved addresses. See `IPAddress.Scope`.
public struct DestinationPolicy: Sendable {
    /// The `sluice serve` flag that lets requests reach private networks.
    public static let allowFlag = "--allow-private-networks"
    /// The environment variable that does the same as `allowFlag`.
    public static let allowEnvironment = "SLUICE_ALLOW_PRIVATE_NETWORKS"

    /// Whether requests may go to loopback, private, link-local and the other inside addresses.
    public var allowPrivate: Bool
    /// The flag and environment variable named in refusals (webhooks have their own).
    public var flag: String
    public var environment: String

    public init(allowPrivate: Bool = false, flag: String = DestinationPolicy.allowFlag, environment: String = DestinationPolicy.allowEnvironment) {
        self.allowPrivate = allowPrivate
        self.flag = flag
        self.environment = environment
    }

    /// Checks `url` and every address its host resolves to: first what `checkWithoutDNS` checks
    /// (so that whatever it refuses when a URL is given, a request refuses too), then the
    /// addresses a name resolves to.
    /// - Returns: the destination with its checked addresses.
    /// - Throws: `DestinationError` naming the refused address and the flag that allows it, or
    ///   saying why the URL is unusable or the host did not resolve.
    public func check(url: String) async throws(DestinationError) -> Destination {
        var destination = try checkWithoutDNS(url: url)
        destination.addresses = try await resolve(destination)
        for address in destination.addresses {
            try check(address, host: destination.host)
        }
        return destination
    }

    /// Checks what can be known of `url` without asking DNS: its syntax, and the addresses its
    /// host names by itself (`addresses(named:)`: a literal address in any form, and
    /// `localhost` names, loopback by definition). For a URL given now and used later (a
    /// webhook's); `check(url:)` makes the same checks first, so a URL this refuses is refused
    /// when it is used, and one it accepts is refused then only for what its name resolves to.
    /// - Returns: the destination, without addresses.
    @discardableResult
    public func checkWithoutDNS(url: String) throws(DestinationError) -> Destination {
        let destination = try DestinationPolicy.parse(url)
        for address in DestinationPolicy.addresses(named: destination.host) ?? [] {
            try check(address, host: destination.host)
        }
        return destination
    }

    /// Checks `url` without resolving its host: its syntax, and its address if the host is a
    /// literal one (`literalAddress(_:)`). For early checks (when a workflow is created);
    /// requests use `check(url:)`, which also refuses `localhost` names.
    public func checkWithoutResolving(url: String) throws(DestinationError) {
        let destination = try DestinationPolicy.parse(url)
        if let literal = DestinationPolicy.literalAddress(destination.host) { try check(literal, host: destination.host) }
    }

    /// The addresses `host` names without asking DNS, or `nil` for a name only resolving can
    /// place: a literal address (`literalAddress(_:)`), or loopback for `localhost` and the
    /// names under `.localhost` (RFC 6761), in any case, with or without the trailing dot that
    /// makes a name absolute (`LOCALHOST`, `localhost.`, `api.localhost`).
    public static func addresses(named host: String) -> [IPAddress]? {
        if let literal = literalAddress(host) { return [literal] }
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if name == "localhost" || name.hasSuffix(".localhost") { return [IPAddress(v4: 127, 0, 0, 1), IPAddress("::1")!] }
        return nil
    }

    /// The address a host names literally, in every form the C resolver reads: IPv4 as
    /// `inet_aton` reads it (`127.0.0.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`), also with a
    /// trailing dot (`127.0.0.1.`), and IPv6 with or without brackets, with a zone
    /// (`fe80::1%eth0`, which says which interface, not which address) or not.
    public static func literalAddress(_ host: String) -> IPAddress? {
        var name = Substring(host)
        if name.hasPrefix("[") && name.hasSuffix("]") { name = name.dropFirst().dropLast() }
        if name.contains(":") {
            if let percent = name.firstIndex(of: "%") { name = name[..<percent] }
        } else if name.hasSuffix(".") {
            name = name.dropLast()
        }
        return IPAddress(String(name))
    }

    /// Checks one address; `host` is what the URL named, for the message.
    public func check(_ address: IPAddress, host: String) throws(DestinationError) {
        let scope = address.scope
        guard scope != .public, !allowPrivate else { return }
        let which = DestinationPolicy.literalAddress(host) == nil ? ", which \(host) resolves to" : ""
        throw DestinationError(
            .refused(address, scope),
            message: "refusing to connect to \(address) (\(scope.description))\(which): requests to loopback, private, link-local, unique-local, unspecified, multicast and reserved addresses are refused unless the server is started with \(flag) (or \(environment)=1)"
        )
    }

    /// Reads `string` as an absolute http or https URL, the way AsyncHTTPClient reads it (so that
    /// the host checked is the host connected to). The result's `addresses` is empty.
    public static func parse(_ string: String) throws(DestinationError) -> Destination {
        let expected = "expected an absolute http or https URL such as \"https://example.com/path\""
        guard let url = URL(string: string), let rawScheme = url.scheme else {
            throw DestinationError(.invalidURL, message: "\(expected), found \(quoted(string))")
        }
        let scheme = rawScheme.lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw DestinationError(.invalidURL, message: "\(expected); the scheme \"\(rawScheme)\" is not supported, found \(quoted(string))")
        }
        guard var host = url.host, !host.isEmpty else {
            throw DestinationError(.invalidURL, message: "\(expected); the URL has no host, found \(quoted(string))")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard url.user == nil && url.password == nil else {
            throw DestinationError(.invalidURL, message: "\(expected) without user:password@ (send credentials in a header such as authorization), found a URL with credentials")
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else {
            throw DestinationError(.invalidURL, message: "\(expected); the port must be from 1 to 65535, found \(port)")
        }
        return Destination(url: url, scheme: scheme, host: host, port: port, addresses: [])
    }

    func resolve(_ destination: Destination) async throws(DestinationError) -> [IPAddress] {
        // A literal is its own address; other names, `localhost` too, resolve as the system
        // resolves them (`checkWithoutResolving` has refused `localhost` unless allowed).
        if let literal = DestinationPolicy.literalAddress(destination.host) { return [literal] }
        let host = destination.host
        let result: Result<[IPAddress], DestinationError> = await DestinationPolicy.runBlocking {
            DestinationPolicy.lookUp(host)
        } onCancel: {
            .failure(DestinationError(.unresolved, message: "resolving \(host) was cancelled"))
        }
        return try result.get()
    }

    static func lookUp(_ host: String) -> Result<[IPAddress], DestinationError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0 else {
            let reason = String(cString: gai_strerror(rc))
            return .failure(DestinationError(
                .unresolved,
                message: "cannot resolve host \(quoted(host)): \(reason); expected a host name with an address (A or AAAA record)",
                retryable: rc == EAI_AGAIN
            ))
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var node = list
        while let info = node {
            if let sa = info.pointee.ai_addr {
                switch Int32(sa.pointee.sa_family) {
                case AF_INET:
                    let a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    addresses.append(IPAddress(bytes: withUnsafeBytes(of: a) { Array($0) })!)
                case AF_INET6:
                    let a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    addresses.append(IPAddress(bytes: withUnsafeBytes(of: a) { Array($0) })!)
                default: break
                }
            }
            node = info.pointee.ai_next
        }
        var seen = Set<IPAddress>()
        addresses = addresses.filter { seen.insert($0).inserted }
        guard !addresses.isEmpty else {
            return .failure(DestinationError(.unresolved, message: "host \(quoted(host)) has no IPv4 or IPv6 address"))
        }
        return .success(addresses)
    }

    /// Runs blocking `work` on NIO's thread pool; returns `onCancel()` as soon as the calling task
    /// is cancelled (the work finishes in the background and its result is dropped).
    static func runBlocking<T: Sendable>(_ work: @escaping @Sendable () -> T, onCancel: @escaping @Sendable () -> T) async -> T {
        let state = Mutex<(CheckedContinuation<T, Never>?, Bool)>((nil, false))
        @Sendable func finish(_ value: T) {
            let continuation = state.withLock { s -> CheckedContinuation<T, Never>? in
                if s.1 { return nil }
                s.1 = true
                let c = s.0
                s.0 = nil
                return c
            }
            continuation?.resume(returning: value)
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
                let alreadyDone = state.withLock { s -> Bool in
                    if s.1 { return true }
                    s.0 = continuation
                    return false
                }
                if alreadyDone {
                    continuation.resume(returning: onCancel())
                    return
                }
                NIOThreadPool.singleton.submit { _ in finish(work()) }
            }
        } onCancel: {
            finish(onCancel())
        }
    }
}

/// `s` as a JSON string literal, for messages.
func quoted(_ s: String) -> String { JSONValue.string(s).jsonString }
