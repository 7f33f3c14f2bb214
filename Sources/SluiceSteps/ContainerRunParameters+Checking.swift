import SluiceCore

extension ContainerRunParameters {
    static let exitCodes = Schema.of(.array, "Exit codes.", items: .of(.integer, "An exit code.", minimum: 0, maximum: 255))
    static let strings = Schema(type: .string)

    /// The parameter schema, as `GET /step-types` shows it.
    public static let schema = Schema.object("The container to run.", required: ["image"], [
        ("image", .of(.string, "The image reference (busybox, docker.io/library/python:3.12).", minLength: 1)),
        ("command", .of(.array, "Replaces the image's entrypoint: the program and its first arguments (no shell). Leave it out to run the entrypoint.", items: strings)),
        ("args", .of(.array, "Arguments after command, replacing the image's default arguments.", items: strings)),
        ("env", .of(.object, "Environment variables added to the image's.", additional: .schema(strings))),
        ("working_dir", .of(.string, "Working directory inside the container (absolute); default the image's.", minLength: 1)),
        ("source", .of(.string, "A script given to command (the image's interpreter: sh, python…) on standard input.")),
        ("stdin", .of(.string, "none: nothing; input: the input's text (or the input as JSON if it has no text).", default: "none", enum: StandardInput.allCases.map { .string($0.rawValue) })),
        ("resources", .object("Resources of the container.", required: [], [
            ("limits", .object("The most the container may use.", required: [], [
                ("cpu", .of(nil, "CPUs: a number or a string such as \"500m\" (thousandths).")),
                ("memory", .of(nil, "Bytes: a whole number or a string such as \"256Mi\" or \"1G\".")),
            ])),
        ])),
        ("network", .of(.boolean, "Whether the container gets the runtime's default network; default the server's (none unless started with --container-network).")),
        ("pull", .of(.string, "missing: pull the image only when it is not there; always; never.", default: "missing", enum: ContainerSpec.PullPolicy.allCases.map { .string($0.rawValue) })),
        ("timeout_seconds", .of(.number, "Time the container may run before it is stopped and the step fails.", default: .number(defaultTimeoutSeconds), minimum: 0, maximum: maxTimeoutSeconds)),
        ("max_output_bytes", .of(.integer, "Most bytes accepted on standard output; more stops the container and fails the step.", default: .number(Double(defaultMaxOutputBytes)), minimum: 0, maximum: Double(maxMaxOutputBytes))),
        ("success_exit_codes", { var s = exitCodes; s.description = "Exit codes that count as success."; s.defaultValue = [0]; return s }()),
        ("retryable_exit_codes", { var s = exitCodes; s.description = "Exit codes whose failure may be retried; default every other code."; return s }()),
        ("kill_grace_seconds", .of(.number, "Seconds between SIGTERM and SIGKILL when the container is stopped.", default: .number(defaultKillGraceSeconds), minimum: 0, maximum: maxKillGraceSeconds)),
        ("output_files", .of(.object, "Files the container writes, by name → absolute path in the container; after a successful exit the output's files.NAME holds each one's text (one trailing line end removed, as Argo's output parameters).", additional: .schema(.of(.string, "An absolute file path.", minLength: 1)))),
        ("output_defaults", .of(.object, "Text for an output file the container did not write, by name; without one, a file not written fails the step.", additional: .schema(strings))),
        ("input_artifacts", .of(.object, "Files or directories placed in the container before it starts, by name → {path, from (TASK/ATTEMPT/NAME of an artifact an earlier task of the execution saved, usually {{tasks.X.json.artifacts.NAME.key}}) or raw (a text), optional}.", additional: .schema(.object("An input artifact.", required: ["path"], [
            ("path", .of(.string, "Absolute path in the container where it is placed.", minLength: 1)),
            ("from", .of(.string, "The store key of a saved artifact (TASK/ATTEMPT/NAME); empty: none was saved.")),
            ("raw", .of(.string, "A text written as the file.")),
            ("optional", .of(.boolean, "Whether the container runs without it when it was not saved.", default: false)),
        ])))),
        ("output_artifacts", .of(.object, "Files or directories saved into the server's artifact store after a successful exit, by name → {path, optional}; the output's artifacts.NAME describes each (key, path, type, bytes).", additional: .schema(.object("An output artifact.", required: ["path"], [
            ("path", .of(.string, "Absolute path in the container of the file or directory.", minLength: 1)),
            ("optional", .of(.boolean, "Whether a path the container did not write is fine (else the step fails).", default: false)),
        ])))),
    ])

