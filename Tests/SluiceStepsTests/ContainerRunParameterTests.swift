import SluiceCore
import SluiceSteps
import Testing

/// `Container.Run`'s parameters are checked when the workflow is created, each problem at its
/// path; a server without a container runtime refuses the step naming the flag that gives one.
@Suite struct ContainerRunParameterTests {
    /// A runtime that runs images (as podman and docker do) but is never asked to here.
    struct ImageRuntime: ContainerRuntime {
        var name: String { "podman" }
        var usesImages: Bool { true }
        func run(_ spec: ContainerSpec, output: OutputCapture, log: StepLog) async throws(ContainerRuntimeError) -> ContainerExit {
            throw ContainerRuntimeError("not for running")
        }
    }

    func issues(_ steps: String, containers: ContainerOptions = ContainerOptions(runtime: ImageRuntime()), enableProcess: Bool = false) throws -> [ValidationIssue] {
        let registry = StepRegistry.standard(options: .init(httpClient: testHTTPClient, enableProcess: enableProcess, containers: containers))
        switch TypeChecker(registry: registry).check(json: try JSONParser.parse(#"{"name": "w", "steps": [\#(steps)]}"#)) {
        case .success: return []
        case .failure(let f): return f.issues
        }
    }

    func run(_ input: String, containers: ContainerOptions = ContainerOptions(runtime: ImageRuntime())) throws -> [ValidationIssue] {
        try issues(#"{"type": "Container.Run", "input": {\#(input)}}"#, containers: containers)
    }

    @Test func aWholeSpecIsAccepted() throws {
        #expect(try run(#""image": "busybox""#).isEmpty)
        #expect(try run(#"""
            "image": "docker.io/library/python:3.12", "command": ["python", "-u"], "args": ["-c", "print(1)"],
            "env": {"MODE": "test", "_X1": ""}, "working_dir": "/work", "source": "print(2)",
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}, "network": true, "pull": "never",
            "timeout_seconds": 60, "max_output_bytes": 100, "success_exit_codes": [0, 1], "retryable_exit_codes": [75], "kill_grace_seconds": 1
            """#).isEmpty)
        #expect(try run(#""image": "registry.example.com:5000/team/tool@sha256:abc123", "resources": {"limits": {"cpu": 2, "memory": 6291456}}"#).isEmpty)
    }

    @Test func eachProblemIsReportedAtItsPath() throws {
        let found = try run(#"""
            "image": "--privileged", "command": [], "args": ["a\u0000b"], "env": {"1X": "v"}, "working_dir": "work",
            "resources": {"limits": {"cpu": "lots", "memory": "128MB"}}, "source": "echo", "stdin": "input", "timeout_seconds": 0
            """#)
        let byPath = Dictionary(grouping: found, by: \.path)
        #expect(byPath.keys.sorted() == [
            "steps[0].input.args[0]", "steps[0].input.command", "steps[0].input.env.1X", "steps[0].input.image",
            "steps[0].input.resources.limits.cpu", "steps[0].input.resources.limits.memory", "steps[0].input.stdin",
            "steps[0].input.timeout_seconds", "steps[0].input.working_dir",
        ])
        #expect(byPath["steps[0].input.image"]?.first?.message.contains("would read as a flag") == true)
        #expect(byPath["steps[0].input.resources.limits.memory"]?.first?.message.contains("\"256Mi\"") == true)
        #expect(byPath["steps[0].input.resources.limits.cpu"]?.first?.code == "invalid_quantity")
        #expect(try run(#""image": "busy box""#).map(\.path) == ["steps[0].input.image"])
        #expect(try run(#""image": "b", "resources": {"limits": {"memory": "5Mi"}}"#).first?.message.contains("at least 6Mi") == true)
        #expect(try run(#""image": "b", "resources": {"limits": {"cpu": 0.001}}"#).map(\.path) == ["steps[0].input.resources.limits.cpu"])
        #expect(try run(#""image": "b", "resources": {"requests": {"cpu": 1}}"#).map(\.code) == ["unknown_property"])
        #expect(try run(#""image": "b", "network": "yes""#).map(\.path) == ["steps[0].input.network"])
        #expect(try run(#""image": "b", "pull": "sometimes""#).map(\.path) == ["steps[0].input.pull"])
        #expect(try issues(#"{"type": "Container.Run"}"#).map(\.code) == ["missing_parameters"])
    }

    /// `output_files`: absolute paths that can be mounted, at most `container_output_files` of
    /// them, and `output_defaults` only for files it names.
    @Test func outputFilesAreAbsoluteMountablePathsAndAtMostTheLimit() throws {
        #expect(try run(#""image": "b", "output_files": {"a": "/tmp/a.txt", "b-1": "/out/b"}, "output_defaults": {"a": ""}"#).isEmpty)
        let found = try run(#""image": "b", "output_files": {"rel": "tmp/a", "dir": "/tmp/", "colon": "/a:b"}, "output_defaults": {"other": "x"}"#)
        #expect(Set(found.map(\.path)) == ["steps[0].input.output_files.rel", "steps[0].input.output_files.dir", "steps[0].input.output_files.colon", "steps[0].input.output_defaults.other"], "\(found)")
        #expect(found.first { $0.path.hasSuffix(".rel") }?.message == "expected an absolute file path without : or , (it is mounted into the container), such as \"/tmp/result.txt\", found \"tmp/a\"")
        #expect(found.first { $0.path.hasSuffix(".other") }?.message == "output_files has no file named \"other\"")
        #expect(try run(#""image": "b", "output_files": {"n": 3}"#).map(\.path) == ["steps[0].input.output_files.n"])
        func files(_ n: Int) -> String { (0..<n).map { #""f\#($0)": "/o/\#($0)""# }.joined(separator: ", ") }
        #expect(try run(#""image": "b", "output_files": {\#(files(Limits.containerOutputFiles))}"#).isEmpty)
        let over = try run(#""image": "b", "output_files": {\#(files(Limits.containerOutputFiles + 1))}"#)
        #expect(over.map(\.message) == ["expected at most \(Limits.containerOutputFiles) output files, found \(Limits.containerOutputFiles + 1)"])
    }

    @Test func theProcessRuntimeNeedsACommand() throws {
        let process = ContainerOptions(runtime: ProcessContainerRuntime())
        let missing = try run(#""image": "busybox", "args": ["hi"]"#, containers: process)
        #expect(missing.map(\.path) == ["steps[0].input.command"])
        #expect(missing.first?.code == "command_required")
        #expect(missing.first?.message.contains("--container-runtime process") == true)
        #expect(try run(#""image": "busybox", "command": ["echo"]"#, containers: process).isEmpty)
        #expect(try run(#""image": "busybox", "args": ["hi"]"#).isEmpty, "a runtime that runs images uses the entrypoint")
    }

    @Test func withoutARuntimeTheStepIsRefusedNamingTheFlag() throws {
        let refused = try run(#""image": "busybox""#, containers: .none)
        #expect(refused.map(\.path) == ["steps[0].type"])
        #expect(refused.first?.code == "step_type_unavailable")
        #expect(refused.first?.message.contains("--container-runtime") == true)
        let mapped = try issues(#"{"type": "TextOperation.Split"}, {"type": "TextOperation.Uppercase", "map": {"over": "tasks.step-1.list", "then": [{"type": "Container.Run", "input": {"image": "b"}}]}}"#, containers: .none)
        #expect(mapped.contains { $0.path == "steps[1].map.then[0].type" && $0.code == "step_type_unavailable" }, "\(mapped)")
        let process = try issues(#"{"type": "Process", "input": {"command": "echo"}}"#)
        #expect(process.first?.code == "step_type_unavailable")
        #expect(process.first?.message.contains("--enable-process-steps") == true)
    }

    @Test func theCatalogDescribesTheStep() {
        let registry = StepRegistry.standard(options: .init(httpClient: testHTTPClient, containers: ContainerOptions(runtime: ImageRuntime())))
        let entry = registry["Container.Run"]?.catalogEntry
        #expect(entry?["output_type"] == "json")
        #expect(entry?["parameters"]?["required"] == ["image"])
        #expect(StepRegistry.standard(options: .init(httpClient: testHTTPClient))["Container.Run"] == nil)
    }
}
