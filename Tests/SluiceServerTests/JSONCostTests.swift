import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// The JSON parser's worst bodies (issue 21), each about 1 MiB, answered in time that grows
/// with the body, not faster (`DefinitionCostTests` has the method: the fastest of rounds, the
/// full body against a quarter of it): escapes, long numbers, wide arrays nested near the depth
/// limit, many keys alike. A refusal is fine; its cost is what is checked.
@Suite(.testStores, .serialized, .timeLimit(.minutes(10)), .disabled(if: CostSuites.skipped, CostSuites.skipReason)) struct JSONCostTests {
    typealias Shape = DefinitionCostTests.Shape

    func expectLinear(_ shape: Shape, name: String = #function, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await DefinitionCostTests.expectLinear(shape, app: try await makeApp(), prepare: { _ in ("/workflows/validate", nil) }, name: name, sourceLocation: sourceLocation)
    }

    /// A workflow with `member` beside its name and steps.
    static func workflow(_ member: String) -> String {
        #"{"name": "j", "steps": [{"type": "Echo"}], \#(member)}"#
    }

    /// Expects the one problem of a body that is not JSON, located in the body.
    static func invalidJSON(_ words: String) -> @Sendable (Reply) throws -> Void {
        { reply in
            let errors = try reply.json()["errors"]?.arrayValue ?? []
            #expect(errors.count == 1 && errors.first?["code"] == "invalid_json", "\(reply.text.prefix(300))")
            #expect(errors.first?["message"]?.stringValue?.contains(words) == true, "\(reply.text.prefix(300))")
            #expect(errors.first?["line"] == 1 && errors.first?["column"]?.numberValue ?? 0 > 1, "located: \(reply.text.prefix(300))")
        }
    }

    @Test func aStringOfEscapesAndSurrogatePairs() async throws {
        try await expectLinear(Shape(make: { n in
            Self.workflow(#""description": "\#(String(repeating: #"\u00e9\ud83d\ude00\n\""#, count: n))""#)
        }, status: .ok))
    }

    @Test func aStringOfEscapesWithABadOneAtItsEnd() async throws {
        try await expectLinear(Shape(make: { n in
            Self.workflow(#""description": "\#(String(repeating: #"\u0041\u00e9"#, count: n))\ud800x""#)
        }, status: .badRequest, check: Self.invalidJSON("unpaired UTF-16 surrogate")))
    }

    @Test func aNumberWithLongDigitRunsAndALongExponent() async throws {
        try await expectLinear(Shape(make: { n in
            Self.workflow(#""x": 1\#(String(repeating: "2", count: n)).\#(String(repeating: "3", count: n))e\#(String(repeating: "4", count: n))"#)
        }, status: .badRequest, check: Self.invalidJSON("out of range")))
    }

    @Test func manyNumbersWithLongExponents() async throws {
        try await expectLinear(Shape(make: { n in
            Self.workflow(#""x": [\#(DefinitionCostTests.joined(n) { _ in "1.5e-00000000000000000000000000000007" })]"#)
        }, status: .badRequest))
    }

    @Test func wideArraysAndObjectsNestedNearTheDepthLimit() async throws {
        // 250 levels (the limit is 256), each alternately an array and an object with n members
        // before the next level.
        try await expectLinear(Shape(make: { n in
            let levels = (0..<(Limits.jsonDepth - 6)).map { $0 % 2 == 0 }
            let array = "[" + String(repeating: "0,", count: n)
            let object = "{" + (0..<n).map { #""k\#($0)":0,"# }.joined() + #""next":"#
            let open = levels.map { $0 ? array : object }.joined()
            let close = levels.reversed().map { $0 ? "]" : "}" }.joined()
            return Self.workflow(#""x": \#(open)0\#(close)"#)
        }, status: .badRequest))
    }

    @Test func manyKeysAlikeButForTheirEndAndADuplicateLast() async throws {
        let stem = String(repeating: "k", count: 100)
        try await expectLinear(Shape(make: { n in
            Self.workflow(#""x": {\#(DefinitionCostTests.joined(n) { #""\#(stem)\#($0)": 0"# }), "\#(stem)0": 1}"#)
        }, status: .badRequest, check: Self.invalidJSON("duplicate member name")))
    }
}
