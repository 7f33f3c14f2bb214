import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceCore
import SluiceSteps
import Synchronization
import Testing

/// One client for every HTTP.Request test, configured as the server configures its own.
let testHTTPClient = HTTPRequestStep.makeHTTPClient()

/// Collects a task's log lines.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var log: StepLog { StepLog { line in self.lines.withLock { $0.append(line) } } }
    var all: [String] { lines.withLock { $0 } }
}

/// Runs `body` with a live server on 127.0.0.1 and a free port, whose routes the HTTP.Request
/// tests call.
func withTestServer<T: Sendable>(_ body: @Sendable (_ base: String) async throws -> T) async throws -> T {
    let router = Router()
    router.get("/json") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"hello": "world", "n": 3}"#)))
    }
    router.get("/text") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "plain text")))
    }
    router.on("/echo", method: .post, use: echo)
    router.on("/echo", method: .put, use: echo)
    @Sendable func echo(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        var headers: HTTPFields = [.contentType: request.headers[.contentType] ?? "none"]
        headers[HTTPField.Name("x-received-content-type")!] = request.headers[.contentType] ?? "none"
        headers[HTTPField.Name("x-received-method")!] = request.method.rawValue
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
    router.get("/headers") { request, _ in
        var o = JSONObject()
        for field in request.headers { o.append(field.name.canonicalName, .string(field.value)) }
        if let authority = request.head.authority { o.append("host", .string(authority)) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(o).jsonBytes)))
    }
    router.get("/status/{code}") { _, context in
        let code = Int(context.parameters.get("code") ?? "") ?? 500
        return Response(status: .init(code: code), headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "status \(code) body")))
    }
    router.get("/slow") { _, _ in
        try await Task.sleep(for: .seconds(5))
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "late")))
    }
    router.get("/big") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: 5000)))
    }
    router.get("/redirect/{n}") { _, context in
        let n = Int(context.parameters.get("n") ?? "") ?? 0
        if n == 0 { return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "arrived"))) }
        return Response(status: .found, headers: [.location: "/redirect/\(n - 1)"])
    }
    router.post("/see-other") { _, _ in
        Response(status: .seeOther, headers: [.location: "/headers"])
    }
    router.get("/redirect-to-ftp") { _, _ in
        Response(status: .found, headers: [.location: "ftp://example.com/file"])
    }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    return try await app.test(.live) { client in
        try await body("http://127.0.0.1:\(client.port!)")
    }
}

/// Runs one HTTP.Request task with `parameters` and `input`.
func runRequest(
    _ parameters: JSONValue, input: JSONValue = .object(JSONObject()), allowPrivate: Bool = true, log: LogLines = LogLines()
) async throws(StepFailure) -> JSONValue {
    let context = StepContext(input: input, parameters: parameters, executionID: "e", stepID: "step-1", log: log.log)
    return try await HTTPRequestStep.run(context, client: testHTTPClient, policy: DestinationPolicy(allowPrivate: allowPrivate))
}

/// The failure `body` throws, or a recorded issue if it succeeds.
func failure(_ body: () async throws(StepFailure) -> JSONValue, sourceLocation: SourceLocation = #_sourceLocation) async -> StepFailure? {
    do {
        let value = try await body()
        Issue.record("expected the step to fail, it produced \(value.preview)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
