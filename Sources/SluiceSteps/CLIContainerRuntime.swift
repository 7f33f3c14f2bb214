import Foundation
import SluiceCore
import Subprocess

/// Runs each container with `podman run` or `docker run` (`--rm`, `--network none` unless the
/// spec allows the network, `--cpus`, `--memory`), the runtime's program started like a
/// `Process` (its own process group, stopped with SIGTERM then SIGKILL). Stopping a container
/// sends SIGTERM through the runtime's signal proxy, then `rm -f` by name after the grace.
///
/// `command` is the runtime's command line with the global flags the host needs, e.g.
/// `["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]`. The runtime's program
/// gets the server's whole environment (`CONTAINERS_CONF`, `DOCKER_HOST`, `HOME`…).
public struct CLIContainerRuntime: ContainerRuntime {
    /// Which command line it speaks.
    public enum Flavor: String, Sendable, CaseIterable {
        case podman, docker
    }

    /// Which command line it speaks.
    public var flavor: Flavor
    /// The program and its global flags; never empty.
    public var command: [String]
    /// The environment the runtime's program runs with.
    public var environment: [String: String]

    /// A runtime of `flavor` run as `command` (default: just `podman` or `docker`).
    public init(flavor: Flavor, command: [String]? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.flavor = flavor
        self.command = (command?.isEmpty == false ? command : nil) ?? [flavor.rawValue]
        self.environment = environment
    }

    /// `podman` or `docker`.
    public var name: String { flavor.rawValue }
    /// Always: the container runs from its image.
    public var usesImages: Bool { true }

    /// The arguments after `command` that run `spec`.
    public func runArguments(_ spec: ContainerSpec) -> [String] {
        // With output artifacts the container is kept after it exits, to copy them out, and
        // removed then.
        var a = spec.outputArtifacts.isEmpty ? ["run", "--rm", "--name", spec.name] : ["run", "--name", spec.name]
        // podman replaces what an interrupted server left under this name; docker's is removed first.
        if flavor == .podman { a.append("--replace") }
        if !spec.network { a += ["--network", "none"] }
        if let cpus = spec.cpus { a += ["--cpus", Self.decimal(cpus)] }
        if let memory = spec.memoryBytes { a += ["--memory", String(memory)] }
        a += ["--pull", spec.pull.rawValue]
        if spec.input != nil { a.append("--interactive") }
        if let dir = spec.workingDirectory { a += ["--workdir", dir] }
        for (name, value) in spec.env { a += ["--env", "\(name)=\(value)"] }
        // Each output file is a host file mounted where the container writes it.
        for file in spec.outputFiles { a += ["--volume", "\(file.hostPath):\(file.path)"] }
        // Each input artifact is the attempt's host copy mounted where the container reads it.
        for artifact in spec.inputArtifacts { a += ["--volume", "\(artifact.hostPath):\(artifact.path)"] }
        // Like Kubernetes: `command` replaces the entrypoint (and with it the image's default
        // arguments), `args` follow it.
        if let program = spec.command.first { a += ["--entrypoint", program] }
        a.append(spec.image)
        a += spec.command.dropFirst()
        a += spec.args
        return a
    }

    /// The arguments after `command` that kill and remove the container named `name` at once.
    public func removeArguments(_ name: String) -> [String] {
        flavor == .podman ? ["rm", "--force", "--time", "0", name] : ["rm", "--force", name]
    }

    /// Runs `spec` with `run --rm`, logging the command line; exit code 125 (the runtime's own
    /// failure) is `runtimeFailed`, a signal N the runtime's program died of is 128 + N.
    public func run(_ spec: ContainerSpec, output: OutputCapture, log: StepLog) async throws(ContainerRuntimeError) -> ContainerExit {
        let arguments = runArguments(spec)
        log("$ " + (command + arguments).map(ProcessStep.shellQuoted).joined(separator: " "))
        if flavor == .docker { await remove(spec.name) }
        let process = HostProcess(
            executable: command[0], arguments: Array(command.dropFirst()) + arguments, environment: environment,
            input: spec.input, killGraceSeconds: spec.killGraceSeconds
        )
        let status: TerminationStatus
        do {
            status = try await process.run(output)
        } catch let error as SubprocessError where error.code == .executableNotFound {
            throw ContainerRuntimeError("\(command[0]) was not found in PATH (\(environment["PATH"] ?? "")): install \(flavor.rawValue) or give its path with --container-runtime-command")
        } catch {
            await remove(spec.name)
            if Task.isCancelled { return .exited(128 + SIGKILL) }
            throw ContainerRuntimeError("\(command[0]) could not be run: \(error)")
        }
        // Stopped (cancelled, timed out, too much output): the runtime's program had SIGTERM
        // (passed on to the container) and the grace; whatever still runs is killed now.
        if Task.isCancelled || output.exceeded { await remove(spec.name) }
        if !spec.outputArtifacts.isEmpty {
            // Kept without --rm: copy each output artifact out (a path the container did not
            // write makes `cp` fail and leaves no host path), then remove the container.
            if !Task.isCancelled, case .exited(let code) = status, code != 125 {
                for artifact in spec.outputArtifacts { await copyOut(spec.name, artifact) }
            }
            await remove(spec.name)
        }
        switch status {
        case .exited(125): return .runtimeFailed(125)
        case .exited(let code): return .exited(code)
        case .signaled(let signal): return .exited(128 + signal)
        }
    }

    /// Kills and removes the container `name` if it exists, even when the calling task is
    /// cancelled (the removal runs on a task of its own).
    func remove(_ name: String) async {
        let process = HostProcess(
            executable: command[0], arguments: Array(command.dropFirst()) + removeArguments(name),
            environment: environment, killGraceSeconds: 1
        )
        let discard = OutputCapture(limit: 1 << 16, logStandardOutput: false, log: .discard)
        _ = await Task { try? await process.run(discard) }.value
    }

    /// Copies `artifact.path` out of the stopped container `name` to `artifact.hostPath` (a
    /// file, or a directory with what it holds). A failure (no such path) leaves nothing there.
    func copyOut(_ name: String, _ artifact: ContainerSpec.OutputFile) async {
        let process = HostProcess(
            executable: command[0], arguments: Array(command.dropFirst()) + ["cp", "\(name):\(artifact.path)", artifact.hostPath],
            environment: environment, killGraceSeconds: 1
        )
        let discard = OutputCapture(limit: 1 << 16, logStandardOutput: false, log: .discard)
        _ = await Task { try? await process.run(discard) }.value
    }

    /// `0.5`, `2`, `0.125`: a number of CPUs as the runtimes read it.
    static func decimal(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let whole = String(thousandths / 1000)
        let fraction = thousandths % 1000
        guard fraction != 0 else { return whole }
        var digits = String(fraction)
        while digits.count < 3 { digits = "0" + digits }
        while digits.hasSuffix("0") { digits.removeLast() }
        return whole + "." + digits
    }
}
