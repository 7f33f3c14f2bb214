import Foundation
import SluiceCore
@testable import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

/// `Workflow.Run`: another stored workflow as one typed task.
@Suite(.testStores) struct SubworkflowTests {
    @Test func aTaskRunsAnotherWorkflowAndUsesItsTypedOutput() async throws {
        try await withEngine { engine in
            let child = try await engine.createWorkflow(["name": "shout", "steps": [["type": "TextOperation.Uppercase"], ["type": "Echo"]]])
            let parent = try await engine.createWorkflow(["name": "p", "steps": [
                ["type": "TextOperation.Trim"],
                ["type": "Workflow.Run", "input": ["workflow_id": .string(child.record.id)]],
                ["type": "TextOperation.Length"],
            ]])
            #expect(parent.plan.nodes[1].outputShape.description == "text", "typed from the child's Echo")
            let started = try await engine.startExecution(workflowID: parent.record.id, request: ExecutionRequest(input: ["text": "  abc "]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .completed)
            #expect(detail.tasks[1].output == ["text": "ABC"])
            #expect(detail.execution.output == ["number": 3])
            let children = try await engine.store.executions(workflowID: child.record.id, status: nil, limit: 10, before: nil).items
            #expect(children.count == 1)
            #expect(children.first?.input == ["text": "abc"])
            let lines = try await engine.store.logs(executionID: started.executionID, index: 1, after: 0, limit: 10)
            #expect(lines.first?.line == "started sub-workflow execution \(children.first!.id) of \(child.record.id)")
        }
    }

    @Test func aFailingChildFailsTheTaskWithItsError() async throws {
        try await withEngine { engine in
            let child = try await engine.createWorkflow(["name": "c", "steps": [["type": "Test.FailOn"]]])
            let parent = try await engine.createWorkflow(["name": "p", "steps": [["type": "Workflow.Run", "input": ["workflow_id": .string(child.record.id)]]]])
            let started = try await engine.startExecution(workflowID: parent.record.id, request: ExecutionRequest(input: ["text": "fail please"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .failed)
            let message = try #require(detail.tasks[0].error?["message"]?.stringValue)
            #expect(message.contains("failed: task \"step-1\" (Test.FailOn) failed: found 'fail' in the text"))
        }
    }

    @Test func cancellingTheParentCancelsTheChild() async throws {
        try await withEngine { engine in
            let child = try await engine.createWorkflow(["name": "c", "steps": [["type": "Delay", "input": ["seconds": 30]]]])
            let parent = try await engine.createWorkflow(["name": "p", "steps": [["type": "Workflow.Run", "input": ["workflow_id": .string(child.record.id)]]]])
            let started = try await engine.startExecution(workflowID: parent.record.id, request: ExecutionRequest(input: [:]))
            #expect(try await eventually { try await engine.store.executions(workflowID: child.record.id, status: .running, limit: 1, before: nil).items.count == 1 })
            _ = try await engine.cancelExecution(started.executionID)
            #expect(try await eventually { try await engine.store.executions(workflowID: child.record.id, status: .cancelled, limit: 1, before: nil).items.count == 1 })
        }
    }

    @Test func anUnknownWorkflowOrAnInputItCannotTakeIsRefusedAtCreation() async throws {
        try await withEngine { engine in
            let child = try await engine.createWorkflow(["name": "c", "steps": [["type": "TextOperation.Reverse"]]])
            await #expect(throws: EngineError.self) {
                _ = try await engine.createWorkflow(["name": "p", "steps": [["type": "Workflow.Run", "input": ["workflow_id": "wf-nothere"]]]])
            }
            do {
                _ = try await engine.createWorkflow(["name": "p", "steps": [["type": "TextOperation.Length"], ["type": "Workflow.Run", "input": ["workflow_id": .string(child.record.id)]]]])
                Issue.record("a number cannot feed a workflow that requires text")
            } catch EngineError.invalid(let failure) {
                #expect(failure.issues.first?.path == "steps[1].type")
                #expect(failure.issues.first?.message.contains("requires input.text") == true)
            }
        }
    }
}
