import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// A known path with a method it does not support: 405 problem+json with `Allow`.
@Suite(.testStores) struct MethodNotAllowedTests {
    func expect405(_ reply: Reply, allow: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = try expectProblem(reply, status: .methodNotAllowed, sourceLocation: sourceLocation)
        #expect(try reply.json()["type"]?.stringValue == "urn:sluice:problem:method-not-allowed", sourceLocation: sourceLocation)
        #expect(reply.headers[.allow] == allow, sourceLocation: sourceLocation)
    }

    @Test func unsupportedMethodOnAPathWithParametersIs405() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.patch, "/workflows/wf-zzzzzzzz")
            try expect405(reply, allow: "GET, PUT, DELETE")
            #expect(try reply.json()["instance"]?.stringValue == "/workflows/wf-zzzzzzzz")
            #expect(try reply.json()["detail"]?.stringValue?.contains("PATCH") == true)
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
            try expect405(try await client.send(.post, "/executions/ex-y"), allow: "GET")
        }
    }

    /// `validate` is a constant segment, which the router prefers to `:workflow_id`: it is not a
    /// workflow id, and the methods of `/workflows/{workflow_id}` do not apply to it.
    @Test func theValidatePathTakesOnlyPost() async throws {
        try await makeApp().test(.router) { client in
            for method in [HTTPRequest.Method.get, .put, .delete] {
                let reply = try await client.send(method, "/workflows/validate")
                try expect405(reply, allow: "POST")
            }
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
