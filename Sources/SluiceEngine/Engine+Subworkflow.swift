import SluiceCore
import SluiceStore

extension Engine {
    /// Runs a `Workflow.Run` task: starts an execution of the other workflow with the task's
    /// input and waits for it. The child is started with an idempotency key made of the parent
    /// execution, task and attempt, so a task that runs again after a restart finds the child it
    /// started instead of starting another. Cancelling the task cancels the child.
    func runSubworkflow(_ context: StepContext) async throws(StepFailure) -> JSONValue {
        guard let workflowID = context.parameters?["workflow_id"]?.stringValue else { throw StepFailure("Workflow.Run needs a workflow_id") }
        let key = "sluice-parent:\(context.executionID):\(context.stepID):\(context.attempt)"
        let started: Started
        do {
            started = try await startExecution(workflowID: workflowID, request: ExecutionRequest(input: context.input), idempotencyKey: key)
        } catch EngineError.invalid(let failure) {
            throw StepFailure("workflow \(workflowID) refused the input: \(failure.issues.map { "\($0.path): \($0.message)" }.joined(separator: "; "))")
        } catch EngineError.workflowNotFound {
            throw StepFailure("workflow \(workflowID) no longer exists")
        } catch {
            throw StepFailure("could not start workflow \(workflowID): \(error)", retryable: true)
        }
        let child = started.executionID
        context.log(started.replayed ? "resumed watching sub-workflow execution \(child)" : "started sub-workflow execution \(child) of \(workflowID)")
        let detail: ExecutionDetail? = await withTaskCancellationHandler {
            while !Task.isCancelled {
                // A child of pure steps is stored already finished: look before waiting.
                if let d = try? await store.execution(id: child), d.execution.status.isTerminal { return d }
                await waitUntilFinished(executionID: child, timeout: .seconds(30))
            }
            return nil
        } onCancel: {
            // A shutdown interrupts the wait but leaves the child running; it is watched again
            // when the server starts. A cancel or a timeout of this task cancels the child.
            if !self.isStopping {
                Task { _ = try? await self.cancelExecution(child) }
            }
        }
        guard let detail else { throw StepFailure("cancelled") }
        switch detail.execution.status {
        case .completed:
            let output = detail.execution.output ?? .null
            // A workflow with several outputs gives an object keyed by task id: typed json.
            if let plan = try? await plan(of: detail.execution), plan.outputNodes.count > 1 { return ["json": output] }
            return output
        case .cancelled:
            throw StepFailure("sub-workflow execution \(child) was cancelled")
        default:
            let message = detail.execution.error?["message"]?.stringValue ?? "failed"
            throw StepFailure("sub-workflow execution \(child) failed: \(message)")
        }
    }
}
