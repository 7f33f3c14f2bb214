import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to a live test server, for what an HTTP client hides: a request's
/// head byte by byte, a connection left idle, the server closing it. Blocking calls run off the
/// test's threads.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    /// Connects to `localhost`:`port` (the first of its addresses that answers: the live test
    /// server listens on "localhost", IPv4 or IPv6).
    init(port: Int) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo("localhost", String(port), &hints, &list) == 0, let first = list else { throw RawConnectionError("getaddrinfo localhost failed") }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let s = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if s >= 0 {
                if connect(s, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    fd = s
                    return
                }
                close(s)
            }
            candidate = info.pointee.ai_next
        }
        throw RawConnectionError("could not connect to localhost:\(port): \(errno)")
    }

    deinit { close(fd) }

    /// Sends `text`; false when the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// What the server sends within `seconds`, and whether it closed the connection by then.
    func read(for seconds: Double) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: self.readBlocking(for: seconds))
            }
        }
    }

    private func readBlocking(for seconds: Double) -> (text: String, closed: Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var pollfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let waitMilliseconds = max(1, Int32(deadline.timeIntervalSinceNow * 1000))
            guard poll(&pollfd, 1, waitMilliseconds) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[0..<n]
        }
        return (String(decoding: received, as: UTF8.self), false)
    }
}

struct RawConnectionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
