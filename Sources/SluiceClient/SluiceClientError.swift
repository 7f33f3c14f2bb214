/// What can go wrong when talking to a Sluice server.
public enum SluiceClientError: Error, Sendable, CustomStringConvertible {
    /// The server answered with an error: its RFC 9457 problem details (status, type, what and where).
    case problem(ProblemDetails)
    /// The server could not be reached, or the connection failed before a whole answer arrived.
    case unreachable(any Error)
    /// The server answered something this client cannot read (not JSON, a missing field, …).
    case invalidResponse(String)
    /// ``SluiceClient/waitForCompletion(workflowID:executionID:timeout:)`` gave up; the
    /// execution as last seen, still unfinished.
    case timedOut(Execution)

    /// The HTTP status of a problem answer; `nil` for the other cases.
    public var status: Int? {
        if case .problem(let problem) = self { return problem.status }
        return nil
    }

    /// A message a person can act on.
    public var description: String {
        switch self {
        case .problem(let problem):
            return problem.description
        case .unreachable(let underlying):
            return "could not reach the Sluice server (is it running, and is the URL right?): \(underlying)"
        case .invalidResponse(let reason):
            return "the server's answer could not be read: \(reason)"
        case .timedOut(let execution):
            return "execution \(execution.id) is still \(execution.status) after the wait; it keeps running on the server"
        }
    }
}
