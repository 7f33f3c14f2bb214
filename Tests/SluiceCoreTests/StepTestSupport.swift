import Testing
@testable import SluiceCore

/// Runs the built-in pure step `name` on `input` with `parameters`, as the engine does.
func runStep(_ name: String, _ input: JSONValue, _ parameters: JSONValue? = nil) throws(StepFailure) -> JSONValue {
    guard let step = StepRegistry.builtin[name], case .pure(let function) = step.implementation else {
        throw StepFailure("no pure built-in step \(name)")
    }
    return try function(input, parameters)
}

/// The failure running `name` ends with, or `nil` (recorded as a test issue) if it succeeds.
func stepFailure(_ name: String, _ input: JSONValue, _ parameters: JSONValue? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> StepFailure? {
    do {
        let output = try runStep(name, input, parameters)
        Issue.record("expected \(name) to fail, it produced \(output.jsonString)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Checks a JSON definition with the built-in registry.
func checkDefinition(_ json: String) throws -> Result<WorkflowPlan, ValidationFailure> {
    TypeChecker().check(json: try JSONParser.parse(json))
}

/// The plan for a definition that must be valid.
func validPlan(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> WorkflowPlan {
    switch try checkDefinition(json) {
    case .success(let p): return p
    case .failure(let f):
        Issue.record("unexpected failure: \(f)", sourceLocation: sourceLocation)
        throw f
    }
}

/// The issues of a definition that must be rejected.
func rejection(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [ValidationIssue] {
    switch try checkDefinition(json) {
    case .success:
        Issue.record("expected the definition to be rejected", sourceLocation: sourceLocation)
        return []
    case .failure(let f): return f.issues
    }
}
