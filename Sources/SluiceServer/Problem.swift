import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// An RFC 9457 problem: what went wrong, with an `errors` list saying where for validation problems.
public struct Problem: Error, Sendable {
    public var status: HTTPResponse.Status
    /// A short, stable URI naming the kind of problem (`urn:sluice:problem:validation`).
    public var type: String
    public var title: String
    public var detail: String
    public var errors: [ValidationIssue]
    /// Headers of the answer besides its content type (`Retry-After`).
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, type: String, title: String, detail: String, errors: [ValidationIssue] = []) {
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors = errors
    }

    /// A 400 listing every issue (at most `ValidationFailure.maxIssues`, then how many more).
    public static func validation(_ failure: ValidationFailure) -> Problem {
        let failure = failure.limited()
        let count = failure.problemCount
        let detail = count == 1 ? failure.issues[0].description : "\(count) problems: " + failure.issues.map(\.description).joined(separator: "; ")
        return Problem(status: .badRequest, type: "urn:sluice:problem:validation", title: failure.title, detail: detail, errors: failure.issues)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, type: "urn:sluice:problem:not-found", title: "Not found", detail: detail)
    }

    public static func badRequest(path: String, code: String = "invalid_parameter", _ message: String) -> Problem {
        validation(ValidationFailure(title: "Invalid request", issues: [ValidationIssue(path: path, code: code, message: message)]))
    }

    func response(instance: String) -> Response {
        var o = JSONObject()
        o.append("type", .string(type))
        o.append("title", .string(title))
        o.append("status", .number(Double(status.code)))
        o.append("detail", .string(detail))
        o.append("instance", .string(instance))
        if !errors.isEmpty || status == .badRequest {
            o.append("errors", .array(errors.map { issue in
                var e = JSONObject([("path", .string(issue.path)), ("code", .string(issue.code)), ("message", .string(issue.message))])
                if let line = issue.line, let column = issue.column {
                    e.append("line", .number(Double(line)))
                    e.append("column", .number(Double(column)))
                }
                return .object(e)
            }))
        }
        var response = JSONResponse.make(.object(o), status: status, contentType: "application/problem+json")
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// Turns every error into problem+json: ours, Hummingbird's (404, 413, …) and unexpected ones
/// (500, logged, with no internals in the body). The router's 404 for a path that `routes` knows
/// with other methods becomes a 405 with `Allow`.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    var routes: RouteTable?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let instance = request.uri.path
        // The annotation API answers its errors in its own envelope.
        let annotation = AnnotationEnvelope.covers(instance)
        // The Argo API answers as Argo's gateway does.
        let argo = ArgoError.covers(instance)
        func answer(_ problem: Problem) -> Response {
            if argo { return ArgoError.response(problem) }
            return annotation ? AnnotationEnvelope.failure(problem) : problem.response(instance: instance)
        }
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return answer(problem)
        } catch let error as EngineError {
            return answer(error.problem)
        } catch let error as HTTPError {
            let problem: Problem
            var allowed: [HTTPRequest.Method] = []
            switch error.status {
            case .notFound:
                allowed = routes?.methods(forPath: instance) ?? []
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    let list = allowed.map(\.rawValue).joined(separator: ", ")
                    problem = Problem(status: .methodNotAllowed, type: "urn:sluice:problem:method-not-allowed", title: "Method not allowed", detail: "\(instance) does not support \(request.method); it supports \(list)")
                } else {
                    allowed = []
                    problem = .notFound("no endpoint \(request.method) \(instance); see /docs for the API reference")
                }
            case .contentTooLarge:
                problem = Problem(status: .contentTooLarge, type: "urn:sluice:problem:body-too-large", title: "Request body too large", detail: error.body ?? "the request body exceeds the server's limit (--max-body-size)")
            default:
                problem = Problem(status: error.status, type: "about:blank", title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase)
            }
            var response = answer(problem)
            for field in error.headers where field.name != .contentType && field.name != .contentLength { response.headers.append(field) }
            if !allowed.isEmpty { response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ") }
            return response
        } catch where StoreError.isUnavailable(error) {
            // A read the store could not answer (PostgreSQL away): retry later, not a bug.
            context.logger.warning("the database cannot be reached", metadata: ["error": "\(error)", "http.path": "\(instance)"])
            var problem = Problem(status: .serviceUnavailable, type: "urn:sluice:problem:unavailable", title: "Service unavailable", detail: "the database cannot be reached; nothing was changed, retry later")
            problem.headers[.retryAfter] = "1"
            return answer(problem)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)", "http.path": "\(instance)"])
            return answer(Problem(status: .internalServerError, type: "urn:sluice:problem:internal", title: "Internal server error", detail: "the server failed to handle this request; the error was logged"))
        }
    }
}
