import Foundation
import Logging
import SluiceCore
@testable import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

/// `Annotation.Item` in the engine: an item waits for one answer after another, and a restart
/// loses none of them and asks none again.
@Suite(.testStores, .timeLimit(.minutes(1))) struct AnnotationItemEngineTests {
    static let definition: JSONValue = [
        "name": "items", "steps": [[
            "id": "item", "type": "Annotation.Item",
            "input": [
                "pipeline": ["pools": [["type": 0], ["name": "Label", "type": 1, "workers": ["ann", "bob"]], ["name": "Review", "type": 2], ["type": 5]]],
                "form": ["type": "object", "properties": ["label": ["type": "string", "enum": ["cat", "dog"]]], "required": ["label"]],
            ],
        ]],
    ]

    /// The open queued task of `execution`, once there is one at `phase`.
    func open(_ store: any Store, _ execution: String, phase: Int) async throws -> QueuedTaskRecord {
        for _ in 0..<5000 {
            if let task = try await store.unansweredQueuedTasks(executionID: execution).first(where: { $0.phase == phase }) { return task }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw CancellationError()
    }

    @Test func aRestartKeepsEveryAnswerAndTheItemWaitsWhereItWas() async throws {
        let store = try await durableStore()
        let (execution, label) = try await withEngine(store: store) { engine in
            let wf = try await engine.createWorkflow(Self.definition).record.id
            let id = try await engine.startExecution(workflowID: wf, request: ExecutionRequest(input: ["item_id": 7, "item_number": 0, "data": "a photo"])).executionID
            let label = try await open(store, id, phase: 0)
            #expect(label.human?.assignees == ["ann", "bob"])
            #expect(label.input["item"]?["data"] == "a photo")
            _ = try await engine.act(onHumanTask: label.id, .complete(account: "ann", output: ["json": ["label": "cat"]], token: Engine.claimToken()))
            let review = try await open(store, id, phase: 1)
            #expect(review.input["annotation"] == ["label": "cat"])
            return (id, label.id)
        }
        // A new engine on the same store: the labeling stands, the review waits as it did.
        try await withEngine(store: store) { engine in
            try await engine.recover()
            let review = try await open(store, execution, phase: 1)
            let all = try await store.queuedTasks(executionID: execution)
            #expect(all.map(\.phase) == [0, 1], "nothing queued twice")
            #expect(all[0].id == label && all[0].claim?.worker == "ann")
            _ = try await engine.act(onHumanTask: review.id, .complete(account: "rev", output: ["json": ["approved": false, "comment": "a dog"]], token: Engine.claimToken()))
            let relabel = try await open(store, execution, phase: 2)
            #expect(relabel.claim?.worker == "ann", "back to its labeler")
            #expect(relabel.input["comment"] == "a dog")
            _ = try await engine.act(onHumanTask: relabel.id, .complete(account: "ann", output: ["json": ["label": "dog"]], token: Engine.claimToken()))
            let second = try await open(store, execution, phase: 3)
            _ = try await engine.act(onHumanTask: second.id, .complete(account: "rev", output: ["json": ["approved": true]], token: Engine.claimToken()))
            let done = try await finished(engine, execution)
            #expect(done.execution.status == .completed)
            #expect(done.execution.output?["json"]?["status"] == "completed")
            #expect(done.execution.output?["json"]?["annotation"] == ["label": "dog"])
            #expect(done.execution.output?["json"]?["rounds"] == 1)
        }
    }

    @Test func aStepAlgorithmsOutputIsStoredWithTheItem() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow([
                "name": "algo", "steps": [[
                    "type": "Annotation.Item",
                    "input": [
                        "pipeline": ["pools": [["type": 0], ["type": 4, "algorithmList": ["upper"]], ["type": 5]]],
                        "algorithms": ["upper": ["step": ["type": "TextOperation.Uppercase"]]],
                    ],
                ]],
            ]).record.id
            let id = try await engine.startExecution(workflowID: wf, request: ExecutionRequest(input: ["item_id": 1, "item_number": 0, "data": "hello"])).executionID
            let done = try await finished(engine, id)
            #expect(done.execution.output?["json"]?["outputs"] == ["upper": ["text": "HELLO"]], "\(String(describing: done.execution.output))")
            let stored = try await engine.store.queuedTasks(executionID: id)
            #expect(stored.count == 1 && stored[0].queue == "@algorithm")
        }
    }

    @Test func aPipelineNamingAnAlgorithmItDoesNotCarryIsRefused() async throws {
        try await withEngine { engine in
            await #expect(throws: EngineError.self) {
                _ = try await engine.createWorkflow([
                    "name": "bad", "steps": [["type": "Annotation.Item", "input": ["pipeline": ["pools": [["type": 0], ["type": 4, "algorithmList": ["ghost"]], ["type": 5]]]]]],
                ])
            }
        }
    }
}
