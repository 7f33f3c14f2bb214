import AsyncHTTPClient
import Foundation
import SluiceCore
import Testing

/// Issue 20's promise for the Argo front door, from the real binary on the `process` runtime: a
/// SIGKILL of the server while containers run loses no workflow. After a restart on the same
/// database each workflow accepted before the kill finishes Succeeded as Argo would report it;
/// the interrupted container runs again (as a Pod would be re-run) and the one after it runs
/// exactly once.
@Suite(.serialized) struct ArgoCrashTests {
    static func workflow(_ dir: URL) -> String {
        func container(_ name: String, _ script: String) -> String {
            #"{"name": "\#(name)", "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["\#(script)"]}}"#
        }
        return #"{"workflow": {"metadata": {"generateName": "crash-"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "dag": {"tasks": ["#
            + #"{"name": "a", "template": "a"}, {"name": "b", "template": "b", "dependencies": ["a"]}, {"name": "c", "template": "c", "dependencies": ["b"]}]}}, "#
            + container("a", "echo a") + ", "
            // b waits until the test lets it go (after the kill): on a loaded machine a fixed
            // sleep let the first workflows' b finish before the last ones' started.
            + container("b", "echo started >> \(dir.path)/b-{{workflow.name}}; while [ ! -e \(dir.path)/go ]; do sleep 0.05; done; echo b") + ", "
            + container("c", "echo {{workflow.name}} >> \(dir.path)/c.txt; echo c")
            + "]}}}"
    }

    @Test func workflowsWhoseContainersRunWhenTheServerIsKilledFinishOnceAfterARestart() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = "sqlite:\(dir.path)/sluice.db"
        let arguments = ["--container-runtime", "process"]
        let first = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("first.log"), arguments: arguments)
        var names: [String] = []
        for _ in 0..<5 {
            let (status, created) = try await send(.shared, "POST", "\(first.baseURL)/api/v1/workflows/argo", body: Self.workflow(dir))
            #expect(status == 200, "\(created)")
            names.append(try #require(created["metadata"]?["name"]?.stringValue))
        }
        // Killed once every workflow's second container has started (and none has finished).
        let started = { names.allSatisfy { FileManager.default.fileExists(atPath: dir.appendingPathComponent("b-\($0)").path) } }
        for _ in 0..<600 where !started() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(started(), "the second containers did not start: \(first.log.suffix(2000))")
        first.kill()
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("c.txt").path), "the kill came before any third container")
        // Every b may finish now: the restarted server's runs of it (and the killed server's
        // orphaned ones, which write nothing more).
        FileManager.default.createFile(atPath: dir.appendingPathComponent("go").path, contents: nil)

        let second = try await ServerProcess.start(database: database, logURL: dir.appendingPathComponent("second.log"), arguments: arguments)
        for name in names {
            var object = JSONValue.null
            for _ in 0..<300 {
                object = try await send(.shared, "GET", "\(second.baseURL)/api/v1/workflows/argo/\(name)").1
                if object["status"]?["phase"] != "Running" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(object["status"]?["phase"] == "Succeeded", "\(name): \(object["status"] ?? .null)")
            #expect(object["status"]?["progress"] == "3/3", "\(name): \(object["status"]?["progress"] ?? .null)")
            let nodes = object["status"]?["nodes"]?.objectValue?.map(\.value) ?? []
            let b = nodes.first { $0["displayName"] == "b" }
            #expect(b?["phase"] == "Succeeded" && b?["outputs"]?["result"] == "b", "\(name): \(b ?? .null)")
            let runs = try String(contentsOf: dir.appendingPathComponent("b-\(name)"), encoding: .utf8).split(separator: "\n").count
            #expect(runs >= 2, "\(name): the interrupted container runs again (\(runs) starts)")
        }
        let third = try String(contentsOf: dir.appendingPathComponent("c.txt"), encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(third.sorted() == names.sorted(), "each workflow's third container ran exactly once: \(third)")
        #expect(second.log.contains("resumed unfinished executions"))
        #expect(await second.stop() == 0)
    }
}
