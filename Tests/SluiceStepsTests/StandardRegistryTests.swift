import SluiceCore
import SluiceSteps
import Testing

@Suite struct StandardRegistryTests {
    @Test func processIsOfferedOnlyWhenEnabled() {
        let plain = StepRegistry.standard(options: .init(httpClient: testHTTPClient))
        #expect(plain["HTTP.Request"] != nil)
        #expect(plain["Process"] == nil)
        #expect(plain["TextOperation.Reverse"] != nil)
        let enabled = StepRegistry.standard(options: .init(httpClient: testHTTPClient, enableProcess: true))
        #expect(enabled["Process"] != nil)
    }

    func issues(_ json: String, allowPrivate: Bool = false) throws -> [ValidationIssue] {
        let registry = StepRegistry.standard(options: .init(httpClient: testHTTPClient, allowPrivateNetworks: allowPrivate, enableProcess: true))
        switch TypeChecker(registry: registry).check(json: try JSONParser.parse(json)) {
        case .success: return []
        case .failure(let f): return f.issues
        }
    }

    @Test func httpParametersAreCheckedAtCreation() throws {
        #expect(try issues(#"{"name": "w", "steps": [{"type": "HTTP.Request", "input": {"url": "https://example.com/x"}}]}"#).isEmpty)
        let bad = try issues(#"{"name": "w", "steps": [{"type": "HTTP.Request", "input": {"url": "ftp://example.com/x", "method": "GET", "timeout_seconds": 0, "headers": {"Bad Name": "v", "host": "h"}}}]}"#)
        #expect(bad.map(\.path).sorted() == ["steps[0].input.headers.host", "steps[0].input.headers[\"Bad Name\"]", "steps[0].input.timeout_seconds", "steps[0].input.url"])
        let refused = try issues(#"{"name": "w", "steps": [{"type": "HTTP.Request", "input": {"url": "http://169.254.169.254/"}}]}"#)
        #expect(refused.map(\.code) == ["destination_refused"])
        #expect(refused.first?.message.contains("--allow-private-networks") == true)
        #expect(try issues(#"{"name": "w", "steps": [{"type": "HTTP.Request", "input": {"url": "http://169.254.169.254/"}}]}"#, allowPrivate: true).isEmpty)
        let unknown = try issues(#"{"name": "w", "steps": [{"type": "HTTP.Request", "input": {"url": "https://example.com", "header": {}}}]}"#)
        #expect(unknown.map(\.code) == ["unknown_property"])
    }

    @Test func processParametersAreCheckedAtCreation() throws {
        #expect(try issues(#"{"name": "w", "steps": [{"type": "Process", "input": {"command": "echo", "args": ["a"]}}]}"#).isEmpty)
        let bad = try issues(#"{"name": "w", "steps": [{"type": "Process", "input": {"command": "./run.sh", "cwd": "tmp", "env": {"1X": "v"}}}]}"#)
        #expect(bad.map(\.path).sorted() == ["steps[0].input.command", "steps[0].input.cwd", "steps[0].input.env.1X"])
        let missing = try issues(#"{"name": "w", "steps": [{"type": "Process"}]}"#)
        #expect(missing.map(\.code) == ["missing_parameters"])
    }

    @Test func catalogListsTheParameters() {
        let registry = StepRegistry.standard(options: .init(httpClient: testHTTPClient, enableProcess: true))
        #expect(registry["HTTP.Request"]?.catalogEntry["output_type"] == "json")
        #expect(registry["HTTP.Request"]?.catalogEntry["parameters"]?["required"] == ["url"])
        #expect(registry["Process"]?.catalogEntry["output_type"] == "text")
    }
}
