import Testing
@testable import SluiceCore

@Suite struct ConditionCheckTests {
    static let input = ValueType.closedObject([
        "mode": .text,
        "count": .number,
        "flag": .boolean,
        "items": .list(.text),
        "scores": .list(.number),
        "user": .object(members: ["name": .text], closed: false),
        "blob": .unknown,
        "nothing": .null,
    ])

    static let tasks: [String: ValueType] = [
        "length": .closedObject(["number": .number]),
        "fetch": .closedObject(["json": .unknown]),
        "later": .closedObject(["text": .text]),
    ]

    /// The caller's view: input and upstream tasks are typed; "later" exists but is not upstream.
    static func typeOf(_ reference: Reference) -> Result<ValueType, TypeProblem> {
        if reference.taskID == "later" { return .failure(#"task "later" is not upstream of this task"#) }
        return reference.staticType { root in
            switch root {
            case .input: return input
            case .task(let id): return tasks[id]
            case .status: return .text
            case .item, .execution: return nil
            }
        }
    }

    func problems(_ source: String) throws -> [String] {
        try Condition.parse(source).get().check(typeOf: Self.typeOf)
    }

    @Test(arguments: [
        "input.count > 3", "input.count <= -1.5", #"input.mode < "m""#, #""a" >= input.mode"#,
        "input.flag", "not input.flag", "!input.flag", "input.flag and input.count > 1", "input.flag || not input.flag",
        "input.mode == null", "null != input.count", "input.nothing == null", "input.flag == true", "input.count == 1.5",
        #"input.mode == "fast""#, "input.scores == [1, 2]", "input.user == input.user",
        "tasks.fetch.json.x > 3", #"tasks.fetch.json.a == "x""#, "tasks.fetch.json", "not tasks.fetch.json.ok",
        "input.blob and input.blob.deeper", "input.blob < 3", "input.blob == 3",
        #"input.mode in ["a", "b"]"#, #""a" in input.items"#, #""ab" in input.mode"#, #""name" in input.user"#,
        "input.count in input.blob", "input.blob in input.scores",
        #"contains(input.items, "x")"#, #"contains(input.mode, "a")"#, "contains(input.blob, 1)", #"contains(input.user, "name")"#,
        "len(input.items) > 0", "len(input.mode) == 3", "len(input.user) >= 1", "len(input.blob) < 2",
        "exists(input.user.age)", "exists(input.blob.x)", "exists(tasks.fetch.json.user)",
        "tasks.length.number > 3", "(input.count > 1) == input.flag",
        "input.mode in [input.user.name, tasks.fetch.json.x]",
    ])
    func acceptsWellTypedConditions(source: String) throws {
        #expect(try problems(source) == [])
    }

    @Test func orderingNeedsNumbersOrTextOnBothSides() throws {
        #expect(try problems("input.mode > 3") == [#"input.mode > 3 compares text with number; ">" needs numbers on both sides or text on both sides"#])
        #expect(try problems(#"input.count <= "5""#) == [#"input.count <= "5" compares number with text; "<=" needs numbers on both sides or text on both sides"#])
        #expect(try problems("input.flag < true") == [#"input.flag < true compares boolean with boolean; "<" needs numbers on both sides or text on both sides"#])
        #expect(try problems("input.count >= null") == [#"input.count >= null compares number with null; ">=" needs numbers on both sides or text on both sides"#])
        #expect(try problems("input.items > input.items") == [#"input.items > input.items compares list with list; ">" needs numbers on both sides or text on both sides"#])
    }

    @Test func equalityBetweenDifferentKnownKindsIsAnError() throws {
        #expect(try problems("input.mode == 3") == ["input.mode == 3 compares text with number; they are never equal"])
        #expect(try problems(#"input.count != "3""#) == [#"input.count != "3" compares number with text; they always differ"#])
        #expect(try problems(#"input.flag == "true""#) == [#"input.flag == "true" compares boolean with text; they are never equal"#])
        #expect(try problems("input.items == input.user") == ["input.items == input.user compares list with object; they are never equal"])
        #expect(try problems("tasks.length == 3") == ["tasks.length == 3 compares object with number; they are never equal"])
    }

    @Test func logicNeedsBooleans() throws {
        #expect(try problems("input.mode and input.flag") == [#""and" needs true or false on both sides, but input.mode is text; compare it, for example input.mode == "…""#])
        #expect(try problems("input.flag or input.count") == [#""or" needs true or false on both sides, but input.count is number; compare it, for example input.count > 0"#])
        #expect(try problems("not input.items") == [#""not" needs true or false, but input.items is list of text; test its size, for example len(input.items) > 0, or whether it exists"#])
        #expect(try problems("input.flag and null") == [#""and" needs true or false on both sides, but null is null"#])
        #expect(try problems("input.flag && 1") == [#""and" needs true or false on both sides, but 1 is number; compare it, for example 1 > 0"#])
    }

    @Test func theWholeConditionMustBeBoolean() throws {
        #expect(try problems("input.mode") == [#"a condition must be true or false, but input.mode is text; compare it, for example input.mode == "…""#])
        #expect(try problems("len(input.items)") == ["a condition must be true or false, but len(input.items) is number; compare it, for example len(input.items) > 0"])
        #expect(try problems("tasks.length") == ["a condition must be true or false, but tasks.length is {number}; test its size, for example len(tasks.length) > 0, or whether it exists"])
        #expect(try problems(#""yes""#) == [#"a condition must be true or false, but "yes" is text; compare it, for example "yes" == "…""#])
        #expect(try problems("input.flag") == [])
    }

    @Test func notBindingTighterThanComparisonIsCaught() throws {
        // `not input.mode == "a"` reads as `(not input.mode) == "a"`.
        #expect(try problems(#"not input.mode == "a""#) == [
            #""not" needs true or false, but input.mode is text; compare it, for example input.mode == "…""#,
            #"not input.mode == "a" compares boolean with text; they are never equal"#,
        ])
        // Even when the operand's type is unknown, `not` gives a boolean, which text never equals.
        #expect(try problems(#"not input.blob == "a""#) == [#"not input.blob == "a" compares boolean with text; they are never equal"#])
        #expect(try problems(#"not (input.mode == "a")"#) == [])
    }

