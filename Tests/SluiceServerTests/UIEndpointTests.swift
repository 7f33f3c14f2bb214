import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `GET /`, `GET /ui` (and every page under it) and `GET /ui/assets/{name}`: the web UI.
@Suite(.testStores) struct UIEndpointTests {
    static let csp = "default-src 'self'; img-src 'self' data: http: https:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    /// A file of `Sources/SluiceServer/Resources/ui` (the bundle holds a copy of the folder).
    static func uiFile(_ path: String) throws -> [UInt8] {
        try ContractEndpointTests.file("Sources/SluiceServer/Resources/ui/" + path)
    }

    func expectUIHeaders(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.headers[.cacheControl] == "no-cache", sourceLocation: sourceLocation)
        #expect(reply.headers[.xContentTypeOptions] == "nosniff", sourceLocation: sourceLocation)
        #expect(reply.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin", sourceLocation: sourceLocation)
        let etag = reply.headers[.eTag] ?? ""
        #expect(etag.count == 18 && etag.hasPrefix("\"") && etag.hasSuffix("\"") && !etag.hasPrefix("W/"), "\(etag)", sourceLocation: sourceLocation)
    }

    @Test func rootRedirectsToTheUI() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/")
            #expect(reply.status == .found)
            #expect(reply.headers[.location] == "/ui")
        }
    }

    /// The page routes client-side: a reload or a link to any page under /ui gets the same page.
    @Test func everyPageUnderUIAnswersTheIndex() async throws {
        let index = try Self.uiFile("index.html")
        try await makeApp().test(.router) { client in
            var etags: Set<String> = []
            for path in ["/ui", "/ui/", "/ui/executions/ex-123", "/ui/workflows/wf-1", "/ui/new", "/ui/workflows/wf-1/executions/ex-2"] {
                let reply = try await client.send(.get, path)
                #expect(reply.status == .ok, "\(path): \(reply.text)")
                #expect(reply.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
                #expect(reply.text.contains("<div id=\"app\">"), "\(path)")
                #expect(Array(reply.text.utf8) == index, "\(path): not the bytes of index.html (\(reply.text.utf8.count) bytes served, \(index.count) in Sources; rebuilt since the last edit?)")
                #expect(reply.headers[.contentSecurityPolicy] == Self.csp, "\(path)")
                expectUIHeaders(reply)
                etags.insert(reply.headers[.eTag] ?? "")
            }
            #expect(etags.count == 1)
        }
    }

    /// `/ui/assets/{name}` is a constant segment before a parameter, which the router prefers to
    /// `/ui/**`: an asset is the file, not the page.
    @Test func assetsAreTheFilesWithTheirContentTypes() async throws {
        try await makeApp().test(.router) { client in
            for (name, contentType) in [("app.js", "text/javascript; charset=utf-8"), ("app.css", "text/css; charset=utf-8"), ("icon.svg", "image/svg+xml")] {
                let file = try Self.uiFile("assets/" + name)
                let reply = try await client.send(.get, "/ui/assets/" + name)
                #expect(reply.status == .ok, "\(name): \(reply.text)")
                #expect(reply.headers[.contentType] == contentType, "\(name)")
                #expect(Array(reply.text.utf8) == file, "\(name): not the bytes of the file (\(reply.text.utf8.count) bytes served, \(file.count) in Sources; rebuilt since the last edit?)")
                #expect(reply.headers[.contentSecurityPolicy] == nil, "\(name)")
                expectUIHeaders(reply)
            }
        }
    }

    @Test func unknownAssetIsA404Problem() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/ui/assets/nope.js")
            _ = try expectProblem(reply, status: .notFound)
            #expect(try reply.json()["type"]?.stringValue == "urn:sluice:problem:not-found")
            #expect(try reply.json()["detail"]?.stringValue?.contains("nope.js") == true)
            // Deeper or empty paths under /ui/assets are not pages either.
            for path in ["/ui/assets", "/ui/assets/", "/ui/assets/js/app.js"] {
                _ = try expectProblem(try await client.send(.get, path), status: .notFound)
            }
        }
    }

    /// Only the names in the assets folder are served: nothing outside it can be reached.
    @Test func pathTraversalOutOfTheAssetsIsNotServed() async throws {
        try await makeApp().test(.router) { client in
            for path in ["/ui/assets/..%2Findex.html", "/ui/assets/%2E%2E%2F%2E%2E%2Fopenapi.yaml", "/ui/assets/..%2F..%2F..%2FPackage.swift"] {
                let reply = try await client.send(.get, path)
                _ = try expectProblem(reply, status: .notFound)
            }
        }
    }

    @Test func ifNoneMatchWithTheETagIs304WithoutABody() async throws {
        try await makeApp().test(.router) { client in
            for path in ["/ui", "/ui/workflows/wf-1", "/ui/assets/app.js"] {
                let first = try await client.send(.get, path)
                let etag = try #require(first.headers[.eTag])
                for ifNoneMatch in [etag, "\"0000000000000000\", \(etag)", "*", "W/\(etag)"] {
                    let reply = try await client.send(.get, path, headers: [.ifNoneMatch: ifNoneMatch])
                    #expect(reply.status == .notModified, "\(path) If-None-Match: \(ifNoneMatch)")
                    #expect(reply.text.isEmpty, "\(path)")
                    #expect(reply.headers[.eTag] == etag, "\(path)")
                    #expect(reply.headers[.cacheControl] == "no-cache", "\(path)")
                }
                let stale = try await client.send(.get, path, headers: [.ifNoneMatch: "\"0123456789abcdef\""])
                #expect(stale.status == .ok, "\(path)")
                #expect(stale.text == first.text, "\(path)")
            }
        }
    }

    @Test func headOnTheUIAnswersWithoutTheBody() async throws {
        try await makeApp().test(.router) { client in
            for path in ["/ui", "/ui/executions/ex-123", "/ui/assets/app.js"] {
                let get = try await client.send(.get, path)
                let head = try await client.send(.head, path)
                #expect(head.status == .ok, "\(path)")
                #expect(head.text.isEmpty, "\(path)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "\(path)")
                #expect(head.headers[.contentLength] == String(get.text.utf8.count), "\(path)")
                #expect(head.headers[.eTag] == get.headers[.eTag], "\(path)")
            }
            let root = try await client.send(.head, "/")
            #expect(root.status == .found)
            #expect(root.headers[.location] == "/ui")
        }
    }

    /// The UI's paths take only GET (and HEAD), deep page paths included.
    @Test func otherMethodsOnUIPathsAre405() async throws {
        try await makeApp().test(.router) { client in
            for path in ["/", "/ui", "/ui/workflows/wf-1", "/ui/workflows/wf-1/executions/ex-2", "/ui/assets/app.js"] {
                let reply = try await client.send(.post, path)
                _ = try expectProblem(reply, status: .methodNotAllowed)
                #expect(reply.headers[.allow] == "GET", "\(path)")
            }
        }
    }
}
