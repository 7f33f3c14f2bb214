import Testing
@testable import SluiceCore

/// `when` and `input_from` in definitions: parsed and type-checked at creation, applied by the
/// state machine.
@Suite struct ConditionWiringTests {
    func check(_ json: String) throws -> Result<WorkflowPlan, ValidationFailure> {
        TypeChecker().check(json: try JSONParser.parse(json))
    }

    func issues(_ json: String) throws -> [ValidationIssue] {
        guard case .failure(let f) = try check(json) else { Issue.record("expected the definition to be refused"); return [] }
        return f.issues
    }

    /// length → (long: Uppercase when number > 3) and (short: Lowercase when number <= 3), each from source's text.
    static let branching = #"""
    {"name": "b", "tasks": [
      {"id": "source", "type": "TextOperation.Trim"},
      {"id": "length", "type": "TextOperation.Length", "depends_on": ["source"]},
      {"id": "long", "type": "TextOperation.Uppercase", "depends_on": ["length"], "when": "tasks.length.number > 3", "input_from": {"text": "tasks.source.text"}},
      {"id": "short", "type": "TextOperation.Lowercase", "depends_on": ["length"], "when": "tasks.length.number <= 3", "input_from": {"text": "tasks.source.text"}},
      {"id": "out", "type": "Echo", "depends_on": ["long", "short"]}
    ]}
    """#

    func run(_ plan: WorkflowPlan, input: JSONValue) throws -> (ExecutionStateMachine, [ExecutionTransition]) {
        var m = ExecutionStateMachine(plan: plan, executionID: "ex", input: input)
        var transitions: [ExecutionTransition] = []
        let start = m.start(now: 0)
        if let t = start.transition { transitions.append(t) }
        var queue = start.dispatch
        while !queue.isEmpty {
            let d = queue.removeFirst()
            guard case .pure(let f) = plan.nodes[d.index].step.implementation else { fatalError() }
            let output = try f(d.input, plan.nodes[d.index].parameters)
            let o = try some(m.taskSucceeded(d.index, attempt: d.attempt, input: d.input, output: output, startedAt: 1, completedAt: 2))
            if let t = o.transition { transitions.append(t) }
            queue += o.dispatch
        }
        return (m, transitions)
    }

    @Test func aFalseConditionSkipsItsBranchAndTheJoinTakesTheOther() throws {
        let plan = try check(Self.branching).get()
        let (long, longTransitions) = try run(plan, input: ["text": " Hello "])
        #expect(long.status == .completed)
        #expect(long.output == ["text": "HELLO"], "input_from took the trimmed text, not the length")
        let skipped = longTransitions.flatMap(\.tasks).filter { $0.status == .skipped }
        #expect(skipped.map(\.index) == [3])
        #expect(skipped.first?.error?["code"] == "condition_false")
        #expect(skipped.first?.error?["message"]?.stringValue?.contains("tasks.length.number <= 3") == true)

        let (short, _) = try run(plan, input: ["text": "Hi"])
        #expect(short.output == ["text": "hi"])
    }

    @Test func aTaskWhoseDependenciesWereAllSkippedIsSkippedToo() throws {
        let plan = try check(#"{"name": "s", "steps": [{"type": "TextOperation.Trim", "when": "input.go == true"}, {"type": "TextOperation.Uppercase"}, {"type": "Echo"}]}"#).get()
        var m = ExecutionStateMachine(plan: plan, executionID: "ex", input: ["text": "x", "go": false])
        let start = m.start(now: 5)
        #expect(start.dispatch.isEmpty)
        #expect(start.finished)
        #expect(start.transition?.tasks.map(\.status) == [.skipped, .skipped, .skipped])
        #expect(start.transition?.tasks.map { $0.error?["code"] } == ["condition_false", "dependencies_skipped", "dependencies_skipped"])
        #expect(start.transition?.execution?.status == .completed)
        #expect(start.transition?.execution?.output == .null)
    }

    @Test func conditionsAreCheckedAtCreation() throws {
        let bad = try issues(#"""
        {"name": "c", "tasks": [
          {"id": "a", "type": "TextOperation.Length"},
          {"id": "b", "type": "Echo", "when": "tasks.a.number > 'x'"},
          {"id": "c", "type": "Echo", "depends_on": ["a"], "when": "tasks.a.text == 'x'"},
          {"id": "d", "type": "Echo", "depends_on": ["a"], "when": "tasks.a.number >"},
          {"id": "e", "type": "Echo", "depends_on": ["a"], "when": "tasks.a.number"},
          {"id": "f", "type": "Echo", "depends_on": ["a"], "when": 3}
        ]}
        """#)
        let byPath = Dictionary(grouping: bad, by: \.path)
        #expect(byPath["tasks[1].when"]?.first?.message.contains("not upstream") == true, "b does not depend on a")
        #expect(byPath["tasks[2].when"]?.first?.message.contains("no member \"text\"") == true)
        #expect(byPath["tasks[3].when"]?.first?.code == "invalid_expression")
        #expect(byPath["tasks[4].when"]?.first?.code == "invalid_condition", "a number is not a condition")
        #expect(byPath["tasks[5].when"]?.first?.code == "type_mismatch")
    }

    @Test func inputFromIsCheckedAgainstTheStepAndTheReferencedTypes() throws {
        let bad = try issues(#"""
        {"name": "c", "tasks": [
          {"id": "a", "type": "TextOperation.Length"},
          {"id": "b", "type": "TextOperation.Reverse", "depends_on": ["a"], "input_from": {"text": "tasks.a.number"}},
          {"id": "c", "type": "TextOperation.Reverse", "depends_on": ["a"], "input_from": {"number": "tasks.a.number"}},
          {"id": "d", "type": "TextOperation.Reverse", "input_from": {"text": "tasks.a.number"}},
          {"id": "e", "type": "TextOperation.Reverse", "depends_on": ["a"], "input_from": {"txt": "input.text"}},
          {"id": "f", "type": "TextOperation.Reverse", "depends_on": ["a"], "input_from": {"text": "tasks..x"}},
          {"id": "g", "type": "StaticTextInput", "input": "x", "input_from": {"text": "input.text"}}
        ]}
        """#)
        let byPath = Dictionary(grouping: bad, by: \.path)
        #expect(byPath["tasks[1].input_from.text"]?.first?.code == "type_mismatch", "a number is not text")
        #expect(byPath["tasks[2].input_from"]?.first?.message.contains("expects text input") == true)
        #expect(byPath["tasks[3].input_from.text"]?.first?.message.contains("not upstream") == true)
        #expect(byPath["tasks[4].input_from.txt"]?.first?.code == "unknown_field")
        #expect(byPath["tasks[5].input_from.text"]?.first?.code == "invalid_reference")
        #expect(byPath["tasks[6].input_from"]?.first?.code == "unexpected_input_from")
    }

    @Test func inputFromCanReachIntoTheExecutionInputAndJSON() throws {
        let plan = try check(#"""
        {"name": "j", "input_schema": {"type": "object", "properties": {"user": {"type": "object", "properties": {"name": {"type": "string"}}}}},
         "tasks": [
          {"id": "name", "type": "TextOperation.Uppercase", "input_from": {"text": "input.user.name"}},
          {"id": "wrapped", "type": "JSON.Build", "depends_on": ["name"]},
          {"id": "again", "type": "TextOperation.Reverse", "depends_on": ["wrapped"], "input_from": {"text": "tasks.wrapped.json.text"}}
        ]}
        """#).get()
        let (m, _) = try run(plan, input: ["user": ["name": "grace"]])
        #expect(m.output == ["text": "ECARG"])
    }
}
