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

/// A program run on the server's host, without a shell, in a new session (its own process
/// group): what the `Process` step, the `process` container runtime and the podman and docker
/// command lines share.
///
/// Its output streams go to an `OutputCapture` as they arrive. When the capture refuses more
/// standard output, or the calling task is cancelled, the whole process group gets SIGTERM, then
/// SIGKILL after `killGraceSeconds`; `run` returns as soon as the process is gone. Whatever the
/// program left running in its process group is killed when it exits.
struct HostProcess: Sendable {
    /// An absolute path, or a name looked up in the `PATH` of `environment`.
    var executable: String
    var arguments: [String] = []
    /// The whole environment the program starts with.
    var environment: [String: String]
    /// Absolute; `nil` keeps the server's.
    var workingDirectory: String?
    /// What goes to standard input (then it is closed); `nil` closes it at once.
    var input: [UInt8]?
    /// Seconds between SIGTERM and SIGKILL when the program is stopped.
    var killGraceSeconds: Double

    /// Writing to a pipe whose reader has gone must fail with EPIPE, not kill the server.
    /// (SwiftNIO does the same as soon as it opens a socket; children get the default back.)
    static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Runs the program until it exits, feeding `output`, and returns how it ended. Throws a
    /// `SubprocessError` when it cannot be started, or `CancellationError`-like errors when the
    /// task was cancelled before it started.
    func run(_ output: OutputCapture) async throws -> TerminationStatus {
        _ = Self.ignoreSIGPIPE
        var keys: [Environment.Key: String] = [:]
        for (name, value) in environment {
            if let key = Environment.Key(rawValue: name) { keys[key] = value }
        }
        var options = PlatformOptions()
        options.createSession = true
        let teardown: [TeardownStep] = [
            .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .nanoseconds(Int64(killGraceSeconds * 1e9))),
        ]
        options.teardownSequence = teardown
        let configuration = Configuration(
            executable: executable.hasPrefix("/") ? .path(FilePath(executable)) : .name(executable),
            arguments: Arguments(arguments),
            environment: .custom(keys),
            workingDirectory: workingDirectory.map { FilePath($0) },
            platformOptions: options
        )
        let input = self.input
        let processGroup = ProcessGroupID()
        let result = try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .sequence) { execution in
            processGroup.set(execution.processIdentifier.value)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    if let input, !input.isEmpty { _ = try? await execution.standardInputWriter.write(input) }
                    try? await execution.standardInputWriter.finish()
                }
                group.addTask {
                    do {
                        for try await buffer in execution.standardOutput {
                            guard buffer.withUnsafeBytes({ output.standardOutput($0) }) else {
                                await execution.teardown(using: teardown)
                                return
                            }
                        }
                    } catch {
                        // The process exited and left the pipe to a child: what was read is the output.
                    }
                }
                group.addTask {
                    do {
                        for try await buffer in execution.standardError {
                            buffer.withUnsafeBytes { output.standardError($0) }
                        }
                    } catch {}
                }
                await group.waitForAll()
            }
        }
        output.finish()
        // Whatever the program left running in its process group goes with it.
        if let pgid = processGroup.value, pgid > 1 { _ = kill(-pgid, SIGKILL) }
        return result.terminationStatus
    }
}
