import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `/healthz`, `/step-types` and bodies under the size limit.
@Suite(.testStores) struct ServiceEndpointTests {
    @Test func healthzIsOK() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/healthz")
            #expect(reply.status == .ok)
            #expect(try reply.json()["status"]?.stringValue == "ok")
        }
    }

    @Test func stepTypesListsTheBuiltinsWithTheirTypes() async throws {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.get, "/step-types")
            #expect(reply.status == .ok)
            let types = try #require(try reply.json()["step_types"]?.arrayValue)
            let rows = types.map { "\($0["type"]?.stringValue ?? "?"): \($0["input_type"]?.stringValue ?? "?") -> \($0["output_type"]?.stringValue ?? "?")" }
            // The first seven, in order; StepCatalogTests (SluiceCoreTests) checks the full list.
            #expect(Array(rows.prefix(7)) == [
                "StaticTextInput: none -> text",
                "TextOperation.Reverse: text -> text",
                "TextOperation.Uppercase: text -> text",
                "TextOperation.Lowercase: text -> text",
                "TextOperation.Trim: text -> text",
                "TextOperation.Length: text -> number",
                "Echo: any -> same as input",
            ])
        }
    }

    @Test func stepTypesSayWhichTakeParameters() async throws {
        try await makeApp().test(.router) { client in
            let types = try #require(try await client.send(.get, "/step-types").json()["step_types"]?.arrayValue)
            let source = try #require(types.first { $0["type"]?.stringValue == "StaticTextInput" })
            #expect(source["parameters_required"] == true)
            #expect(source["parameters"]?["type"]?.stringValue == "string")
            let reverse = try #require(types.first { $0["type"]?.stringValue == "TextOperation.Reverse" })
            #expect(reverse["parameters"] == .null)
        }
    }

    @Test func bodyUnderTheLimitIsAccepted() async throws {
        try await makeApp(maxBodySize: 1024).test(.router) { client in
            let body = #"{"name": "small", "description": "\#(String(repeating: "x", count: 900))", "steps": [{"type": "Echo"}]}"#
            #expect(body.utf8.count < 1024)
            let reply = try await client.send(.post, "/workflows", body: body)
            #expect(reply.status == .created)
        }
    }
}
