#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceCore
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The `Process` step type: runs a program on the server's host and produces its standard output
/// as `{"text": ...}`. It runs code on the host, so a server offers it only when started with
/// `--enable-process-steps`.
///
/// The program runs without a shell, in a new session (its own process group), with a minimal
/// environment: the server's `PATH` only (`/usr/local/bin:/usr/bin:/bin` if the server has none),
/// plus the `env` parameter. Standard error goes to the task log line by line, as does the exit
/// code. When the step is stopped (its Swift task cancelled by the engine, or `timeout_seconds`
/// passed), the whole process group gets SIGTERM, then SIGKILL after `kill_grace_seconds`; the
/// step returns as soon as the process is gone. Processes the program left running in its process
/// group are killed when it exits.
public enum ProcessStep {
    /// The step type's name in definitions.
    public static let name = "Process"
    /// The step type. `environment` is the minimal environment every process starts with
    /// (default: `PATH` from the server's environment); `slots` bounds how many programs (and
    /// containers) run at once.
    public static func stepType(environment: [String: String] = inheritedEnvironment(), slots: ProcessSlots = ProcessSlots(limit: Limits.defaultMaxProcesses)) -> StepType {
        StepType(
            name: name,
            summary: "Runs a program on the server's host and produces its standard output as text; standard error and the exit code go to the task log.",
            input: .any, output: .value(.text),
            parameters: ProcessParameters.schema, parametersRequired: true,
            parameterCheck: { parameters, path in ProcessParameters.check(parameters, path: path) },
            implementation: .run { context throws(StepFailure) in
                try await slots.step(context, what: "the program") { () async throws(StepFailure) -> JSONValue in
                    try await run(context, environment: environment)
                }
            }
        )
    }

    /// The environment a process starts with: the server's `PATH`, and nothing else.
    public static func inheritedEnvironment() -> [String: String] {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        return ["PATH": path.isEmpty ? "/usr/local/bin:/usr/bin:/bin" : path]
    }

    /// Runs one `Process` task.
    public static func run(_ context: StepContext, environment: [String: String]) async throws(StepFailure) -> JSONValue {
        let parameters = try ProcessParameters(context.parameters)
        let seconds = parameters.timeoutSeconds
        let outcome: Outcome
        do {
            outcome = try await StepDeadline.run(seconds: seconds) { try await execute(parameters, context: context, environment: environment) }
        } catch is StepDeadline.Passed {
            throw StepFailure("\(parameters.command) timed out after \(HTTPRequestStep.format(seconds: seconds)) (timeout_seconds) and was stopped (SIGTERM, then SIGKILL after \(HTTPRequestStep.format(seconds: parameters.killGraceSeconds)))")
        } catch let error as SubprocessError {
            throw failure(for: error, parameters: parameters, environment: environment)
        } catch {
            if Task.isCancelled { throw cancelled(parameters) }
            throw StepFailure("\(parameters.command) could not be run: \(error)")
        }
        if Task.isCancelled { throw cancelled(parameters) }
        return try result(of: outcome, parameters: parameters, context: context)
    }

    static func cancelled(_ parameters: ProcessParameters) -> StepFailure {
        StepFailure("\(parameters.command) was cancelled and stopped (SIGTERM, then SIGKILL after \(HTTPRequestStep.format(seconds: parameters.killGraceSeconds)))")
    }

    static func failure(for error: SubprocessError, parameters: ProcessParameters, environment: [String: String]) -> StepFailure {
        if error.code == .executableNotFound {
            let path = parameters.env.last(where: { $0.name == "PATH" })?.value ?? environment["PATH"] ?? ""
            return StepFailure("command \(quoted(parameters.command)) was not found in PATH (\(path)); expected an absolute path or the name of a program in one of those directories")
        }
        if error.code == .failedToChangeWorkingDirectory {
            return StepFailure("cannot run \(parameters.command) in cwd \(quoted(parameters.cwd ?? "")): expected an existing directory the server may enter")
        }
        return StepFailure("\(parameters.command) could not be run: \(error)")
    }

    /// What one run produced.
    struct Outcome: Sendable {
        var status: TerminationStatus
        var output: OutputCapture
        var elapsed: Duration
    }

    static func execute(_ parameters: ProcessParameters, context: StepContext, environment: [String: String]) async throws -> Outcome {
        var env = environment
        for (name, value) in parameters.env { env[name] = value }
        let process = HostProcess(
            executable: parameters.command, arguments: parameters.args, environment: env,
            workingDirectory: parameters.cwd, input: parameters.standardInput(for: context.input),
            killGraceSeconds: parameters.killGraceSeconds
        )
        let output = OutputCapture(limit: parameters.maxOutputBytes, logStandardOutput: false, log: context.log)
        context.log("$ " + ([parameters.command] + parameters.args).map(shellQuoted).joined(separator: " "))
        let started = ContinuousClock.now
        let status = try await process.run(output)
        return Outcome(status: status, output: output, elapsed: ContinuousClock.now - started)
    }

    static func result(of outcome: Outcome, parameters: ProcessParameters, context: StepContext) throws(StepFailure) -> JSONValue {
        let took = HTTPRequestStep.format(duration: outcome.elapsed)
        let tail = outcome.output.stderrSummary
        switch outcome.status {
        case .signaled(let signal):
            context.log("killed by signal \(signal) after \(took)")
            if outcome.output.exceeded { throw outputExceeded(parameters) }
            throw StepFailure("\(parameters.command) was killed by signal \(signal)\(signalName(signal)); \(tail)")
        case .exited(let code):
            context.log("exit code \(code) after \(took)")
            if outcome.output.exceeded { throw outputExceeded(parameters) }
            guard parameters.successExitCodes.contains(Int(code)) else {
                let expected = parameters.successExitCodes.map(String.init).joined(separator: ", ")
                throw StepFailure(
                    "\(parameters.command) exited with code \(code); expected \(expected) (success_exit_codes); \(tail)",
                    retryable: parameters.retryableExitCodes.contains(Int(code))
                )
            }
            return ["text": .string(String(decoding: outcome.output.stdout, as: UTF8.self))]
        }
    }

    static func outputExceeded(_ parameters: ProcessParameters) -> StepFailure {
        StepFailure("\(parameters.command) wrote more than max_output_bytes (\(parameters.maxOutputBytes) bytes) to standard output and was stopped; raise max_output_bytes (at most \(ProcessParameters.maxMaxOutputBytes)) or write less")
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: return " (SIGTERM)"
        case SIGKILL: return " (SIGKILL)"
        case SIGINT: return " (SIGINT)"
        case SIGSEGV: return " (SIGSEGV)"
        case SIGABRT: return " (SIGABRT)"
        case SIGPIPE: return " (SIGPIPE)"
        default: return ""
        }
    }

    /// `s` as a POSIX shell word, for the log line.
    static func shellQuoted(_ s: String) -> String {
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./=:,+@%".unicodeScalars.contains($0)) }
        return plain ? s : "'" + s.replacingAll("'", with: "'\\''") + "'"
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
