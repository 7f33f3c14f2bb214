#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Where the commands write: standard output and error, or buffers in tests. Commands reach it
/// through ``Console/current``, a task-local, so a test can run a command and read what it printed.
public final class Console: Sendable {
    /// What a captured console received.
    public struct Captured: Sendable {
        public var out = ""
        public var err = ""
    }

    /// Whether standard output is a terminal (live views, colour, tables sized to it).
    public let isTerminal: Bool
    /// Whether to colour the output: on a terminal, unless `NO_COLOR` is set or `--no-color` given.
    public let color: Bool
    /// Columns and rows of the terminal; `nil` off a terminal.
    public let size: (columns: Int, rows: Int)?
    private let capture: CaptureBuffer?

    /// The console of this process: standard output and error.
    public static let standard: Console = {
        let tty = isatty(STDOUT_FILENO) == 1
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return Console(isTerminal: tty, color: tty && !noColor && ProcessInfo.processInfo.environment["TERM"] != "dumb", size: tty ? terminalSize() : nil, capture: nil as CaptureBuffer?)
    }()

    /// The console the running command writes to.
    @TaskLocal public static var current: Console = .standard

    init(isTerminal: Bool, color: Bool, size: (columns: Int, rows: Int)?, capture: CaptureBuffer?) {
        self.isTerminal = isTerminal
        self.color = color
        self.size = size
        self.capture = capture
    }

    /// A console that keeps what is written, for tests; `terminal` pretends to be a terminal.
    public static func capturing(terminal: Bool = false, color: Bool = false, size: (columns: Int, rows: Int)? = nil) -> Console {
        Console(isTerminal: terminal, color: color, size: size ?? (terminal ? (100, 40) : nil), capture: CaptureBuffer())
    }

    /// What was written so far (captured consoles only).
    public var captured: Captured { capture?.state.withLock { $0 } ?? Captured() }

    /// This console without colour (for `--no-color`).
    public func withoutColor() -> Console {
        guard color else { return self }
        return Console(isTerminal: isTerminal, color: false, size: size, capture: capture)
    }

    /// Writes to standard output as is.
    public func write(_ text: String) {
        if let capture { capture.state.withLock { $0.out += text }; return }
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes a line to standard output.
    public func print(_ line: String = "") { write(line + "\n") }

    /// Writes a line to standard error.
    public func printError(_ line: String) {
        if let capture { capture.state.withLock { $0.err += line + "\n" }; return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Text in a colour, when colouring.
    public func paint(_ text: String, _ style: Style) -> String {
        color ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// ANSI styles.
    public enum Style: String, Sendable {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36"
    }

    static func terminalSize() -> (columns: Int, rows: Int)? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }
}

/// What a capturing console keeps.
final class CaptureBuffer: Sendable {
    let state = Mutex(Console.Captured())
}
