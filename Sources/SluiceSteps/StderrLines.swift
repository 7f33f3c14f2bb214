import SluiceCore

/// Splits a process's standard error into lines as it arrives: each goes to the task log (up to
/// `ProcessStep.maxLoggedLines`, each cut at `ProcessStep.maxLineBytes`), and the last few are
/// kept for the failure message.
struct StderrLines {
    let log: StepLog
    private var pending: [UInt8] = []
    private var cut = false
    private(set) var tail: [String] = []
    private(set) var total = 0
    private var logged = 0

    init(log: StepLog) { self.log = log }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes {
            if b == UInt8(ascii: "\n") {
                emit()
            } else if pending.count < ProcessStep.maxLineBytes {
                pending.append(b)
            } else {
                cut = true
            }
        }
    }

    /// Emits an unterminated last line and says how many lines were not logged.
    mutating func finish() {
        if !pending.isEmpty || cut { emit() }
        if total > logged { log("… \(total - logged) more standard error lines not logged") }
    }

    private mutating func emit() {
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        var line = String(decoding: pending, as: UTF8.self)
        if cut { line += "…" }
        pending.removeAll(keepingCapacity: true)
        cut = false
        total += 1
        if logged < ProcessStep.maxLoggedLines {
            log("stderr: \(line)")
            logged += 1
        }
        tail.append(line.count > 500 ? String(line.prefix(500)) + "…" : line)
        if tail.count > ProcessStep.stderrTailLines { tail.removeFirst() }
    }
}
