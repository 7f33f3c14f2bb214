import Testing
@testable import SluiceCore

@Suite struct ConditionParsingTests {
    typealias E = Condition.Expression

    func parse(_ source: String) throws -> E {
        try Condition.parse(source).get().expression
    }

    let a = E.reference(Reference(root: .input, path: [.member("a")]))
    let b = E.reference(Reference(root: .input, path: [.member("b")]))
    let c = E.reference(Reference(root: .input, path: [.member("c")]))
    let d = E.reference(Reference(root: .input, path: [.member("d")]))

    // MARK: Literals

    @Test func parsesNumberLiterals() throws {
        #expect(try parse("3") == .literal(3))
        #expect(try parse("-2.5") == .literal(-2.5))
        #expect(try parse("0.125") == .literal(0.125))
        #expect(try parse("1e3") == .literal(1000))
        #expect(try parse("2.5E-1") == .literal(0.25))
        #expect(try parse("-0") == .literal(.number(0)))
    }

    @Test func parsesStringLiteralsInEitherQuoteWithEscapes() throws {
        #expect(try parse(#""fast""#) == .literal("fast"))
        #expect(try parse("'fast'") == .literal("fast"))
        #expect(try parse(#""say \"hi\"""#) == .literal(#"say "hi""#))
        #expect(try parse(#"'it\'s'"#) == .literal("it's"))
        #expect(try parse(#"'a "b"'"#) == .literal(#"a "b""#))
        #expect(try parse(#""back\\slash""#) == .literal(#"back\slash"#))
        #expect(try parse(#""a\nb\tc\rd""#) == .literal("a\nb\tc\rd"))
        #expect(try parse(#""""#) == .literal(""))
        #expect(try parse(#""héllo wörld""#) == .literal("héllo wörld"))
    }

    @Test func parsesKeywordLiterals() throws {
        #expect(try parse("true") == .literal(true))
        #expect(try parse("false") == .literal(false))
        #expect(try parse("null") == .literal(.null))
    }

    @Test func parsesListLiteralsAsOneLiteralAndMixedListsAsLists() throws {
        #expect(try parse(#"["a", 'b', 3, null, [true]]"#) == .literal(["a", "b", 3, nil, [true]]))
        #expect(try parse("[]") == .literal([]))
        #expect(try parse(#"[input.a, "x"]"#) == .list([a, .literal("x")]))
    }

    // MARK: References and operators

    @Test func parsesReferences() throws {
        #expect(try parse("input") == .reference(Reference(root: .input)))
        #expect(try parse("tasks.step-1.json.items[2]") == .reference(Reference(root: .task("step-1"), path: [.member("json"), .member("items"), .index(2)])))
        #expect(try parse(#"tasks["v1.2"]["odd key"]"#) == .reference(Reference(root: .task("v1.2"), path: [.member("odd key")])))
    }

    @Test(arguments: Condition.ComparisonOperator.allCases)
    func parsesEveryComparisonOperator(_ op: Condition.ComparisonOperator) throws {
        #expect(try parse("input.a \(op.rawValue) 3") == .comparison(op, a, .literal(3)))
        #expect(try parse("input.a\(op.rawValue)3") == .comparison(op, a, .literal(3)))
    }

    @Test func parsesLogicInWordsAndSymbols() throws {
        #expect(try parse("input.a and input.b") == .and([a, b]))
        #expect(try parse("input.a && input.b") == .and([a, b]))
        #expect(try parse("input.a or input.b") == .or([a, b]))
        #expect(try parse("input.a || input.b") == .or([a, b]))
        #expect(try parse("not input.a") == .not(a))
        #expect(try parse("!input.a") == .not(a))
        #expect(try parse("not not input.a") == .not(.not(a)))
        #expect(try parse("!!input.a") == .not(.not(a)))
    }

