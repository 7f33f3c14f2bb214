import SluiceCore
import SluiceStore

extension Store {
    /// `apply(_:)` with each transition's events filled in as the engine fills them: by applying
    /// it to the execution as stored (or as inserted earlier in the same batch) with
    /// `ExecutionDetail.apply(_:)`. Store tests write transitions by hand; this gives them the
    /// events the engine would send, so the drivers are held to writing them.
    public func applyRecording(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        var known: [String: ExecutionDetail] = [:]
        var recorded: [Mutation] = []
        for mutation in mutations {
            switch mutation {
            case .insertExecution(let detail, _):
                if known[detail.execution.id] == nil { known[detail.execution.id] = detail }
                recorded.append(mutation)
            case .transition(let t) where t.events.isEmpty:
                var detail: ExecutionDetail? = known[t.executionID]
                if detail == nil { detail = try await execution(id: t.executionID) }
                guard var d = detail else {
                    recorded.append(mutation)
                    continue
                }
                let withEvents = d.recording(t)
                known[t.executionID] = d
                recorded.append(.transition(withEvents))
            default:
                recorded.append(mutation)
            }
        }
        return try await apply(recorded)
    }
}
