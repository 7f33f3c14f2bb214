import AsyncHTTPClient
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1
import SluiceCore

/// The `HTTP.Request` step type: sends one HTTP request and produces
/// `{"json": {"status": 200, "headers": {...}, "body": ...}}`.
///
/// Every destination, redirects included, goes through a `DestinationPolicy`. Plain-http
/// requests connect to an address that was checked (the URL's host is replaced by it and the
/// `Host` header keeps the name; the addresses are tried in resolver order until one accepts the
/// connection), so a name cannot resolve to something else between the check and the connection. https requests are checked the same way right before they go out; the
/// client resolves the name again to connect, but a rebound name would then have to present a
/// valid certificate for itself from the inside address, which fails certificate verification.
///
/// Redirects (301, 302, 303, 307, 308 with a `Location`) are followed by the step itself, at most
/// `maxRedirects` times, each destination checked again; 303, and 301/302 after a POST, continue
/// as GET without a body; `authorization`, `cookie` and `proxy-authorization` headers are dropped
/// when a redirect leaves the origin. A 3xx listed in `expected_status` is returned, not followed.
public enum HTTPRequestStep {
    /// The step type's name in definitions.
    public static let name = "HTTP.Request"
    /// How many redirects one request follows before it fails.
    public static let maxRedirects = Limits.httpMaxRedirects
    /// How much of a failed response's body its failure message quotes, in characters.
    static let bodyPreviewLength = 300
    static let credentialHeaders: Set<String> = ["authorization", "cookie", "proxy-authorization"]

    /// The step type, sending its requests with `client` (which must not follow redirects itself:
    /// build it with `makeHTTPClient()`) and checking each destination with `policy`.
    public static func stepType(client: HTTPClient, policy: DestinationPolicy) -> StepType {
        StepType(
            name: name,
            summary: "Sends an HTTP request and produces {\"json\": {\"status\", \"headers\", \"body\"}}; 5xx, 429, connection failures and timeouts are retryable.",
            input: .any, output: .value(.json),
            parameters: HTTPRequestParameters.schema, parametersRequired: true,
            parameterCheck: { parameters, path in HTTPRequestParameters.check(parameters, path: path, policy: policy) },
            implementation: .run { context throws(StepFailure) in
                try await run(context, client: client, policy: policy)
            }
        )
    }

