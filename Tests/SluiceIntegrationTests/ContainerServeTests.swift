import AsyncHTTPClient
import Foundation
import SluiceCore
import Testing

/// `sluice serve --container-runtime`, from the real binary: the process runtime runs a
/// `Container.Run` step end to end, a server without a runtime refuses it naming the flag, and
/// flags that contradict each other stop the start with the reason.
@Suite struct ContainerServeTests {
    static let workflow = #"{"name": "c", "steps": [{"type": "Container.Run", "input": {"image": "busybox", "command": ["sh", "-c", "echo hi; echo note >&2"]}}]}"#

    func serve(_ arguments: [String], _ body: @Sendable (String) async throws -> Void) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await ServerProcess.start(database: "memory:", logURL: dir.appendingPathComponent("log"), arguments: arguments)
        do {
            try await body(server.baseURL)
        } catch {
            _ = await server.stop()
            throw error
        }
        _ = await server.stop()
    }

    @Test func theProcessRuntimeRunsAContainerStep() async throws {
        try await serve(["--container-runtime", "process"]) { base in
            let (created, workflow) = try await send(.shared, "POST", base + "/workflows", body: Self.workflow)
            #expect(created == 201, "\(workflow)")
            let id = try #require(workflow["workflow_id"]?.stringValue)
            let (_, started) = try await send(.shared, "POST", base + "/workflows/\(id)/execute", body: "{}")
            let execution = try #require(started["execution_id"]?.stringValue)
            let (_, done) = try await send(.shared, "GET", base + "/executions/\(execution)?wait=30")
            #expect(done["status"] == "COMPLETED", "\(done)")
            #expect(done["output"] == ["json": ["stdout": "hi\n", "exit_code": 0, "result": "hi"]])
        }
    }

    @Test func withoutARuntimeTheStepIsRefusedNamingTheFlag() async throws {
        try await serve(["--container-runtime", "none"]) { base in
            let (status, problem) = try await send(.shared, "POST", base + "/workflows", body: Self.workflow)
            #expect(status == 400)
            let issue = problem["errors"]?.arrayValue?.first
            #expect(issue?["path"] == "steps[0].type" && issue?["code"] == "step_type_unavailable", "\(problem)")
            #expect(issue?["message"]?.stringValue?.contains("started with --container-runtime none. Start it with --container-runtime podman, docker or process") == true, "\(problem)")
        }
    }

    func serveRefused(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> (code: Int32, err: String) {
        try await ServerProcess.runToExit(["serve", "--port", "0", "--database", "memory:"] + arguments, environment: extra.mapValues { Optional($0) })
    }

    @Test func contradictingOrMissingRuntimesStopTheStart() async throws {
        let process = try await serveRefused(["--container-runtime", "process", "--container-runtime-command", "podman --runtime runc"])
        #expect(process.code != 0)
        #expect(process.err.contains("--container-runtime-command does not apply"), "\(process.err)")
        let missing = try await serveRefused(["--container-runtime", "docker"], environment: ["PATH": "/nonexistent"])
        #expect(missing.code != 0)
        #expect(missing.err.contains("--container-runtime docker: docker was not found in PATH (/nonexistent)"), "\(missing.err)")
        let bad = try await serveRefused([], environment: ["SLUICE_CONTAINER_RUNTIME": "kubernetes"])
        #expect(bad.code != 0)
        #expect(bad.err.contains("SLUICE_CONTAINER_RUNTIME must be podman, docker, process or none, found \"kubernetes\""), "\(bad.err)")
    }
}
