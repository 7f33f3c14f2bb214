import Hummingbird
import NIOCore
import SluiceCore

/// Reading request bodies and query parameters, with errors that say what was wrong.
struct RequestParsing {
    let configuration: ServerConfiguration

    /// The body as JSON; `nil` when it is empty. Throws 413 past the limit, 400 if it is not JSON.
    func jsonBody(_ request: Request) async throws -> JSONValue? {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maxBodySize)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        }
        let bytes = Array(buffer.readableBytesView)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw Problem.validation(ValidationFailure(title: "Request body is not valid JSON", issues: [
                ValidationIssue(path: "", code: "invalid_json", message: "the body is not valid JSON: \(error.description)"),
            ]))
        }
    }

    var tooLarge: Problem {
        Problem(status: .contentTooLarge, type: "urn:sluice:problem:body-too-large", title: "Request body too large", detail: "the request body exceeds the limit of \(configuration.maxBodySize) bytes (--max-body-size)")
    }

    /// `limit` and `cursor` query parameters.
    func page(_ request: Request) throws -> (limit: Int, before: Int64?) {
        var limit = configuration.defaultPageSize
        if let raw = request.uri.queryParameters["limit"] {
            guard let n = Int(raw), n >= 1, n <= configuration.maxPageSize else {
                throw Problem.badRequest(path: "limit", "expected an integer from 1 to \(configuration.maxPageSize), found \"\(raw)\"")
            }
            limit = n
        }
        var before: Int64?
        if let raw = request.uri.queryParameters["cursor"], !raw.isEmpty {
            guard let n = Int64(raw), n > 0 else {
                throw Problem.badRequest(path: "cursor", "expected the next_cursor value of a previous page, found \"\(raw)\"")
            }
            before = n
        }
        return (limit, before)
    }

    /// The `If-Match` header of a workflow update: `nil` when absent or `*` (any version will
    /// do), else the version its entity tag names (`"3"`, quotes included, as the `ETag` of
    /// `GET /workflows/{id}` gives it). Only one entity tag is accepted.
    func ifMatchVersion(_ request: Request) throws -> Int? {
        let values = request.headers[values: .ifMatch]
        guard !values.isEmpty else { return nil }
        var raw = Substring(values.joined(separator: ", "))
        while raw.first?.isWhitespace == true { raw.removeFirst() }
        while raw.last?.isWhitespace == true { raw.removeLast() }
        if raw == "*" { return nil }
        let expected = "expected one entity tag naming a workflow version, such as \"3\" with its quotes (the ETag of GET /workflows/{id}), or *"
        guard raw.count >= 3, raw.hasPrefix("\""), raw.hasSuffix("\""), let version = Int(raw.dropFirst().dropLast()), version >= 1 else {
            throw Problem.badRequest(path: "If-Match", "\(expected); found \(raw)")
        }
        return version
    }

    /// `?wait=SECONDS`.
    func wait(_ request: Request) throws -> Duration? {
        guard let raw = request.uri.queryParameters["wait"] else { return nil }
        guard let seconds = Double(String(raw)), seconds.isFinite, seconds >= 0, seconds <= configuration.maxWaitSeconds else {
            throw Problem.badRequest(path: "wait", "expected a number of seconds from 0 to \(Int(configuration.maxWaitSeconds)), found \"\(raw)\"")
        }
        return .milliseconds(Int64(seconds * 1000))
    }
}

extension JSONValue {
    /// A list response: `{"<key>": [...], "next_cursor": "..."|null}`.
    static func page(_ key: String, _ items: [JSONValue], next: Int64?) -> JSONValue {
        [key: .array(items), "next_cursor": next.map { .string(String($0)) } ?? .null]
    }
}
