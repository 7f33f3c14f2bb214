import Testing
@testable import SluiceCore

@Suite struct NumberStepTests {
    @Test func addAndMultiply() throws {
        #expect(try runStep("NumberOperation.Add", ["number": 2], ["value": 3.5]) == ["number": 5.5])
        #expect(try runStep("NumberOperation.Add", ["number": 2], ["value": -2]) == ["number": 0])
        #expect(try runStep("NumberOperation.Multiply", ["number": 4], ["value": 2.5]) == ["number": 10])
    }

    @Test func overflowFails() {
        let failure = stepFailure("NumberOperation.Multiply", ["number": 1e308], ["value": 10])
        #expect(failure?.message == "NumberOperation.Multiply of 1e+308 and 10 is too large to be a JSON number")
        #expect(failure?.retryable == false)
    }

    @Test func inputMustBeANumber() {
        #expect(stepFailure("NumberOperation.Add", ["number": "2"], ["value": 1])?.message == #"expected input {"number": number}, but its "number" member is not number: found a string "2", expected a number"#)
        #expect(stepFailure("NumberOperation.Add", ["number": 2])?.message == #"NumberOperation.Add requires the parameter "value" (a number) in its "input""#)
    }

    @Test(arguments: [
        ("==", 3.0, true), ("==", 4.0, false), ("!=", 4.0, true), ("!=", 3.0, false),
        ("<", 4.0, true), ("<", 3.0, false), ("<=", 3.0, true), ("<=", 2.0, false),
        (">", 2.0, true), (">", 3.0, false), (">=", 3.0, true), (">=", 4.0, false),
    ])
    func compare(op: String, value: Double, expected: Bool) throws {
        #expect(try runStep("NumberOperation.Compare", ["number": 3], ["operator": .string(op), "value": .number(value)]) == ["boolean": .bool(expected)])
    }

    @Test func compareRejectsAnUnknownOperatorAtRunTime() {
        #expect(stepFailure("NumberOperation.Compare", ["number": 3], ["operator": "=", "value": 3])?.message == #"NumberOperation.Compare's parameter "operator" must be one of ==, !=, <, <=, >, >=, found "=""#)
    }
}