    /// An `HTTPClient` configured the way the step needs it: redirects not followed (the step
    /// follows and checks them), no decompression (so `max_response_bytes` bounds what arrives),
    /// a 10-second connect timeout, and no retrying of failed connection attempts inside the
    /// client (a refused connection fails the attempt at once, as retryable, so the step can try
    /// the next checked address and the engine's retry policy decides the rest). Shut it down
    /// with `shutdown()` when the server stops.
    public static func makeHTTPClient(eventLoopGroup: any EventLoopGroup = HTTPClient.defaultEventLoopGroup) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10)),
            decompression: .disabled
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
    }

    /// Runs one `HTTP.Request` task.
    public static func run(_ context: StepContext, client: HTTPClient, policy: DestinationPolicy) async throws(StepFailure) -> JSONValue {
        let parameters = try HTTPRequestParameters(context.parameters)
        let seconds = parameters.timeoutSeconds
        let deadline = NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))
        do {
            return try await withThrowingTaskGroup(of: JSONValue.self) { group in
                group.addTask {
                    try await perform(parameters, context: context, client: client, policy: policy, deadline: deadline)
                }
                group.addTask {
                    try await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9)))
                    throw TimedOut()
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch let failure as StepFailure {
            throw failure
        } catch {
            throw failure(for: error, parameters: parameters)
        }
    }

    struct TimedOut: Error {}

    static func failure(for error: any Error, parameters: HTTPRequestParameters) -> StepFailure {
        let timeout = "timed out after \(format(seconds: parameters.timeoutSeconds)) (timeout_seconds)"
        if error is TimedOut { return StepFailure("\(parameters.method) \(parameters.url) \(timeout)", retryable: true) }
        if error is CancellationError || Task.isCancelled { return StepFailure("\(parameters.method) \(parameters.url) was cancelled") }
        if error is NIOTooManyBytesError {
            return StepFailure("\(parameters.method) \(parameters.url): the response body is larger than max_response_bytes (\(parameters.maxResponseBytes) bytes); raise max_response_bytes (at most \(HTTPRequestParameters.maxMaxResponseBytes)) or request less")
        }
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return StepFailure("\(parameters.method) \(parameters.url) \(timeout)", retryable: true)
            case .cancelled:
                return StepFailure("\(parameters.method) \(parameters.url) was cancelled")
            case .invalidURL, .emptyHost, .emptyScheme:
                return StepFailure("\(parameters.method) \(parameters.url) could not be sent: \(e)")
            default: break
            }
        }
        return StepFailure("\(parameters.method) \(parameters.url) failed: \(describe(error))", retryable: true)
    }

    static func perform(
        _ parameters: HTTPRequestParameters, context: StepContext, client: HTTPClient,
        policy: DestinationPolicy, deadline: NIODeadline
    ) async throws -> JSONValue {
        var url = parameters.url
        var method = parameters.method
        var body = parameters.requestBody(input: context.input)
        // No trace headers here: AsyncHTTPClient makes a client span per request, a child of
        // the task's span (the current context), and sends its `traceparent` when tracing is on.
        var headers = parameters.headers
        var origin: (String, String, Int)?
        for hop in 0...maxRedirects {
            let destination: Destination
            do {
                destination = try await policy.check(url: url)
            } catch {
                throw StepFailure("\(method) \(url): \(error.message)", retryable: error.retryable)
            }
            let thisOrigin = (destination.scheme, destination.host.lowercased(), destination.port)
            if let origin, origin != thisOrigin {
                headers.removeAll { credentialHeaders.contains($0.name.lowercased()) }
            }
            origin = thisOrigin

            context.log(hop == 0 ? "\(method) \(url)" : "\(method) \(url) (redirect \(hop) of at most \(maxRedirects))")
            let started = ContinuousClock.now
            let response = try await send(destination: destination, method: method, headers: headers, body: body, client: client, deadline: deadline, context: context)
            let status = Int(response.status.code)
            let statusLine = "\(status) \(response.status.reasonPhrase)"
            if response.history.count > 1 {
                throw StepFailure("the HTTP client followed a redirect without the destination policy checking it; build it with HTTPRequestStep.makeHTTPClient() (redirects disallowed)")
            }

            if [301, 302, 303, 307, 308].contains(status), parameters.expectedStatus?.contains(status) != true,
               let location = response.headers.first(name: "location") {
                context.log("\(statusLine) in \(milliseconds(since: started)) → \(location)")
                _ = try? await response.body.collect(upTo: 64 << 10)
                guard hop < maxRedirects else {
                    throw StepFailure("\(parameters.method) \(parameters.url) redirected more than \(maxRedirects) times (the last to \(location)); at most \(maxRedirects) redirects are followed")
                }
                guard let next = URL(string: location, relativeTo: destination.url)?.absoluteURL.absoluteString else {
                    throw StepFailure("\(method) \(url) redirected to \(quoted(location)), which is not a URL; expected a Location header with an absolute or relative URL")
                }
                if status == 303 || ((status == 301 || status == 302) && method == "POST") {
                    if method != "HEAD" { method = "GET" }
                    body = nil
                }
                url = next
                continue
            }

            let bytes: ByteBuffer
            do {
                bytes = try await response.body.collect(upTo: parameters.maxResponseBytes)
            } catch let error as NIOTooManyBytesError {
                context.log("\(statusLine) in \(milliseconds(since: started)); body larger than \(parameters.maxResponseBytes) bytes")
                throw error
            }
            context.log("\(statusLine) in \(milliseconds(since: started)), \(bytes.readableBytes) bytes")
            let responseHeaders = headerObject(response.headers)
            let contentType = response.headers.first(name: "content-type")
            let bodyValue = try decodeBody(bytes, contentType: contentType, mode: parameters.response, context: context, what: "\(method) \(url)")
            guard parameters.accepts(status: status) else {
                let expected = parameters.expectedStatus.map { "expected " + $0.map(String.init).joined(separator: ", ") } ?? "expected a 2xx status"
                let text = String(decoding: bytes.readableBytesView.prefix(bodyPreviewLength * 4), as: UTF8.self)
                let preview = text.count > bodyPreviewLength ? String(text.prefix(bodyPreviewLength)) + "…" : text
                let bodyPart = preview.isEmpty ? "the body is empty" : "the body starts: \(preview)"
                throw StepFailure(
                    "\(method) \(url) returned \(statusLine); \(expected) (expected_status); \(bodyPart)",
                    retryable: status >= 500 || status == 429
                )
            }
            var result = JSONObject()
            result.append("status", .number(Double(status)))
            result.append("headers", .object(responseHeaders))
            result.append("body", bodyValue)
            return ["json": .object(result)]
        }
        fatalError("unreachable: the loop returns or throws on its last hop")
    }

    /// Sends one request. Plain http goes to each checked address in turn until one accepts the
    /// connection; https goes to the host name (see the type's documentation).
    static func send(
        destination: Destination, method: String, headers: [(name: String, value: String)], body: HTTPRequestParameters.Body?,
        client: HTTPClient, deadline: NIODeadline, context: StepContext
    ) async throws -> HTTPClientResponse {
        let addresses: [IPAddress?] = destination.scheme == "http" ? destination.addresses : [nil]
        for (i, address) in addresses.enumerated() {
            let request = makeRequest(destination: destination, address: address, method: method, headers: headers, body: body)
            do {
                return try await client.execute(request, deadline: deadline)
            } catch where i + 1 < addresses.count && isConnectFailure(error) {
                context.log("cannot connect to \(address!) (\(describe(error))); trying \(addresses[i + 1]!)")
            }
        }
        fatalError("unreachable: the last address returns or throws")
    }

    /// Whether `error` says the connection could not be established (nothing was sent).
    static func isConnectFailure(_ error: any Error) -> Bool {
        if let e = error as? IOError { return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT, EADDRNOTAVAIL].contains(e.errnoCode) }
        if let e = error as? HTTPClientError { return e == .connectTimeout }
        if let e = error as? ChannelError, case .connectTimeout = e { return true }
        return false
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? IOError { return String(cString: strerror(e.errnoCode)).lowercased() }
        return "\(error)"
    }

    static func makeRequest(destination: Destination, address: IPAddress?, method: String, headers: [(name: String, value: String)], body: HTTPRequestParameters.Body?) -> HTTPClientRequest {
        var target = destination.url.absoluteString
        var all = HTTPHeaders()
        if let address, var components = URLComponents(url: destination.url, resolvingAgainstBaseURL: false) {
            // Connect to the address that was checked; the Host header keeps the name.
            components.percentEncodedHost = address.urlHost
            components.fragment = nil
            if let pinned = components.string {
                target = pinned
                all.add(name: "host", value: destination.hostHeader)
            }
        }
        var request = HTTPClientRequest(url: target)
        request.method = HTTPMethod(rawValue: method)
        for h in headers { all.add(name: h.name, value: h.value) }
        if !all.contains(name: "user-agent") { all.add(name: "user-agent", value: "sluice") }
        switch body {
        case .text(let s)?:
            if !all.contains(name: "content-type") { all.add(name: "content-type", value: "text/plain; charset=utf-8") }
            request.body = .bytes(ByteBuffer(string: s))
        case .json(let v)?:
            if !all.contains(name: "content-type") { all.add(name: "content-type", value: "application/json") }
            request.body = .bytes(ByteBuffer(bytes: v.jsonBytes))
        case nil: break
        }
        request.headers = all
        return request
    }

    /// Response headers with lower-cased names; repeated headers joined with ", ".
    static func headerObject(_ headers: HTTPHeaders) -> JSONObject {
        var names: [String] = []
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let n = name.lowercased()
            if values[n] == nil { names.append(n) }
            values[n, default: []].append(value)
        }
        var o = JSONObject()
        for n in names { o.append(n, .string(values[n]!.joined(separator: ", "))) }
        return o
    }

    static func decodeBody(_ bytes: ByteBuffer, contentType: String?, mode: HTTPRequestParameters.ResponseMode, context: StepContext, what: String) throws -> JSONValue {
        let raw = Array(bytes.readableBytesView)
        let mediaType = contentType.map { String($0.split(separator: ";", maxSplits: 1).first ?? "").trimmingWhitespace().lowercased() } ?? ""
        let saysJSON = mediaType == "application/json" || mediaType.hasSuffix("+json")
        switch mode {
        case .text:
            return .string(String(decoding: raw, as: UTF8.self))
        case .json:
            if raw.isEmpty { return .null }
            do throws(JSONParser.Failure) {
                return try JSONParser.parse(raw)
            } catch {
                throw StepFailure("\(what): expected a JSON response body (response: \"json\"), but it does not parse: \(error)")
            }
        case .auto:
            guard saysJSON else { return .string(String(decoding: raw, as: UTF8.self)) }
            if raw.isEmpty { return .null }
            do throws(JSONParser.Failure) {
                return try JSONParser.parse(raw)
            } catch {
                context.log("the response says \(mediaType) but its body does not parse (\(error)); returning it as text")
                return .string(String(decoding: raw, as: UTF8.self))
            }
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> String {
        format(duration: ContinuousClock.now - start)
    }

    static func format(duration d: Duration) -> String {
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        return "\(Int(ms.rounded())) ms"
    }

    static func format(seconds: Double) -> String {
        seconds.rounded() == seconds ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
