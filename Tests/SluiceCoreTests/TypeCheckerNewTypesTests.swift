import Testing
@testable import SluiceCore

/// The type checker with boolean, json and list types, and parameter-dependent outputs.
@Suite struct TypeCheckerNewTypesTests {
    @Test func splitThenJoinIsAccepted() throws {
        let p = try validPlan(#"{"name": "x", "steps": [{"type": "StaticTextInput", "input": "a b"}, {"type": "TextOperation.Split"}, {"type": "TextOperation.Join", "input": {"separator": "-"}}]}"#)
        #expect(p.edges.map(\.type) == ["text", "list<text>"])
        #expect(p.nodes[2].inputShape.description == "list<text>")
    }

    @Test func splitThenReverseIsRejectedNamingBothTypes() throws {
        let found = try rejection(#"{"name": "x", "steps": [{"type": "StaticTextInput", "input": "a b"}, {"type": "TextOperation.Split"}, {"type": "TextOperation.Reverse"}]}"#)
        #expect(found.count == 1)
        #expect(found.first?.path == "steps[2].type")
        #expect(found.first?.code == "type_mismatch")
        #expect(found.first?.message == "TextOperation.Reverse expects text input, but the step before it (steps[1], TextOperation.Split) produces list<text>; list<text> is not text")
    }

    @Test func listsOfDifferentItemTypesDoNotMatch() throws {
        let found = try rejection(#"{"name": "x", "steps": [{"type": "JSON.Get", "input": {"pointer": "/n", "as": "list<number>"}}, {"type": "TextOperation.Join"}]}"#)
        #expect(found.map(\.path) == ["steps[1].type"])
        #expect(found.first?.message.contains("expects list<text> input, but the step before it (steps[0], JSON.Get) produces list<number>") == true)
        let merged = try rejection(#"{"name": "d", "tasks": [{"id": "g", "type": "JSON.Get", "input": {"pointer": "/l", "as": "list<number>"}}, {"id": "n", "type": "NumberOperation.Add", "input": {"value": 1}}, {"id": "j", "type": "TextOperation.Join", "depends_on": ["g", "n"]}]}"#)
        #expect(merged.map(\.path) == ["tasks[2].type"])
        #expect(merged.first?.message.hasSuffix("produce {list<number>, number}; its list member is list<number>, not list<text>") == true)
    }

    @Test func aMemberOfTheWrongListTypeShadowsALaterOne() throws {
        // "a" is listed first, so its list<number> wins the list member at run time.
        let found = try rejection(#"{"name": "d", "tasks": [{"id": "s", "type": "StaticTextInput", "input": "x y"}, {"id": "a", "type": "JSON.Get", "input": {"pointer": "", "as": "list<number>"}}, {"id": "b", "type": "TextOperation.Split", "depends_on": ["s"]}, {"id": "j", "type": "TextOperation.Join", "depends_on": ["a", "b"]}]}"#)
        #expect(found.map(\.path) == ["tasks[3].type"])
        #expect(found.first?.message == #"TextOperation.Join expects list<text> input, but its dependencies "a" (JSON.Get), "b" (TextOperation.Split) produce list<number>; list<number> is not list<text> ("b" produces list<text>, but "a", listed before it in depends_on, also produces a list member, and the first listed wins)"#)
        // Listed the other way round, the list<text> wins.
        let p = try validPlan(#"{"name": "d", "tasks": [{"id": "s", "type": "StaticTextInput", "input": "x y"}, {"id": "a", "type": "JSON.Get", "input": {"pointer": "", "as": "list<number>"}}, {"id": "b", "type": "TextOperation.Split", "depends_on": ["s"]}, {"id": "j", "type": "TextOperation.Join", "depends_on": ["b", "a"]}]}"#)
        #expect(p.nodes[3].inputShape == Shape(fields: [.list(.text)]))
    }

    @Test func booleansFlowFromCompare() throws {
        let p = try validPlan(#"{"name": "x", "steps": [{"type": "StaticTextInput", "input": "abcd"}, {"type": "TextOperation.Length"}, {"type": "NumberOperation.Compare", "input": {"operator": ">", "value": 3}}, {"type": "Echo"}]}"#)
        #expect(p.edges.map(\.type) == ["text", "number", "boolean"])
        #expect(p.nodes[3].outputShape == Shape(fields: [.boolean]))
        let found = try rejection(#"{"name": "x", "steps": [{"type": "TextOperation.Length"}, {"type": "NumberOperation.Compare", "input": {"operator": ">", "value": 3}}, {"type": "NumberOperation.Add", "input": {"value": 1}}]}"#)
        #expect(found.map(\.path) == ["steps[2].type"])
        #expect(found.first?.message.contains("produces boolean; boolean is not number") == true)
    }

    @Test func getAsNumberFeedsANumberStep() throws {
        let p = try validPlan(#"{"name": "x", "steps": [{"type": "JSON.Get", "input": {"pointer": "/n", "as": "number"}}, {"type": "NumberOperation.Add", "input": {"value": 1}}]}"#)
        #expect(p.nodes[0].outputShape == Shape(fields: [.number]))
        #expect(p.edges.map(\.type) == ["number"])
    }

    @Test func getWithoutAsProducesJSON() throws {
        let p = try validPlan(#"{"name": "x", "steps": [{"type": "JSON.Get", "input": {"pointer": "/n"}}, {"type": "JSON.Format"}]}"#)
        #expect(p.nodes[0].outputShape == Shape(fields: [.json]))
        let found = try rejection(#"{"name": "x", "steps": [{"type": "JSON.Get", "input": {"pointer": "/n"}}, {"type": "NumberOperation.Add", "input": {"value": 1}}]}"#)
        #expect(found.first?.message.contains("produces json; json is not number") == true)
    }

    @Test func badTypeNameIsAnIssueAtAs() throws {
        let found = try rejection(#"{"name": "x", "steps": [{"type": "JSON.Get", "input": {"pointer": "/n", "as": "integer"}}, {"type": "NumberOperation.Add", "input": {"value": 1}}]}"#)
        #expect(found.count == 1)
        #expect(found.first?.path == "steps[0].input.as")
        #expect(found.first?.code == "unknown_type")
        #expect(found.first?.message == #"unknown type "integer"; expected one of text, number, boolean, json, list<T> (T one of these, e.g. list<text>)"#)
        let notString = try rejection(#"{"name": "x", "steps": [{"type": "JSON.Get", "input": {"pointer": "/n", "as": 3}}]}"#)
        #expect(notString.map(\.path) == ["steps[0].input.as"])
    }

    @Test func badPointerIsAnIssueAtPointer() throws {
        let found = try rejection(#"{"name": "x", "steps": [{"type": "JSON.Get", "input": {"pointer": "items/0"}}]}"#)
        #expect(found.map(\.path) == ["steps[0].input.pointer"])
        #expect(found.first?.code == "invalid_pointer")
        #expect(found.first?.message.contains(#"starts with "/""#) == true)
        let tilde = try rejection(#"{"name": "x", "steps": [{"type": "JSON.Get", "input": {"pointer": "/a~b"}}]}"#)
        #expect(tilde.map(\.code) == ["invalid_pointer"])
    }

    @Test func unterminatedTemplateIsAnIssueAtTemplate() throws {
        let found = try rejection(#"{"name": "x", "steps": [{"type": "TextOperation.Template", "input": {"template": "Hi {{text"}}]}"#)
        #expect(found.map(\.path) == ["steps[0].input.template"])
        #expect(found.first?.code == "invalid_template")
        #expect(found.first?.message.contains("at character 4") == true)
    }

    @Test func parametersAreValidatedAgainstTheirSchemas() throws {
        let found = try rejection(#"{"name": "x", "steps": [{"type": "TextOperation.Length"}, {"type": "NumberOperation.Compare", "input": {"operator": "=", "value": "3"}}]}"#)
        #expect(Set(found.map(\.path)) == ["steps[1].input.operator", "steps[1].input.value"])
        let extra = try rejection(#"{"name": "x", "steps": [{"type": "TextOperation.Replace", "input": {"find": "", "replace": "b", "al": false}}]}"#)
        #expect(Set(extra.map(\.code)) == ["too_short", "unknown_property"])
        let missing = try rejection(#"{"name": "x", "steps": [{"type": "TextOperation.Replace"}]}"#)
        #expect(missing.map(\.code) == ["missing_parameters"])
        #expect(missing.first?.message == #"TextOperation.Replace requires "input": expected an object with "find" (a string), "replace" (a string)"#)
        let fail = try rejection(#"{"name": "x", "steps": [{"type": "Fail"}]}"#)
        #expect(fail.map(\.path) == ["steps[0].input"])
    }

    @Test func optionalParametersMayBeLeftOut() throws {
        _ = try validPlan(#"{"name": "x", "steps": [{"type": "TextOperation.Split"}, {"type": "TextOperation.Join"}, {"type": "JSON.Build"}, {"type": "JSON.Format"}]}"#)
    }

    @Test func failAndTemplatePassShapes() throws {
        let p = try validPlan(#"{"name": "x", "steps": [{"type": "StaticTextInput", "input": "a"}, {"type": "Fail", "input": {"message": "boom"}}, {"type": "TextOperation.Template", "input": {"template": "{{text}}!"}}, {"type": "JSON.Build"}, {"type": "JSON.Get", "input": {"pointer": "/text", "as": "text"}}]}"#)
        #expect(p.edges.map(\.type) == ["text", "text", "text", "json", ])
        #expect(p.nodes[4].outputShape == Shape(fields: [.text]))
    }

    @Test func listFirstChainRequiresAListInput() throws {
        let p = try validPlan(#"{"name": "x", "steps": [{"type": "TextOperation.Join"}]}"#)
        #expect(p.inputSchema.required == ["list"])
        #expect(p.inputSchema.property("list")?.json == ["type": "array", "items": ["type": "string"]])
        #expect(p.inputSchema.validate(["list": ["a", "b"]], path: "input").isEmpty)
        #expect(p.inputSchema.validate(["list": ["a", 1]], path: "input").map(\.path) == ["input.list[1]"])
    }

    @Test func jsonFirstChainRequiresAJSONMemberOfAnyValue() throws {
        let p = try validPlan(#"{"name": "x", "steps": [{"type": "JSON.Format"}]}"#)
        #expect(p.inputSchema.required == ["json"])
        #expect(p.inputSchema.property("json")?.json == [:])
        #expect(p.inputSchema.validate(["json": nil], path: "input").isEmpty)
    }

    @Test func userSchemaForAListMergesItemTypes() throws {
        let p = try validPlan(#"{"name": "x", "steps": [{"type": "TextOperation.Join"}], "input_schema": {"properties": {"list": {"type": "array", "maxLength": 3}}}}"#)
        #expect(p.inputSchema.property("list")?.items?.schema.type == .string)
        let found = try rejection(#"{"name": "x", "steps": [{"type": "TextOperation.Join"}], "input_schema": {"properties": {"list": {"items": {"type": "number"}}}}}"#)
        #expect(found.map(\.path) == ["input_schema.properties.list.items.type"])
        #expect(found.first?.code == "schema_conflict")
        #expect(found.first?.message == #"steps[0] takes list<text> from input.list, so expected "string", found "number""#)
    }

    @Test func entryTasksNeedingDifferentListTypesConflict() throws {
        var registry = StepRegistry.builtin
        registry.register(StepType(name: "Test.Sum", summary: "sums", input: .value(.list(.number)), output: .value(.number), implementation: .pure { _, _ in ["number": 0] }))
        let checker = TypeChecker(registry: registry)
        let result = checker.check(json: try JSONParser.parse(#"{"name": "d", "tasks": [{"id": "a", "type": "TextOperation.Join"}, {"id": "b", "type": "Test.Sum"}]}"#))
        guard case .failure(let f) = result else {
            Issue.record("expected a conflict")
            return
        }
        #expect(f.issues.map(\.path) == ["tasks[1].type"])
        #expect(f.issues.first?.message == #"Test.Sum takes list<number> from the execution input's "list" member, but tasks[0] takes list<text> from it; the member cannot be both"#)
    }

    @Test func stepInputCarriesOnlyItsMember() throws {
        let p = try validPlan(#"{"name": "x", "steps": [{"type": "TextOperation.Join"}]}"#)
        let m = ExecutionStateMachine(plan: p, executionID: "e", input: ["list": ["a"], "other": 1])
        #expect(m.input(for: 0) == ["list": ["a"]])
    }
}
