import ArgumentParser
import Foundation
import SluiceCore
import SluiceSteps

extension ContainerRuntimeChoice: ExpressibleByArgument {}

/// `sluice serve|worker` options for `Container.Run`: which runtime runs containers, with what
/// command line, and whether they get a network by default.
struct ContainerFlags: ParsableArguments {
    @Option(help: "Runs Container.Run steps: podman, docker, process (commands on this host, no containers; for development) or none (env SLUICE_CONTAINER_RUNTIME). [default: podman, else docker, when found in PATH; else none]")
    var containerRuntime: ContainerRuntimeChoice?

    @Option(help: ArgumentHelp("The runtime's command line with the global flags this host needs, split at spaces, e.g. \"podman --runtime runc --cgroup-manager cgroupfs\" (env SLUICE_CONTAINER_RUNTIME_COMMAND).", valueName: "COMMAND"))
    var containerRuntimeCommand: String?

    @Flag(help: "Give containers the runtime's network unless their step says network: false; without it they get none unless it says network: true (env SLUICE_CONTAINER_NETWORK=1).")
    var containerNetwork = false

    @Option(help: "The most programs — containers and Process tasks — this node runs at once; the others wait for a slot.")
    var maxProcesses: Int = Limits.defaultMaxProcesses

    @Option(help: ArgumentHelp("The local artifact store of Container.Run (Argo artifacts): one directory per execution, removed with it (env SLUICE_ARTIFACT_DIR). [default: artifacts beside the SQLite database; with memory: one under TMPDIR; ./sluice-artifacts with PostgreSQL]", valueName: "DIR"))
    var artifactDir: String?

    func validate() throws {
        if maxProcesses < 1 { throw ValidationError("--max-processes must be at least 1, found \(maxProcesses)") }
    }

    /// The options the flags (then the environment) give; a contradiction or a missing runtime
    /// program is an error naming the flag.
    func options(environment: [String: String], defaultArtifactDirectory: String = "./sluice-artifacts") throws -> ContainerOptions {
        var choice = containerRuntime
        if choice == nil, let raw = environment["SLUICE_CONTAINER_RUNTIME"], !raw.isEmpty {
            guard let parsed = ContainerRuntimeChoice(rawValue: raw) else {
                throw ValidationError("SLUICE_CONTAINER_RUNTIME must be podman, docker, process or none, found \"\(raw)\"")
            }
            choice = parsed
        }
        let line = containerRuntimeCommand ?? environment["SLUICE_CONTAINER_RUNTIME_COMMAND"]
        let command = line.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        do {
            var options = try ContainerOptions.resolve(
                choice: choice, command: command,
                networkByDefault: containerNetwork || Serve.isSet(environment["SLUICE_CONTAINER_NETWORK"]),
                environment: environment
            )
            options.slots = ProcessSlots(limit: maxProcesses)
            let directory = artifactDir ?? environment["SLUICE_ARTIFACT_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultArtifactDirectory
            // Absolute, so that what the steps write and what the routes read is one place.
            let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + (directory.hasPrefix("./") ? String(directory.dropFirst(2)) : directory)
            options.artifacts = ArtifactStore(root: absolute)
            return options
        } catch {
            throw ValidationError(error.message)
        }
    }
}
