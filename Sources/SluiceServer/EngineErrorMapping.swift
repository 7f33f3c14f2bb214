import Hummingbird
import SluiceEngine

extension EngineError {
    /// The problem the API answers with.
    var problem: Problem {
        switch self {
        case .workflowNotFound(let id): return .notFound("no workflow with id \"\(id)\"")
        case .executionNotFound(let id): return .notFound("no execution with id \"\(id)\"")
        case .invalid(let failure): return .validation(failure)
        case .taskNotFound(let detail): return .notFound(detail)
        case .scheduleNotFound(let workflowID, let id): return .notFound("workflow \"\(workflowID)\" has no schedule with id \"\(id)\"")
        case .versionConflict(let id, let expected, let current):
            return Problem(
                status: .preconditionFailed, type: "urn:sluice:problem:precondition-failed", title: "Precondition failed",
                detail: "workflow \(id) is at version \(current), not version \(expected) as If-Match expected; nothing was stored. Read it again (GET /workflows/\(id), ETag \"\(current)\") and send If-Match: \"\(current)\" to store a new version on top of it"
            )
        case .preconditionFailed(let detail):
            return Problem(status: .preconditionFailed, type: "urn:sluice:problem:precondition-failed", title: "Precondition failed", detail: detail)
        case .conflict(let detail):
            return Problem(status: .conflict, type: "urn:sluice:problem:conflict", title: "Conflict", detail: detail)
        case .unavailable(let reason):
            return Problem(status: .serviceUnavailable, type: "urn:sluice:problem:unavailable", title: "Service unavailable", detail: "\(reason); nothing was recorded, retry later")
        case .overloaded(let reason, let retryAfter):
            var problem = Problem(status: .serviceUnavailable, type: "urn:sluice:problem:overloaded", title: "Service unavailable", detail: "\(reason); retry after \(retryAfter) s")
            problem.headers[.retryAfter] = String(retryAfter)
            return problem
        case .shuttingDown:
            return Problem(status: .serviceUnavailable, type: "urn:sluice:problem:shutting-down", title: "Service unavailable", detail: "the server is shutting down; nothing was recorded, retry on another node or after restart")
        }
    }
}
