/// The body of `POST /workflows/{id}/execute`: `{"input": {...}, "webhook_url": "...", "version": n}`,
/// all optional.
public struct ExecutionRequest: Sendable, Hashable {
    public var input: JSONValue
    public var webhookURL: String?
    /// The secret that signs deliveries to `webhookURL` (`whsec_…`); the server makes one when
    /// it is not given.
    public var webhookSecret: String?
    /// The workflow version to run; `nil` for the latest.
    public var version: Int?

    public init(input: JSONValue = .object(JSONObject()), webhookURL: String? = nil, version: Int? = nil) {
        self.input = input
        self.webhookURL = webhookURL
        self.version = version
    }

    /// Reads the body (`nil` for an empty one) and reports every problem with it.
    public static func parse(_ body: JSONValue?) -> Result<ExecutionRequest, ValidationFailure> {
        let title = "Invalid execution request"
        guard let body else { return .success(ExecutionRequest()) }
        guard case .object(let object) = body else {
            return .failure(.init(title: title, issues: [.init(path: "", code: "invalid_body", message: "expected a JSON object such as {\"input\": {\"text\": \"Hello\"}}, found \(body.kindName)")]))
        }
        var issues: [ValidationIssue] = []
        for key in object.keys where !["input", "webhook_url", "webhook_secret", "version"].contains(key) {
            issues.append(.init(path: IssuePath.member("", key), code: "unknown_field", message: "unknown field; expected input, webhook_url, webhook_secret, version"))
        }
        var request = ExecutionRequest()
        switch object["input"] {
        case nil, .null?: break
        case .object(let o)?: request.input = .object(o)
        case .some(let v): issues.append(.init(path: "input", code: "type_mismatch", message: "expected an object such as {\"text\": \"Hello\"}, found \(v.kindName)"))
        }
        switch object["webhook_url"] {
        case nil, .null?: break
        case .string(let url)?:
            if let problem = WebhookURL.problem(url) {
                issues.append(.init(path: "webhook_url", code: "invalid_url", message: problem))
            } else {
                request.webhookURL = url
            }
        case .some(let v): issues.append(.init(path: "webhook_url", code: "type_mismatch", message: "expected an absolute http or https URL (string), found \(v.kindName)"))
        }
        switch object["webhook_secret"] {
        case nil, .null?: break
        case .string(let secret)?:
            if object["webhook_url"] == nil || object["webhook_url"] == .null {
                issues.append(.init(path: "webhook_secret", code: "invalid_value", message: "a webhook_secret signs deliveries to webhook_url; give webhook_url too, or leave webhook_secret out"))
            } else {
                request.webhookSecret = secret
            }
        case .some(let v): issues.append(.init(path: "webhook_secret", code: "type_mismatch", message: "expected a signing secret such as \"whsec_…\" (string), found \(v.kindName)"))
        }
        switch object["version"] {
        case nil, .null?: break
        case .number(let n)? where n >= 1 && n <= Double(Int32.max) && n == n.rounded():
            request.version = Int(n)
        case .number?:
            issues.append(.init(path: "version", code: "invalid_value", message: "expected a workflow version number (an integer ≥ 1), found \(object["version"]!.preview)"))
        case .some(let v):
            issues.append(.init(path: "version", code: "type_mismatch", message: "expected a workflow version number (an integer ≥ 1), found \(v.preview)"))
        }
        return issues.isEmpty ? .success(request) : .failure(.init(title: title, issues: issues))
    }
}

/// Checks of the form of a webhook URL. (Which destinations are allowed is checked at delivery.)
public enum WebhookURL {
    /// Why `url` is not an acceptable webhook URL, or `nil` if it is.
    public static func problem(_ url: String) -> String? {
        // Characters as JSON Schema counts them (`maxLength`): Unicode code points.
        if url.unicodeScalars.count > Limits.webhookURLCharacters { return "expected a URL of at most \(Limits.webhookURLCharacters) characters, found \(url.unicodeScalars.count)" }
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = url.dropFirst(8) } else if lower.hasPrefix("http://") { rest = url.dropFirst(7) } else {
            return "expected an absolute URL with scheme http or https, found \(JSONValue.string(url).preview)"
        }
        if url.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) {
            return "a URL cannot contain white space or control characters"
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        var host = Substring(hostPort)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return "unterminated IPv6 address in the host" }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            guard let p = Int(port), (1...65535).contains(p) else { return "expected a port from 1 to 65535, found \"\(port)\"" }
            host = host[..<colon]
        }
        if host.isEmpty { return "expected a host name after the scheme, found none" }
        return nil
    }
}
