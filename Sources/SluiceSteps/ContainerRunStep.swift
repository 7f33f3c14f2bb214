import SluiceCore

/// The `Container.Run` step type: runs one container to completion on the server's container
/// runtime (`sluice serve --container-runtime`) and produces
/// `{"json": {"stdout": "…", "exit_code": 0, "result": "…"}}` (`result`: `stdout` without its
/// trailing line ends), with `"files": {NAME: "…"}` for the `output_files` it wrote.
///
/// Standard output and standard error go to the task log line by line as they come. An exit
/// code outside `success_exit_codes` fails the step with the code and the last standard error
/// lines; such a failure may be retried (the task's `retry` policy decides), unless
/// `retryable_exit_codes` names others. Cancelling the execution, or `timeout_seconds` passing,
/// stops the container (SIGTERM, then SIGKILL after `kill_grace_seconds`) and removes it.
public enum ContainerRunStep {
    /// The step type's name in definitions.
    public static let name = "Container.Run"

    /// The step type on `runtime`. `networkByDefault` is what a step without `network` gets;
    /// `slots` bounds how many containers (and `Process` tasks) run at once.
    public static func stepType(runtime: any ContainerRuntime, networkByDefault: Bool = false, slots: ProcessSlots = ProcessSlots(limit: Limits.defaultMaxProcesses), artifacts: ArtifactStore? = nil) -> StepType {
        let requireCommand = runtime.usesImages ? nil
            : "this server runs containers with the process runtime (--container-runtime process), which runs command and args on the host and cannot read an image's entrypoint: give command, such as [\"sh\", \"-c\"]"
        return StepType(
            name: name,
            summary: "Runs a container (image, command, args, env) and produces {\"stdout\": text, \"exit_code\": number, \"result\": text (stdout without trailing line ends)}; its output lines go to the task log as they come.",
            input: .any, output: .value(.json),
            parameters: ContainerRunParameters.schema, parametersRequired: true,
            parameterCheck: { parameters, path in ContainerRunParameters.check(parameters, path: path, requireCommand: requireCommand) },
            implementation: .run { context throws(StepFailure) in
                try await slots.step(context, what: "the container") { () async throws(StepFailure) -> JSONValue in
                    try await run(context, runtime: runtime, networkByDefault: networkByDefault, artifacts: artifacts)
                }
            }
        )
    }

    /// The spec of the container that attempt `context.attempt` of the task runs.
    public static func spec(_ parameters: ContainerRunParameters, context: StepContext, networkByDefault: Bool) -> ContainerSpec {
        var spec = ContainerSpec(name: ContainerSpec.name(executionID: context.executionID, stepID: context.stepID, attempt: context.attempt), image: parameters.image)
        spec.command = parameters.command
        spec.args = parameters.args
        spec.env = parameters.env
        spec.workingDirectory = parameters.workingDir
        spec.cpus = parameters.cpus
        spec.memoryBytes = parameters.memoryBytes
        spec.network = parameters.network ?? networkByDefault
        spec.pull = parameters.pull
        spec.input = parameters.standardInput(for: context.input)
        spec.killGraceSeconds = parameters.killGraceSeconds
        return spec
    }

    /// Runs one `Container.Run` task.
    public static func run(_ context: StepContext, runtime: any ContainerRuntime, networkByDefault: Bool, artifacts store: ArtifactStore? = nil) async throws(StepFailure) -> JSONValue {
        let parameters = try ContainerRunParameters(context.parameters)
        var prepared = spec(parameters, context: context, networkByDefault: networkByDefault)
        let files = try ContainerOutputFiles.prepare(parameters, spec: &prepared, usesImages: runtime.usesImages)
        defer { files.cleanUp() }
        let artifacts = try ContainerArtifacts.prepare(parameters, context: context, store: store, spec: &prepared, usesImages: runtime.usesImages)
        defer { artifacts.cleanUp() }
        let spec = prepared
        let output = OutputCapture(
            limit: parameters.maxOutputBytes, logStandardOutput: true, log: context.log, what: "the container",
            maxLoggedLines: Limits.containerLoggedLines, maxLineBytes: Limits.containerLineBytes
        )
        let grace = HTTPRequestStep.format(seconds: parameters.killGraceSeconds)
        let started = ContinuousClock.now
        let exit: ContainerExit
        do {
            exit = try await StepDeadline.run(seconds: parameters.timeoutSeconds) { try await runtime.run(spec, output: output, log: context.log) }
        } catch is StepDeadline.Passed {
            throw StepFailure("container \(spec.name) (\(spec.image)) timed out after \(HTTPRequestStep.format(seconds: parameters.timeoutSeconds)) (timeout_seconds) and was stopped (SIGTERM, then SIGKILL after \(grace))", retryable: true)
        } catch let error as ContainerRuntimeError {
            throw StepFailure("\(runtime.name) could not run \(spec.image): \(error.message)", retryable: true)
        } catch {
            if Task.isCancelled { throw StepFailure("container \(spec.name) (\(spec.image)) was cancelled and stopped (SIGTERM, then SIGKILL after \(grace))") }
            throw StepFailure("\(runtime.name) could not run \(spec.image): \(error)", retryable: true)
        }
        if Task.isCancelled { throw StepFailure("container \(spec.name) (\(spec.image)) was cancelled and stopped (SIGTERM, then SIGKILL after \(grace))") }
        let took = HTTPRequestStep.format(duration: ContinuousClock.now - started)
        switch exit {
        case .runtimeFailed(let code):
            context.log("\(runtime.name) failed with exit code \(code) after \(took)")
            throw StepFailure("\(runtime.name) could not run \(spec.image) (it exited with code \(code)); \(output.stderrSummary)", retryable: true)
        case .exited(let code):
            context.log("exit code \(code) after \(took)")
            if output.exceeded {
                throw StepFailure("container \(spec.name) (\(spec.image)) wrote more than max_output_bytes (\(parameters.maxOutputBytes) bytes) to standard output and was stopped; raise max_output_bytes (at most \(ContainerRunParameters.maxMaxOutputBytes)) or write less")
            }
            guard parameters.successExitCodes.contains(Int(code)) else {
                let expected = parameters.successExitCodes.map(String.init).joined(separator: ", ")
                throw StepFailure(
                    "container \(spec.image) exited with code \(code)\(ProcessStep.signalName(code > 128 ? code - 128 : 0)); expected \(expected) (success_exit_codes); \(output.stderrSummary)",
                    retryable: parameters.isRetryable(exitCode: Int(code))
                )
            }
            var result = JSONObject()
            let stdout = String(decoding: output.stdout, as: UTF8.self)
            result.append("stdout", .string(stdout))
            result.append("exit_code", .number(Double(code)))
            // Argo's `outputs.result`: the output without its trailing line ends, as a shell's
            // `$(…)` reads it.
            result.append("result", .string(Self.result(of: stdout)))
            if !files.files.isEmpty { result.append("files", .object(try files.read(defaults: parameters.outputDefaults, image: spec.image))) }
            if !parameters.outputArtifacts.isEmpty { result.append("artifacts", .object(try artifacts.save(context: context, store: store, image: spec.image))) }
            return ["json": .object(result)]
        }
    }

    /// Standard output without its trailing line ends (`"hi\n"` → `"hi"`).
    public static func result(of stdout: String) -> String {
        var s = Substring(stdout)
        while let last = s.last, last == "\n" || last == "\r" || last == "\r\n" { s = s.dropLast() }
        return String(s)
    }
}
