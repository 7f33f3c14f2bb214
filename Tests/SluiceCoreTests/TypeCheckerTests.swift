import Testing
@testable import SluiceCore

@Suite struct TypeCheckerTests {
    let checker = TypeChecker()

    func plan(_ json: String) throws -> WorkflowPlan {
        switch checker.check(json: try JSONParser.parse(json)) {
        case .success(let p): return p
        case .failure(let f): Issue.record("unexpected failure: \(f)"); throw f
        }
    }

    func issues(_ json: String) throws -> [ValidationIssue] {
        switch checker.check(json: try JSONParser.parse(json)) {
        case .success: Issue.record("expected the definition to be rejected"); return []
        case .failure(let f): return f.issues
        }
    }

    @Test func seedWorkflowNeedsNoInput() throws {
        let p = try plan(#"{"name": "Dummy Workflow", "steps": [{"type": "StaticTextInput", "input": "Hello, world!"}, {"type": "TextOperation.Reverse"}, {"type": "Echo"}]}"#)
        #expect(p.inputSchema.required.isEmpty)
        #expect(p.edges.map(\.type) == ["text", "text"])
        #expect(p.nodes.map(\.id) == ["step-1", "step-2", "step-3"])
        #expect(p.outputNodes == [2])
    }

    @Test func chainStartingWithATextStepRequiresText() throws {
        let p = try plan(#"{"name": "r", "steps": [{"type": "TextOperation.Reverse"}]}"#)
        #expect(p.inputSchema.required == ["text"])
        #expect(p.inputSchema.property("text")?.type == .string)
    }

    @Test func echoAtTheEntryPassesTheInputRequirementThrough() throws {
        let p = try plan(#"{"name": "e", "steps": [{"type": "Echo"}, {"type": "TextOperation.Length"}]}"#)
        #expect(p.inputSchema.required == ["text"])
    }

    @Test func userSchemaIsMergedWithTheDerivedOne() throws {
        let p = try plan(#"{"name": "r", "steps": [{"type": "TextOperation.Reverse"}], "input_schema": {"type": "object", "properties": {"text": {"maxLength": 3}, "lang": {"type": "string"}}, "required": ["lang"]}}"#)
        #expect(Set(p.inputSchema.required) == ["text", "lang"])
        #expect(p.inputSchema.property("text")?.type == .string)
        #expect(p.inputSchema.property("text")?.maxLength == 3)
    }

    @Test func numberIsNotText() throws {
        let found = try issues(#"{"name": "x", "steps": [{"type": "StaticTextInput", "input": "a"}, {"type": "TextOperation.Length"}, {"type": "TextOperation.Reverse"}]}"#)
        #expect(found.count == 1)
        #expect(found[0].path == "steps[2].type")
        #expect(found[0].code == "type_mismatch")
        #expect(found[0].message.contains("produces number"))
    }

    @Test func reportsEveryProblemAtOnce() throws {
        let found = try issues(#"{"steps": [{"type": "Nope"}, {"type": "StaticTextInput"}, {"type": "TextOperation.Reverse", "input": "x"}, {"typ": "Echo"}]}"#)
        let paths = Set(found.map(\.path))
        #expect(paths.isSuperset(of: ["name", "steps[0].type", "steps[1].input", "steps[1]", "steps[2].input", "steps[3].typ", "steps[3].type"]))
    }

    @Test func suggestsTheClosestStepType() throws {
        let found = try issues(#"{"name": "x", "steps": [{"type": "TextOperation.Revers"}]}"#)
        #expect(found[0].message.contains("did you mean \"TextOperation.Reverse\""))
        let short = try issues(#"{"name": "x", "steps": [{"type": "Reverse"}]}"#)
        #expect(short[0].message.contains("did you mean \"TextOperation.Reverse\""))
    }

    @Test func sourceParametersAcceptTheWireForm() throws {
        let p = try plan(#"{"name": "x", "steps": [{"type": "StaticTextInput", "input": {"text": "hi"}}]}"#)
        #expect(p.nodes[0].parameters == .string("hi"))
        let wrong = try issues(#"{"name": "x", "steps": [{"type": "StaticTextInput", "input": 5}]}"#)
        #expect(wrong.map(\.path) == ["steps[0].input"])
    }

    @Test func dagProblemsHavePaths() throws {
        let dup = try issues(#"{"name": "d", "tasks": [{"id": "a", "type": "Echo"}, {"id": "a", "type": "Echo"}]}"#)
        #expect(dup.map(\.path) == ["tasks[1].id"])
        let unknown = try issues(#"{"name": "d", "tasks": [{"id": "a", "type": "Echo"}, {"id": "b", "type": "Echo", "depends_on": ["zz"]}]}"#)
        #expect(unknown.map(\.path) == ["tasks[1].depends_on[0]"])
        #expect(unknown[0].code == "unknown_dependency")
        // A misspelt dependency is matched to a task it could depend on, never to one downstream
        // of it (that would make a cycle).
        let typo = try issues(#"{"name": "d", "tasks": [{"id": "clean", "type": "Echo"}, {"id": "upper", "type": "Echo", "depends_on": ["clen"]}, {"id": "cleaner", "type": "Echo", "depends_on": ["upper"]}]}"#)
        #expect(typo.count == 1 && typo[0].message.contains("did you mean \"clean\"?"), "\(typo)")
        #expect(!typo[0].message.contains("cleaner"), "cleaner depends on upper: not a candidate")
        let cycle = try issues(#"{"name": "d", "tasks": [{"id": "a", "type": "Echo", "depends_on": ["c"]}, {"id": "b", "type": "Echo", "depends_on": ["a"]}, {"id": "c", "type": "Echo", "depends_on": ["b"]}]}"#)
        #expect(cycle.count == 1)
        #expect(cycle[0].code == "cycle")
        #expect(cycle[0].message.contains("→"))
        let selfDep = try issues(#"{"name": "d", "tasks": [{"id": "a", "type": "Echo", "depends_on": ["a"]}]}"#)
        #expect(selfDep.map(\.code) == ["cycle"])
        let source = try issues(#"{"name": "d", "tasks": [{"id": "a", "type": "Echo"}, {"id": "b", "type": "StaticTextInput", "input": "x", "depends_on": ["a"]}]}"#)
        #expect(source.map(\.code) == ["source_not_at_entry"])
    }

    @Test func dagMergesDependencyOutputs() throws {
        let p = try plan(#"{"name": "d", "tasks": [{"id": "a", "type": "StaticTextInput", "input": "abc"}, {"id": "b", "type": "TextOperation.Length", "depends_on": ["a"]}, {"id": "c", "type": "TextOperation.Uppercase", "depends_on": ["a"]}, {"id": "d", "type": "Echo", "depends_on": ["b", "c"]}]}"#)
        #expect(p.nodes[3].outputShape.description == "{number, text}")
        let bad = try issues(#"{"name": "d", "tasks": [{"id": "a", "type": "StaticTextInput", "input": "abc"}, {"id": "b", "type": "TextOperation.Length", "depends_on": ["a"]}, {"id": "c", "type": "TextOperation.Trim", "depends_on": ["b"]}]}"#)
        #expect(bad.map(\.path) == ["tasks[2].type"])
    }

    @Test func conflictingUserSchemaIsRejected() throws {
        let found = try issues(#"{"name": "r", "steps": [{"type": "TextOperation.Reverse"}], "input_schema": {"properties": {"text": {"type": "number"}}}}"#)
        #expect(found.map(\.code) == ["schema_conflict"])
        #expect(found[0].path == "input_schema.properties.text.type")
    }

    @Test func bodyShapeErrors() throws {
        #expect(try issues("[]").map(\.code) == ["invalid_body"])
        #expect(try issues(#"{"name": "x"}"#).map(\.path) == ["steps"])
        #expect(try issues(#"{"name": "x", "steps": [], "tasks": []}"#).map(\.code).contains("conflicting_fields"))
        #expect(try issues(#"{"name": 5, "steps": "a"}"#).map(\.path) == ["name", "steps"])
        #expect(try issues(#"{"name": "x", "steps": []}"#).map(\.code) == ["empty"])
    }
}
