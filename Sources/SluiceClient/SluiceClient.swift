import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore

/// A client for the whole Sluice HTTP API, with async methods for every endpoint.
///
/// A value type over an `HTTPClient`: by default the process-wide `HTTPClient.shared`, which
/// needs no shutdown; pass your own to control its configuration (and shut it down yourself).
/// Every method throws ``SluiceClientError``: `.problem` for the server's error answers,
/// `.unreachable` when the server cannot be reached, `.invalidResponse` for an answer it cannot read.
///
/// ```swift
/// let sluice = SluiceClient(baseURL: URL(string: "http://127.0.0.1:8080")!)
/// let workflowID = try await sluice.createWorkflow(["name": "shout", "steps": [["type": "TextOperation.Uppercase"], ["type": "Echo"]]])
/// let started = try await sluice.execute(workflowID, input: ["text": "hello"])
/// let execution = try await sluice.waitForCompletion(workflowID: workflowID, executionID: started.executionID)
/// print(execution.status, execution.output?.jsonString ?? "null")   // COMPLETED {"text":"HELLO"}
/// ```
public struct SluiceClient: Sendable {
    /// The server's address, such as `http://127.0.0.1:8080`.
    public let baseURL: URL
    /// The HTTP client the requests go through.
    public let httpClient: HTTPClient
    /// The longest to wait for an answer (beyond the `wait` asked of the server); for a stream, the
    /// longest to wait for it to start. It includes waiting for a connection.
    public var requestTimeout: Duration

    /// The `slc_…` token sent as `Authorization: Bearer` with every request, if any.
    public var token: String?

    /// The base URL as text, without a trailing slash.
    let base: String

    /// A client for the server at `baseURL`.
    ///
    /// - Parameters:
    ///   - baseURL: the server's address (`http://127.0.0.1:8080`); a path prefix is kept.
    ///   - httpClient: the HTTP client to use; `HTTPClient.shared` by default (no shutdown needed).
    ///   - requestTimeout: the longest one request may take, 30 s by default.
    public init(baseURL: URL, httpClient: HTTPClient = .shared, requestTimeout: Duration = .seconds(30), token: String? = nil) {
        self.baseURL = baseURL
        self.token = token
        self.httpClient = httpClient
        self.requestTimeout = requestTimeout
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.base = text
    }

    /// `GET /healthz`: the server's status (`ok`) while it is up.
    public func health() async throws -> String {
        let json = try await fetch(.GET, "/healthz")
        guard let status = json["status"]?.stringValue else { throw SluiceClientError.invalidResponse("health: no \"status\" in \(json.preview)") }
        return status
    }

    /// `GET /step-types`: every step type the server knows, in registration order.
    public func stepTypes() async throws -> [StepTypeInfo] {
        let json = try await fetch(.GET, "/step-types")
        return try Fields(json, "step types").list("step_types", StepTypeInfo.init(json:))
    }
}

// MARK: - Requests

extension SluiceClient {
    /// An answer read whole.
    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// The largest answer read whole.
    static let maxBodySize = 64 << 20

    /// `/a/b` with each dynamic segment percent-encoded.
    static func path(_ segments: String...) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return segments.map { "/" + ($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0) }.joined()
    }

    func url(_ path: String, query: [(String, String?)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        let items = query.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }
        return base + path + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
    }

    /// Sends a request and returns the answer with its body still to read, after checking its
    /// status: an error status is thrown as ``SluiceClientError/problem(_:)``.
    func open(_ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], headers: [(String, String)] = [], body: [UInt8]? = nil, deadline: NIODeadline) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url(path, query: query))
        request.method = method
        request.headers.add(name: "user-agent", value: "sluice-client")
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, deadline: deadline)
        } catch {
            try Task.checkCancellation()
            throw SluiceClientError.unreachable(error)
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            let bytes = try await Self.collect(response.body, deadline: deadline)
            throw SluiceClientError.problem(Self.problem(status: response.status, body: bytes))
        }
        return response
    }

    /// Sends a request and reads the whole answer.
    func send(_ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], headers: [(String, String)] = [], body: [UInt8]? = nil, wait: Duration = .zero) async throws -> Reply {
        let deadline = NIODeadline.now() + .nanoseconds(Self.nanoseconds(requestTimeout + wait))
        let response = try await open(method, path, query: query, headers: headers, body: body, deadline: deadline)
        let bytes = try await Self.collect(response.body, deadline: deadline)
        return Reply(status: Int(response.status.code), headers: response.headers, body: bytes)
    }

    /// Sends a request and parses the answer as JSON.
    func fetch(_ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], headers: [(String, String)] = [], body: [UInt8]? = nil, wait: Duration = .zero) async throws -> JSONValue {
        try Self.parse(try await send(method, path, query: query, headers: headers, body: body, wait: wait).body)
    }

    static func collect(_ body: HTTPClientResponse.Body, deadline: NIODeadline) async throws -> [UInt8] {
        do {
            return Array(buffer: try await body.collect(upTo: maxBodySize))
        } catch let error as NIOTooManyBytesError {
            throw SluiceClientError.invalidResponse("the answer is larger than \(maxBodySize) bytes (\(error))")
        } catch {
            try Task.checkCancellation()
            throw SluiceClientError.unreachable(error)
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            throw SluiceClientError.invalidResponse("not JSON (\(error)): \(text)")
        }
    }

    /// The problem an error answer carries, or one made from its status when its body is not
    /// problem+json (a proxy's answer, say).
    static func problem(status: HTTPResponseStatus, body: [UInt8]) -> ProblemDetails {
        if let json = try? JSONParser.parse(body), let problem = ProblemDetails(json: json) { return problem }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return ProblemDetails(status: Int(status.code), title: status.reasonPhrase, detail: text.isEmpty ? status.reasonPhrase : text)
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    static func seconds(_ d: Duration) -> Double {
        let (seconds, attoseconds) = d.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A JSON body from members, leaving out the `nil` ones.
    static func body(_ members: [(String, JSONValue?)]) -> [UInt8] {
        var o = JSONObject()
        for (key, value) in members { if let value { o.append(key, value) } }
        return JSONValue.object(o).jsonBytes
    }
}
