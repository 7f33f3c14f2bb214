import Testing
@testable import SluiceCore

/// `map` is type-checked when the workflow is created.
@Suite struct MapCheckingTests {
    func issues(_ json: String) throws -> [ValidationIssue] {
        guard case .failure(let f) = TypeChecker().check(json: try JSONParser.parse(json)) else { Issue.record("expected a refusal"); return [] }
        return f.issues
    }

    @Test func aMappedTaskTakesAListAndProducesAListOfResults() throws {
        let plan = try TypeChecker().check(json: try JSONParser.parse(#"{"name": "m", "steps": [{"type": "TextOperation.Split"}, {"type": "TextOperation.Length", "map": {"over": "tasks.step-1.list"}}]}"#)).get()
        #expect(plan.nodes[1].inputShape.description == "list<text>")
        #expect(plan.nodes[1].outputShape.description == "list<number>")
        #expect(plan.nodes[1].map?.concurrency == 10)
        #expect(try plan.nodes[1].map?.runPure(["list": ["ab", "c"]]) == ["list": [2, 1]])
        #expect(throws: StepFailure.self) { try plan.nodes[1].map?.runPure(["list": "nope"]) }
    }

    @Test func mapProblemsHaveTheirPaths() throws {
        let found = try issues(#"""
        {"name": "m", "tasks": [
          {"id": "len", "type": "TextOperation.Length"},
          {"id": "a", "type": "TextOperation.Reverse", "depends_on": ["len"], "map": {"over": "tasks.len.number"}},
          {"id": "s", "type": "TextOperation.Split"},
          {"id": "b", "type": "TextOperation.Length", "depends_on": ["s"], "map": {"over": "tasks.s.list", "then": [{"type": "TextOperation.Reverse"}]}},
          {"id": "c", "type": "Delay", "input": {"seconds": 1}, "depends_on": ["s"], "map": {"over": "tasks.s.list"}},
          {"id": "d", "type": "Echo", "depends_on": ["s"], "map": {"over": "tasks.s.list", "concurrency": 0, "then": [{"type": "Nope"}]}},
          {"id": "e", "type": "Echo", "map": {"over": "tasks.s.list"}, "input_from": {"text": "input.text"}}
        ]}
        """#)
        let byPath = Dictionary(grouping: found, by: \.path)
        #expect(byPath["tasks[1].map.over"]?.first?.message.contains("is number") == true)
        #expect(byPath["tasks[3].map.then[0].type"]?.first?.code == "type_mismatch")
        #expect(byPath["tasks[4].type"]?.first?.code == "not_mappable")
        #expect(byPath["tasks[5].map.concurrency"]?.first?.code == "invalid_value")
        #expect(byPath["tasks[5].map.then[0].type"]?.first?.code == "unknown_step_type")
        #expect(byPath["tasks[6].input_from"]?.first?.code == "conflicting_fields")
    }
}
