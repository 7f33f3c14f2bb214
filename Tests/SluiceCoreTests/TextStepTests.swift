import Testing
@testable import SluiceCore

@Suite struct TextStepTests {
    @Test func replaceReplacesEveryOccurrenceByDefault() throws {
        #expect(try runStep("TextOperation.Replace", ["text": "a-b-c"], ["find": "-", "replace": "+"]) == ["text": "a+b+c"])
        #expect(try runStep("TextOperation.Replace", ["text": "a-b-c"], ["find": "-", "replace": "", "all": true]) == ["text": "abc"])
        #expect(try runStep("TextOperation.Replace", ["text": "aaa"], ["find": "aa", "replace": "b"]) == ["text": "ba"])
    }

    @Test func replaceOnlyTheFirstWhenAllIsFalse() throws {
        #expect(try runStep("TextOperation.Replace", ["text": "a-b-c"], ["find": "-", "replace": "+", "all": false]) == ["text": "a+b-c"])
    }

    @Test func replaceMatchesScalarsInsideCRLF() throws {
        #expect(try runStep("TextOperation.Replace", ["text": "a\r\nb"], ["find": "\n", "replace": " "]) == ["text": "a\r b"])
    }

    @Test func replaceFailsWithoutText() {
        #expect(stepFailure("TextOperation.Replace", ["number": 1], ["find": "a", "replace": "b"])?.message == #"expected input {"text": string}, found {"number":1}"#)
        #expect(stepFailure("TextOperation.Replace", ["text": "a"], ["replace": "b"])?.message == #"TextOperation.Replace requires the parameter "find" (a string) in its "input""#)
    }

    @Test func splitOnWhiteSpaceRunsDropsEmpties() throws {
        #expect(try runStep("TextOperation.Split", ["text": "  a  b\n\tc  "]) == ["list": ["a", "b", "c"]])
        #expect(try runStep("TextOperation.Split", ["text": "   "]) == ["list": []])
        #expect(try runStep("TextOperation.Split", ["text": "one"], [:]) == ["list": ["one"]])
    }

    @Test func splitOnASeparatorKeepsEmpties() throws {
        #expect(try runStep("TextOperation.Split", ["text": "a,,b,"], ["separator": ","]) == ["list": ["a", "", "b", ""]])
        #expect(try runStep("TextOperation.Split", ["text": "a::b"], ["separator": "::"]) == ["list": ["a", "b"]])
        #expect(try runStep("TextOperation.Split", ["text": "l1\r\nl2"], ["separator": "\n"]) == ["list": ["l1\r", "l2"]])
    }

    @Test func joinJoinsWithTheSeparator() throws {
        #expect(try runStep("TextOperation.Join", ["list": ["a", "b", "c"]], ["separator": ", "]) == ["text": "a, b, c"])
        #expect(try runStep("TextOperation.Join", ["list": ["a", "b"]]) == ["text": "ab"])
        #expect(try runStep("TextOperation.Join", ["list": []]) == ["text": ""])
    }

    @Test func joinFailsOnANonTextItem() {
        #expect(stepFailure("TextOperation.Join", ["list": ["a", 3]])?.message == #"expected input {"list": [string, ...]}, but its "list" member is not list<text>: item 1: found an integer 3, expected a string"#)
        #expect(stepFailure("TextOperation.Join", ["text": "a"])?.message == #"expected input {"list": [string, ...]}, found {"text":"a"}"#)
    }

    @Test func templateFillsPlaceholdersFromTheInput() throws {
        let out = try runStep("TextOperation.Template", ["text": "Ada", "number": 3, "json": ["k": [true]]], ["template": "Hello, {{text}}! n={{ number }} j={{json}}"])
        #expect(out == ["text": #"Hello, Ada! n=3 j={"k":[true]}"#])
    }

    @Test func templateFailsOnAnUnknownPlaceholder() {
        let failure = stepFailure("TextOperation.Template", ["text": "Ada"], ["template": "{{name}}"])
        #expect(failure?.message == #"template placeholder {{name}} has no value: the input has no member "name" (its members: text)"#)
        #expect(failure?.retryable == false)
    }
}
