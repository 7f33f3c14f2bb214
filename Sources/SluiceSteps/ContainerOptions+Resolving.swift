#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `sluice serve --container-runtime` takes.
public enum ContainerRuntimeChoice: String, Sendable, CaseIterable {
    case podman, docker, process, none
}

extension ContainerOptions {
    /// The container options a server starts with, from its flags: `choice` (`nil`: podman, else
    /// docker, whichever is found in `PATH` first, else none), run as `command` (the runtime's
    /// program with its global flags; `nil`: the program alone). A `command` without a `choice`
    /// names its runtime by its program (`/usr/bin/podman …`). Throws, naming the flag, when the
    /// flags contradict each other or the chosen runtime's program is not there.
    public static func resolve(choice: ContainerRuntimeChoice?, command: [String]?, networkByDefault: Bool, environment: [String: String]) throws(ContainerRuntimeError) -> ContainerOptions {
        let command = command?.isEmpty == true ? nil : command
        let path = environment["PATH"] ?? ""
        var choice = choice
        if choice == nil, let program = command?.first {
            let base = program.split(separator: "/").last.map(String.init) ?? program
            guard let flavor = CLIContainerRuntime.Flavor.allCases.first(where: { base.hasPrefix($0.rawValue) }) else {
                throw ContainerRuntimeError("--container-runtime-command runs \(program), which is neither podman nor docker: add --container-runtime podman or --container-runtime docker to say which command line it speaks")
            }
            choice = ContainerRuntimeChoice(rawValue: flavor.rawValue)
        }
        switch choice {
        case nil:
            for flavor in CLIContainerRuntime.Flavor.allCases where find(flavor.rawValue, path: path) != nil {
                return ContainerOptions(runtime: CLIContainerRuntime(flavor: flavor, environment: environment), networkByDefault: networkByDefault)
            }
            return ContainerOptions(runtime: nil, networkByDefault: networkByDefault, unavailableReason: "this server has no container runtime: neither podman nor docker was found in PATH (\(path)) when it started. Start it with --container-runtime podman or --container-runtime docker (and --container-runtime-command for the runtime's path and global flags), or --container-runtime process, which runs command and args on the host without containers, for development")
        case .none?:
            if command != nil { throw ContainerRuntimeError("--container-runtime none runs no containers, so --container-runtime-command has nothing to run: give one of them") }
            return ContainerOptions(runtime: nil, networkByDefault: networkByDefault, unavailableReason: "this server was started with --container-runtime none. Start it with --container-runtime podman, docker or process to run containers")
        case .process?:
            if command != nil { throw ContainerRuntimeError("--container-runtime process runs commands on the host itself, so --container-runtime-command does not apply: give it only with podman or docker") }
            return ContainerOptions(runtime: ProcessContainerRuntime(), networkByDefault: networkByDefault)
        case .podman?, .docker?:
            let flavor = choice == .podman ? CLIContainerRuntime.Flavor.podman : .docker
            let program = command?.first ?? flavor.rawValue
            guard find(program, path: path) != nil else {
                let where_ = program.contains("/") ? "is not an executable file" : "was not found in PATH (\(path))"
                throw ContainerRuntimeError("--container-runtime \(flavor.rawValue): \(program) \(where_); install \(flavor.rawValue), or give its path with --container-runtime-command")
            }
            return ContainerOptions(runtime: CLIContainerRuntime(flavor: flavor, command: command, environment: environment), networkByDefault: networkByDefault)
        }
    }

    /// The path of the executable `program` (a path, or a name looked up in `path`), or `nil`.
    static func find(_ program: String, path: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
