import Foundation
import SluiceClient
import SluiceCore
import Synchronization

/// The live view of `--watch` on a terminal: every task with a mark, its status and elapsed
/// time, redrawn in place ten times a second. It refreshes the execution when the event stream
/// says something changed (and every two seconds regardless), and ends when it has finished.
struct WatchView {
    var client: SluiceClient
    var console: Console

    func watch(workflowID: String, executionID: String, timeout: Duration) async throws -> Execution {
        let changed = Mutex(true)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var current = try await client.execution(workflowID: workflowID, executionID: executionID)
        var drawnLines = 0
        var frame = 0
        var lastFetch = clock.now
        // The event stream only tells when to look again; the execution is read whole.
        let events = Task {
            do {
                for try await _ in client.streamEvents(workflowID: workflowID, executionID: executionID) {
                    changed.withLock { $0 = true }
                }
            } catch {}
            changed.withLock { $0 = true }
        }
        defer { events.cancel() }
        console.write("\u{1B}[?25l")  // hide the cursor while redrawing
        // Ctrl-C must not leave the terminal without a cursor: show it again, then exit 130.
        let interrupt = Self.onInterrupt { console.write("\u{1B}[?25h\n") }
        defer {
            interrupt.cancel()
            console.write("\u{1B}[?25h")
        }
        while true {
            if changed.withLock({ let c = $0; $0 = false; return c }) || clock.now - lastFetch > .seconds(2) {
                current = try await client.execution(workflowID: workflowID, executionID: executionID)
                lastFetch = clock.now
            }
            let lines = Self.frame(current, spinner: Formatting.spinnerFrames[frame % Formatting.spinnerFrames.count], now: Date(), size: console.size ?? (100, 40), console: console)
            var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)F" : ""
            for line in lines { text += "\u{1B}[2K" + line + "\n" }
            // Lines left over from a taller frame.
            for _ in lines.count..<max(lines.count, drawnLines) { text += "\u{1B}[2K\n" }
            console.write(text)
            drawnLines = max(lines.count, drawnLines)
            if current.status.isTerminal { return current }
            if clock.now >= deadline { throw SluiceClientError.timedOut(current) }
            frame += 1
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Runs `cleanup` and exits with 130 (128 + SIGINT) on Ctrl-C, until the source is cancelled.
    static func onInterrupt(_ cleanup: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            cleanup()
            exit(130)
        }
        source.setCancelHandler { signal(SIGINT, SIG_DFL) }
        source.resume()
        return source
    }

    /// One frame: a header, then a line per task (running and failed ones first when they do
    /// not all fit), cut to the terminal's width.
    static func frame(_ e: Execution, spinner: String, now: Date, size: (columns: Int, rows: Int), console: Console) -> [String] {
        // Completed tasks fill the bar; tasks that ended otherwise (failed, skipped, cancelled)
        // show as ▒, so a failed execution's bar is never full.
        let total = max(e.tasks.count, 1)
        let barWidth = 20
        let completed = e.tasks.filter { $0.status == .completed }.count
        let ended = e.tasks.filter { $0.status.isTerminal && $0.status != .completed }.count
        let filled = e.tasks.isEmpty ? barWidth : Int((Double(completed) / Double(total) * Double(barWidth)).rounded(.down))
        let other = min(barWidth - filled, Int((Double(ended) / Double(total) * Double(barWidth)).rounded(.up)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "▒", count: other) + String(repeating: "░", count: barWidth - filled - other)
        let elapsed = Formatting.elapsed(from: e.startedAt ?? e.createdAt, to: e.completedAt, now: now)
        var lines = ["\(e.id)  \(console.paint(e.status.rawValue, Formatting.style(forStatus: e.status.rawValue)))  \(bar) \(e.completedTasks)/\(e.totalTasks)  \(elapsed)"]
        let room = max(3, size.rows - 3)
        var tasks = e.tasks
        var hidden = 0
        if tasks.count > room {
            // Keep what is happening in view: unfinished and failed tasks before finished ones.
            let interesting = tasks.filter { !$0.status.isTerminal || $0.status == .failed }
            let rest = tasks.filter { $0.status.isTerminal && $0.status != .failed }
            tasks = Array((interesting + rest).prefix(room - 1))
            hidden = e.tasks.count - tasks.count
        }
        let idWidth = tasks.map(\.stepID.count).max() ?? 0
        let typeWidth = tasks.map(\.type.count).max() ?? 0
        for t in tasks {
            let status = t.status.rawValue
            let mark = console.paint(Formatting.mark(forStatus: status, spinner: spinner), Formatting.style(forStatus: status))
            var line = "  \(mark) \(t.stepID.padding(toLength: idWidth, withPad: " ", startingAt: 0))  \(t.type.padding(toLength: typeWidth, withPad: " ", startingAt: 0))  \(console.paint(status.padding(toLength: 9, withPad: " ", startingAt: 0), Formatting.style(forStatus: status)))  \(Formatting.elapsed(from: t.startedAt, to: t.completedAt, now: now))"
            let note = ExecutionReport.note(t, now: now)
            if !note.isEmpty { line += "  " + console.paint(note, .dim) }
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(cut(line, to: size.columns))
        }
        if hidden > 0 { lines.append(console.paint("  … and \(hidden) more", .dim)) }
        return lines
    }

    /// A line cut to the terminal's width (colour codes do not count), so that it never wraps
    /// and the redraw stays in place.
    static func cut(_ line: String, to columns: Int) -> String {
        guard Formatting.visibleWidth(line) > columns - 1 else { return line }
        var out = ""
        var visible = 0
        var inEscape = false
        for scalar in line.unicodeScalars {
            if inEscape {
                out.unicodeScalars.append(scalar)
                if scalar == "m" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
                out.unicodeScalars.append(scalar)
            } else if visible < columns - 2 {
                out.unicodeScalars.append(scalar)
                visible += 1
            }
        }
        return out + "…\u{1B}[0m"
    }
}
