/// One container to run to completion: what a `Container.Run` task asks of a `ContainerRuntime`.
///
/// It follows the Kubernetes container (and so Argo's `container` and `script` templates):
/// `command` replaces the image's entrypoint, `args` its default arguments, and the limits are
/// `resources.limits`. A script's source arrives as `input` on standard input.
public struct ContainerSpec: Sendable {
    /// What the runtime does about the image before it runs it.
    public enum PullPolicy: String, Sendable, CaseIterable {
        /// Pull the image only when it is not there (Kubernetes' `IfNotPresent`).
        case missing
        /// Pull it every time (`Always`).
        case always
        /// Never pull it: it must be there (`Never`).
        case never
    }

    /// A name unique to this attempt of this task, by which the runtime stops and removes the
    /// container (`sluice-ex-…-step-1-1`).
    public var name: String
    /// The image reference (`busybox`, `docker.io/library/python:3.12`, `…@sha256:…`).
    public var image: String
    /// The program and its first arguments, replacing the image's entrypoint; empty keeps it.
    public var command: [String] = []
    /// Arguments after `command`, replacing the image's default arguments.
    public var args: [String] = []
    /// Variables added to the image's environment, in this order.
    public var env: [(name: String, value: String)] = []
    /// The working directory inside the container (absolute); `nil` keeps the image's.
    public var workingDirectory: String?
    /// The most CPUs the container may use (`0.5` for `500m`); `nil` for no limit.
    public var cpus: Double?
    /// The most memory the container may use, in bytes; `nil` for no limit.
    public var memoryBytes: Int?
    /// Whether the container gets the runtime's default network; without it, none at all.
    public var network = false
    /// What the runtime does about the image first.
    public var pull = PullPolicy.missing
    /// What goes to standard input (then it is closed); `nil` for nothing.
    public var input: [UInt8]?
    /// Seconds between SIGTERM and SIGKILL when the container is stopped.
    public var killGraceSeconds = 5.0
    /// Files the container writes for the step to read after it exits (`output_files`).
    public var outputFiles: [OutputFile] = []
    /// Files and directories placed in the container before it starts (`input_artifacts`):
    /// `hostPath`, a copy of the artifact this host made for the attempt, appears at `path`
    /// (a runtime with images mounts it; the `process` runtime's step wrote `path` itself).
    public var inputArtifacts: [OutputFile] = []
    /// Files and directories copied out of the container after it exits (`output_artifacts`):
    /// `path` inside it to `hostPath` on this host, which must not exist before (a runtime with
    /// images runs the container without `--rm`, copies each out with `cp`, then removes it; on
    /// the `process` runtime `hostPath` is `path`).
    public var outputArtifacts: [OutputFile] = []

    /// A file read after the container exits: `path` inside the container, `hostPath` where
    /// this host sees it. A runtime whose containers have their own file system mounts
    /// `hostPath` at `path` (a Kubernetes runtime would copy `path` out of the finished Pod); the
    /// `process` runtime's commands write the host's own `path`, which is `hostPath` then.
    public struct OutputFile: Sendable, Hashable {
        public var name: String
        public var path: String
        public var hostPath: String

        public init(name: String, path: String, hostPath: String) {
            self.name = name
            self.path = path
            self.hostPath = hostPath
        }
    }

    /// A spec running `image` as it is (its entrypoint, no network, no limits) under `name`.
    public init(name: String, image: String) {
        self.name = name
        self.image = image
    }

    /// A container name for attempt `attempt` of task `stepID` in `executionID`: only the
    /// characters runtimes accept (`[A-Za-z0-9_.-]`, others become `-`), the same for the same
    /// attempt, so a runtime can replace what an interrupted server left of it.
    public static func name(executionID: String, stepID: String, attempt: Int) -> String {
        let raw = "sluice-\(executionID)-\(stepID)-\(attempt)"
        return String(raw.unicodeScalars.map { scalar -> Character in
            let ok = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_.-".unicodeScalars.contains(scalar))
            return ok ? Character(scalar) : "-"
        })
    }
}
