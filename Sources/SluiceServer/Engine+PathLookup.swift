import Hummingbird
import SluiceEngine
import SluiceStore

extension Engine {
    /// The execution the path names (`workflow_id`, `execution_id`), or the 404 to answer: an
    /// unknown workflow, or an execution of another workflow or none.
    func execution(named context: SluiceRequestContext) async throws -> ExecutionDetail {
        let workflowID = try context.parameters.require("workflow_id")
        let executionID = try context.parameters.require("execution_id")
        guard let detail = try await store.execution(id: executionID), detail.execution.workflowID == workflowID else {
            if try await store.workflow(id: workflowID) == nil { throw EngineError.workflowNotFound(workflowID) }
            throw Problem.notFound("workflow \"\(workflowID)\" has no execution with id \"\(executionID)\"")
        }
        return detail
    }

    /// Runs `checks` (of a request about workflow `workflowID`); a `400` they find is answered
    /// only if the workflow exists: an unknown workflow is reported as such even when the
    /// request is also wrong. A body over the size limit stays `413` (it was not read).
    func checking<T>(workflow workflowID: String, _ checks: () async throws -> T) async throws -> T {
        do {
            return try await checks()
        } catch let problem as Problem where problem.status == .badRequest {
            if try await store.workflow(id: workflowID) == nil { throw EngineError.workflowNotFound(workflowID) }
            throw problem
        }
    }
}
