import Testing
@testable import SluiceCore

@Suite struct StepCatalogTests {
    @Test func builtinsKeepTheirOrderAndTypes() {
        let rows = StepRegistry.builtin.all.map { "\($0.name): \($0.input.description) -> \($0.output.description)" }
        #expect(rows == [
            "StaticTextInput: none -> text",
            "TextOperation.Reverse: text -> text",
            "TextOperation.Uppercase: text -> text",
            "TextOperation.Lowercase: text -> text",
            "TextOperation.Trim: text -> text",
            "TextOperation.Length: text -> number",
            "Echo: any -> same as input",
            "TextOperation.Replace: text -> text",
            "TextOperation.Split: text -> list<text>",
            "TextOperation.Join: list<text> -> text",
            "TextOperation.Template: any -> text",
            "NumberOperation.Add: number -> number",
            "NumberOperation.Multiply: number -> number",
            "NumberOperation.Compare: number -> boolean",
            "JSON.Build: any -> json",
            "JSON.Get: json -> as parameter (default json)",
            "JSON.Parse: text -> json",
            "JSON.Format: json -> text",
            "Fail: any -> same as input",
            "Delay: any -> same as input",
            "Suspend: any -> same as input",
            "Workflow.Run: any -> same as input",
            "Worker.Task: any -> output_type parameter (default json)",
            "Human.Task: any -> json",
            "Annotation.Item: any -> json",
        ])
    }

    @Test func whichStepsRequireParameters() {
        let required = StepRegistry.builtin.all.filter(\.parametersRequired).map(\.name)
        #expect(required == ["StaticTextInput", "TextOperation.Replace", "TextOperation.Template", "NumberOperation.Add", "NumberOperation.Multiply", "NumberOperation.Compare", "JSON.Get", "Fail", "Delay", "Workflow.Run", "Worker.Task", "Human.Task", "Annotation.Item"])
        let none = StepRegistry.builtin.all.filter { $0.parameters == nil }.map(\.name)
        #expect(none == ["TextOperation.Reverse", "TextOperation.Uppercase", "TextOperation.Lowercase", "TextOperation.Trim", "TextOperation.Length", "Echo", "JSON.Parse"])
    }

    @Test func catalogEntryOfJSONGet() throws {
        let entry = try #require(StepRegistry.builtin["JSON.Get"]).catalogEntry
        #expect(entry["input_type"] == "json")
        #expect(entry["output_type"] == "as parameter (default json)")
        #expect(entry["parameters_required"] == true)
        #expect(entry["parameters"]?["required"] == ["pointer"])
        #expect(entry["parameters"]?["properties"]?["as"]?["default"] == "json")
        #expect(entry["parameters"]?["additionalProperties"] == false)
    }

    @Test func catalogEntriesOfListSteps() throws {
        let split = try #require(StepRegistry.builtin["TextOperation.Split"]).catalogEntry
        #expect(split["output_type"] == "list<text>")
        #expect(split["parameters_required"] == false)
        #expect(split["parameters"]?["properties"]?["separator"]?["type"] == "string")
        let join = try #require(StepRegistry.builtin["TextOperation.Join"]).catalogEntry
        #expect(join["input_type"] == "list<text>")
        let compare = try #require(StepRegistry.builtin["NumberOperation.Compare"]).catalogEntry
        #expect(compare["parameters"]?["properties"]?["operator"]?["enum"] == ["==", "!=", "<", "<=", ">", ">="])
        #expect(compare["parameters"]?["required"] == ["operator", "value"])
    }

    @Test func everyBuiltinHasASummary() {
        for step in StepRegistry.builtin.all { #expect(!step.summary.isEmpty, "\(step.name)") }
    }
}
