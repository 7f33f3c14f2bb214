import SluiceCore

/// The parameters of a `Container.Run` step (its `input` member in a definition), with defaults
/// applied. Names follow the Kubernetes container that Argo's templates use.
public struct ContainerRunParameters: Sendable {
    /// What the container reads on standard input.
    public enum StandardInput: String, Sendable, CaseIterable {
        /// Nothing (the default; `source` goes there when given).
        case none
        /// The step's input: its `text` member, or the whole input as JSON if it has none.
        case input
    }

    /// An hour: containers run longer than programs (`Process` waits 5 minutes).
    public static let defaultTimeoutSeconds = 3600.0
    /// The longest `timeout_seconds`: a day.
    public static let maxTimeoutSeconds = Double(Limits.containerMaxTimeoutSeconds)
    /// 1 MiB of standard output by default.
    public static let defaultMaxOutputBytes = 1 << 20
    /// The largest `max_output_bytes`: 64 MiB.
    public static let maxMaxOutputBytes = Limits.containerMaxOutputBytes
    /// Docker's and Kubernetes' own grace before SIGKILL.
    public static let defaultKillGraceSeconds = 10.0
    /// The longest `kill_grace_seconds`.
    public static let maxKillGraceSeconds = Double(Limits.containerMaxKillGraceSeconds)

    public var image: String
    /// Replaces the image's entrypoint; empty keeps it.
    public var command: [String] = []
    public var args: [String] = []
    public var env: [(name: String, value: String)] = []
    public var workingDir: String?
    /// A script, given to `command` (the image's interpreter) on standard input.
    public var source: String?
    public var stdin = StandardInput.none
    public var cpus: Double?
    public var memoryBytes: Int?
    /// `nil`: the server's default (`--container-network`).
    public var network: Bool?
    public var pull = ContainerSpec.PullPolicy.missing
    public var timeoutSeconds = defaultTimeoutSeconds
    public var maxOutputBytes = defaultMaxOutputBytes
    public var successExitCodes: [Int] = [0]
    /// `nil`: every exit code that is not a success may be retried.
    public var retryableExitCodes: [Int]?
    public var killGraceSeconds = defaultKillGraceSeconds
    /// Files the container writes, by the name the output gives them (`output_files`), and the
    /// text to use for one not written (`output_defaults`).
    public var outputFiles: [(name: String, path: String)] = []
    public var outputDefaults: [String: String] = [:]
    /// Files and directories placed before the container starts (`input_artifacts`): a saved
    /// artifact of this execution (`from`, its store key) or a text (`raw`).
    public var inputArtifacts: [InputArtifact] = []
    /// Files and directories saved into the artifact store after a successful exit
    /// (`output_artifacts`).
    public var outputArtifacts: [OutputArtifact] = []

    public struct InputArtifact: Sendable {
        public var name: String
        public var path: String
        public var from: String?
        public var raw: String?
        public var optional: Bool
    }

    public struct OutputArtifact: Sendable {
        public var name: String
        public var path: String
        public var optional: Bool
    }

    /// Parameters running `image` with every default.
    public init(image: String) { self.image = image }

    /// Reads parameters that passed `schema` and `check` (at run time), applying defaults.
    public init(_ parameters: JSONValue?) throws(StepFailure) {
        guard case .object(let o)? = parameters, let image = o["image"]?.stringValue else {
            throw StepFailure("Container.Run expects parameters {\"image\": \"…\", …}, found \(parameters?.preview ?? "none")")
        }
        self.image = image
        if case .array(let a)? = o["command"] { command = a.compactMap(\.stringValue) }
        if case .array(let a)? = o["args"] { args = a.compactMap(\.stringValue) }
        if case .object(let e)? = o["env"] { env = e.compactMap { m in m.value.stringValue.map { (m.key, $0) } } }
        workingDir = o["working_dir"]?.stringValue
        source = o["source"]?.stringValue
        if let s = o["stdin"]?.stringValue, let mode = StandardInput(rawValue: s) { stdin = mode }
        let limits = o["resources"]?["limits"]
        if let cpu = limits?["cpu"], case .success(let n) = ResourceQuantity.cpus(cpu) { cpus = n }
        if let memory = limits?["memory"], case .success(let n) = ResourceQuantity.memory(memory) { memoryBytes = n }
        if case .bool(let b)? = o["network"] { network = b }
        if let s = o["pull"]?.stringValue, let policy = ContainerSpec.PullPolicy(rawValue: s) { pull = policy }
        if let t = o["timeout_seconds"]?.numberValue, t > 0 { timeoutSeconds = min(t, Self.maxTimeoutSeconds) }
        if let n = o["max_output_bytes"]?.intValue, n >= 0 { maxOutputBytes = n }
        if case .array(let codes)? = o["success_exit_codes"] { successExitCodes = codes.compactMap(\.intValue) }
        if case .array(let codes)? = o["retryable_exit_codes"] { retryableExitCodes = codes.compactMap(\.intValue) }
        if let g = o["kill_grace_seconds"]?.numberValue, g >= 0 { killGraceSeconds = min(g, Self.maxKillGraceSeconds) }
        if case .object(let f)? = o["output_files"] { outputFiles = f.compactMap { m in m.value.stringValue.map { (m.key, $0) } } }
        if case .object(let d)? = o["output_defaults"] { for m in d { if let s = m.value.stringValue { outputDefaults[m.key] = s } } }
        if case .object(let a)? = o["input_artifacts"] {
            inputArtifacts = a.compactMap { m in
                m.value["path"]?.stringValue.map { InputArtifact(name: m.key, path: $0, from: m.value["from"]?.stringValue, raw: m.value["raw"]?.stringValue, optional: m.value["optional"] == .bool(true)) }
            }
        }
        if case .object(let a)? = o["output_artifacts"] {
            outputArtifacts = a.compactMap { m in
                m.value["path"]?.stringValue.map { OutputArtifact(name: m.key, path: $0, optional: m.value["optional"] == .bool(true)) }
            }
        }
    }

    /// What goes to standard input for `input`: the `source`, the input (`stdin: input`), or `nil`.
    public func standardInput(for input: JSONValue) -> [UInt8]? {
        if let source { return Array(source.utf8) }
        switch stdin {
        case .none: return nil
        case .input: return input["text"]?.stringValue.map { Array($0.utf8) } ?? input.jsonBytes
        }
    }

    /// Whether a failure with exit code `code` may be retried.
    public func isRetryable(exitCode code: Int) -> Bool {
        retryableExitCodes?.contains(code) ?? !successExitCodes.contains(code)
    }
}
