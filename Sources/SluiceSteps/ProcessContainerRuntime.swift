import SluiceCore
import Subprocess

/// The `process` runtime: runs a container's `command` and `args` on the server's host, like
/// the `Process` step (its own process group, the server's `PATH` plus the spec's `env`), for
/// development and CI without podman or docker. The image is recorded in the task log, not used;
/// CPU and memory limits and the network setting are not applied. Never chosen by default.
public struct ProcessContainerRuntime: ContainerRuntime {
    /// The environment every command starts with, before the spec's `env`.
    public var environment: [String: String]

    /// A runtime starting commands with `environment` (default: the server's `PATH` only).
    public init(environment: [String: String] = ProcessStep.inheritedEnvironment()) {
        self.environment = environment
    }

    /// `process`.
    public var name: String { "process" }
    /// Never: the image is only recorded.
    public var usesImages: Bool { false }

    /// Runs `command` + `args` on the host; a signal N the command died of is 128 + N.
    public func run(_ spec: ContainerSpec, output: OutputCapture, log: StepLog) async throws(ContainerRuntimeError) -> ContainerExit {
        guard let program = spec.command.first else {
            throw ContainerRuntimeError("the process runtime runs command and args on the host and cannot read the entrypoint of \(spec.image): give command")
        }
        var env = environment
        for (name, value) in spec.env { env[name] = value }
        let arguments = Array(spec.command.dropFirst()) + spec.args
        var ignored: [String] = []
        if spec.cpus != nil || spec.memoryBytes != nil { ignored.append("resource limits") }
        if !spec.network { ignored.append("network none") }
        log("process runtime: image \(spec.image) recorded, not used" + (ignored.isEmpty ? "" : "; not applied: " + ignored.joined(separator: ", ")))
        log("$ " + ([program] + arguments).map(ProcessStep.shellQuoted).joined(separator: " "))
        let process = HostProcess(
            executable: program, arguments: arguments, environment: env, workingDirectory: spec.workingDirectory,
            input: spec.input, killGraceSeconds: spec.killGraceSeconds
        )
        do {
            switch try await process.run(output) {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .exited(128 + signal)
            }
        } catch let error as SubprocessError where error.code == .executableNotFound {
            throw ContainerRuntimeError("command \(quoted(program)) was not found in PATH (\(env["PATH"] ?? "")) of this host (the process runtime runs commands on the host, not in \(spec.image))")
        } catch let error as SubprocessError where error.code == .failedToChangeWorkingDirectory {
            throw ContainerRuntimeError("cannot run \(program) in working_dir \(quoted(spec.workingDirectory ?? "")): the process runtime runs commands on the host, where that directory must exist")
        } catch {
            throw ContainerRuntimeError("\(program) could not be run: \(error)")
        }
    }
}
