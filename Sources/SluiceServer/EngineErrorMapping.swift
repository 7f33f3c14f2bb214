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
        case .conflict(let detail):
            return Problem(status: .conflict, type: "urn:sluice:problem:conflict", title: "Conflict", detail: detail)
        case .unavailable(let reason):
            return Problem(status: .serviceUnavailable, type: "urn:sluice:problem:unavailable", title: "Service unavailable", detail: "\(reason); nothing was recorded, retry later")
        case .shuttingDown:
            return Problem(status: .serviceUnavailable, type: "urn:sluice:problem:shutting-down", title: "Service unavailable", detail: "the server is shutting down; nothing was recorded, retry on another node or after restart")
        }
    }
}
