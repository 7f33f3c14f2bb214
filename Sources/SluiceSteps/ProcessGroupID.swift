#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The process group a `Process` step's program leads (its pid, as it runs in a new session),
/// recorded while it runs so that what it leaves behind can be killed after it exits.
final class ProcessGroupID: Sendable {
    private let storage = Mutex<pid_t?>(nil)

    func set(_ pid: pid_t) { storage.withLock { $0 = pid } }

    var value: pid_t? { storage.withLock { $0 } }
}
