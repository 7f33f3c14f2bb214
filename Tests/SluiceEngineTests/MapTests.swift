import Foundation
import SluiceCore
@testable import SluiceEngine
import SluiceStore
import SluiceTestSupport
import Testing

/// `map`: a step (or a sub-chain) per item, with a concurrency limit, results in order.
@Suite(.serialized, .testStores) struct MapTests {
    /// On MemoryStore whatever `SLUICE_TEST_STORE` says: a thousand items are a few thousand
    /// commits, which `finished` gives 10 s; on PostgreSQL they took 5 to 9 s on a loaded CI
    /// machine, and over 10 s once. The test is about the map's concurrency and order, which
    /// the other map tests hold on the test store too.
    @Test func aMapOverAThousandItemsRunsWithinItsConcurrencyAndKeepsTheOrder() async throws {
        try await withEngine(store: MemoryStore()) { engine in
            let wf = try await engine.createWorkflow(["name": "m", "tasks": [
                ["id": "split", "type": "TextOperation.Split", "input": ["separator": ","]],
                ["id": "shout", "type": "Test.SlowUpper", "depends_on": ["split"], "map": ["over": "tasks.split.list", "concurrency": 8]],
                ["id": "join", "type": "TextOperation.Join", "depends_on": ["shout"], "input": ["separator": ","]],
            ]])
            let words = (0..<1000).map { "w\($0)" }
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": .string(words.joined(separator: ","))]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .completed, "\(String(describing: detail.execution.error))")
            #expect(detail.tasks[1].output?["list"]?.arrayValue?.count == 1000)
            #expect(detail.execution.output == ["text": .string(words.map { $0.uppercased() }.joined(separator: ","))], "results keep the items' order")
            let peak = TestProbe.peakConcurrency(of: started.executionID)
            #expect(peak <= 8, "never more than the concurrency limit at once")
            #expect(peak > 1, "items ran concurrently")
        }
    }

    @Test func aFailingItemFailsTheMappedTaskNamingTheItem() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "m", "steps": [
                ["type": "TextOperation.Split"],
                ["type": "Test.SlowUpper", "map": ["over": "tasks.step-1.list"]],
            ]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "a b boom c"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .failed)
            #expect(detail.tasks[1].error?["message"] == "item 2: Test.SlowUpper failed: cannot shout boom")
        }
    }

    @Test func aPureSubChainRunsPerItemInline() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "m", "steps": [
                ["type": "TextOperation.Split"],
                ["type": "TextOperation.Reverse", "map": ["over": "tasks.step-1.list", "then": [["type": "TextOperation.Uppercase"], ["type": "TextOperation.Length"]]]],
            ]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "ab cde f"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .completed)
            #expect(detail.execution.output == ["list": [2, 3, 1]], "each item went through Reverse, Uppercase, Length")
        }
    }

    /// `render_input` with `map`: the task's input is rendered once per item, `{{item}}` being
    /// the item and other placeholders the values they had when the attempt started.
    @Test func aMappedTasksRenderedInputIsFilledInPerItem() async throws {
        try await withEngine { engine in
            let wf = try await engine.createWorkflow(["name": "m", "tasks": [
                ["id": "tag", "type": "StaticTextInput", "input": "t"],
                ["id": "split", "type": "TextOperation.Split", "input": ["separator": ","]],
                ["id": "wrap", "type": "TextOperation.Replace", "depends_on": ["split", "tag"], "render_input": true,
                 "map": ["over": "tasks.split.list"],
                 "input": ["find": "{{item}}", "replace": "<{{item}}:{{tasks.tag.text}}>"]],
            ]])
            let started = try await engine.startExecution(workflowID: wf.record.id, request: ExecutionRequest(input: ["text": "a,bb,c"]))
            let detail = try await finished(engine, started.executionID)
            #expect(detail.execution.status == .completed, "\(String(describing: detail.execution.error))")
            #expect(detail.tasks[2].output == ["list": ["<a:t>", "<bb:t>", "<c:t>"]], "each item rendered into the parameters of its own run")
        }
    }

    @Test func itemIsRefusedOutsideAMappedTasksInput() async throws {
        try await withEngine { engine in
            do {
                _ = try await engine.createWorkflow(["name": "m", "tasks": [
                    ["id": "split", "type": "TextOperation.Split"],
                    ["id": "wrap", "type": "TextOperation.Replace", "depends_on": ["split"], "render_input": true,
                     "input": ["find": "a", "replace": "{{item}}"]],
                ]])
                Issue.record("a task without map was stored with {{item}}")
            } catch EngineError.invalid(let failure) {
                let issue = failure.issues.first { $0.path == "tasks[1].input.replace" }
                #expect(issue?.code == "invalid_reference", "\(failure.issues)")
                #expect(issue?.message.contains("item is the current item of a task with map") == true, "\(failure.issues)")
            }
        }
    }
}
