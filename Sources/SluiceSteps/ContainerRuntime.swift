import SluiceCore

/// Runs containers for `Container.Run`: podman or docker through their command line, or the
/// host itself for development (`ProcessContainerRuntime`). `sluice serve --container-runtime`
/// picks one.
///
/// A runtime runs one container to completion. It feeds the container's standard output and
/// standard error to the `OutputCapture` as they arrive; when the capture refuses more output,
/// or the calling task is cancelled (the execution was cancelled, or the step timed out), it stops
/// the container — SIGTERM, SIGKILL after `killGraceSeconds` — removes it, and returns only once
/// it is gone.
///
/// A Kubernetes runtime fits the same shape: `run` creates a Pod named `spec.name` with one
/// container from the spec (`resources.limits`, no service account token, a NetworkPolicy
/// denying egress unless `network`), follows its log into the capture, reads the exit code from
/// the container's terminated state, and deletes the Pod (grace period `killGraceSeconds`) on
/// cancellation. `usesImages` is true there.
public protocol ContainerRuntime: Sendable {
    /// The runtime's name as `--container-runtime` takes it: `podman`, `docker`, `process`.
    var name: String { get }
    /// Whether containers really run from their image. The `process` runtime runs `command` and
    /// `args` on the host and only records the image: a step must give a `command` there.
    var usesImages: Bool { get }

    /// Runs `spec` to completion, writing what the task log should say about it (the command
    /// line, what is not applied) to `log`. Throws when the container could not be started at
    /// all (the runtime's program is missing); a failure inside the runtime is
    /// `ContainerExit.runtimeFailed`.
    func run(_ spec: ContainerSpec, output: OutputCapture, log: StepLog) async throws(ContainerRuntimeError) -> ContainerExit
}

/// How a container ended.
public enum ContainerExit: Sendable, Hashable {
    /// Its program exited with this code (killed by signal N: 128 + N, as runtimes report it).
    case exited(Int32)
    /// The runtime could not run it (podman and docker exit 125: no such image, a limit the
    /// host cannot give); what the runtime said is in the capture's standard error.
    case runtimeFailed(Int32)
}

/// A container that could not be started: the runtime's program is missing or cannot run.
public struct ContainerRuntimeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in words a person can act on.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
