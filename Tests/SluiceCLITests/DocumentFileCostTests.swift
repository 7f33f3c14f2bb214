import Foundation
@testable import SluiceCLI
import Testing

/// `sluice … -f FILE` reads a large YAML or JSON file and says where a problem near its end is
/// (line and column) in time that grows with the file, not faster (issue 21): a file of 1 MiB
/// (the body limit the server will apply) against one of a quarter of it, the fastest of rounds
/// (as `DefinitionCostTests` does for the server), 4 times the text must take well under 16
/// times as long.
@Suite(.serialized, .timeLimit(.minutes(5)), .disabled(if: ProcessInfo.processInfo.environment["SLUICE_TEST_SKIP_COST"] == "1", "SLUICE_TEST_SKIP_COST=1: the cost suites run in a pass of their own (.ci/run), since their 1 MiB bodies keep both cores busy and slow every timed test beside them")) struct DocumentFileCostTests {
    static let limit = 1 << 20
    static let maxRatio = 8.0
    static let floor: Duration = .milliseconds(60)
    static let budget: Duration = .seconds(20)

    /// A chain of `n` steps, each with an input object; in YAML or JSON.
    static func document(_ n: Int, yaml: Bool) -> String {
        if yaml {
            return "name: big\nsteps:\n" + String(repeating: "  - type: Echo\n    input:\n      text: hello\n      count: 3\n", count: n)
        }
        return #"{"name": "big", "steps": ["# + Array(repeating: #"{"type": "Echo", "input": {"text": "hello", "count": 3}}"#, count: n).joined(separator: ",\n") + "]}"
    }

    /// Reads the document and locates a problem in its last step.
    static func readAndLocate(_ text: String, steps: Int, yaml: Bool) throws -> String? {
        let file = try DocumentFile.parse(text, name: yaml ? "big.yaml" : "big.json")
        return file.positions(of: ["steps[\(steps - 1)].input.count"]).first ?? nil
    }

    func expectLinear(yaml: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let perStep = Self.document(2, yaml: yaml).utf8.count - Self.document(1, yaml: yaml).utf8.count
        let full = Self.limit / perStep - 1
        let sizes = [full / 4, full]
        let texts = sizes.map { Self.document($0, yaml: yaml) }
        #expect(texts[1].utf8.count <= Self.limit)
        var best: [Duration] = [.seconds(3600), .seconds(3600)]
        let clock = ContinuousClock()
        for round in 0..<7 {
            if round >= 3, best[1] <= Self.floor || best[1] / max(best[0], Self.floor) < Self.maxRatio { break }
            for k in 0..<2 {
                let start = clock.now
                let position = try Self.readAndLocate(texts[k], steps: sizes[k], yaml: yaml)
                best[k] = min(best[k], clock.now - start)
                // The last step's `count`: YAML line 2 + 4 per step, column 14; JSON on the last line.
                let expected = yaml ? "big.yaml:\(2 + 4 * sizes[k]):14" : "big.json:\(sizes[k]):54"
                #expect(position == expected, sourceLocation: sourceLocation)
            }
        }
        if ProcessInfo.processInfo.environment["SLUICE_COST_REPORT"] != nil {
            print("cost \(yaml ? "YAML" : "JSON") file: \(texts[0].utf8.count) bytes \(best[0]), \(texts[1].utf8.count) bytes \(best[1])")
        }
        #expect(best[1] < Self.budget, "\(texts[1].utf8.count) bytes took \(best[1])", sourceLocation: sourceLocation)
        if best[1] > Self.floor {
            let ratio = best[1] / max(best[0], Self.floor)
            #expect(ratio < Self.maxRatio, "\(texts[1].utf8.count) bytes took \(best[1]), \(texts[0].utf8.count) bytes \(best[0]): \(ratio)×", sourceLocation: sourceLocation)
        }
    }

    @Test func aLargeYAMLFileIsReadAndAProblemNearItsEndLocatedInLinearTime() throws {
        try expectLinear(yaml: true)
    }

    @Test func aLargeJSONFileIsReadAndAProblemNearItsEndLocatedInLinearTime() throws {
        try expectLinear(yaml: false)
    }
}
