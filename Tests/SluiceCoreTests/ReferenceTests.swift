import Testing
@testable import SluiceCore

@Suite struct ReferenceTests {
    // MARK: Parsing

    @Test func parsesInputRootsAndPaths() throws {
        #expect(try Reference.parse("input") == Reference(root: .input, path: []))
        #expect(try Reference.parse("input.mode") == Reference(root: .input, path: [.member("mode")]))
        #expect(try Reference.parse("input.user.name") == Reference(root: .input, path: [.member("user"), .member("name")]))
        #expect(try Reference.parse("input.items[0]") == Reference(root: .input, path: [.member("items"), .index(0)]))
        #expect(try Reference.parse("input.matrix[12][3]") == Reference(root: .input, path: [.member("matrix"), .index(12), .index(3)]))
    }

    @Test func parsesTaskRootsWithDashesAndUnderscores() throws {
        #expect(try Reference.parse("tasks.fetch") == Reference(root: .task("fetch"), path: []))
        #expect(try Reference.parse("tasks.fetch.text") == Reference(root: .task("fetch"), path: [.member("text")]))
        #expect(try Reference.parse("tasks.fetch.json.user.id").path == [.member("json"), .member("user"), .member("id")])
        #expect(try Reference.parse("tasks.split.list[2]") == Reference(root: .task("split"), path: [.member("list"), .index(2)]))
        #expect(try Reference.parse("tasks.step-1.text").root == .task("step-1"))
        #expect(try Reference.parse("tasks.my_task.first-name").path == [.member("first-name")])
        #expect(try Reference.parse("tasks.fetch").taskID == "fetch")
        #expect(try Reference.parse("input.x").taskID == nil)
    }

    @Test func parsesBracketQuotedNamesWithEscapes() throws {
        #expect(try Reference.parse(#"input["odd key"]"#).path == [.member("odd key")])
        #expect(try Reference.parse(#"input['odd key'].x"#).path == [.member("odd key"), .member("x")])
        #expect(try Reference.parse(#"input["say \"hi\"\\"]"#).path == [.member(#"say "hi"\"#)])
        #expect(try Reference.parse(#"input["0"]"#).path == [.member("0")])
        #expect(try Reference.parse(#"input[""]"#).path == [.member("")])
        #expect(try Reference.parse(#"tasks["v1.2"].text"#) == Reference(root: .task("v1.2"), path: [.member("text")]))
    }

    @Test func ignoresSurroundingWhitespace() throws {
        #expect(try Reference.parse("  input.mode \n") == Reference(root: .input, path: [.member("mode")]))
    }

    @Test(arguments: [
        "input", "input.mode", "input.user.name", "input.items[0]", "tasks.fetch", "tasks.fetch.text",
        "tasks.fetch.json.user.id", "tasks.split.list[2]", "tasks.step-1.text", #"input["odd key"]"#,
        #"input["a\"b"][3]["c\\d"]"#, #"tasks["v1.2"].text"#, #"input[""]"#, #"input["line\nbreak"]"#, #"input["é"]"#,
    ])
    func descriptionRoundTrips(source: String) throws {
        let reference = try Reference.parse(source)
        #expect(reference.description == source)
        #expect(try Reference.parse(reference.description) == reference)
    }

    @Test func descriptionNormalisesNeedlessBrackets() throws {
        #expect(try Reference.parse(#"input["plain"]['also-plain']"#).description == "input.plain.also-plain")
        #expect(try Reference.parse(#"tasks['fetch']"#).description == "tasks.fetch")
        #expect(Reference(root: .task("a b"), path: [.member("x.y"), .index(1)]).description == #"tasks["a b"]["x.y"][1]"#)
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var source: String
        var offset: Int
        var message: String
        var testDescription: String { source }
    }

