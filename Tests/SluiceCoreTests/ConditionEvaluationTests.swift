import Testing
@testable import SluiceCore

@Suite struct ConditionEvaluationTests {
    let input: JSONValue = [
        "mode": "fast",
        "n": 1.0,
        "zero": 0,
        "t": true,
        "f": false,
        "nothing": nil,
        "s": "true",
        "items": ["a", "b"],
        "scores": [1, 2.5, 3],
        "user": ["name": "Ada", "id": 7, "tags": ["x"]],
        "sameUser": ["tags": ["x"], "id": 7.0, "name": "Ada"],
        "otherUser": ["name": "Ada", "id": 8, "tags": ["x"]],
        "accented": "e\u{301}",
        "word": "héllo",
    ]

    let outputs: [String: JSONValue] = [
        "fetch": ["json": ["user": ["id": 7, "roles": ["admin", "dev"]]]],
        "length": ["number": 3],
        "step-1": ["text": "done"],
    ]

    func eval(_ source: String) throws -> Bool {
        let outputs = self.outputs
        return try Condition.parse(source).get().evaluate(input: input, output: { outputs[$0] })
    }

    // MARK: Logic

    @Test(arguments: [false, true], [false, true])
    func truthTables(_ x: Bool, _ y: Bool) throws {
        let condition: (String) throws -> Bool = { source in
            try Condition.parse(source).get().evaluate(input: ["x": .bool(x), "y": .bool(y)], output: { _ in nil })
        }
        #expect(try condition("input.x and input.y") == (x && y))
        #expect(try condition("input.x && input.y") == (x && y))
        #expect(try condition("input.x or input.y") == (x || y))
        #expect(try condition("input.x || input.y") == (x || y))
        #expect(try condition("not input.x") == !x)
        #expect(try condition("!input.x") == !x)
        #expect(try condition("not input.x or input.y") == (!x || y))
        #expect(try condition("not (input.x and input.y)") == !(x && y))
        #expect(try condition("input.x == input.y") == (x == y))
        #expect(try condition("input.x != input.y") == (x != y))
        #expect(try condition("input.x or input.y and false") == x)
        #expect(try condition("(input.x or input.y) and false") == false)
    }

    @Test func literalsAsConditions() throws {
        #expect(try eval("true"))
        #expect(try !eval("false"))
        #expect(try !eval("null"))
        #expect(try !eval("1"))
        #expect(try !eval(#""true""#))
        #expect(try !eval("[true]"))
    }

    @Test func onlyTheBooleanTrueIsTrue() throws {
        #expect(try eval("input.t"))
        #expect(try !eval("input.f"))
        #expect(try !eval("input.s"))  // the string "true"
        #expect(try !eval("input.n"))  // the number 1
        #expect(try !eval("input.items"))
        #expect(try !eval("input.missing"))
        #expect(try eval("not input.s"))
        #expect(try eval("not input.missing"))
        #expect(try !eval("len(input.items)"))
    }

    @Test func andOrStopAtTheFirstDecidingOperand() throws {
        var looked: [String] = []
        let lookup: (Reference) -> JSONValue? = { reference in
            looked.append(reference.description)
            return reference.resolve(in: ["t": true, "f": false])
        }
        #expect(try Condition.parse("input.t or input.a or input.b").get().evaluate(lookup: lookup))
        #expect(looked == ["input.t"])
        looked = []
        #expect(try !Condition.parse("input.f and input.a").get().evaluate(lookup: lookup))
        #expect(looked == ["input.f"])
        looked = []
        #expect(try !Condition.parse("input.t and input.f and input.a").get().evaluate(lookup: lookup))
        #expect(looked == ["input.t", "input.f"])
    }

    // MARK: Missing values and null

