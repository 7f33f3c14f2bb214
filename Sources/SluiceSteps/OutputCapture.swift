import SluiceCore
import Synchronization

/// What a running program or container writes, taken as it arrives: standard output kept up to
/// a limit (and, when asked, also logged line by line), standard error logged line by line with
/// its last lines kept for a failure message. Both streams may be fed at once from two tasks.
///
/// A `ContainerRuntime` feeds one of these while its container runs; the step reads it after.
public final class OutputCapture: Sendable {
    struct State {
        var stdout: [UInt8] = []
        var exceeded = false
        var stdoutLines: OutputLines?
        var stderrLines: OutputLines
    }

    /// Most bytes of standard output kept; more stops the program.
    public let limit: Int
    private let log: StepLog
    private let what: String
    private let state: Mutex<State>

    /// A capture keeping at most `limit` bytes of standard output. `logStandardOutput` sends
    /// standard output to `log` line by line too; `what` names the program in the line that says
    /// it is stopped for writing too much ("the process", "the container").
    public init(limit: Int, logStandardOutput: Bool, log: StepLog, what: String = "the process",
                maxLoggedLines: Int = Limits.processLoggedLines, maxLineBytes: Int = Limits.processLineBytes) {
        self.limit = limit
        self.log = log
        self.what = what
        let stdoutLines = logStandardOutput ? OutputLines(log: log, stream: .stdout, maxLogged: maxLoggedLines, maxLineBytes: maxLineBytes) : nil
        let stderrLines = OutputLines(log: log, stream: .stderr, maxLogged: maxLoggedLines, maxLineBytes: maxLineBytes)
        state = Mutex(State(stdoutLines: stdoutLines, stderrLines: stderrLines))
    }

    /// Takes bytes of standard output. Returns `false` once more than `limit` bytes have come:
    /// the caller stops the program then (the bytes past the limit are dropped).
    public func standardOutput(_ bytes: UnsafeRawBufferPointer) -> Bool {
        state.withLock { s in
            guard !s.exceeded else { return false }
            s.stdoutLines?.append(bytes)
            s.stdout.append(contentsOf: bytes)
            guard s.stdout.count > limit else { return true }
            s.stdout.removeSubrange(limit...)
            s.exceeded = true
            log("standard output passed max_output_bytes (\(limit) bytes); stopping \(what)")
            return false
        }
    }

    /// Takes bytes of standard error.
    public func standardError(_ bytes: UnsafeRawBufferPointer) {
        state.withLock { $0.stderrLines.append(bytes) }
    }

    /// Logs the streams' unterminated last lines; call once both streams have ended.
    public func finish() {
        state.withLock { s in
            s.stdoutLines?.finish()
            s.stderrLines.finish()
        }
    }

    /// The standard output kept (at most `limit` bytes).
    public var stdout: [UInt8] { state.withLock { $0.stdout } }

    /// Whether more than `limit` bytes of standard output came.
    public var exceeded: Bool { state.withLock { $0.exceeded } }

    /// The last lines of standard error (at most 10, each cut at 500 characters).
    public var stderrTail: [String] { state.withLock { $0.stderrLines.tail } }

    /// "last standard error lines:\n…", or "no standard error", for a failure message.
    public var stderrSummary: String {
        let tail = stderrTail
        return tail.isEmpty ? "no standard error" : "last standard error lines:\n" + tail.joined(separator: "\n")
    }
}