    @Test(arguments: [
        ErrorCase(source: "tasks.", offset: 6, message: #"expected a task id after "tasks." at offset 6, found end of reference"#),
        ErrorCase(source: "tasks", offset: 5, message: #"expected "." and a task id after "tasks" at offset 5, found end of reference"#),
        ErrorCase(source: "tasks x", offset: 5, message: #"expected "." and a task id after "tasks" at offset 5, found whitespace"#),
        ErrorCase(source: "", offset: 0, message: #"expected a reference starting with "input" or "tasks." at offset 0, found end of reference"#),
        ErrorCase(source: "foo.bar", offset: 0, message: #"expected a reference starting with "input" or "tasks." at offset 0, found "foo.bar""#),
        ErrorCase(source: "inputs.x", offset: 0, message: #"expected a reference starting with "input" or "tasks." at offset 0, found "inputs.x""#),
        ErrorCase(source: "input.", offset: 6, message: #"expected a member name after "." at offset 6, found end of reference"#),
        ErrorCase(source: "input..a", offset: 6, message: #"expected a member name after "." at offset 6, found ".""#),
        ErrorCase(source: "input[", offset: 6, message: #"expected an index such as [0] or a quoted member name such as ["odd key"] after "[" at offset 6, found end of reference"#),
        ErrorCase(source: "input[-1]", offset: 6, message: #"expected an index such as [0] or a quoted member name such as ["odd key"] after "[" at offset 6, found "-1""#),
        ErrorCase(source: "input[1", offset: 7, message: #"expected "]" at offset 7, found end of reference"#),
        ErrorCase(source: "input[99999999999999999999]", offset: 6, message: "index 99999999999999999999 at offset 6 is too large"),
        ErrorCase(source: #"input["abc"#, offset: 6, message: #"unterminated string starting at offset 6: expected a closing ", found end of reference"#),
        ErrorCase(source: #"input["a\q"]"#, offset: 8, message: #"expected an escape (\", \', \\, \n, \t or \r) at offset 8, found "\q""#),
        ErrorCase(source: #"tasks[""]"#, offset: 6, message: #"expected a task id at offset 6, found an empty string"#),
        ErrorCase(source: "tasks[fetch]", offset: 6, message: #"expected a task id in quotes after "tasks[" at offset 6, found "fetch""#),
        ErrorCase(source: "input.a b", offset: 8, message: #"expected the end of the reference at offset 8, found "b""#),
        ErrorCase(source: "input.mode == 3", offset: 11, message: #"expected the end of the reference at offset 11, found "==""#),
        // Offsets count characters, not bytes.
        ErrorCase(source: #"input["é"].x y"#, offset: 13, message: #"expected the end of the reference at offset 13, found "y""#),
    ])
    func reportsMalformedReferences(_ c: ErrorCase) {
        #expect(throws: ExpressionError(offset: c.offset, message: c.message)) { try Reference.parse(c.source) }
    }

    // MARK: Resolving

    let input: JSONValue = [
        "mode": "fast",
        "user": ["name": "Ada", "tags": ["x", "y"]],
        "items": [10, 20, ["deep": true]],
        "nothing": nil,
        "odd key": 1,
    ]

    func resolve(_ source: String) throws -> JSONValue? {
        try Reference.parse(source).resolve(in: input)
    }

    @Test func resolvesMembersIndicesAndNestedPaths() throws {
        #expect(try resolve("input") == input)
        #expect(try resolve("input.mode") == "fast")
        #expect(try resolve("input.user.name") == "Ada")
        #expect(try resolve("input.user.tags[1]") == "y")
        #expect(try resolve("input.items[0]") == 10)
        #expect(try resolve("input.items[2].deep") == true)
        #expect(try resolve(#"input["odd key"]"#) == 1)
    }

    @Test func resolvesExplicitNullAsNullButMissingAsNil() throws {
        #expect(try resolve("input.nothing") == .some(.null))
        #expect(try resolve("input.missing") == nil)
        #expect(try resolve("input.user.missing.deeper") == nil)
    }

    @Test func resolvesToNilForOutOfRangeIndicesAndWrongKinds() throws {
        #expect(try resolve("input.items[3]") == nil)
        #expect(try resolve("input.items[9223372036854775807]") == nil)
        #expect(try resolve("input.mode[0]") == nil)  // an index into a string
        #expect(try resolve("input.items.first") == nil)  // a member of an array
        #expect(try resolve("input.user[0]") == nil)  // an index into an object
        #expect(try resolve("input.mode.length") == nil)  // a member of a string
    }

    @Test func resolvesTaskReferencesAgainstTaskOutputs() throws {
        let outputs: [String: JSONValue] = ["fetch": ["json": ["user": ["id": 7]]], "length": ["number": 3]]
        func value(_ s: String) throws -> JSONValue? {
            try Reference.parse(s).resolve(input: input, output: { outputs[$0] })
        }
        #expect(try value("tasks.fetch.json.user.id") == 7)
        #expect(try value("tasks.length") == ["number": 3])
        #expect(try value("tasks.length.number") == 3)
        #expect(try value("tasks.pending.text") == nil)  // no output yet
        #expect(try value("input.mode") == "fast")
    }

    // MARK: Static types

    static let rootTypes: [Reference.Root: ValueType] = [
        .input: .closedObject([
            "mode": .text,
            "user": .object(members: ["name": .text], closed: false),
            "items": .list(.number),
            "anything": .unknown,
        ]),
        .task("length"): .closedObject(["number": .number]),
        .task("fetch"): .closedObject(["json": .unknown]),
        .task("split"): .closedObject(["list": .list(.text)]),
        .task("opaque"): .unknown,
    ]

    func type(_ source: String) throws -> Result<ValueType, TypeProblem> {
        try Reference.parse(source).staticType(rootType: { Self.rootTypes[$0] })
    }

    @Test func computesTheTypeAtAPath() throws {
        #expect(try type("input.mode") == .success(.text))
        #expect(try type("input.user.name") == .success(.text))
        #expect(try type("input.items") == .success(.list(.number)))
        #expect(try type("input.items[4]") == .success(.number))
        #expect(try type("tasks.length") == .success(.closedObject(["number": .number])))
        #expect(try type("tasks.length.number") == .success(.number))
        #expect(try type("tasks.split.list[2]") == .success(.text))
    }

    @Test func reachingIntoUnknownGivesUnknown() throws {
        #expect(try type("tasks.fetch.json.user.id") == .success(.unknown))
        #expect(try type("tasks.fetch.json[3].x") == .success(.unknown))
        #expect(try type("tasks.opaque.anything[1]") == .success(.unknown))
        #expect(try type("input.anything.deeper") == .success(.unknown))
        // An open object may have members it does not declare.
        #expect(try type("input.user.age") == .success(.unknown))
    }

    @Test func reachingForAMemberAClosedObjectLacksIsAnError() throws {
        #expect(try type("tasks.length.text") == .failure(#"task "length" outputs {number}; it has no member "text""#))
        #expect(try type("input.mood") == .failure(#"the execution input is {anything, items, mode, user}; it has no member "mood""#))
    }

    @Test func reachingIntoScalarsAndListsWronglyIsAnError() throws {
        #expect(try type("input.mode.length") == .failure(#"input.mode is text; it has no member "length""#))
        #expect(try type("input.mode[0]") == .failure("input.mode is text; it is not a list, so it cannot be indexed with [0]"))
        #expect(try type("input.user[0]") == .failure("input.user is {name, …}; it is not a list, so it cannot be indexed with [0]"))
        #expect(try type("input.items.first") == .failure(#"input.items is list of number; it has no member "first""#))
        #expect(try type("tasks.length.number.x") == .failure(#"tasks.length.number is number; it has no member "x""#))
        #expect(try type("tasks.length[0]") == .failure("task \"length\" outputs {number}; it is not a list, so it cannot be indexed with [0]"))
    }

    @Test func anUnknownRootIsAnError() throws {
        #expect(try type("tasks.nope.text") == .failure(#"there is no task "nope""#))
    }

    // MARK: Value types from schemas and shapes

    @Test func valueTypeFromSchema() throws {
        let (parsed, issues) = Schema.parse(try JSONParser.parse(#"""
            {"type": "object", "properties": {
                "mode": {"type": "string"}, "n": {"type": "integer"}, "x": {"type": "number"},
                "flag": {"type": "boolean"}, "tags": {"type": "array", "items": {"type": "string"}},
                "any": {}, "level": {"enum": ["low", "high"]},
                "closed": {"type": "object", "properties": {"a": {"type": "null"}}, "additionalProperties": false}
            }}
            """#), path: "input_schema")
        #expect(issues.isEmpty)
        let schema = try #require(parsed)
        #expect(ValueType(schema: schema) == .object(members: [
            "mode": .text, "n": .number, "x": .number, "flag": .boolean, "tags": .list(.text), "any": .unknown,
            "level": .text, "closed": .closedObject(["a": .null]),
        ], closed: false))
        #expect(ValueType(schema: Schema(type: .array)) == .list(.unknown))
    }

    @Test func valueTypeFromShape() {
        #expect(ValueType(shape: Shape(fields: [.number])) == .closedObject(["number": .number]))
        #expect(ValueType(shape: Shape(fields: [.text, .number])) == .closedObject(["text": .text, "number": .number]))
        #expect(ValueType(shape: Shape(fields: [.text], includesExecutionInput: true)) == .object(members: ["text": .text], closed: false))
        let input = ValueType.closedObject(["mode": .text])
        #expect(ValueType(shape: Shape(fields: [.number], includesExecutionInput: true), input: input) == .closedObject(["mode": .text, "number": .number]))
    }

    @Test func valueTypeDescriptions() {
        #expect(ValueType.closedObject(["number": .number]).description == "{number}")
        #expect(ValueType.closedObject(["b": .text, "a": .text]).description == "{a, b}")
        #expect(ValueType.object(members: ["a": .text], closed: false).description == "{a, …}")
        #expect(ValueType.closedObject(["odd key": .text]).description == #"{["odd key"]}"#)
        #expect(ValueType.anyObject.description == "object")
        #expect(ValueType.closedObject([:]).description == "{}")
        #expect(ValueType.list(.text).description == "list of text")
        #expect(ValueType.list(.unknown).description == "list")
        #expect(ValueType.unknown.description == "unknown")
    }
}
