import Testing
@testable import SluiceCore

@Suite struct JSONPointerTests {
    let document: JSONValue = ["a": [["b": "x"], 2], "c/d": 1, "e~f": 2, "": 3]

    @Test func parsesAndUnescapesTokens() throws {
        #expect(try JSONPointer(parsing: "").tokens == [])
        #expect(try JSONPointer(parsing: "/").tokens == [""])
        #expect(try JSONPointer(parsing: "/a~1b/~0/0").tokens == ["a/b", "~", "0"])
        #expect(try JSONPointer(parsing: "/a~1b/~0").description == "/a~1b/~0")
    }

    @Test func rejectsBadSyntax() {
        #expect(throws: JSONPointer.SyntaxError.self) { try JSONPointer(parsing: "a/b") }
        #expect(throws: JSONPointer.SyntaxError.self) { try JSONPointer(parsing: "/a~2") }
        #expect(throws: JSONPointer.SyntaxError.self) { try JSONPointer(parsing: "/a~") }
    }

    @Test func resolves() throws {
        #expect(try JSONPointer(parsing: "").resolve(in: document) == document)
        #expect(try JSONPointer(parsing: "/a/0/b").resolve(in: document) == "x")
        #expect(try JSONPointer(parsing: "/a/1").resolve(in: document) == 2)
        #expect(try JSONPointer(parsing: "/c~1d").resolve(in: document) == 1)
        #expect(try JSONPointer(parsing: "/e~0f").resolve(in: document) == 2)
        #expect(try JSONPointer(parsing: "/").resolve(in: document) == 3)
    }

    @Test func missingPathsSayWhatWasFound() {
        func failure(_ pointer: String) -> String {
            do {
                _ = try JSONPointer(parsing: pointer).resolve(in: document)
                return "resolved"
            } catch let error as JSONPointer.ResolutionFailure {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(failure("/z") == #"/z not found: the object at the top level has no member "z" (its members: "a", "c/d", "e~f", "")"#)
        #expect(failure("/a/2") == "/a/2 not found: the array at /a has 2 items, so there is no item 2")
        #expect(failure("/a/01") == #"/a/01 not found: the value at /a is an array, and "01" is not an array index (0, 1, ...)"#)
        #expect(failure("/a/-") == #"/a/- not found: the value at /a is an array, and "-" is not an array index (0, 1, ...)"#)
        #expect(failure("/a/0/b/c") == #"/a/0/b/c not found: the value at /a/0/b is a string "x", not an object or array"#)
    }
}
