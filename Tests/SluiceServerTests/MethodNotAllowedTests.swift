import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import Testing

/// A known path with a method it does not support: 405 problem+json with `Allow`.
@Suite struct MethodNotAllowedTests {
    func expect405(_ reply: Reply, allow: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = try expectProblem(reply, status: .methodNotAllowed, sourceLocation: sourceLocation)
        #expect(try reply.json()["type"]?.stringValue == "urn:sluice:problem:method-not-allowed", sourceLocation: sourceLocation)
        #expect(reply.headers[.allow] == allow, sourceLocation: sourceLocation)
    }

    @Test func unsupportedMethodOnAPathWithParametersIs405() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.delete, "/workflows/wf-zzzzzzzz")
            try expect405(reply, allow: "GET, PUT")
            #expect(try reply.json()["instance"]?.stringValue == "/workflows/wf-zzzzzzzz")
            #expect(try reply.json()["detail"]?.stringValue?.contains("DELETE") == true)
        }
    }

    @Test func unsupportedMethodOnFixedPathsIs405() async throws {
        try await makeApp().test(.router) { client in
            try expect405(try await client.send(.patch, "/workflows"), allow: "POST, GET")
            try expect405(try await client.send(.post, "/healthz"), allow: "GET")
            try expect405(try await client.send(.put, "/openapi.yaml"), allow: "GET")
            try expect405(try await client.send(.get, "/workflows/wf-zzzzzzzz/execute"), allow: "POST")
            try expect405(try await client.send(.post, "/workflows/wf-x/executions/ex-y/events"), allow: "GET")
            try expect405(try await client.send(.put, "/workflows/wf-x/webhooks/wh-y"), allow: "GET, DELETE")
        }
    }

    @Test func unknownPathsAndKnownMethodsAreStill404() async throws {
        try await makeApp().test(.router) { client in
            _ = try expectProblem(try await client.send(.delete, "/no/such/route"), status: .notFound)
            _ = try expectProblem(try await client.send(.post, "/workflows/wf-x/versions/1/extra"), status: .notFound)
            let reply = try await client.send(.get, "/workflows/wf-zzzzzzzz")
            _ = try expectProblem(reply, status: .notFound)
            #expect(reply.headers[.allow] == nil)
        }
    }
}