    @Test func parsesFunctionsAndIn() throws {
        #expect(try parse("exists(input.a)") == .exists(Reference(root: .input, path: [.member("a")])))
        #expect(try parse("exists( input.a )") == .exists(Reference(root: .input, path: [.member("a")])))
        #expect(try parse(#"contains(input.a, "x")"#) == .contains(a, .literal("x")))
        #expect(try parse("len(input.a) > 0") == .comparison(.greater, .length(a), .literal(0)))
        #expect(try parse(#"input.a in ["x", "y"]"#) == .isIn(a, .literal(["x", "y"])))
        #expect(try parse("input.a in input.b") == .isIn(a, b))
    }

    // MARK: Precedence

    @Test func andBindsTighterThanOr() throws {
        #expect(try parse("input.a or input.b and input.c") == .or([a, .and([b, c])]))
        #expect(try parse("input.a and input.b or input.c") == .or([.and([a, b]), c]))
        #expect(try parse("input.a || input.b && input.c || input.d") == .or([a, .and([b, c]), d]))
    }

    @Test func comparisonBindsTighterThanAnd() throws {
        #expect(try parse("input.a == 1 and input.b != 2") == .and([.comparison(.equal, a, .literal(1)), .comparison(.notEqual, b, .literal(2))]))
        #expect(try parse("input.a < 1 or input.b >= 2 and input.c") == .or([
            .comparison(.less, a, .literal(1)), .and([.comparison(.greaterOrEqual, b, .literal(2)), c]),
        ]))
        #expect(try parse(#"input.a in [1] and input.b"#) == .and([.isIn(a, .literal([1])), b]))
    }

    @Test func notBindsTighterThanComparison() throws {
        #expect(try parse("not input.a == input.b") == .comparison(.equal, .not(a), b))
        #expect(try parse("!input.a != true") == .comparison(.notEqual, .not(a), .literal(true)))
        #expect(try parse("not input.a and input.b") == .and([.not(a), b]))
    }

    @Test func parenthesesOverridePrecedence() throws {
        #expect(try parse("(input.a or input.b) and input.c") == .and([.or([a, b]), c]))
        #expect(try parse("not (input.a == input.b)") == .not(.comparison(.equal, a, b)))
        #expect(try parse("((input.a))") == a)
        #expect(try parse("input.a and (input.b or (input.c and input.d))") == .and([a, .or([b, .and([c, d])])]))
    }

    @Test func chainsOfTheSameConnectiveAreFlattened() throws {
        #expect(try parse("input.a and input.b and input.c") == .and([a, b, c]))
        #expect(try parse("input.a and (input.b and input.c)") == .and([a, b, c]))
        #expect(try parse("(input.a or input.b) or (input.c or input.d)") == .or([a, b, c, d]))
    }

    @Test func whitespaceIsFlexible() throws {
        #expect(try parse(" \n\tinput.a==1&&(input.b||!input.c) ") == parse("input.a == 1 and (input.b or not input.c)"))
    }

    // MARK: Description

    @Test func descriptionIsNormalised() throws {
        func normal(_ s: String) throws -> String { try Condition.parse(s).get().description }
        #expect(try normal("input.a==1&&!(input.b||input.c)") == "input.a == 1 and not (input.b or input.c)")
        #expect(try normal("'fast' == input.mode") == #""fast" == input.mode"#)
        #expect(try normal("1.0 < 2.50") == "1 < 2.5")
        #expect(try normal("((input.a))") == "input.a")
        #expect(try normal("(input.a and input.b) or input.c") == "input.a and input.b or input.c")
        #expect(try normal("input.a and (input.b or input.c)") == "input.a and (input.b or input.c)")
        #expect(try normal("not input.a == input.b") == "not input.a == input.b")
        #expect(try normal("not (input.a == input.b)") == "not (input.a == input.b)")
        #expect(try normal(#"input.x in ['a',"b"]"#) == #"input.x in ["a", "b"]"#)
        #expect(try normal(#"contains( input.x ,'a' ) || len(input.y)>=2"#) == #"contains(input.x, "a") or len(input.y) >= 2"#)
        #expect(try normal(#"exists(input["odd key"])"#) == #"exists(input["odd key"])"#)
        #expect(try normal(#""a\"b\\c\n""#) == #""a\"b\\c\n""#)
        #expect(try normal("'it\\'s'") == #""it's""#)
    }

    @Test(arguments: [
        "input.a == 1 and not (input.b or input.c)",
        #"(input.mode == "fast" || input.mode == 'slow') && tasks.length.number > 3"#,
        "not not input.flag",
        "(not input.a) == input.b",
        "not (input.a < input.b)",
        #"input.x in [1, -2.5, "a", null, true, [false]]"#,
        #"[input.a, 1e300] == input.b"#,
        #"contains(tasks.split.list, "x") and len(input.s) <= 0.001"#,
        "exists(tasks.fetch.json.user.id) or input.n >= -0.5",
        #"input.s == "tab\there""#,
        "input.a and input.b or input.c and (input.d or input.e)",
        "(input.a == 1) == (input.b == 2)",
    ])
    func descriptionParsesBackToTheSameCondition(source: String) throws {
        let condition = try Condition.parse(source).get()
        #expect(try Condition.parse(condition.description).get() == condition)
    }

    // MARK: References

    @Test func listsReferencesInSourceOrderOnce() throws {
        let condition = try Condition.parse(#"tasks.b.text == "x" and (exists(input.a) or tasks.a.number > tasks.b.text) and contains([tasks.c], 1)"#).get()
        #expect(condition.references.map(\.description) == ["tasks.b.text", "input.a", "tasks.a.number", "tasks.c"])
        #expect(condition.taskIDs == ["b", "a", "c"])
        #expect(try Condition.parse("1 == 1").get().references.isEmpty)
    }

    // MARK: Errors

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var source: String
        var offset: Int
        var message: String
        var testDescription: String { source }
    }

    @Test(arguments: [
        ErrorCase(source: "", offset: 0, message: "expected an operand at offset 0, found end of expression"),
        ErrorCase(source: "   ", offset: 3, message: "expected an operand at offset 3, found end of expression"),
        ErrorCase(source: "input.a == 1 and", offset: 16, message: #"expected an operand after "and" at offset 16, found end of expression"#),
        ErrorCase(source: "input.a || )", offset: 11, message: #"expected an operand after "||" at offset 11, found ")""#),
        ErrorCase(source: "input.a ==", offset: 10, message: #"expected an operand after "==" at offset 10, found end of expression"#),
        ErrorCase(source: "not", offset: 3, message: #"expected an operand after "not" at offset 3, found end of expression"#),
        ErrorCase(source: "and input.a", offset: 0, message: #"expected an operand at offset 0, found "and""#),
        ErrorCase(source: "(input.a == 1", offset: 13, message: #"expected ")" at offset 13 to close the "(" at offset 0, found end of expression"#),
        ErrorCase(source: "(input.a input.b)", offset: 9, message: #"expected ")" at offset 9 to close the "(" at offset 0, found "input.b""#),
        ErrorCase(source: "input.a == 1)", offset: 12, message: #"expected an operator or the end of the expression at offset 12, found ")""#),
        ErrorCase(source: "input.a == 1 input.b", offset: 13, message: #"expected an operator or the end of the expression at offset 13, found "input.b""#),
        ErrorCase(source: "input.a = 1", offset: 8, message: #"expected "==" (comparison is written with two "=") at offset 8, found "=""#),
        ErrorCase(source: "input.a & input.b", offset: 8, message: #"expected "&&" or "and" at offset 8, found "&""#),
        ErrorCase(source: "input.a | input.b", offset: 8, message: #"expected "||" or "or" at offset 8, found "|""#),
        ErrorCase(source: "input.a + 1", offset: 8, message: #"expected an operand or an operator at offset 8, found "+""#),
        ErrorCase(source: "1 < 2 < 3", offset: 6, message: #"expected "and" or "or" at offset 6, found "<"; comparisons do not chain (write a < b and b < c)"#),
        ErrorCase(source: "input.a == 'abc", offset: 11, message: "unterminated string starting at offset 11: expected a closing ', found end of expression"),
        ErrorCase(source: #"input.a == "a\qb""#, offset: 13, message: #"expected an escape (\", \', \\, \n, \t or \r) at offset 13, found "\q""#),
        ErrorCase(source: "foo == 1", offset: 0, message: #"expected an operand at offset 0, found "foo"; a reference starts with "input" or "tasks.", and text is written in quotes"#),
        ErrorCase(source: "input.mode == fast", offset: 14, message: #"expected an operand after "==" at offset 14, found "fast"; a reference starts with "input" or "tasks.", and text is written in quotes"#),
        ErrorCase(source: "size(input.a) > 1", offset: 0, message: #"unknown function "size" at offset 0; expected exists(…), contains(…) or len(…)"#),
        ErrorCase(source: "tasks. == 1", offset: 6, message: #"expected a task id after "tasks." at offset 6, found whitespace"#),
        ErrorCase(source: "input.a.", offset: 8, message: #"expected a member name after "." at offset 8, found end of expression"#),
        ErrorCase(source: "exists(1)", offset: 7, message: "expected a reference such as input.name inside exists(…) at offset 7, found number 1"),
        ErrorCase(source: "exists input.a", offset: 7, message: #"expected "(" after "exists" at offset 7, found "input.a""#),
        ErrorCase(source: "len(input.a", offset: 11, message: #"expected ")" to close "len(" at offset 11, found end of expression"#),
        ErrorCase(source: "len(input.a, 2)", offset: 11, message: #"expected ")" to close "len(" at offset 11, found ",""#),
        ErrorCase(source: "contains(input.a)", offset: 16, message: #"expected "," and a second argument to contains(…) at offset 16, found ")""#),
        ErrorCase(source: #"input.a in ["x", "y""#, offset: 20, message: #"expected "," or "]" in a list at offset 20, found end of expression"#),
        ErrorCase(source: "input.a in [1,]", offset: 14, message: #"expected an operand after "," at offset 14, found "]""#),
        ErrorCase(source: "-input.a > 1", offset: 1, message: #"expected a digit after "-" at offset 1, found "input.a""#),
        ErrorCase(source: "1. == 1", offset: 2, message: #"expected a digit after "." in a number at offset 2, found whitespace"#),
        ErrorCase(source: "1e == 1", offset: 2, message: "expected a digit in the exponent of a number at offset 2, found whitespace"),
        ErrorCase(source: "3abc", offset: 1, message: #"expected a space or an operator after the number at offset 1, found "abc""#),
        ErrorCase(source: "1e999 > 1", offset: 0, message: "number 1e999 at offset 0 is out of range"),
        // Offsets count characters, not UTF-8 bytes.
        ErrorCase(source: #""héllo" == input.a and"#, offset: 22, message: #"expected an operand after "and" at offset 22, found end of expression"#),
        ErrorCase(source: "input.a == é", offset: 11, message: #"expected an operand or an operator at offset 11, found "é""#),
    ])
    func reportsMalformedConditions(_ c: ErrorCase) {
        #expect(Condition.parse(c.source) == .failure(ExpressionError(offset: c.offset, message: c.message)))
    }

    @Test func rejectsNestingDeeperThanTheLimitWithoutCrashing() throws {
        let fine = String(repeating: "(", count: 64) + "true" + String(repeating: ")", count: 64)
        #expect(try Condition.parse(fine).get() == Condition(.literal(true)))
        let deep = String(repeating: "(", count: 100_000) + "true" + String(repeating: ")", count: 100_000)
        #expect(Condition.parse(deep) == .failure(ExpressionError(offset: 64, message: "the expression nests more than 64 levels deep at offset 64")))
        let nots = String(repeating: "not ", count: 100) + "true"
        #expect(Condition.parse(nots) == .failure(ExpressionError(offset: 256, message: "the expression nests more than 64 levels deep at offset 256")))
    }

    @Test func longChainsStayFlat() throws {
        let source = (0..<10_000).map { "input.a\($0) == \($0)" }.joined(separator: " and ")
        guard case .and(let operands) = try parse(source) else {
            Issue.record("expected an and")
            return
        }
        #expect(operands.count == 10_000)
    }
}
