#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore
import SluiceSteps
import Testing
import SluiceTestSupport

/// `Container.Run`'s `output_artifacts` and `input_artifacts` on the `process` runtime: saved
/// into the local artifact store after a successful exit (atomically, bounded by
/// `container_artifact_bytes`), placed before the container starts.
@Suite struct ContainerArtifactTests {
    struct ImageRuntime: ContainerRuntime {
        var name: String { "podman" }
        var usesImages: Bool { true }
        func run(_ spec: ContainerSpec, output: OutputCapture, log: StepLog) async throws(ContainerRuntimeError) -> ContainerExit {
            throw ContainerRuntimeError("not for running")
        }
    }

    func issues(_ input: String) throws -> [ValidationIssue] {
        let registry = StepRegistry.standard(options: .init(httpClient: testHTTPClient, containers: ContainerOptions(runtime: ImageRuntime())))
        switch TypeChecker(registry: registry).check(json: try JSONParser.parse(#"{"name": "w", "steps": [{"type": "Container.Run", "input": {\#(input)}}]}"#)) {
        case .success: return []
        case .failure(let f): return f.issues
        }
    }

    /// A fresh directory under the temporary directory, removed by `body`'s end.
    func withDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let dir = Scratch.root.appendingPathComponent("artifacts-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try await body(dir)
    }

    func run(_ parameters: JSONValue, store: ArtifactStore, stepID: String = "gen", attempt: Int = 1) async -> Result<JSONValue, StepFailure> {
        let context = StepContext(input: [:], parameters: parameters, executionID: "ex-1", stepID: stepID, attempt: attempt)
        do throws(StepFailure) {
            return .success(try await ContainerRunStep.run(context, runtime: ProcessContainerRuntime(), networkByDefault: false, artifacts: store))
        } catch {
            return .failure(error)
        }
    }

    @Test func artifactParametersAreCheckedWithTheirPath() throws {
        #expect(try issues(#""image": "b", "output_artifacts": {"out": {"path": "/tmp/o", "optional": true}}, "input_artifacts": {"a": {"path": "/in/a", "from": "gen/1/out"}, "b": {"path": "/in/b", "raw": "x"}, "c": {"path": "/in/c", "from": "{{tasks.gen.json.artifacts.out.key}}"}}"#).isEmpty)
        let found = try issues(#""image": "b", "output_artifacts": {"rel": {"path": "tmp/o"}, "bad name": {"path": "/o"}}, "input_artifacts": {"both": {"path": "/i", "from": "a/1/b", "raw": "x"}, "neither": {"path": "/i"}, "escape": {"path": "/i", "from": "../1/x"}}"#)
        let byPath = Dictionary(found.map { ($0.path, $0.message) }, uniquingKeysWith: { a, b in a + " | " + b })
        #expect(byPath["steps[0].input.output_artifacts.rel.path"]?.hasPrefix("expected an absolute path of a file or directory without : or ,") == true, "\(found)")
        #expect(found.contains { $0.path.contains("output_artifacts") && $0.path.contains("bad name") && $0.message == "expected an artifact name of letters, digits, - and _, found \"bad name\"" }, "\(found)")
        // Unknown members are refused by the schema (before the checks above run).
        #expect(try issues(#""image": "b", "output_artifacts": {"x": {"path": "/o", "s3": {}}}"#).map(\.path) == ["steps[0].input.output_artifacts.x.s3"])
        #expect(byPath["steps[0].input.input_artifacts.both"]?.hasSuffix("found both") == true, "\(found)")
        #expect(byPath["steps[0].input.input_artifacts.neither"]?.hasSuffix("found neither") == true, "\(found)")
        #expect(byPath["steps[0].input.input_artifacts.escape.from"]?.hasPrefix("expected the key of a saved artifact, TASK/ATTEMPT/NAME") == true, "\(found)")
        func many(_ n: Int) -> String { (0..<n).map { #""a\#($0)": {"path": "/o/\#($0)"}"# }.joined(separator: ", ") }
        #expect(try issues(#""image": "b", "output_artifacts": {\#(many(Limits.containerArtifacts))}"#).isEmpty)
        #expect(try issues(#""image": "b", "output_artifacts": {\#(many(Limits.containerArtifacts + 1))}"#).map(\.message) == ["expected at most \(Limits.containerArtifacts) output_artifacts, found \(Limits.containerArtifacts + 1)"])
    }

    /// ★ A file and a directory saved by one task are placed for the next, from the store (not
    /// from where the first wrote them, which is gone by then); a raw input is written as a file;
    /// an optional output not written is left out; the attempt's directory holds no temporary.
    @Test func savedArtifactsArePlacedForTheNextTask() async throws {
        try await withDirectory { dir in
            let store = ArtifactStore(root: "\(dir)/store")
            let saved = await run(["image": "busybox", "command": ["sh", "-c", .string("mkdir -p \(dir)/w/tree/sub && echo hello > \(dir)/w/report.txt && echo a > \(dir)/w/tree/a.txt && echo b > \(dir)/w/tree/sub/b.txt")],
                                   "output_artifacts": ["report": ["path": .string("\(dir)/w/report.txt")], "tree": ["path": .string("\(dir)/w/tree")], "extra": ["path": .string("\(dir)/w/none"), "optional": true]]], store: store)
            let artifacts = saved.value?["json"]?["artifacts"]
            #expect(artifacts?["report"] == ["key": "gen/1/report", "path": .string("\(dir)/w/report.txt"), "type": "file", "bytes": 6])
            #expect(artifacts?["tree"]?["type"] == "directory")
            #expect(artifacts?["tree"]?["bytes"] == 4)
            #expect(artifacts?["extra"] == nil)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/store/ex-1/gen/1").sorted() == ["report", "tree"])
            try FileManager.default.removeItem(atPath: "\(dir)/w")
            let used = await run(["image": "busybox", "command": ["sh", "-c", .string("cat \(dir)/in/report.txt \(dir)/in/tree/a.txt \(dir)/in/tree/sub/b.txt \(dir)/in/note.txt; test -e \(dir)/in/extra || echo no-extra")],
                                  "input_artifacts": ["report": ["path": .string("\(dir)/in/report.txt"), "from": "gen/1/report"], "tree": ["path": .string("\(dir)/in/tree"), "from": "gen/1/tree"],
                                                      "extra": ["path": .string("\(dir)/in/extra"), "from": "", "optional": true], "note": ["path": .string("\(dir)/in/note.txt"), "raw": "noted\n"]]], store: store, stepID: "use")
            #expect(used.value?["json"]?["result"] == "hello\na\nb\nnoted\nno-extra")
            let missing = await run(["image": "busybox", "command": ["true"], "input_artifacts": ["report": ["path": .string("\(dir)/in2/r"), "from": "gen/1/nope"]]], store: store, stepID: "late")
            #expect(missing.value == nil)
            if case .failure(let f) = missing { #expect(f.message.contains("input_artifacts.report: there is no artifact \"gen/1/nope\" in this execution's artifact store"), "\(f.message)") }
        }
    }

    /// A missing output artifact that is not optional fails the step, saying which.
    @Test func aMissingOutputArtifactFailsTheStep() async throws {
        try await withDirectory { dir in
            let result = await run(["image": "busybox", "command": ["true"], "output_artifacts": ["report": ["path": .string("\(dir)/never")]]], store: ArtifactStore(root: "\(dir)/store"))
            guard case .failure(let f) = result else { Issue.record("expected a failure, found \(result)"); return }
            #expect(f.message == "container busybox did not write its output artifact \(dir)/never (output_artifacts.report); write it, or mark it optional")
        }
    }

    /// ★ More than `container_artifact_bytes` (here a store bounded at 10 bytes) fails the step
    /// naming the limit, and leaves nothing in the store, not even a temporary.
    @Test func anArtifactOverTheLimitFailsTheStep() async throws {
        try await withDirectory { dir in
            let store = ArtifactStore(root: "\(dir)/store", maxBytes: 10)
            let fits = await run(["image": "busybox", "command": ["sh", "-c", .string("printf 0123456789 > \(dir)/ten")], "output_artifacts": ["ten": ["path": .string("\(dir)/ten")]]], store: store)
            #expect(fits.value?["json"]?["artifacts"]?["ten"]?["bytes"] == 10)
            let over = await run(["image": "busybox", "command": ["sh", "-c", .string("mkdir -p \(dir)/d && printf 012345 > \(dir)/d/a && printf 67890 > \(dir)/d/b")], "output_artifacts": ["d": ["path": .string("\(dir)/d")]]], store: store, stepID: "big")
            guard case .failure(let f) = over else { Issue.record("expected a failure, found \(over)"); return }
            #expect(f.message == "container busybox's output artifact \(dir)/d (output_artifacts.d) holds more than 10 bytes, the most one artifact may hold (container_artifact_bytes); write less, or pass it another way")
            #expect(!f.retryable)
            #expect((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/store/ex-1/big/1")) == [])
        }
    }

    /// ★ Crash safety: an attempt run again after a crash (same attempt number) finds what the
    /// interrupted run left — a half-copied temporary and an older artifact — and replaces the
    /// artifact whole; the temporary of a crash is never read as the artifact.
    @Test func anAttemptRunAgainReplacesWhatAnInterruptedRunLeft() async throws {
        try await withDirectory { dir in
            let store = ArtifactStore(root: "\(dir)/store")
            let attempt = "\(dir)/store/ex-1/gen/1"
            try FileManager.default.createDirectory(atPath: "\(attempt)/tree/old", withIntermediateDirectories: true)
            try "stale".write(toFile: "\(attempt)/tree/old/x", atomically: false, encoding: .utf8)
            try "half".write(toFile: "\(attempt)/.tmp-tree-1", atomically: false, encoding: .utf8)
            let saved = await run(["image": "busybox", "command": ["sh", "-c", .string("mkdir -p \(dir)/t && echo new > \(dir)/t/n")], "output_artifacts": ["tree": ["path": .string("\(dir)/t")]]], store: store)
            #expect(saved.value?["json"]?["artifacts"]?["tree"]?["key"] == "gen/1/tree")
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(attempt)/tree") == ["n"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: attempt) == ["tree"], "the interrupted run's temporary is gone")
            #expect(try String(contentsOfFile: "\(attempt)/tree/n", encoding: .utf8) == "new\n")
        }
    }
}

extension Result {
    /// The value, or `nil` for a failure (typed throws do not mix with `#expect` in closures).
    var value: Success? { if case .success(let v) = self { return v } else { return nil } }
}
