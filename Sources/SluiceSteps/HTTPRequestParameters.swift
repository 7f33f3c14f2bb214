import SluiceCore

/// The parameters of an `HTTP.Request` step (its `input` member in a definition), with defaults
/// applied.
public struct HTTPRequestParameters: Sendable {
    /// How the response body becomes the output's `body`.
    public enum ResponseMode: String, Sendable, Hashable, CaseIterable {
        /// Parsed JSON when the content type is JSON (`application/json`, `…+json`), text otherwise.
        case auto
        /// Always text (UTF-8, invalid bytes replaced).
        case text
        /// Always parsed JSON; a body that does not parse fails the step.
        case json
    }

    /// A request body.
    public enum Body: Sendable, Hashable {
        /// Sent as is, `content-type: text/plain; charset=utf-8` unless a header says otherwise.
        case text(String)
        /// Serialized, `content-type: application/json` unless a header says otherwise.
        case json(JSONValue)
    }

    public static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    /// Methods that take their body from the step's input when `body` is not given.
    public static let methodsWithInputBody: Set<String> = ["POST", "PUT", "PATCH"]
    /// Headers the client sets itself; giving them is an error.
    public static let reservedHeaders: Set<String> = ["host", "content-length", "transfer-encoding", "connection"]
    public static let defaultTimeoutSeconds = 30.0
    public static let maxTimeoutSeconds = Double(Limits.httpMaxTimeoutSeconds)
    public static let defaultMaxResponseBytes = 10 << 20
    public static let maxMaxResponseBytes = Limits.httpMaxResponseBytes

    public var url: String
    public var method: String = "GET"
    /// In the order given; names as written.
    public var headers: [(name: String, value: String)] = []
    public var body: Body?
    /// Statuses that count as success; `nil` means any 2xx.
    public var expectedStatus: [Int]?
    public var timeoutSeconds: Double = defaultTimeoutSeconds
    public var maxResponseBytes: Int = defaultMaxResponseBytes
    public var response: ResponseMode = .auto

    public init(url: String) { self.url = url }

    /// The parameter schema, as `GET /step-types` shows it.
    public static let schema = Schema.object("The request to send.", required: ["url"], [
        ("url", .of(.string, "Absolute http or https URL.", minLength: 1)),
        ("method", .of(.string, "HTTP method.", default: "GET", enum: methods.map(JSONValue.string))),
        ("headers", .of(.object, "Request headers, name to value.", additional: .schema(Schema(type: .string)))),
        ("body", .of(nil, "Request body: a string is sent as text, anything else as JSON. Without it, POST, PUT and PATCH send the input's text (or its json as JSON).")),
        ("expected_status", .of(.array, "Statuses that count as success; default any 2xx.", items: .of(.integer, "An HTTP status.", minimum: 100, maximum: 599))),
        ("timeout_seconds", .of(.number, "Time for the whole request, redirects and body included.", default: .number(defaultTimeoutSeconds), minimum: 0, maximum: maxTimeoutSeconds)),
        ("max_response_bytes", .of(.integer, "Largest response body accepted; a larger one fails the step.", default: .number(Double(defaultMaxResponseBytes)), minimum: 0, maximum: Double(maxMaxResponseBytes))),
        ("response", .of(.string, "How to read the response body: auto (JSON if the content type says so, else text), text or json.", default: "auto", enum: ResponseMode.allCases.map { .string($0.rawValue) })),
    ])

    /// What the schema cannot say: the URL is an absolute http(s) URL (and, if its host is a
    /// literal address, one `policy` allows), header names are tokens and values have no line
    /// breaks, and the timeout is above zero. Runs after the schema accepted `parameters`.
    public static func check(_ parameters: JSONValue, path: String, policy: DestinationPolicy) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if let url = parameters["url"]?.stringValue {
            do throws(DestinationError) {
                try policy.checkWithoutResolving(url: url)
            } catch {
                let code = if case .refused = error.reason { "destination_refused" } else { "invalid_url" }
                issues.append(.init(path: IssuePath.member(path, "url"), code: code, message: error.message))
            }
        }
        if case .object(let headers)? = parameters["headers"] {
            for member in headers {
                let p = IssuePath.member(IssuePath.member(path, "headers"), member.key)
                if !isToken(member.key) {
                    issues.append(.init(path: p, code: "invalid_header", message: "expected a header name made of letters, digits and !#$%&'*+-.^_`|~, found \(quoted(member.key))"))
                } else if reservedHeaders.contains(member.key.lowercased()) {
                    issues.append(.init(path: p, code: "invalid_header", message: "\(member.key) is set by the client from the URL and body; remove it"))
                }
                if let value = member.value.stringValue, value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                    issues.append(.init(path: p, code: "invalid_header", message: "expected a header value without line breaks or NUL characters"))
                }
            }
        }
        if let t = parameters["timeout_seconds"]?.numberValue, t <= 0 {
            issues.append(.init(path: IssuePath.member(path, "timeout_seconds"), code: "below_minimum", message: "expected a number of seconds above 0 (at most \(Int(maxTimeoutSeconds))), found \(JSONValue.number(t).jsonString)"))
        }
        return issues
    }

    /// Reads parameters that passed `schema` and `check` (at run time), applying defaults.
    public init(_ parameters: JSONValue?) throws(StepFailure) {
        guard case .object(let o)? = parameters, let url = o["url"]?.stringValue else {
            throw StepFailure("HTTP.Request expects parameters {\"url\": \"https://…\", …}, found \(parameters?.preview ?? "none")")
        }
        self.url = url
        if let m = o["method"]?.stringValue { method = m }
        if case .object(let h)? = o["headers"] {
            headers = h.compactMap { m in m.value.stringValue.map { (m.key, $0) } }
        }
        switch o["body"] {
        case nil, .null?: body = nil
        case .string(let s)?: body = .text(s)
        case let value?: body = .json(value)
        }
        if case .array(let codes)? = o["expected_status"] { expectedStatus = codes.compactMap(\.intValue) }
        if let t = o["timeout_seconds"]?.numberValue, t > 0 { timeoutSeconds = min(t, Self.maxTimeoutSeconds) }
        if let n = o["max_response_bytes"]?.intValue, n >= 0 { maxResponseBytes = n }
        if let r = o["response"]?.stringValue, let mode = ResponseMode(rawValue: r) { response = mode }
    }

    /// Whether `status` counts as success.
    public func accepts(status: Int) -> Bool {
        expectedStatus.map { $0.contains(status) } ?? (200...299).contains(status)
    }

    /// The body to send: the `body` parameter, else for POST, PUT and PATCH the input's `text`
    /// member, else its `json` member.
    public func requestBody(input: JSONValue) -> Body? {
        if let body { return body }
        guard Self.methodsWithInputBody.contains(method) else { return nil }
        if let text = input["text"]?.stringValue { return .text(text) }
        if let json = input["json"] { return .json(json) }
        return nil
    }

    static func isToken(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { c in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(c))
        }
    }
}
