#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SluiceCore
import SluiceEngine
import SluiceSteps
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// Argo artifacts through Sluice's local artifact store, end to end on the `process` runtime:
/// saved after a container exits, placed for the next, shown on the Pod nodes, downloaded from
/// `/artifacts/…`, and removed with the workflow.
@Suite(.testStores) struct ArgoArtifactAPITests {
    /// An app whose containers run on the process runtime with an artifact store at `root`.
    func app(root: String) async throws -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let registry = StepRegistry.standard(options: .init(httpClient: webhookTestClient, containers: ContainerOptions(runtime: ProcessContainerRuntime(), artifacts: ArtifactStore(root: root))))
        var configuration = Engine.Configuration()
        configuration.artifactDirectory = root
        let engine = Engine(store: try await TestStore.make(), registry: registry, configuration: configuration, logger: logger)
        return buildApplication(engine: engine, configuration: ServerConfiguration(), logger: logger)
    }

    func withDirectory(_ body: (String) async throws -> Void) async throws {
        let dir = "/tmp/sluice-argo-artifacts-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await body(dir)
    }

    func finished(_ client: some TestClientProtocol, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        try await finishedArgoWorkflow(client, "argo", name, sourceLocation: sourceLocation)
    }

    /// ★ A task writes a file artifact and a directory artifact; the next task reads them (and a
    /// raw one) through `inputs.artifacts`, an optional output it did not write reaching it as
    /// absent; the Pod nodes show them; the download route answers the file's bytes and the
    /// directory as a tar archive; deleting the workflow removes the files.
    @Test func artifactsPassBetweenTasksDownloadAndGoWithTheWorkflow() async throws {
        try await withDirectory { dir in
            let store = "\(dir)/store"
            try await app(root: store).test(.router) { client in
                let make = "mkdir -p \(dir)/w/tree/sub && echo hello > \(dir)/w/report.txt && echo a > \(dir)/w/tree/a.txt && echo b > \(dir)/w/tree/sub/b.txt"
                // The second task reads copies placed from the store, not where the first wrote
                // them: it removes those first.
                let read = "rm -rf \(dir)/w; cat \(dir)/in/report.txt \(dir)/in/tree/a.txt \(dir)/in/tree/sub/b.txt \(dir)/in/note.txt; test -e \(dir)/in/extra || echo no-extra"
                let body = #"{"workflow": {"metadata": {"name": "pass-art"}, "spec": {"entrypoint": "d", "templates": [{"name": "d", "dag": {"tasks": [{"name": "gen", "template": "gen"}, {"name": "use", "template": "use", "dependencies": ["gen"], "arguments": {"artifacts": [{"name": "report", "from": "{{tasks.gen.outputs.artifacts.report}}"}, {"name": "tree", "from": "{{tasks.gen.outputs.artifacts.tree}}"}, {"name": "extra", "from": "{{tasks.gen.outputs.artifacts.extra}}"}]}}]}}, {"name": "gen", "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["\#(make)"]}, "outputs": {"artifacts": [{"name": "report", "path": "\#(dir)/w/report.txt", "archive": {"none": {}}}, {"name": "tree", "path": "\#(dir)/w/tree"}, {"name": "extra", "path": "\#(dir)/w/none", "optional": true}]}}, {"name": "use", "inputs": {"artifacts": [{"name": "report", "path": "\#(dir)/in/report.txt"}, {"name": "tree", "path": "\#(dir)/in/tree"}, {"name": "extra", "path": "\#(dir)/in/extra", "optional": true}, {"name": "note", "path": "\#(dir)/in/note.txt", "raw": {"data": "noted\n"}}]}, "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["\#(read)"]}}]}}}"#
                let created = try await client.send(.post, "/api/v1/workflows/argo", body: body)
                try #require(created.status == .ok, "\(created.text.prefix(500))")
                let done = try await finished(client, "pass-art")
                #expect(done["status"]?["phase"] == "Succeeded", "\(done["status"]?["message"] ?? .null)")
                let nodes = try #require(done["status"]?["nodes"]?.objectValue)
                let (genID, gen) = try #require(nodes.first { $0.value["displayName"] == "gen" }.map { ($0.key, $0.value) })
                #expect(gen["outputs"]?["artifacts"] == [["name": "report", "path": .string("\(dir)/w/report.txt")], ["name": "tree", "path": .string("\(dir)/w/tree")]])
                let use = try #require(nodes.first { $0.value["displayName"] == "use" }?.value)
                #expect(use["outputs"]?["result"] == "hello\na\nb\nnoted\nno-extra")
                #expect(use["inputs"]?["artifacts"]?.arrayValue?.count == 4)

                // The download route: the file's bytes, the directory as a tar archive.
                let file = try await client.execute(uri: "/artifacts/argo/pass-art/\(genID)/report", method: .get, headers: [:], body: nil)
                #expect(file.status == .ok)
                #expect(String(buffer: file.body) == "hello\n")
                let tar = try await client.execute(uri: "/artifacts/argo/pass-art/\(genID)/tree", method: .get, headers: [:], body: nil)
                #expect(tar.status == .ok)
                #expect(tar.headers[.contentType] == "application/x-tar")
                let bytes = Array(tar.body.readableBytesView)
                #expect(bytes.count % 512 == 0)
                let entries = try Self.untar(bytes)
                #expect(entries.map(\.name) == ["tree/", "tree/a.txt", "tree/sub/", "tree/sub/b.txt"])
                #expect(entries.first { $0.name == "tree/sub/b.txt" }?.data == Array("b\n".utf8))
                let nope = try await client.send(.get, "/artifacts/argo/pass-art/\(genID)/extra")
                #expect(nope.status == .notFound, "an optional artifact not written is not there")
                #expect(try await client.send(.get, "/artifacts/other/pass-art/\(genID)/report").status == .notFound, "another namespace")

                // The store holds the execution's directory until the workflow is deleted.
                let executions = try FileManager.default.contentsOfDirectory(atPath: store)
                #expect(executions.count == 1)
                #expect(try FileManager.default.contentsOfDirectory(atPath: "\(store)/\(executions[0])/gen/1").sorted() == ["report", "tree"])
                #expect(try await client.send(.delete, "/api/v1/workflows/argo/pass-art").status == .ok)
                #expect(try FileManager.default.contentsOfDirectory(atPath: store).isEmpty, "deleting the workflow removes its artifacts")
                #expect(try await client.send(.get, "/artifacts/argo/pass-art/\(genID)/report").status == .notFound)
            }
        }
    }

    /// ★ An output artifact that is not optional and was not written fails its task and the
    /// workflow, with a message naming the path and the artifact.
    @Test func aMissingOutputArtifactFailsTheTaskWithItsName() async throws {
        try await withDirectory { dir in
            try await app(root: "\(dir)/store").test(.router) { client in
                let body = #"{"workflow": {"metadata": {"name": "no-art"}, "spec": {"entrypoint": "gen", "templates": [{"name": "gen", "container": {"image": "busybox", "command": ["true"]}, "outputs": {"artifacts": [{"name": "report", "path": "\#(dir)/never.txt"}]}}]}}}"#
                let created = try await client.send(.post, "/api/v1/workflows/argo", body: body)
                try #require(created.status == .ok, "\(created.text.prefix(500))")
                let done = try await finished(client, "no-art")
                #expect(done["status"]?["phase"] == "Failed")
                let message = done["status"]?["message"]?.stringValue ?? ""
                #expect(message.contains("did not write its output artifact \(dir)/never.txt (output_artifacts.report); write it, or mark it optional"), "\(message)")
            }
        }
    }

    /// Lint and create refuse an artifact from a repository Sluice does not have, with its path.
    @Test func remoteArtifactsAreRefusedWithTheirPath() async throws {
        try await withDirectory { dir in
            try await app(root: "\(dir)/store").test(.router) { client in
                let body = #"{"workflow": {"metadata": {"name": "s3-art"}, "spec": {"entrypoint": "gen", "templates": [{"name": "gen", "container": {"image": "busybox", "command": ["true"]}, "outputs": {"artifacts": [{"name": "report", "path": "/tmp/r", "s3": {"key": "r.txt"}}]}}]}}}"#
                for uri in ["/api/v1/workflows/argo/lint", "/api/v1/workflows/argo"] {
                    let reply = try await client.send(.post, uri, body: body)
                    #expect(reply.status == .badRequest)
                    #expect(reply.text.contains("spec.templates[0].outputs.artifacts[0].s3: artifact repositories (s3) are not used: Sluice keeps artifacts in its local store"), "\(reply.text.prefix(400))")
                }
            }
        }
    }

    /// The entries of a tar archive: name and data (pax records are not expected here).
    static func untar(_ bytes: [UInt8]) throws -> [(name: String, data: [UInt8])] {
        var out: [(String, [UInt8])] = []
        var at = 0
        while at + 512 <= bytes.count {
            let header = Array(bytes[at..<at + 512])
            if header.allSatisfy({ $0 == 0 }) { break }
            let name = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            let sizeText = String(decoding: header[124..<136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            let size = try #require(Int(sizeText, radix: 8))
            // The checksum holds: the sum of the header with its own field as spaces.
            let stored = try #require(Int(String(decoding: header[148..<154], as: UTF8.self), radix: 8))
            var blank = header
            for i in 148..<156 { blank[i] = 0x20 }
            #expect(blank.reduce(0) { $0 + Int($1) } == stored, "checksum of \(name)")
            at += 512
            out.append((name, Array(bytes[at..<at + size])))
            at += (size + 511) / 512 * 512
        }
        return out
    }
}
