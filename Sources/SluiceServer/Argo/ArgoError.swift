import Hummingbird
import SluiceCore

/// Errors as Argo's gRPC gateway answers them: `{"code": <gRPC code>, "message", "error",
/// "details"}` with the HTTP status that goes with the code (Hera reads `message` from every
/// answer that is not 2xx).
enum ArgoError {
    /// Whether `path` is under the Argo API, so that its errors take this form.
    static func covers(_ path: String) -> Bool { path.hasPrefix("/api/v1/") || path == "/api/v1" || path.hasPrefix("/artifacts/") }

    /// The gRPC code for an HTTP status.
    static func grpcCode(_ status: HTTPResponse.Status) -> Int {
        switch status.code {
        case 400, 413, 422: return 3   // InvalidArgument
        case 401: return 16            // Unauthenticated
        case 403: return 7             // PermissionDenied
        case 404: return 5             // NotFound
        case 409: return 6             // AlreadyExists
        case 405, 501: return 12       // Unimplemented
        case 429: return 8             // ResourceExhausted
        case 503: return 14            // Unavailable
        default: return 13             // Internal
        }
    }

    /// The answer for `problem`.
    static func response(_ problem: Problem) -> Response {
        var message = problem.detail
        if problem.status == .badRequest, !problem.errors.isEmpty {
            message = problem.errors.map { $0.path.isEmpty ? $0.message : "\($0.path): \($0.message)" }.joined(separator: "; ")
        }
        var o = JSONObject()
        o.append("code", .number(Double(grpcCode(problem.status))))
        o.append("message", .string(message))
        o.append("error", .string(message))
        o.append("details", .array([]))
        var response = JSONResponse.make(.object(o), status: problem.status)
        for field in problem.headers { response.headers.append(field) }
        return response
    }

    static func invalid(_ message: String) -> Problem {
        Problem(status: .badRequest, type: "urn:sluice:problem:argo", title: "Invalid argument", detail: message)
    }

    static func notFound(_ name: String) -> Problem {
        Problem(status: .notFound, type: "urn:sluice:problem:not-found", title: "Not found", detail: "workflows.argoproj.io \"\(name)\" not found")
    }

    static func alreadyExists(_ name: String) -> Problem {
        Problem(status: .conflict, type: "urn:sluice:problem:conflict", title: "Already exists", detail: "workflows.argoproj.io \"\(name)\" already exists")
    }
}
