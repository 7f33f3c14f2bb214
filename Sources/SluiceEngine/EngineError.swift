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
}