    @Test func aMissingValueIsNull() throws {
        #expect(try eval("input.missing == null"))
        #expect(try !eval("input.missing != null"))
        #expect(try eval("input.nothing == null"))
        #expect(try eval("input.missing == input.nothing"))
        #expect(try eval("tasks.pending.text == null"))  // a task without output
        #expect(try eval("input.items[7] == null"))
        #expect(try !eval(#"input.missing == """#))
        #expect(try !eval("input.missing == 0"))
        #expect(try !eval("input.missing == false"))
        #expect(try eval("input.missing != false"))
    }

    @Test func orderingWithNullOrMissingIsFalseBothWays() throws {
        for op in ["<", "<=", ">", ">="] {
            #expect(try !eval("input.missing \(op) 0"), "missing \(op) 0")
            #expect(try !eval("0 \(op) input.missing"), "0 \(op) missing")
            #expect(try !eval("null \(op) null"), "null \(op) null")
            #expect(try !eval("input.nothing \(op) 1"), "null \(op) 1")
        }
    }

    @Test func existsTellsMissingFromNull() throws {
        #expect(try eval("exists(input.mode)"))
        #expect(try eval("exists(input.nothing)"))  // present, null
        #expect(try !eval("exists(input.missing)"))
        #expect(try eval("exists(input.user.tags[0])"))
        #expect(try !eval("exists(input.user.tags[1])"))
        #expect(try eval("exists(tasks.fetch.json.user)"))
        #expect(try !eval("exists(tasks.pending)"))
        #expect(try eval("not exists(input.missing)"))
    }

    // MARK: Equality

    @Test func numbersCompareNumerically() throws {
        #expect(try eval("1 == 1.0"))
        #expect(try eval("input.n == 1"))
        #expect(try eval("input.zero == -0"))
        #expect(try eval("1e2 == 100"))
        #expect(try eval("0.1 != 0.2"))
        #expect(try eval("tasks.length.number == 3"))
        #expect(try eval("[1, 2] == [1.0, 2e0]"))
    }

    @Test func differentKindsAreNeverEqual() throws {
        #expect(try !eval(#"input.n == "1""#))
        #expect(try eval(#"input.n != "1""#))
        #expect(try !eval(#"input.t == "true""#))
        #expect(try !eval("input.t == 1"))
        #expect(try !eval("input.f == 0"))
        #expect(try !eval("input.f == null"))
        #expect(try !eval(#"input.items == "a""#))
    }

    @Test func stringsCompareExactlyUpToCanonicalEquivalence() throws {
        #expect(try eval(#"input.mode == "fast""#))
        #expect(try eval("input.mode == 'fast'"))
        #expect(try !eval(#"input.mode == "Fast""#))
        #expect(try !eval(#"input.mode == "fast ""#))
        #expect(try eval(#"input.accented == "é""#))  // decomposed equals precomposed
        #expect(try eval(#"tasks.step-1.text == "done""#))
    }

    @Test func listsAndObjectsCompareStructurally() throws {
        #expect(try eval(#"input.items == ["a", "b"]"#))
        #expect(try !eval(#"input.items == ["b", "a"]"#))
        #expect(try !eval(#"input.items == ["a"]"#))
        #expect(try eval("input.user == input.sameUser"))  // member order does not matter, 7 == 7.0
        #expect(try !eval("input.user == input.otherUser"))
        #expect(try eval("input.user != input.otherUser"))
        #expect(try !eval("input.user == input.items"))
        #expect(try eval("[input.mode, input.n] == ['fast', 1]"))
    }

    // MARK: Ordering

    @Test func orderingComparesNumbers() throws {
        #expect(try eval("input.n < 2"))
        #expect(try eval("input.n <= 1"))
        #expect(try !eval("input.n < 1"))
        #expect(try eval("input.n >= 1.0"))
        #expect(try eval("-2.5 < -2"))
        #expect(try eval("tasks.length.number > 2 and tasks.length.number <= 3"))
    }

