import Testing
@testable import SluiceCore

/// The parts of checking a definition whose cost could grow faster than its size, each held to
/// what it did before it was bounded (issue 21): limits counted before items are read, a
/// problem list with a cap, lists of names cut in messages, hints and reachability computed
/// without quadratic work, positions found in one pass. The costs themselves are measured end
/// to end in SluiceServerTests' DefinitionCostTests.
@Suite struct BoundedCheckingTests {
    let checker = TypeChecker()

    func issues(_ json: String) throws -> [ValidationIssue] {
        switch checker.check(json: try JSONParser.parse(json)) {
        case .success: Issue.record("expected the definition to be rejected"); return []
        case .failure(let f): return f.issues
        }
    }

    // MARK: Limits and the problem cap

    @Test func aListOverTheLimitIsRefusedWithoutReadingItsItems() throws {
        let steps = Array(repeating: #"{"type": "Nope", "x": 1}"#, count: 1001).joined(separator: ",")
        let found = try issues(#"{"steps": [\#(steps)]}"#)
        #expect(found.map(\.path) == ["name", "steps"])
        #expect(found.last?.message == "expected at most 1000 steps, found 1001")
        let tasks = Array(repeating: #"{"id": "a", "type": "Workflow.Run", "input": {"workflow_id": "wf-x"}}"#, count: 1001).joined(separator: ",")
        #expect(try issues(#"{"name": "t", "tasks": [\#(tasks)]}"#).map(\.message) == ["expected at most 1000 tasks, found 1001"])
        #expect(StepRegistry.subworkflowIDs(in: try JSONParser.parse(#"{"tasks": [\#(tasks)]}"#)).isEmpty, "no workflow is loaded for a definition refused for its length")
    }

    @Test func aFailureListsAHundredProblemsAndHowManyMore() throws {
        let steps = Array(repeating: #"{"type": "Nope", "x": 1}"#, count: 1000).joined(separator: ",")
        let found = try issues(#"{"name": "bad", "steps": [\#(steps)]}"#)
        #expect(found.count == ValidationFailure.maxIssues + 1)
        #expect(found.prefix(2).map(\.path) == ["steps[0].x", "steps[1].x"])
        let last = try #require(found.last)
        #expect(last.path == "" && last.code == "too_many_problems")
        #expect(last.message == "1900 more problems were found; only the first 100 are listed")

        let failure = ValidationFailure(title: "t", issues: (0..<250).map { .init(path: "p\($0)", code: "c", message: "m") }).limited()
        #expect(failure.omitted == 150 && failure.problemCount == 250)
        #expect(failure.limited().issues.count == failure.issues.count, "limiting twice changes nothing")
        let few = ValidationFailure(title: "t", issues: [.init(path: "", code: "c", message: "m")]).limited()
        #expect(few.issues.count == 1 && few.omitted == 0 && few.problemCount == 1)
    }

    @Test func problemsUnderAPartAlreadyReportedAreLeftOutAsBefore() {
        let broken: Set<Substring> = ["steps[1]", "tasks[0].depends_on"]
        #expect(TypeChecker.isUnder("steps[1]", anyOf: broken))
        #expect(TypeChecker.isUnder("steps[1].type", anyOf: broken))
        #expect(TypeChecker.isUnder("tasks[0].depends_on.x", anyOf: broken))
        #expect(!TypeChecker.isUnder("steps[10].type", anyOf: broken))
        #expect(!TypeChecker.isUnder("steps[1][2]", anyOf: broken), "as before: only a '.' continues a path")
        #expect(!TypeChecker.isUnder("tasks[0].depends_on[0]", anyOf: broken))
    }

    // MARK: Messages that list names

    @Test func anUnknownDependencyListsTwentyTasksAndHowManyMore() throws {
        let tasks = (0..<30).map { #"{"id": "t\#($0)", "type": "Echo"}"# }.joined(separator: ",")
        let found = try issues(#"{"name": "d", "tasks": [\#(tasks), {"id": "x", "type": "Echo", "depends_on": ["t7x"]}]}"#)
        let message = try #require(found.first { $0.code == "unknown_dependency" }?.message)
        #expect(message == #"unknown task "t7x"; did you mean "t7"? expected one of: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15, t16, t17, t18, t19 and 10 more"#)
    }

    @Test func anUnknownDependencyStillLeavesOutTasksDownstream() throws {
        let found = try issues(#"{"name": "d", "tasks": [{"id": "a", "type": "Echo", "depends_on": ["bb"]}, {"id": "b", "type": "Echo", "depends_on": ["a"]}, {"id": "c", "type": "Echo"}]}"#)
        #expect(found.map(\.message) == [#"unknown task "bb"; did you mean "c"? expected one of: c"#])
    }

    @Test func aDependencyPathKeepsItsPlaceInTheListAsWritten() throws {
        let found = try issues(#"{"name": "d", "tasks": [{"id": "a", "type": "Echo"}, {"id": "b", "type": "Echo", "depends_on": ["a", "a", 3, "zz"]}]}"#)
        #expect(found.map(\.path) == ["tasks[1].depends_on[1]", "tasks[1].depends_on[2]", "tasks[1].depends_on[3]"])
        #expect(found.map(\.code) == ["duplicate_dependency", "type_mismatch", "unknown_dependency"])
    }

    @Test func anUnknownTaskInAReferenceListsTwentyTasks() throws {
        let tasks = (0..<25).map { #"{"id": "t\#($0)", "type": "Echo"}"# }.joined(separator: ",")
        let found = try issues(#"{"name": "d", "tasks": [\#(tasks), {"id": "x", "type": "Echo", "depends_on": ["t0"], "when": "tasks.nope.number > 1"}]}"#)
        let message = try #require(found.first?.message)
        #expect(message.hasSuffix("expected one of: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15, t16, t17, t18, t19 and 5 more"), "\(message)")
    }

    @Test func aLargeObjectTypeReadsAsItsSize() {
        let members = Dictionary(uniqueKeysWithValues: (0..<21).map { ("m\($0)", ValueType.text) })
        #expect(ValueType.object(members: members, closed: true).description == "an object with 21 members")
        #expect(ValueType.object(members: members, closed: false).description == "an object with 21 members or more")
        #expect(ValueType.object(members: ["b": .text, "a": .number], closed: true).description == "{a, b}")
    }

    @Test func schemaMessagesListTwentyNames() {
        var schema = Schema(type: .object)
        for i in 0..<25 { schema.setProperty("p\(i)", Schema(type: .string)) }
        schema.additionalProperties = .allowed(false)
        let unknown = schema.validate(["zz": 1], path: "input")
        #expect(unknown.map(\.message) == ["unexpected property; allowed: p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19 and 5 more"])
        let choices = Schema(type: .integer).oneOf((0..<30).map { .number(Double($0)) })
        #expect(choices.validate(99, path: "x").map(\.message) == ["expected one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 and 10 more, found 99"])
        #expect(choices.validate(3, path: "x").isEmpty)
        #expect(Schema(type: .string).oneOf(["a", "b"]).validate("c", path: "x").map(\.message) == [#"expected one of "a", "b", found "c""#])
    }

    // MARK: Schemas look properties and enum values up by name and value

    @Test func propertiesKeepTheirOrderAndTheirLastSchema() {
        var schema = Schema(type: .object)
        schema.setProperty("b", Schema(type: .string))
        schema.setProperty("a", Schema(type: .number))
        schema.setProperty("b", Schema(type: .boolean))
        #expect(schema.properties.map(\.name) == ["b", "a"])
        #expect(schema.property("b")?.type == .boolean && schema.property("a")?.type == .number && schema.property("c") == nil)
        schema.properties = [("x", Schema(type: .null))]
        #expect(schema.property("b") == nil && schema.property("x")?.type == .null)
        let parsed = Schema.parse(["type": "object", "properties": ["q": ["type": "string"], "p": ["type": "integer"]]], path: "s").0
        #expect(parsed?.properties.map(\.name) == ["q", "p"] && parsed?.property("p")?.type == .integer)
        #expect(Schema().oneOf([1, "1", [1]]).validate([1], path: "x").isEmpty, "enum values match as JSON values")
        #expect(Schema().oneOf([1]).validate(1.0, path: "x").isEmpty)
    }

    // MARK: Hints and reachability

    /// The plain Levenshtein distance, as the hints computed it before.
    static func naiveDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    @Test func theBandedDistanceIsTheDistanceWithinItsLimit() {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("abcd.-")
        for _ in 0..<2000 {
            let a = String((0..<Int.random(in: 0...9, using: &generator)).map { _ in letters.randomElement(using: &generator)! })
            let b = String((0..<Int.random(in: 0...9, using: &generator)).map { _ in letters.randomElement(using: &generator)! })
            let exact = Self.naiveDistance(a, b)
            for limit in 0...6 {
                let banded = TypeChecker.editDistance(Array(a.unicodeScalars), Array(b.unicodeScalars), atMost: limit)
                #expect(banded == (exact <= limit ? exact : nil), "\(a) \(b) limit \(limit): \(String(describing: banded)), exact \(exact)")
            }
        }
    }

    @Test func hintsPickAsBefore() {
        let registry = StepRegistry.builtin
        #expect(registry.suggestion(for: "textoperation.reverse") == "TextOperation.Reverse")
        #expect(registry.suggestion(for: "Reverse") == "TextOperation.Reverse")
        #expect(registry.suggestion(for: "TextOperation.Revers") == "TextOperation.Reverse")
        #expect(registry.suggestion(for: "Echoo") == "Echo")
        #expect(registry.suggestion(for: "Completely.Different") == nil)
        #expect(registry.suggestion(for: String(repeating: "TextOperation.Reverse", count: 50_000)) == nil)
        #expect(TypeChecker.closest("fetch-user", among: ["fetch-users", "fetch-user2", "x"]) == "fetch-users", "the first of equally close names")
        #expect(TypeChecker.closest("ab", among: ["abcd", "xyz"]) == "abcd", "within 2 edits")
        #expect(TypeChecker.closest("ab", among: ["abcd", "abc"]) == "abc", "the closest")
    }

    @Test func reachabilityIsTheTransitiveClosure() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let n = Int.random(in: 1...150, using: &generator)
            // Edges go only to lower indices: a DAG in index order.
            let dependencies = (0..<n).map { i in i == 0 ? [] : (0..<Int.random(in: 0...3, using: &generator)).map { _ in Int.random(in: 0..<i, using: &generator) } }
            let reach = Reachability(order: Array(0..<n), dependencies: dependencies)
            var ancestors = [Set<Int>](repeating: [], count: n)
            for i in 0..<n { for d in dependencies[i] { ancestors[i].insert(d); ancestors[i].formUnion(ancestors[d]) } }
            for i in 0..<n { for k in 0..<n { #expect(reach.contains(i, k) == ancestors[i].contains(k)) } }
        }
    }

    @Test func aLongCycleIsFoundWithoutRecursion() throws {
        let tasks = (0..<1000).map { #"{"id": "t\#($0)", "type": "Echo", "depends_on": ["t\#(($0 + 1) % 1000)"]}"# }.joined(separator: ",")
        let found = try issues(#"{"name": "c", "tasks": [\#(tasks)]}"#)
        #expect(found.map(\.code) == ["cycle"])
        #expect(found.first?.message.hasPrefix(#"dependency cycle: "t0" → "t999" → "t998""#) == true)
    }

    // MARK: Type names, previews

    @Test func listTypesNestAtMost32Deep() {
        let deep = { (n: Int) in String(repeating: "list<", count: n) + "text" + String(repeating: ">", count: n) }
        #expect(DataType(name: deep(32))?.name == deep(32))
        #expect(DataType(name: deep(33)) == nil)
        #expect(DataType(name: deep(100_000)) == nil)
        #expect(DataType(name: "list<>") == nil && DataType(name: "list<list<>>") == nil && DataType(name: "list<text") == nil)
        #expect(DataType(name: "list<number>") == .list(.number))
    }

    @Test func aPreviewIsTheStartOfTheWholeText() {
        let values: [JSONValue] = [
            "short", .string(String(repeating: "é", count: 5000)), .string(String(repeating: "a\u{301}", count: 3000)),
            .string(String(repeating: "\n\"", count: 2000)), .array(Array(repeating: "x", count: 5000)),
            .object(JSONObject((0..<3000).map { ("k\($0)", .number(Double($0))) })), [1, [2, [3]]], 3.5, nil, true,
            .string(String(repeating: "🇫🇷", count: 700)), .string(String(repeating: "x", count: 1023)),
        ]
        for value in values {
            let text = value.jsonString
            let before = text.count > 60 ? String(text.prefix(57)) + "..." : text
            #expect(value.preview == before)
        }
    }

    // MARK: Positions

    @Test func manyPathsAreLocatedInOnePassAsEachAlone() throws {
        let text = #"""
            {"name": "x", "é😀": {"a b": [1, {"q\"": [true]}]},
             "tasks": [{"id": "a"}, {"id": "b", "depends_on": ["a", "zz"]}], "input_schema": {"properties": {"k": {}}}}
            """#
        let paths = ["name", #"é😀["a b"][1]["q\""][0]"#, "tasks[1].depends_on[1]", "tasks[1].type", "tasks[9]", "input_schema.properties.k.type", "", "name.x", "tasks[0].id", #"é😀["a b"][5]"#]
        let bytes = Array(text.utf8)
        let all = try #require(JSONParser.locate(paths, in: bytes))
        for (path, position) in zip(paths, all) {
            let alone = JSONParser.location(of: path, in: bytes)
            #expect(position.map { [$0.line, $0.column] } == alone.map { [$0.line, $0.column] }, "\(path)")
        }
        #expect(all[6] == nil, "the empty path")
        #expect(all[0].map { [$0.line, $0.column] } == [1, 10])
        #expect(all[4].map { [$0.line, $0.column] } == JSONParser.location(of: "tasks", in: bytes).map { [$0.line, $0.column] }, "a missing item points at its list")
    }
}
