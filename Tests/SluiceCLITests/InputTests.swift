import Foundation
@testable import SluiceCLI
import Yams
import SluiceCore
@testable import SluiceYAML
import Testing

@Suite struct InputTests {
    let schema: JSONValue = ["type": "object", "properties": [
        "text": ["type": "string"], "count": ["type": "integer"], "ratio": ["type": "number"],
        "flag": ["type": "boolean"], "tags": ["type": "array"], "mode": ["enum": ["a", "b"]], "maybe": ["type": ["string", "null"]],
    ]]

    @Test func valuesAreTypedByTheInputSchema() throws {
        let input = try InputArguments.build(file: nil, pairs: [
            "text=123", "count=3", "ratio=0.5", "flag=true", "tags=[1,\"x\"]", "mode=b", "maybe=null", "free=7", "free2=hello", "empty=",
        ], schema: schema)
        #expect(input == [
            "text": "123", "count": 3, "ratio": 0.5, "flag": true, "tags": [1, "x"], "mode": "b", "maybe": nil, "free": 7, "free2": "hello", "empty": "",
        ])
    }

    @Test func onlyTheFirstEqualsSignSplitsKeyFromValue() throws {
        #expect(try InputArguments.build(file: nil, pairs: ["text=a=b"], schema: schema) == ["text": "a=b"])
    }

    @Test func aValueTheSchemaCannotTakeIsAnInputErrorNamingTheKeyAndType() {
        #expect(throws: InputError.self) { try InputArguments.build(file: nil, pairs: ["count=three"], schema: schema) }
        do {
            _ = try InputArguments.build(file: nil, pairs: ["count=three"], schema: schema)
        } catch {
            #expect(error.description == "--input count=three: count is integer in the workflow's input schema, and \"three\" is not")
        }
    }

    @Test func pairsWithoutAKeyAreRefused() {
        #expect(throws: InputError.self) { try InputArguments.split("novalue") }
        #expect(throws: InputError.self) { try InputArguments.split("=value") }
    }

    @Test func pairsOverrideTheFilesKeysAndKeepTheRest() throws {
        let input = try InputArguments.build(file: ["text": "from file", "count": 1], pairs: ["count=2"], schema: schema)
        #expect(input == ["text": "from file", "count": 2])
    }

    @Test func anInputFileMustHoldAnObject() {
        #expect(throws: InputError.self) { try InputArguments.build(file: [1, 2], pairs: [], schema: nil) }
    }

    @Test func durationsAcceptUnitsAndPlainSeconds() {
        #expect(DurationText.parse("90s") == .seconds(90))
        #expect(DurationText.parse("1h30m") == .seconds(5400))
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("2.5") == .milliseconds(2500))
        #expect(DurationText.parse("soon") == nil)
        #expect(DurationText.parse("5x") == nil)
        #expect(DurationText.parse("") == nil)
    }
}

@Suite struct DocumentTests {
    @Test func yamlIsReadWithTheJSONCompatibleSchema() throws {
        let document = try DocumentFile.parse("""
            name: "123"
            plain: 123
            words: no
            nothing: ~
            flag: true
            list: [a, 'b']
            """, name: "x.yaml")
        #expect(document.json == ["name": "123", "plain": 123, "words": "no", "nothing": nil, "flag": true, "list": ["a", "b"]])
        #expect(document.body == document.json.jsonBytes)
    }

    @Test func jsonIsSentAsWrittenSoTheServersLineNumbersReferToTheFile() throws {
        let text = "{\n  \"name\": \"x\",\n  \"steps\": []\n}\n"
        let document = try DocumentFile.parse(text, name: "<stdin>")
        #expect(document.body == Array(text.utf8))
        #expect(document.yaml == nil)
    }

    @Test func problemPathsPointAtTheirLineAndColumnInAYAMLFile() throws {
        let document = try DocumentFile.parse("""
            name: bad
            steps:
              - type: TextOperation.Uppercase
              - type: Nope
                input: {a: 1}
            """, name: "bad.yaml")
        #expect(document.positions(of: ["steps[1].type", "steps[1].input.a"]) == ["bad.yaml:4:11", "bad.yaml:5:16"])
        // A member that is missing points at the value holding it.
        #expect(document.positions(of: ["steps[0].input"]) == ["bad.yaml:3:5"])
        #expect(document.positions(of: [""]) == [nil])
    }