    /// What the schema cannot say, run after it accepted `parameters`: the image is a reference
    /// (no spaces, not a flag), `command` is not empty, paths are absolute, variable names are
    /// well-formed, the limits are quantities the runtimes take, `source` and `stdin: input` are
    /// not both given, the timeout is above zero, and a runtime that does not use images
    /// (`requireCommand`) gets a command.
    public static func check(_ parameters: JSONValue, path: String, requireCommand: String? = nil) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func issue(_ at: String, _ code: String, _ message: String) { issues.append(.init(path: at, code: code, message: message)) }
        func member(_ name: String) -> String { IssuePath.member(path, name) }
        func strings(_ name: String) {
            guard case .array(let items)? = parameters[name] else { return }
            for (i, item) in items.enumerated() where item.stringValue?.contains("\0") == true {
                issue(IssuePath.index(member(name), i), "invalid_argument", "expected a string without NUL characters")
            }
        }
        if let image = parameters["image"]?.stringValue, let why = imageProblem(image) {
            issue(member("image"), "invalid_image", why)
        }
        if case .array(let command)? = parameters["command"] {
            if command.isEmpty {
                issue(member("command"), "invalid_command", "expected the program and its arguments, such as [\"sh\", \"-c\"]; leave command out to run the image's entrypoint")
            } else if command[0].stringValue?.isEmpty == true {
                issue(IssuePath.index(member("command"), 0), "invalid_command", "expected the program to run, found an empty string")
            }
        } else if let requireCommand {
            issue(member("command"), "command_required", requireCommand)
        }
        strings("command")
        strings("args")
        if let dir = parameters["working_dir"]?.stringValue, !dir.hasPrefix("/") || dir.contains("\0") {
            issue(member("working_dir"), "invalid_working_dir", "expected an absolute directory path such as \"/work\", found \(quoted(dir))")
        }
        if case .object(let env)? = parameters["env"] {
            for m in env {
                let p = IssuePath.member(member("env"), m.key)
                if !ProcessParameters.isVariableName(m.key) {
                    issue(p, "invalid_variable", "expected a variable name of letters, digits and _ that does not start with a digit, found \(quoted(m.key))")
                }
                if m.value.stringValue?.contains("\0") == true { issue(p, "invalid_variable", "expected a value without NUL characters") }
            }
        }
        let limits = IssuePath.member(member("resources"), "limits")
        if let cpu = parameters["resources"]?["limits"]?["cpu"], case .failure(let why) = ResourceQuantity.cpus(cpu) {
            issue(IssuePath.member(limits, "cpu"), "invalid_quantity", why.message)
        }
        if let memory = parameters["resources"]?["limits"]?["memory"], case .failure(let why) = ResourceQuantity.memory(memory) {
            issue(IssuePath.member(limits, "memory"), "invalid_quantity", why.message)
        }
        if parameters["source"] != nil, parameters["stdin"]?.stringValue == StandardInput.input.rawValue {
            issue(member("stdin"), "conflicting_parameters", "source goes to standard input, so stdin cannot be \"input\" too; give one of them")
        }
        if case .object(let files)? = parameters["output_files"] {
            if files.count > Limits.containerOutputFiles {
                issue(member("output_files"), "too_many", "expected at most \(Limits.containerOutputFiles) output files, found \(files.count)")
            }
            for m in files.prefix(Limits.containerOutputFiles) {
                guard let path = m.value.stringValue else { continue }
                if !path.hasPrefix("/") || path.hasSuffix("/") || path.contains("\0") || path.contains(":") || path.contains(",") {
                    issue(IssuePath.member(member("output_files"), m.key), "invalid_path", "expected an absolute file path without : or , (it is mounted into the container), such as \"/tmp/result.txt\", found \(quoted(path))")
                }
            }
        }
        if case .object(let defaults)? = parameters["output_defaults"] {
            let files = parameters["output_files"]?.objectValue
            for m in defaults where files?[m.key] == nil {
                issue(IssuePath.member(member("output_defaults"), m.key), "unknown_output", "output_files has no file named \(quoted(m.key))")
            }
        }
        for which in ["input_artifacts", "output_artifacts"] {
            guard case .object(let artifacts)? = parameters[which] else { continue }
            if artifacts.count > Limits.containerArtifacts {
                issue(member(which), "too_many", "expected at most \(Limits.containerArtifacts) \(which), found \(artifacts.count)")
            }
            for m in artifacts.prefix(Limits.containerArtifacts) {
                let at = IssuePath.member(member(which), m.key)
                if m.key.isEmpty || !m.key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                    issue(at, "invalid_name", "expected an artifact name of letters, digits, - and _, found \(quoted(m.key))")
                }
                if let path = m.value["path"]?.stringValue, !path.hasPrefix("/") || path == "/" || path.hasSuffix("/") || path.contains("\0") || path.contains(":") || path.contains(",") {
                    issue(IssuePath.member(at, "path"), "invalid_path", "expected an absolute path of a file or directory without : or , (it may be mounted into the container), such as \"/tmp/report\", found \(quoted(path))")
                }
                guard which == "input_artifacts" else { continue }
                let from = m.value["from"]?.stringValue
                let raw = m.value["raw"]?.stringValue
                if (from == nil) == (raw == nil) {
                    issue(at, "invalid_artifact", "expected exactly one of from (the key of an artifact an earlier task saved, such as \"{{tasks.gen.json.artifacts.report.key}}\") and raw (a text), found \(from == nil ? "neither" : "both")")
                } else if let from, !from.contains("{{"), !from.isEmpty, !ArtifactStore.isKey(from) {
                    issue(IssuePath.member(at, "from"), "invalid_key", "expected the key of a saved artifact, TASK/ATTEMPT/NAME (such as \"gen/1/report\"), or a placeholder such as \"{{tasks.gen.json.artifacts.report.key}}\", found \(quoted(from))")
                }
            }
        }
        if let t = parameters["timeout_seconds"]?.numberValue, t <= 0 {
            issue(member("timeout_seconds"), "below_minimum", "expected a number of seconds above 0 (at most \(Int(maxTimeoutSeconds))), found \(JSONValue.number(t).jsonString)")
        }
        return issues
    }

    /// Why `image` is not an image reference, or `nil`.
    static func imageProblem(_ image: String) -> String? {
        if image.hasPrefix("-") { return "expected an image reference such as \"busybox\" or \"docker.io/library/python:3.12\", found \(quoted(image)), which would read as a flag" }
        let allowed = image.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-/:@".unicodeScalars.contains($0)) }
        if !allowed { return "expected an image reference of letters, digits and . _ - / : @ such as \"docker.io/library/python:3.12\", found \(quoted(image))" }
        return nil
    }
}
