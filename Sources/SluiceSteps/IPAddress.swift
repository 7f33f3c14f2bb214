#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, and what kind of destination it is (`scope`).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// What kind of destination an address is, for the destination policy.
    public enum Scope: String, Sendable, Hashable {
        /// A routable, public address.
        case `public`
        /// `127.0.0.0/8`, `::1`.
        case loopback
        /// `10/8`, `172.16/12`, `192.168/16`, `100.64/10` (carrier-grade NAT), `fec0::/10` (site-local).
        case `private`
        /// `169.254/16` (where cloud metadata services live), `fe80::/10`.
        case linkLocal = "link-local"
        /// `fc00::/7`.
        case uniqueLocal = "unique-local"
        /// `0.0.0.0/8`, `::`.
        case unspecified
        /// `224/4`, `ff00::/8`.
        case multicast
        /// `240/4` and `255.255.255.255`.
        case reserved

        /// How the scope reads in a message: "loopback address".
        public var description: String { "\(rawValue) address" }
    }

    /// An IPv4 address from its four bytes.
    public init(v4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) { bytes = [a, b, c, d] }

    /// An address from 4 (IPv4) or 16 (IPv6) bytes; `nil` for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses an address literal: IPv6 with or without brackets (`::1`, `[::1]`), and IPv4 in every
    /// form the C resolver accepts (`127.0.0.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`),
    /// since `getaddrinfo` would turn those into an address too. `nil` for a host name.
    public init?(_ text: String) {
        var s = Substring(text)
        if s.hasPrefix("[") && s.hasSuffix("]") { s = s.dropFirst().dropLast() }
        if s.contains(":") {
            guard let v6 = IPAddress.parseIPv6(String(s)) else { return nil }
            bytes = v6
        } else {
            guard let v4 = IPAddress.parseIPv4(s) else { return nil }
            bytes = v4
        }
    }

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { bytes.count == 4 }

    /// The usual text form: `127.0.0.1`, `::1`.
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
        guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address as it goes in a URL's host: IPv6 in brackets.
    public var urlHost: String { isIPv4 ? description : "[\(description)]" }

    /// What kind of destination this is. IPv6 addresses that carry an IPv4 address
    /// (`::ffff:a.b.c.d`, `::a.b.c.d`, `64:ff9b::a.b.c.d`, `2002:aabb:ccdd::`) are judged by it.
    public var scope: Scope {
        if isIPv4 { return IPAddress.scopeOfIPv4(bytes) }
        let b = bytes
        if b.allSatisfy({ $0 == 0 }) { return .unspecified }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return .loopback }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff { return IPAddress.scopeOfIPv4(Array(b[12..<16])) }
        if b[0..<12].allSatisfy({ $0 == 0 }) { return IPAddress.scopeOfIPv4(Array(b[12..<16])) }
        if b[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] { return IPAddress.scopeOfIPv4(Array(b[12..<16])) }
        if b[0] == 0x20 && b[1] == 0x02 { return IPAddress.scopeOfIPv4(Array(b[2..<6])) }
        if b[0] == 0xff { return .multicast }
        if b[0] & 0xfe == 0xfc { return .uniqueLocal }
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return .linkLocal }
        if b[0] == 0xfe && b[1] & 0xc0 == 0xc0 { return .private }
        return .public
    }

    static func scopeOfIPv4(_ b: [UInt8]) -> Scope {
        switch (b[0], b[1]) {
        case (0, _): return .unspecified
        case (10, _): return .private
        case (127, _): return .loopback
        case (169, 254): return .linkLocal
        case (172, 16...31): return .private
        case (192, 168): return .private
        case (100, 64...127): return .private
        case (224...239, _): return .multicast
        case (240...255, _): return .reserved
        default: return .public
        }
    }

    /// IPv4 as `inet_aton` reads it: one to four parts separated by dots, each decimal, octal
    /// (leading `0`) or hexadecimal (`0x`); the last part fills the remaining bytes.
    static func parseIPv4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt32] = []
        for part in parts {
            guard let v = parseIPv4Part(part) else { return nil }
            values.append(v)
        }
        var result: [UInt8] = []
        for v in values.dropLast() {
            guard v <= 0xff else { return nil }
            result.append(UInt8(v))
        }
        let remaining = 4 - result.count
        let last = values.last!
        guard remaining == 4 || last < (UInt32(1) << (8 * UInt32(remaining))) else { return nil }
        for i in (0..<remaining).reversed() { result.append(UInt8(truncatingIfNeeded: last >> (8 * UInt32(i)))) }
        return result
    }

    static func parseIPv4Part(_ part: Substring) -> UInt32? {
        guard !part.isEmpty else { return nil }
        var digits = part
        var radix: UInt32 = 10
        if digits.lowercased().hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
            if digits.isEmpty { return 0 }
        } else if digits.count > 1 && digits.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        }
        var value: UInt64 = 0
        for c in digits {
            guard let d = c.hexDigitValue, UInt32(d) < radix else { return nil }
            value = value * UInt64(radix) + UInt64(d)
            if value > UInt64(UInt32.max) { return nil }
        }
        return UInt32(value)
    }

    static func parseIPv6(_ s: String) -> [UInt8]? {
        var raw = in6_addr()
        guard inet_pton(AF_INET6, s, &raw) == 1 else { return nil }
        return withUnsafeBytes(of: &raw) { Array($0) }
    }
}
