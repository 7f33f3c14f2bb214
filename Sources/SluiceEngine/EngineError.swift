import SluiceCore

/// Why the engine refused a request. The HTTP layer maps each case to a status code.
public enum EngineError: Error, Sendable {
    case workflowNotFound(String)
    case executionNotFound(String)
    case invalid(ValidationFailure)
    /// The store failed; nothing was recorded.
    case unavailable(String)
    /// The engine is stopping and takes no new work.
    case shuttingDown
    /// The execution is not in a state that allows the request (e.g. cancelling a COMPLETED one).
    case conflict(String)
    /// A task the request names does not exist.
    case taskNotFound(String)
    /// A conditional change (`If-Match`) expected another revision of the resource; the detail
    /// names the current one. Nothing was changed.
    case preconditionFailed(String)
    /// Workflow `workflowID` has no schedule `id`.
    case scheduleNotFound(workflowID: String, id: String)
    /// A conditional update expected the workflow's latest version to be `expected`, and it is
    /// `current`: someone stored a version in between.
    case versionConflict(workflowID: String, expected: Int, current: Int)
    /// The server is at one of its limits (`Engine.Limits`); nothing was recorded. Try again after
    /// `retryAfter` seconds.
    case overloaded(String, retryAfter: Int)
}
