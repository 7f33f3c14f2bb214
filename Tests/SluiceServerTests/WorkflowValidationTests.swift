import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// `POST /workflows` with definitions that must be rejected: each answer is a 400 problem+json
/// naming the exact place of every problem, and nothing is stored.
@Suite(.testStores) struct WorkflowValidationTests {
    func post(_ body: String?) async throws -> Reply {
        try await makeApp().test(.router) { client in
            let reply = try await client.send(.post, "/workflows", body: body)
            let list = try await client.send(.get, "/workflows")
            #expect(try list.json()["workflows"]?.arrayValue?.isEmpty == true, "a rejected definition was stored")
            return reply
        }
    }

    @Test func rejectedDefinitionGetsTheFullProblemJSONEnvelope() async throws {
        let reply = try await post(#"{"name": "x"}"#)
        #expect(reply.status == .badRequest)
        #expect(reply.headers[.contentType] == "application/problem+json")
        let json = try reply.json()
        #expect(json["type"]?.stringValue == "urn:sluice:problem:validation")
        #expect(json["title"]?.stringValue == "Invalid workflow definition")
        #expect(json["status"]?.numberValue == 400)
        #expect(json["detail"]?.stringValue?.isEmpty == false)
        #expect(json["instance"]?.stringValue == "/workflows")
        let errors = try #require(json["errors"]?.arrayValue)
        try #require(errors.count == 1)
        // Where in the body: the missing member's object, the body's `{` (line 1, column 1).
        #expect(errors[0].objectValue?.keys.sorted() == ["code", "column", "line", "message", "path"])
        #expect(errors[0]["path"]?.stringValue == "steps")
        #expect(errors[0]["code"]?.stringValue == "required")
        #expect(errors[0]["line"] == 1 && errors[0]["column"] == 1)
    }

    @Test func bodyThatIsNotJSONIsInvalidJSONAtTheRoot() async throws {
        let message = try expectValidation(try await post(#"{"name": "x", "steps": ["#), path: "", code: "invalid_json")
        #expect(message.contains("line 1"))
    }

    @Test func bodyThatIsAnArrayIsAnInvalidBody() async throws {
        try expectValidation(try await post(#"[{"name": "x"}]"#), path: "", code: "invalid_body")
    }

    @Test func bodyThatIsAStringIsAnInvalidBody() async throws {
        try expectValidation(try await post(#""Dummy Workflow""#), path: "", code: "invalid_body")
    }

    @Test func emptyBodyIsAnInvalidBody() async throws {
        try expectValidation(try await post(nil), path: "", code: "invalid_body")
    }

    @Test func whitespaceOnlyBodyIsAnInvalidBody() async throws {
        try expectValidation(try await post(" \n\t "), path: "", code: "invalid_body")
    }

    @Test func missingNameIsRequired() async throws {
        try expectValidation(try await post(#"{"steps": [{"type": "StaticTextInput", "input": "a"}]}"#), path: "name", code: "required")
    }

    @Test func nameOfTheWrongTypeIsATypeMismatch() async throws {
        let message = try expectValidation(try await post(#"{"name": 5, "steps": [{"type": "StaticTextInput", "input": "a"}]}"#), path: "name", code: "type_mismatch")
        #expect(message.contains("string"))
    }

    @Test func blankNameIsAnInvalidValue() async throws {
        try expectValidation(try await post(#"{"name": "  ", "steps": [{"type": "StaticTextInput", "input": "a"}]}"#), path: "name", code: "invalid_value")
    }

    @Test func missingStepsAndTasksIsRequiredSteps() async throws {
        try expectValidation(try await post(#"{"name": "x"}"#), path: "steps", code: "required")
    }

    @Test func bothStepsAndTasksConflict() async throws {
        let body = #"{"name": "x", "steps": [{"type": "StaticTextInput", "input": "a"}], "tasks": [{"id": "a", "type": "StaticTextInput", "input": "a"}]}"#
        try expectValidation(try await post(body), path: "tasks", code: "conflicting_fields")
    }

    @Test func stepsThatAreNotAnArrayAreATypeMismatch() async throws {
        try expectValidation(try await post(#"{"name": "x", "steps": {"type": "Echo"}}"#), path: "steps", code: "type_mismatch")
    }

    @Test func emptyStepsAreRejected() async throws {
        try expectValidation(try await post(#"{"name": "x", "steps": []}"#), path: "steps", code: "empty")
    }

    @Test func misspelledTopLevelFieldIsAnUnknownField() async throws {
        let reply = try await post(#"{"name": "x", "stpes": [{"type": "Echo"}]}"#)
        try expectValidation(reply, path: "stpes", code: "unknown_field")
        try expectValidation(reply, path: "steps", code: "required")
    }

    @Test func unknownFieldInAStepIsReportedAtItsPath() async throws {
        let body = #"{"name": "x", "steps": [{"type": "StaticTextInput", "input": "a", "params": 1}]}"#
        try expectValidation(try await post(body), path: "steps[0].params", code: "unknown_field")
    }

    @Test func unknownStepTypeIsReportedAtItsIndexWithASuggestion() async throws {
        let body = #"{"name": "x", "steps": [{"type": "StaticTextInput", "input": "a"}, {"type": "TextOperation.Reverse"}, {"type": "TextOperation.Reverze"}]}"#
        let message = try expectValidation(try await post(body), path: "steps[2].type", code: "unknown_step_type")
        #expect(message.contains("TextOperation.Reverse"))
    }

    @Test func staticTextInputWithoutInputIsMissingParameters() async throws {
        let body = #"{"name": "x", "steps": [{"type": "StaticTextInput"}, {"type": "Echo"}]}"#
        try expectValidation(try await post(body), path: "steps[0].input", code: "missing_parameters")
    }

    @Test func staticTextInputWithANumberIsATypeMismatchOfItsInput() async throws {
        let body = #"{"name": "x", "steps": [{"type": "StaticTextInput", "input": 5}]}"#
        try expectValidation(try await post(body), path: "steps[0].input", code: "type_mismatch")
    }

    @Test func parametersOnAStepThatTakesNoneAreUnexpected() async throws {
        let body = #"{"name": "x", "steps": [{"type": "StaticTextInput", "input": "a"}, {"type": "TextOperation.Reverse", "input": "b"}]}"#
        try expectValidation(try await post(body), path: "steps[1].input", code: "unexpected_parameters")
    }

    @Test func lengthFollowedByReverseIsATypeMismatchNamingBothTypes() async throws {
        let body = #"{"name": "x", "steps": [{"type": "TextOperation.Length"}, {"type": "TextOperation.Reverse"}]}"#
        let message = try expectValidation(try await post(body), path: "steps[1].type", code: "type_mismatch")
        #expect(message.contains("number"))
        #expect(message.contains("text"))
    }

    @Test func staticTextInputAfterTheFirstStepIsASourceNotAtEntry() async throws {
        let body = #"{"name": "x", "steps": [{"type": "TextOperation.Reverse"}, {"type": "StaticTextInput", "input": "a"}]}"#
        try expectValidation(try await post(body), path: "steps[1]", code: "source_not_at_entry")
    }

    @Test func duplicateTaskIDsAreReportedOnTheSecond() async throws {
        let body = #"{"name": "x", "tasks": [{"id": "a", "type": "StaticTextInput", "input": "a"}, {"id": "a", "type": "Echo"}]}"#
        try expectValidation(try await post(body), path: "tasks[1].id", code: "duplicate_id")
    }

    @Test func taskWithoutAnIDIsRequired() async throws {
        let body = #"{"name": "x", "tasks": [{"type": "StaticTextInput", "input": "a"}]}"#
        try expectValidation(try await post(body), path: "tasks[0].id", code: "required")
    }

    @Test func dependencyOnAnUnknownTaskIsReportedAtItsIndex() async throws {
        let body = #"{"name": "x", "tasks": [{"id": "a", "type": "StaticTextInput", "input": "a"}, {"id": "b", "type": "Echo", "depends_on": ["zzz"]}]}"#
        let message = try expectValidation(try await post(body), path: "tasks[1].depends_on[0]", code: "unknown_dependency")
        #expect(message.contains("zzz"))
    }

    @Test func dependencyCycleIsRejected() async throws {
        let body = #"{"name": "x", "tasks": [{"id": "a", "type": "Echo", "depends_on": ["b"]}, {"id": "b", "type": "Echo", "depends_on": ["a"]}]}"#
        let issues = try expectProblem(try await post(body), status: .badRequest)
        let cycle = try #require(issues.first { $0.code == "cycle" })
        #expect(cycle.path.hasPrefix("tasks["))
        #expect(cycle.message.contains("\"a\"") && cycle.message.contains("\"b\""))
    }

    @Test func taskDependingOnItselfIsACycle() async throws {
        let body = #"{"name": "x", "tasks": [{"id": "a", "type": "Echo", "depends_on": ["a"]}]}"#
        try expectValidation(try await post(body), path: "tasks[0].depends_on[0]", code: "cycle")
    }

    @Test func unsupportedInputSchemaKeywordIsReportedAtItsPath() async throws {
        let body = #"{"name": "x", "steps": [{"type": "TextOperation.Reverse"}], "input_schema": {"type": "object", "patternProperties": {}}}"#
        try expectValidation(try await post(body), path: "input_schema.patternProperties", code: "unsupported_schema_keyword")
    }

    @Test func inputSchemaThatIsNotAnObjectSchemaIsInvalid() async throws {
        let body = #"{"name": "x", "steps": [{"type": "TextOperation.Reverse"}], "input_schema": {"type": "string"}}"#
        try expectValidation(try await post(body), path: "input_schema.type", code: "invalid_schema")
    }

    @Test func inputSchemaConflictingWithTheDerivedOneIsASchemaConflict() async throws {
        let body = #"{"name": "x", "steps": [{"type": "TextOperation.Reverse"}], "input_schema": {"type": "object", "properties": {"text": {"type": "number"}}}}"#
        try expectValidation(try await post(body), path: "input_schema.properties.text.type", code: "schema_conflict")
    }

    @Test func severalProblemsAreReportedInOneResponse() async throws {
        let body = #"{"name": 5, "bogus": true, "steps": [{"type": "StaticTextInput"}, {"type": "TextOperation.Nope"}]}"#
        let reply = try await post(body)
        let issues = try expectProblem(reply, status: .badRequest)
        #expect(issues.count == 4)
        try expectValidation(reply, path: "name", code: "type_mismatch")
        try expectValidation(reply, path: "bogus", code: "unknown_field")
        try expectValidation(reply, path: "steps[0].input", code: "missing_parameters")
        try expectValidation(reply, path: "steps[1].type", code: "unknown_step_type")
        #expect(try reply.json()["detail"]?.stringValue?.hasPrefix("4 problems") == true)
    }
}

/// `retention` in a definition: each wrong member named; a right one stored with the workflow.
@Suite(.testStores) struct RetentionDefinitionTests {
    @Test func aRetentionPolicyIsCheckedAndKeptWithTheDefinition() async throws {
        try await makeApp().test(.router) { client in
            let base = #""name": "r", "steps": [{"type": "Echo"}]"#
            for (retention, path, code) in [
                (#"{"days": 0}"#, "retention.days", "invalid_value"),
                (#"{"days": 3651}"#, "retention.days", "invalid_value"),
                (#"{"keep_last": 1.5}"#, "retention.keep_last", "invalid_value"),
                (#"{"keep_last": 0}"#, "retention.keep_last", "invalid_value"),
                (#"{}"#, "retention.days", "required"),
                (#"{"days": 7, "weeks": 1}"#, "retention.weeks", "unknown_field"),
                (#""7d""#, "retention", "type_mismatch"),
            ] {
                let reply = try await client.send(.post, "/workflows", body: "{\(base), \"retention\": \(retention)}")
                _ = try expectValidation(reply, path: path, code: code)
            }
            let id = try await client.createWorkflow("{\(base), \"retention\": {\"days\": 7.5, \"keep_last\": 1000}}")
            let stored = try await client.send(.get, "/workflows/\(id)").json()
            #expect(stored["definition"]?["retention"] == ["days": 7.5, "keep_last": 1000])
        }
    }
}
