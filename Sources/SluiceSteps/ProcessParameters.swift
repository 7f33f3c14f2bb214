import SluiceCore

/// The parameters of a `Process` step (its `input` member in a definition), with defaults applied.
public struct ProcessParameters: Sendable {
    /// What the process reads on standard input.
    public enum StandardInput: String, Sendable, Hashable, CaseIterable {
        /// The step's input: its `text` member, or the whole input as JSON if it has none.
        case input
        /// Nothing (standard input is closed at once).
        case none
    }

    public static let defaultTimeoutSeconds = 300.0
    public static let maxTimeoutSeconds = Double(Limits.processMaxTimeoutSeconds)
    public static let defaultMaxOutputBytes = 1 << 20
    public static let maxMaxOutputBytes = Limits.processMaxOutputBytes
    public static let defaultKillGraceSeconds = 5.0
    public static let maxKillGraceSeconds = Double(Limits.processMaxKillGraceSeconds)

    /// An absolute path, or a name looked up in `PATH`.
    public var command: String
    public var args: [String] = []
    /// Added to the minimal environment (and replacing its `PATH` if given), in the order given.
    public var env: [(name: String, value: String)] = []
    /// The working directory (absolute); `nil` keeps the server's.
    public var cwd: String?
    public var stdin: StandardInput = .input
    public var timeoutSeconds = defaultTimeoutSeconds
    public var maxOutputBytes = defaultMaxOutputBytes
    public var successExitCodes: [Int] = [0]
    public var retryableExitCodes: [Int] = []
    /// How long after SIGTERM the process has to exit before it gets SIGKILL.
    public var killGraceSeconds = defaultKillGraceSeconds

    public init(command: String) { self.command = command }

    static let exitCodes = Schema.of(.array, "Exit codes.", items: .of(.integer, "An exit code.", minimum: 0, maximum: 255))

    /// The parameter schema, as `GET /step-types` shows it.
    public static let schema = Schema.object("The command to run.", required: ["command"], [
        ("command", .of(.string, "Absolute path of the program, or a name looked up in PATH.", minLength: 1)),
        ("args", .of(.array, "Arguments, passed as they are (no shell).", items: Schema(type: .string))),
        ("env", .of(.object, "Environment variables added to the minimal environment (which holds only the server's PATH).", additional: .schema(Schema(type: .string)))),
        ("cwd", .of(.string, "Working directory (absolute path); default the server's.", minLength: 1)),
        ("stdin", .of(.string, "input: the input's text (or the input as JSON if it has no text); none: nothing.", default: "input", enum: StandardInput.allCases.map { .string($0.rawValue) })),
        ("timeout_seconds", .of(.number, "Time the process may run before it is stopped and the step fails.", default: .number(defaultTimeoutSeconds), minimum: 0, maximum: maxTimeoutSeconds)),
        ("max_output_bytes", .of(.integer, "Most bytes accepted on standard output; more stops the process and fails the step.", default: .number(Double(defaultMaxOutputBytes)), minimum: 0, maximum: Double(maxMaxOutputBytes))),
        ("success_exit_codes", { var s = exitCodes; s.description = "Exit codes that count as success."; s.defaultValue = [0]; return s }()),
        ("retryable_exit_codes", { var s = exitCodes; s.description = "Exit codes whose failure may be retried."; return s }()),
        ("kill_grace_seconds", .of(.number, "Seconds between SIGTERM and SIGKILL when the step is stopped.", default: .number(defaultKillGraceSeconds), minimum: 0, maximum: maxKillGraceSeconds)),
    ])

    /// What the schema cannot say: the command is an absolute path or a plain name, `cwd` is
    /// absolute, variable names are well-formed, nothing holds a NUL character, and the timeout
    /// is above zero. Runs after the schema accepted `parameters`.
    public static func check(_ parameters: JSONValue, path: String) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ member: String, _ code: String, _ message: String) {
            issues.append(.init(path: IssuePath.member(path, member), code: code, message: message))
        }
        if let command = parameters["command"]?.stringValue {
            if command.contains("\0") {
                issue("command", "invalid_command", "expected a command without NUL characters")
            } else if !command.hasPrefix("/") && command.contains("/") {
                issue("command", "invalid_command", "expected an absolute path (\"/usr/bin/env\") or a name looked up in PATH (\"env\"), found the relative path \(quoted(command))")
            }
        }
        if let cwd = parameters["cwd"]?.stringValue, !cwd.hasPrefix("/") || cwd.contains("\0") {
            issue("cwd", "invalid_cwd", "expected an absolute directory path such as \"/tmp\", found \(quoted(cwd))")
        }
        if case .array(let args)? = parameters["args"] {
            for (i, a) in args.enumerated() where a.stringValue?.contains("\0") == true {
                issues.append(.init(path: IssuePath.index(IssuePath.member(path, "args"), i), code: "invalid_argument", message: "expected an argument without NUL characters"))
            }
        }
        if case .object(let env)? = parameters["env"] {
            for member in env {
                let p = IssuePath.member(IssuePath.member(path, "env"), member.key)
                if !isVariableName(member.key) {
                    issues.append(.init(path: p, code: "invalid_variable", message: "expected a variable name of letters, digits and _ that does not start with a digit, found \(quoted(member.key))"))
                }
                if member.value.stringValue?.contains("\0") == true {
                    issues.append(.init(path: p, code: "invalid_variable", message: "expected a value without NUL characters"))
                }
            }
        }
        if let t = parameters["timeout_seconds"]?.numberValue, t <= 0 {
            issue("timeout_seconds", "below_minimum", "expected a number of seconds above 0 (at most \(Int(maxTimeoutSeconds))), found \(JSONValue.number(t).jsonString)")
        }
        return issues
    }

    /// Reads parameters that passed `schema` and `check` (at run time), applying defaults.
    public init(_ parameters: JSONValue?) throws(StepFailure) {
        guard case .object(let o)? = parameters, let command = o["command"]?.stringValue else {
            throw StepFailure("Process expects parameters {\"command\": \"…\", …}, found \(parameters?.preview ?? "none")")
        }
        self.command = command
        if case .array(let a)? = o["args"] { args = a.compactMap(\.stringValue) }
        if case .object(let e)? = o["env"] { env = e.compactMap { m in m.value.stringValue.map { (m.key, $0) } } }
        cwd = o["cwd"]?.stringValue
        if let s = o["stdin"]?.stringValue, let mode = StandardInput(rawValue: s) { stdin = mode }
        if let t = o["timeout_seconds"]?.numberValue, t > 0 { timeoutSeconds = min(t, Self.maxTimeoutSeconds) }
        if let n = o["max_output_bytes"]?.intValue, n >= 0 { maxOutputBytes = n }
        if case .array(let codes)? = o["success_exit_codes"] { successExitCodes = codes.compactMap(\.intValue) }
        if case .array(let codes)? = o["retryable_exit_codes"] { retryableExitCodes = codes.compactMap(\.intValue) }
        if let g = o["kill_grace_seconds"]?.numberValue, g >= 0 { killGraceSeconds = min(g, Self.maxKillGraceSeconds) }
    }

    /// What goes to standard input for `input`, or `nil` for none.
    public func standardInput(for input: JSONValue) -> [UInt8]? {
        switch stdin {
        case .none: return nil
        case .input: return input["text"]?.stringValue.map { Array($0.utf8) } ?? input.jsonBytes
        }
    }

    static func isVariableName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