    @Test func orderingComparesTextByCodePoints() throws {
        #expect(try eval(#""abc" < "abd""#))
        #expect(try eval(#""ab" < "abc""#))
        #expect(try eval(#""B" < "a""#))
        #expect(try eval(#""a" <= "a" and "a" >= "a""#))
        #expect(try eval(#"input.mode > "f""#))
        #expect(try !eval(#""10" > "9""#))  // text, not numbers
    }

    @Test func orderingMismatchedKindsIsFalseBothWays() throws {
        for op in ["<", "<=", ">", ">="] {
            #expect(try !eval(#"1 \#(op) "2""#), "1 \(op) \"2\"")
            #expect(try !eval(#""2" \#(op) 1"#), "\"2\" \(op) 1")
            #expect(try !eval("input.t \(op) input.f"), "true \(op) false")
            #expect(try !eval("input.items \(op) input.items"), "list \(op) list")
        }
    }

    // MARK: Lists, text and objects

    @Test func inAndContains() throws {
        #expect(try eval(#"input.mode in ["slow", "fast"]"#))
        #expect(try !eval(#"input.mode in ["slow", "steady"]"#))
        #expect(try !eval("input.mode in []"))
        #expect(try eval("2.5 in input.scores"))
        #expect(try eval("1.0 in input.scores"))
        #expect(try !eval(#""1" in input.scores"#))
        #expect(try eval(#""a" in input.items"#))
        #expect(try eval(#"contains(input.items, "b")"#))
        #expect(try !eval(#"contains(input.items, "c")"#))
        #expect(try eval(#"contains(tasks.fetch.json.user.roles, "admin")"#))
        #expect(try eval(#""fast" in [input.n, input.mode]"#))
        #expect(try eval("[\"x\"] in [[\"y\"], input.user.tags]"))
        #expect(try eval("null in [1, null]"))
        #expect(try eval("input.missing in [1, null]"))
    }

    @Test func containsFindsSubstringsAndMemberNames() throws {
        #expect(try eval(#"contains(input.mode, "as")"#))
        #expect(try eval(#""fa" in input.mode"#))
        #expect(try !eval(#"contains(input.mode, "slow")"#))
        #expect(try eval(#"contains(input.mode, "")"#))
        #expect(try eval(#"contains(input.user, "name")"#))
        #expect(try !eval(#"contains(input.user, "age")"#))
        #expect(try !eval("contains(input.mode, 1)"))
        #expect(try !eval(#"contains(input.n, "1")"#))
        #expect(try !eval(#"contains(input.missing, "a")"#))
    }

    @Test func lenCountsCharactersElementsAndMembers() throws {
        #expect(try eval("len(input.items) == 2"))
        #expect(try eval("len(input.word) == 5"))  // characters, not bytes
        #expect(try eval("len(input.accented) == 1"))
        #expect(try eval("len(input.user) == 3"))
        #expect(try eval("len([]) == 0"))
        #expect(try eval("len(input.missing) == null"))
        #expect(try eval("len(input.n) == null"))
        #expect(try !eval("len(input.missing) > -1"))
    }

    // MARK: Paths

    @Test func nestedPathsResolveThroughInputAndTasks() throws {
        #expect(try eval("tasks.fetch.json.user.id == 7"))
        #expect(try eval(#"tasks.fetch.json.user.roles[1] == "dev""#))
        #expect(try eval(#"input.user.tags[0] == "x""#))
        #expect(try eval(#"input.user.name == "Ada" and input.user.id > 5"#))
        #expect(try eval("tasks.fetch.json.user.roles[2] == null"))
        #expect(try eval("input.mode.x == null"))  // a member of a string is missing
        #expect(try eval("input.items[999999999999] == null"))
    }

    @Test func evaluatesWithACustomLookup() throws {
        let condition = try Condition.parse(#"tasks.a.text == "x" and input.n > 1"#).get()
        #expect(condition.evaluate { $0.root == .input ? .number(2) : .string("x") })
        #expect(!condition.evaluate { $0.root == .input ? .number(2) : nil })
        #expect(!condition.evaluate { _ in nil })
    }
}
