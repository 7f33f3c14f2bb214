import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceServer
import SluiceTestSupport
import Testing

/// `GET /openapi.yaml`, `GET /openapi.json` and `GET /docs`.
@Suite(.testStores) struct ContractEndpointTests {
    /// The repository's root.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func file(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    @Test func servedYAMLIsTheResourceByteForByte() async throws {
        let resource = try Self.file("Sources/SluiceServer/Resources/openapi.yaml")
        // The repository's openapi.yaml is a link to the resource: one copy.
        #expect(try Self.file("openapi.yaml") == resource)
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/openapi.yaml")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "application/yaml")
            #expect(Array(reply.text.utf8) == resource)
        }
    }

    @Test func servedJSONIsTheSameDocument() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "application/json")
            let spec = try reply.json()
            #expect(spec["openapi"] == .string("3.1.0"))
            #expect(spec["info"]?["version"]?.stringValue?.isEmpty == false)
            let paths = try #require(spec["paths"]?.objectValue)
            #expect(paths["/openapi.yaml"] != nil && paths["/openapi.json"] != nil && paths["/docs"] != nil)
            #expect(paths["/workflows/{workflow_id}"]?["get"]?["operationId"] == .string("getWorkflow"))
            // Numbers, booleans and quoted scalars keep their JSON types.
            let limit = spec["components"]?["parameters"]?["Limit"]
            #expect(limit?["required"] == .bool(false))
            #expect(limit?["schema"]?["maximum"] == .number(500))
            #expect(paths["/healthz"]?["get"]?["responses"]?["200"] != nil)
            #expect(paths["/workflows/{workflow_id}/executions/{execution_id}/retry"]?["post"]?["responses"]?["202"]?["content"]?["application/json"]?["schema"]?["properties"]?["status"]?["const"] == .string("RUNNING"))
        }
    }

    @Test func yamlScalarsConvertAsJSON() throws {
        let yaml = """
        a: 1
        b: -2.5e3
        c: '3'
        d: "true"
        e: true
        f: null
        g: ~
        h: 3.1.0
        i: [x, 0, false]
        j:
        k: 2026-11-22
        l: |
          text
        m: end
        """
        let value = try APIContract.convert(yaml: yaml)
        #expect(value.jsonString == #"{"a":1,"b":-2500,"c":"3","d":"true","e":true,"f":null,"g":null,"h":"3.1.0","i":["x",0,false],"j":null,"k":"2026-11-22","l":"text\n","m":"end"}"#)
    }

    @Test func docsIsASelfContainedHTMLPage() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/docs")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(reply.text.hasPrefix("<!doctype html>"))
            #expect(reply.text.contains("fetch(\"/openapi.json\")"))
            // No CDN, no external assets.
            #expect(!reply.text.contains("://"))
        }
    }

    /// Every operation of the contract has a route: none answers 405 or the router's 404.
    @Test func everyDocumentedOperationIsRouted() async throws {
        try await makeApp().test(.router) { client in
            let spec = try await client.send(.get, "/openapi.json").json()
            let paths = try #require(spec["paths"]?.objectValue)
            var count = 0
            for member in paths {
                // Path parameters filled with ids that exist nowhere.
                let path = member.key.split(separator: "/").map { $0.hasPrefix("{") ? "zz-unknown" : String($0) }.joined(separator: "/")
                for method in ["get", "put", "post", "delete", "patch"] where member.value[method] != nil {
                    let reply = try await client.send(HTTPRequest.Method(method.uppercased())!, "/" + path)
                    #expect(reply.status != .methodNotAllowed, "\(method) \(path): \(reply.text)")
                    #expect(!reply.text.contains("no endpoint"), "\(method) \(path): \(reply.text)")
                    count += 1
                }
            }
            #expect(count >= 25)
        }
    }
}
