import SluiceCore

/// One of a program's two output streams, as the task log names it.
enum OutputStream: String, Sendable {
    case stdout, stderr

    /// How messages name it: `standard output`, `standard error`.
    var noun: String { self == .stdout ? "standard output" : "standard error" }
}

/// Splits one output stream of a process or container into lines as it arrives: each goes to
/// the task log as `stderr: …` (or `stdout: …`), up to `maxLogged` lines each cut at
/// `maxLineBytes`, and the last few are kept for a failure message.
struct OutputLines {
    let log: StepLog
    let stream: OutputStream
    let maxLogged: Int
    let maxLineBytes: Int
    /// How many of the last lines `tail` keeps.
    static let tailLines = 10
    private var pending: [UInt8] = []
    private var cut = false
    private(set) var tail: [String] = []
    private(set) var total = 0
    private var logged = 0

    init(log: StepLog, stream: OutputStream = .stderr, maxLogged: Int = Limits.processLoggedLines, maxLineBytes: Int = Limits.processLineBytes) {
        self.log = log
        self.stream = stream
        self.maxLogged = maxLogged
        self.maxLineBytes = maxLineBytes
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes {
            if b == UInt8(ascii: "\n") {
                emit()
            } else if pending.count < maxLineBytes {
                pending.append(b)
            } else {
                cut = true
            }
        }
    }

    /// Emits an unterminated last line and says how many lines were not logged.
    mutating func finish() {
        if !pending.isEmpty || cut { emit() }
        if total > logged { log("… \(total - logged) more \(stream.noun) lines not logged") }
    }

    private mutating func emit() {
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        var line = String(decoding: pending, as: UTF8.self)
        if cut { line += "…" }
        pending.removeAll(keepingCapacity: true)
        cut = false
        total += 1
        if logged < maxLogged {
            log("\(stream.rawValue): \(line)")
            logged += 1
        }
        tail.append(line.count > 500 ? String(line.prefix(500)) + "…" : line)
        if tail.count > Self.tailLines { tail.removeFirst() }
    }
}