    @Test func problemPathsPointAtTheirLineAndColumnInAJSONFile() throws {
        let document = try DocumentFile.parse("""
            {"name": "bad",
             "steps": [
               {"type": "TextOperation.Uppercase"},
               {"type": "Nope", "input": {"a": 1}}
             ]}
            """, name: "bad.json")
        #expect(document.positions(of: ["steps[1].type", "steps[1].input.a", "steps[0].input", ""])
            == ["bad.json:4:13", "bad.json:4:36", "bad.json:3:4", nil])
    }

    @Test func emptyAndMalformedDocumentsAreInputErrors() {
        #expect(throws: InputError.self) { try DocumentFile.parse("  \n", name: "e.yaml") }
        #expect(throws: InputError.self) { try DocumentFile.parse("{\"name\": ", name: "e.json") }
        #expect(throws: InputError.self) { try DocumentFile.parse("name: [unclosed", name: "e.yaml") }
        #expect(throws: InputError.self) { try DocumentFile.read("/nonexistent/definition.yaml") }
    }

    /// Keys that differ only in their tags are one JSON member: refused as given twice, with the
    /// second's position (the YAML fuzzer found them read as two members of one name, which
    /// written back did not read).
    @Test func keysDifferingOnlyInTheirTagsAreGivenTwice() {
        #expect(throws: YAMLConversion.Failure.self) { try YAMLConversion.json(fromYAML: "! a: 1\n!x a: 2\n") }
        do {
            _ = try YAMLConversion.json(fromYAML: "b: 0\n! a: 1\n!x a: 2\n")
        } catch {
            #expect(error.description == "not valid YAML: line 3, column 1: the key \"a\" is given twice in one mapping" || error.line == 3, "\(error.description)")
            #expect(error.description.contains("the key \"a\" is given twice in one mapping"), "\(error.description)")
        }
    }

    @Test func yamlOutputQuotesStringsThatWouldReadBackAsSomethingElse() throws {
        let value: JSONValue = [
            "n": "3", "t": "true", "word": "no", "empty": "", "date": "2026-01-01", "colon": "a: b", "space": " x",
            "plain": "hello world", "num": 3, "real": 0.5, "bool": false, "null": nil, "lines": "one\ntwo\n", "list": [], "obj": [:],
        ]
        let yaml = YAMLConversion.yaml(from: value)
        #expect(try YAMLConversion.json(fromYAML: yaml) == value)
        #expect(yaml.contains("plain: hello world\n"))
        #expect(yaml.contains("n: \"3\"\n"))
        #expect(yaml.contains("word: \"no\"\n"))
        #expect(yaml.hasSuffix("\n"))
    }

    @Test func manyPathsAreLocatedInOneWalkAsEachWasAlone() throws {
        let yaml = """
            name: shout
            "3": quoted
            4: plain
            steps:
              - type: TextOperation.Uppercase
                input: {find: a}
              - type: Echo
                depends_on: [a, zz]
            """
        let root = try YAMLConversion.compose(yaml)
        let paths = ["name", "steps[1].depends_on[1]", "steps[0].input.find", "steps[0].input.missing", "steps[7]", "3", "4", "", "name.x"]
        let positions = YAMLConversion.locate(paths, in: root).map { $0.map { [$0.line, $0.column] } }
        #expect(positions == [[1, 7], [8, 21], [6, 19], [6, 12], [5, 3], [1, 1], [3, 4], nil, [1, 7]])
        // As the walk that went one path at a time (a member found as `mapping[key]` finds it:
        // the quoted "3" is text, not the key 3, so it points at the whole document).
        for (path, position) in zip(paths, positions) {
            guard !path.isEmpty else { continue }
            var node = root
            for segment in YAMLConversion.segments(of: path) {
                let next: Node?
                switch segment {
                case .key(let key): next = node.mapping?[key]
                case .index(let i): next = node.sequence.flatMap { i < $0.count ? $0[i] : nil }
                }
                guard let next else { break }
                node = next
            }
            #expect(position == node.mark.map { [$0.line, $0.column] }, "\(path)")
        }
    }

    @Test func pathSegmentsSplitOnDotsAndIndexes() {
        #expect(YAMLConversion.segments(of: "tasks[0].depends_on[1]") == [.key("tasks"), .index(0), .key("depends_on"), .index(1)])
        #expect(YAMLConversion.segments(of: "input.text") == [.key("input"), .key("text")])
    }
}
