import Hummingbird
import NIOCore
import SluiceCore
import SluiceYAML

/// Reading request bodies and query parameters, with errors that say what was wrong.
struct RequestParsing {
    let configuration: ServerConfiguration

    /// The body as JSON; `nil` when it is empty. Throws 413 past the limit, 400 if it is not JSON
    /// (with the line and column where it went wrong).
    /// A body that must be a JSON object (an empty body is `{}`).
    func jsonObject(_ request: Request) async throws -> JSONValue {
        switch try await jsonBody(request) {
        case nil: return .object(JSONObject())
        case .object(let o)?: return .object(o)
        case .some(let v): throw Problem.badRequest(path: "", code: "type_mismatch", "expected a JSON object, found \(v.kindName)")
        }
    }

    func jsonBody(_ request: Request) async throws -> JSONValue? {
        let bytes = try await bodyBytes(request)
        if isBlank(bytes) { return nil }
        return try parseJSON(bytes)
    }

    /// A workflow document: JSON, or YAML when the `Content-Type` says so (`application/yaml`,
    /// also `application/x-yaml`, `text/yaml`, `text/x-yaml`), read as the CLI reads a YAML file
    /// (SluiceYAML: YAML 1.2's core schema, no aliases, no key given twice). `nil` when empty.
    /// The document also says where a problem's path points in its text.
    func documentBody(_ request: Request) async throws -> SentDocument? {
        let bytes = try await bodyBytes(request)
        if isBlank(bytes) { return nil }
        guard Self.isYAML(request.headers[.contentType]) else {
            let json = try parseJSON(bytes)
            return SentDocument(json: json, locator: { paths in JSONParser.locate(paths, in: bytes) ?? paths.map { _ in nil } })
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Problem.validation(ValidationFailure(title: "Request body is not valid YAML", issues: [
                ValidationIssue(path: "", code: "invalid_yaml", message: "the body is not valid YAML: it is not UTF-8 text"),
            ]))
        }
        do {
            let node = try YAMLConversion.compose(text)
            let json = try YAMLConversion.value(node)
            return SentDocument(json: json, locator: { paths in YAMLConversion.locate(paths, in: node) })
        } catch {
            let message = error.description.hasPrefix("not valid YAML: ") ? String(error.description.dropFirst("not valid YAML: ".count)) : error.description
            throw Problem.validation(ValidationFailure(title: "Request body is not valid YAML", issues: [
                ValidationIssue(path: "", code: "invalid_yaml", message: "the body is not valid YAML: \(message)", line: error.line, column: error.column),
            ]))
        }
    }

    /// Whether a `Content-Type` names YAML.
    static func isYAML(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"].contains(type)
    }

    private func bodyBytes(_ request: Request) async throws -> [UInt8] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maxBodySize)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        }
        return Array(buffer.readableBytesView)
    }

    private func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    }

    private func parseJSON(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw Problem.validation(ValidationFailure(title: "Request body is not valid JSON", issues: [
                ValidationIssue(path: "", code: "invalid_json", message: "the body is not valid JSON: \(error.description)", line: error.line, column: error.column),
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
        try ifMatchNumber(request, naming: "a workflow version", from: "GET /workflows/{id}").map(Int.init)
    }

    /// The `If-Match` header as the positive number its one entity tag names (`"3"`, quotes
    /// included), `nil` when absent or `*`; anything else is `400` saying it expected one naming
    /// `what`, the `ETag` of `source`.
    func ifMatchNumber(_ request: Request, naming what: String, from source: String) throws -> Int64? {
        let values = request.headers[values: .ifMatch]
        guard !values.isEmpty else { return nil }
        var raw = Substring(values.joined(separator: ", "))
        while raw.first?.isWhitespace == true { raw.removeFirst() }
        while raw.last?.isWhitespace == true { raw.removeLast() }
        if raw == "*" { return nil }
        let expected = "expected one entity tag naming \(what), such as \"3\" with its quotes (the ETag of \(source)), or *"
        guard raw.count >= 3, raw.hasPrefix("\""), raw.hasSuffix("\""), let number = Int64(raw.dropFirst().dropLast()), number >= 1, number <= Int.max else {
            throw Problem.badRequest(path: "If-Match", "\(expected); found \(raw)")
        }
        return number
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

/// A request body read as a document (JSON or YAML) that can say where a problem's path points
/// in the text that was sent.
struct SentDocument {
    var json: JSONValue
    /// The 1-based line and column of the value at each path (or of its nearest enclosing
    /// value), all found in one reading of the text; called once per answer that has problems
    /// (at most `ValidationFailure.maxIssues` and one), not per request.
    var locator: ([String]) -> [(line: Int, column: Int)?]

    /// The issues with the line and column of their paths, where the text has them.
    func located(_ issues: [ValidationIssue]) -> [ValidationIssue] {
        let wanted = issues.indices.filter { issues[$0].line == nil && !issues[$0].path.isEmpty }
        guard !wanted.isEmpty else { return issues }
        let positions = locator(wanted.map { issues[$0].path })
        var located = issues
        for (k, i) in wanted.enumerated() {
            guard k < positions.count, let (line, column) = positions[k] else { continue }
            located[i].line = line
            located[i].column = column
        }
        return located
    }
}

extension JSONValue {
    /// A list response: `{"<key>": [...], "next_cursor": "..."|null}`.
    static func page(_ key: String, _ items: [JSONValue], next: Int64?) -> JSONValue {
        [key: .array(items), "next_cursor": next.map { .string(String($0)) } ?? .null]
    }
}
