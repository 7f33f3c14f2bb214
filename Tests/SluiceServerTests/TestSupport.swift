import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceEngine
import SluiceServer
import SluiceStore
import SluiceTestSupport
import Testing

/// The built-in step types plus `Test.FailOn`, a text step that fails on text containing "fail" (to get FAILED executions).
let testRegistry: StepRegistry = {
    var r = StepRegistry.builtin
    r.register(StepType(name: "Test.FailOn", summary: "fails on text containing 'fail'", input: .value(.text), output: .value(.text), implementation: .pure { input, _ throws(StepFailure) in
        if input["text"]?.stringValue?.contains("fail") == true { throw StepFailure("found 'fail' in the text") }
        return input
    }))
    return r
}()

/// The app over a new test store (`TestStore.make()`: MemoryStore, or PostgreSQL with
/// `SLUICE_TEST_STORE=postgres`; the suite's `.testStores` trait drops it when the test ends).
func makeApp(maxBodySize: Int = 1 << 20, registry: StepRegistry = .builtin) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let engine = Engine(store: try await TestStore.make(), registry: registry, logger: logger)
    return buildApplication(engine: engine, configuration: ServerConfiguration(maxBodySize: maxBodySize), logger: logger)
}

/// The seed's workflow, verbatim.
let seedWorkflow = """
{
  "name": "Dummy Workflow",
  "steps": [
    { "type": "StaticTextInput", "input": "Hello, world!" },
    { "type": "TextOperation.Reverse" },
    { "type": "Echo" }
  ]
}
"""

/// The seed's execution input, verbatim.
let seedInput = """
{
  "input": {
    "text": "Hello, world!"
  }
}
"""

/// A chain whose first step takes its text from the execution input.
let reverseChain = #"{"name": "Reverse", "steps": [{"type": "TextOperation.Reverse"}, {"type": "Echo"}]}"#

/// A response, read once.
struct Reply {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    /// The body as JSON (fails the test if it is not).
    func json() throws -> JSONValue { try JSONParser.parse(text) }

    /// The `errors` of a problem+json body as (path, code, message) triples.
    func issues() throws -> [(path: String, code: String, message: String)] {
        let errors = try #require(try json()["errors"]?.arrayValue)
        return try errors.map { e in
            (try #require(e["path"]?.stringValue), try #require(e["code"]?.stringValue), try #require(e["message"]?.stringValue))
        }
    }
}

extension TestClientProtocol {
    func send(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        let response = try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// Creates a workflow (expecting 201) and returns its id.
    func createWorkflow(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let reply = try await send(.post, "/workflows", body: json)
        try #require(reply.status == .created, "\(reply.text)", sourceLocation: sourceLocation)
        return try #require(try reply.json()["workflow_id"]?.stringValue, sourceLocation: sourceLocation)
    }

    /// Starts an execution (expecting 202) and returns its id.
    func startExecution(_ workflowID: String, _ body: String? = nil, headers: HTTPFields = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let reply = try await send(.post, "/workflows/\(workflowID)/execute", body: body, headers: headers)
        try #require(reply.status == .accepted, "\(reply.text)", sourceLocation: sourceLocation)
        return try #require(try reply.json()["execution_id"]?.stringValue, sourceLocation: sourceLocation)
    }

    /// Works as a worker of `queue`: claims one task (waiting up to 10 s) and completes it with
    /// `output` (JSON text); returns the claimed task.
    @discardableResult
    func answerWorkerTask(queue: String, output: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let claimed = try await send(.post, "/queues/\(queue)/claim", body: #"{"wait": 10}"#).json()
        let task = try #require(claimed["tasks"]?.arrayValue?.first, "\(claimed)", sourceLocation: sourceLocation)
        let id = try #require(task["queued_task_id"]?.stringValue, sourceLocation: sourceLocation)
        let token = try #require(task["claim_token"]?.stringValue, sourceLocation: sourceLocation)
        let done = try await send(.post, "/queues/\(queue)/tasks/\(id)/complete", body: #"{"claim_token": "\#(token)", "output": \#(output)}"#)
        try #require(done.status == .ok, "\(done.text)", sourceLocation: sourceLocation)
        return task
    }

    /// Fetches an execution with `?wait=5` and expects it to have finished.
    func finishedExecution(_ workflowID: String, _ executionID: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let reply = try await send(.get, "/workflows/\(workflowID)/executions/\(executionID)?wait=5")
        try #require(reply.status == .ok, "\(reply.text)", sourceLocation: sourceLocation)
        let json = try reply.json()
        let status = json["status"]?.stringValue
        try #require(status == "COMPLETED" || status == "FAILED", "\(reply.text)", sourceLocation: sourceLocation)
        return json
    }
}

/// Whether `id` is `prefix-` followed by 8 lowercase ASCII letters or digits.
func isID(_ id: String?, prefix: String) -> Bool {
    guard let id, id.hasPrefix(prefix + "-") else { return false }
    let rest = id.dropFirst(prefix.count + 1)
    return rest.count == 8 && rest.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
}

/// Whether `value` is an RFC 3339 date-time string.
func isRFC3339(_ value: JSONValue?) -> Bool {
    guard let s = value?.stringValue else { return false }
    return s.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/) != nil
}

/// Checks the problem+json envelope of `reply` and returns its issues.
@discardableResult
func expectProblem(_ reply: Reply, status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> [(path: String, code: String, message: String)] {
    #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
    let json = try reply.json()
    #expect(json["type"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(json["title"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(json["status"]?.numberValue == Double(status.code), sourceLocation: sourceLocation)
    #expect(json["detail"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    if json["errors"] == nil { return [] }
    return try reply.issues()
}

/// Expects a 400 validation problem whose issues include one at `path` (with `code`, if given).
/// Returns that issue's message.
@discardableResult
func expectValidation(_ reply: Reply, path: String, code: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let issues = try expectProblem(reply, status: .badRequest, sourceLocation: sourceLocation)
    #expect(try reply.json()["type"]?.stringValue == "urn:sluice:problem:validation", sourceLocation: sourceLocation)
    for issue in issues {
        #expect(!issue.message.isEmpty, sourceLocation: sourceLocation)
    }
    let match = issues.first { $0.path == path && (code == nil || $0.code == code) }
    let found = issues.map { "\($0.path) \($0.code)" }.joined(separator: "; ")
    return try #require(match, "expected an issue at \"\(path)\" \(code ?? ""), found: \(found)", sourceLocation: sourceLocation).message
}
