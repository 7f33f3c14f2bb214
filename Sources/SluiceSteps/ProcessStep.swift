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
    /// How many of the last standard-error lines a failure message quotes.
    static let stderrTailLines = 10
    /// How many standard-error lines go to the task log at most.
    static let maxLoggedLines = Limits.processLoggedLines
    /// Longest standard-error line logged, in bytes; longer lines are cut.
    static let maxLineBytes = Limits.processLineBytes

    /// The step type. `environment` is the minimal environment every process starts with
    /// (default: `PATH` from the server's environment).
    public static func stepType(environment: [String: String] = inheritedEnvironment()) -> StepType {
        StepType(
            name: name,
            summary: "Runs a program on the server's host and produces its standard output as text; standard error and the exit code go to the task log.",
            input: .any, output: .value(.text),
            parameters: ProcessParameters.schema, parametersRequired: true,
            parameterCheck: { parameters, path in ProcessParameters.check(parameters, path: path) },
            implementation: .run { context throws(StepFailure) in
                try await run(context, environment: environment)
            }
        )
    }

    /// The environment a process starts with: the server's `PATH`, and nothing else.
    public static func inheritedEnvironment() -> [String: String] {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        return ["PATH": path.isEmpty ? "/usr/local/bin:/usr/bin:/bin" : path]
    }

    /// Writing to a pipe whose reader has gone must fail with EPIPE, not kill the server.
    /// (SwiftNIO does the same as soon as it opens a socket; children get the default back.)
    static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    struct TimedOut: Error {}

    /// Runs one `Process` task.
    public static func run(_ context: StepContext, environment: [String: String]) async throws(StepFailure) -> JSONValue {
        _ = ignoreSIGPIPE
        let parameters = try ProcessParameters(context.parameters)
        let seconds = parameters.timeoutSeconds
        let outcome: Outcome
        do {
            outcome = try await withThrowingTaskGroup(of: Outcome.self) { group in
                group.addTask { try await execute(parameters, context: context, environment: environment) }
                group.addTask {
                    try await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9)))
                    throw TimedOut()
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch let failure as StepFailure {
            throw failure
        } catch is TimedOut {
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
        var stdout: [UInt8]
        var outputExceeded: Bool
        var stderrTail: [String]
        var elapsed: Duration
    }

    enum Part: Sendable {
        case input
        case output([UInt8], exceeded: Bool)
        case error(tail: [String])
    }

    static func execute(_ parameters: ProcessParameters, context: StepContext, environment: [String: String]) async throws -> Outcome {
        var env = environment
        for (name, value) in parameters.env { env[name] = value }
        var keys: [Environment.Key: String] = [:]
        for (name, value) in env {
            if let key = Environment.Key(rawValue: name) { keys[key] = value }
        }
        var options = PlatformOptions()
        options.createSession = true
        let teardown: [TeardownStep] = [
            .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .nanoseconds(Int64(parameters.killGraceSeconds * 1e9))),
        ]
        options.teardownSequence = teardown
        let configuration = Configuration(
            executable: parameters.command.hasPrefix("/") ? .path(FilePath(parameters.command)) : .name(parameters.command),
            arguments: Arguments(parameters.args),
            environment: .custom(keys),
            workingDirectory: parameters.cwd.map { FilePath($0) },
            platformOptions: options
        )
        let input = parameters.standardInput(for: context.input)
        let limit = parameters.maxOutputBytes
        let log = context.log
        log("$ " + ([parameters.command] + parameters.args).map(shellQuoted).joined(separator: " "))
        let started = ContinuousClock.now
        let processGroup = ProcessGroupID()

        let result = try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .sequence) { execution in
            processGroup.set(execution.processIdentifier.value)
            return try await withThrowingTaskGroup(of: Part.self) { group in
                group.addTask {
                    if let input, !input.isEmpty { _ = try? await execution.standardInputWriter.write(input) }
                    try? await execution.standardInputWriter.finish()
                    return .input
                }
                group.addTask {
                    var out: [UInt8] = []
                    do {
                        for try await buffer in execution.standardOutput {
                            buffer.withUnsafeBytes { out.append(contentsOf: $0) }
                            if out.count > limit {
                                out.removeSubrange(limit...)
                                log("standard output passed max_output_bytes (\(limit) bytes); stopping the process")
                                await execution.teardown(using: teardown)
                                return .output(out, exceeded: true)
                            }
                        }
                    } catch {
                        // The process exited and left the pipe to a child: what was read is the output.
                    }
                    return .output(out, exceeded: false)
                }
                group.addTask {
                    var lines = StderrLines(log: log)
                    do {
                        for try await buffer in execution.standardError {
                            buffer.withUnsafeBytes { lines.append($0) }
                        }
                    } catch {}
                    lines.finish()
                    return .error(tail: lines.tail)
                }
                var outcome = Outcome(status: .exited(0), stdout: [], outputExceeded: false, stderrTail: [], elapsed: .zero)
                for try await part in group {
                    switch part {
                    case .input: break
                    case .output(let bytes, let exceeded):
                        outcome.stdout = bytes
                        outcome.outputExceeded = exceeded
                    case .error(let tail): outcome.stderrTail = tail
                    }
                }
                return outcome
            }
        }
        // Whatever the program left running in its process group goes with it.
        if let pgid = processGroup.value, pgid > 1 { _ = kill(-pgid, SIGKILL) }
        var outcome = result.closureResult
        outcome.status = result.terminationStatus
        outcome.elapsed = ContinuousClock.now - started
        return outcome
    }

    static func result(of outcome: Outcome, parameters: ProcessParameters, context: StepContext) throws(StepFailure) -> JSONValue {
        let took = HTTPRequestStep.format(duration: outcome.elapsed)
        let tail = outcome.stderrTail.isEmpty ? "no standard error" : "last standard error lines:\n" + outcome.stderrTail.joined(separator: "\n")
        switch outcome.status {
        case .signaled(let signal):
            context.log("killed by signal \(signal) after \(took)")
            if outcome.outputExceeded { throw outputExceeded(parameters) }
            throw StepFailure("\(parameters.command) was killed by signal \(signal)\(signalName(signal)); \(tail)")
        case .exited(let code):
            context.log("exit code \(code) after \(took)")
            if outcome.outputExceeded { throw outputExceeded(parameters) }
            guard parameters.successExitCodes.contains(Int(code)) else {
                let expected = parameters.successExitCodes.map(String.init).joined(separator: ", ")
                throw StepFailure(
                    "\(parameters.command) exited with code \(code); expected \(expected) (success_exit_codes); \(tail)",
                    retryable: parameters.retryableExitCodes.contains(Int(code))
                )
            }
            return ["text": .string(String(decoding: outcome.stdout, as: UTF8.self))]
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
