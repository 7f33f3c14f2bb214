import Testing
@testable import SluiceCore

@Suite struct DataTypeTests {
    @Test func namesAndFields() {
        #expect(DataType.text.name == "text")
        #expect(DataType.boolean.name == "boolean")
        #expect(DataType.json.name == "json")
        #expect(DataType.list(.text).name == "list<text>")
        #expect(DataType.list(.list(.number)).description == "list<list<number>>")
        #expect(DataType.list(.number).field == "list")
        #expect(DataType.boolean.field == "boolean")
        #expect(DataType.json.field == "json")
    }

    @Test func parsesTypeNames() {
        #expect(DataType(name: "text") == .text)
        #expect(DataType(name: "number") == .number)
        #expect(DataType(name: "boolean") == .boolean)
        #expect(DataType(name: "json") == .json)
        #expect(DataType(name: "list<text>") == .list(.text))
        #expect(DataType(name: "list<list<json>>") == .list(.list(.json)))
        for bad in ["", "list", "list<>", "list<txt>", "List<text>", "string", "list<text", " text"] {
            #expect(DataType(name: bad) == nil, "\(bad) should not be a type name")
        }
    }

    @Test func listsWithDifferentItemTypesDiffer() {
        #expect(DataType.list(.text) != DataType.list(.number))
        #expect(DataType.list(.text).field == DataType.list(.number).field)
    }

    @Test func schemas() {
        #expect(DataType.boolean.schema.json == ["type": "boolean"])
        #expect(DataType.json.schema.json == [:])
        #expect(DataType.list(.text).schema.json == ["type": "array", "items": ["type": "string"]])
        #expect(DataType.list(.list(.number)).schema.json == ["type": "array", "items": ["type": "array", "items": ["type": "number"]]])
    }

    @Test func acceptsChecksListItemsDeeply() {
        #expect(DataType.boolean.accepts(true))
        #expect(!DataType.boolean.accepts("true"))
        #expect(DataType.json.accepts(.null))
        #expect(DataType.json.accepts(["a": [1, "b"]]))
        #expect(DataType.list(.text).accepts([]))
        #expect(DataType.list(.text).accepts(["a", "b"]))
        #expect(!DataType.list(.text).accepts(["a", 1]))
        #expect(!DataType.list(.text).accepts("a"))
        #expect(DataType.list(.list(.number)).accepts([[1], [2, 3]]))
        #expect(!DataType.list(.list(.number)).accepts([[1], [2, "3"]]))
    }

    @Test func mismatchSaysWhere() {
        #expect(DataType.list(.text).mismatch(in: ["a", 3]) == "item 1: found an integer 3, expected a string")
        #expect(DataType.number.mismatch(in: "x") == "found a string \"x\", expected a number")
        #expect(DataType.number.mismatch(in: 2.5) == nil)
    }

    @Test func wireDescriptions() {
        #expect(DataType.list(.text).wireDescription == #"{"list": [string, ...]}"#)
        #expect(DataType.json.wireDescription == #"{"json": any JSON value}"#)
    }

    @Test func stepOutputDescriptions() {
        #expect(StepOutput.named(byParameter: "as", default: .json).description == "as parameter (default json)")
        #expect(StepOutput.value(.list(.text)).description == "list<text>")
        #expect(StepInput.value(.list(.text)).description == "list<text>")
    }

    @Test func shapeNamesListTypes() {
        #expect(Shape(fields: [.list(.text)]).description == "list<text>")
        #expect(Shape(fields: [.list(.number), .boolean], includesExecutionInput: true).description == "{list<number>, boolean, ...input}")
        #expect(Shape(fields: [.list(.number), .boolean]).member("list") == .list(.number))
    }
}