    @Test func containmentNeedsSomethingToLookIn() throws {
        #expect(try problems("input.mode in [1, 2]") == ["input.mode in [1, 2] looks for text in a list of number; it is never found"])
        #expect(try problems(#"contains(input.scores, "1")"#) == [#"contains(input.scores, "1") looks for text in a list of number; it is never found"#])
        #expect(try problems("contains(input.mode, 1)") == ["contains(input.mode, 1) looks for number in text; only text can be found in text"])
        #expect(try problems("3 in input.user") == ["3 in input.user looks for number among an object's members; member names are text"])
        #expect(try problems("contains(input.count, 1)") == ["contains(…) needs a list, text or an object to look in, but input.count is number"])
        #expect(try problems("1 in input.flag") == [#""in" needs a list, text or an object on its right, but input.flag is boolean"#])
        #expect(try problems("null in input.scores") == [])
    }

    @Test func lenNeedsTextListOrObject() throws {
        #expect(try problems("len(input.count) > 1") == ["len(…) needs text, a list or an object, but input.count is number"])
        #expect(try problems("len(input.flag) > 1") == ["len(…) needs text, a list or an object, but input.flag is boolean"])
    }

    @Test func referenceProblemsAreReportedOnceEach() throws {
        #expect(try problems(#"tasks.length.text == "x""#) == [#"task "length" outputs {number}; it has no member "text""#])
        #expect(try problems("exists(tasks.length.text)") == [#"task "length" outputs {number}; it has no member "text""#])
        #expect(try problems(#"tasks.later.text == "x""#) == [#"task "later" is not upstream of this task"#])
        #expect(try problems("tasks.nope.text == tasks.nope.text") == [#"there is no task "nope""#])
        #expect(try problems("input.mood > 1 or input.mood < 0") == [#"the execution input is {blob, count, flag, items, mode, nothing, scores, user}; it has no member "mood""#])
        // An unusable reference is unknown afterwards: it does not cause follow-on type errors.
        #expect(try problems("tasks.later.text > 3") == [#"task "later" is not upstream of this task"#])
    }

    @Test func reportsEveryProblemAtOnce() throws {
        #expect(try problems(#"input.mode > 3 and input.count == "x" or tasks.nope.text"#) == [
            #"input.mode > 3 compares text with number; ">" needs numbers on both sides or text on both sides"#,
            #"input.count == "x" compares number with text; they are never equal"#,
            #"there is no task "nope""#,
        ])
    }

    @Test func checkWithRootTypesUsesStaticTypes() throws {
        let condition = try Condition.parse("tasks.length.number > 3 and tasks.length.text == 'x'").get()
        let found = condition.check(rootType: { root in root == .task("length") ? .closedObject(["number": .number]) : nil })
        #expect(found == [#"task "length" outputs {number}; it has no member "text""#])
        #expect(condition.check(rootType: { _ in .unknown }) == [])
    }
}
