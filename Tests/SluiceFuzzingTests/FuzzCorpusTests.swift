import Foundation
@testable import SluiceFuzzing
import Testing

/// The fuzzers' committed corpus and every input that once broke a property, replayed through
/// the same checks on each `swift test`: a fix that regresses fails here, without a fuzzer.
@Suite struct FuzzCorpusTests {
    /// `Fuzz/` at the repository's root.
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: FuzzTarget) -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func theCorpusKeepsEveryProperty(_ target: FuzzTarget) throws {
        let files = Self.inputs("corpus", target)
        // A target without seeds would make its fuzzer start blind and this test pass on nothing.
        #expect(files.count >= 5, "Fuzz/corpus/\(target.rawValue) has \(files.count) inputs")
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            let problem = target.check(bytes)
            #expect(problem == nil, "\(file.lastPathComponent): \(problem ?? "")")
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyInputThatOnceBrokeAPropertyKeepsItNow(_ target: FuzzTarget) throws {
        for file in Self.inputs("regressions", target) {
            let bytes = try [UInt8](Data(contentsOf: file))
            let problem = target.check(bytes)
            #expect(problem == nil, "\(file.lastPathComponent): \(problem ?? "")")
        }
    }

    /// The checks themselves can fail: a property that held for everything would guard nothing.
    @Test func aBrokenPropertyIsReported() {
        // A position past the text's end is caught.
        #expect(FuzzTarget.position(line: 3, column: 1, in: Array("{}\n".utf8), what: "x") != nil)
        #expect(FuzzTarget.position(line: 1, column: 4, in: Array("{}\n".utf8), what: "x") != nil)
        #expect(FuzzTarget.position(line: 2, column: 1, in: Array("{}\n".utf8), what: "x") == nil)
        // Paths into a value name its members and items, breadth first.
        let paths = FuzzTarget.paths(in: ["a": ["b": [1, 2]], "c d": 3], limit: 10)
        #expect(paths == ["", "a", "a.b", "a.b[0]", "a.b[1]"])
    }
}
