import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// The annotation API's bodies as they land (issue 21): a project's label config, a workflow's
/// pools and workers, an upload's items, each at the largest size its limits and the body limit
/// (1 MiB) allow, answered in time that grows with the size, not faster (`DefinitionCostTests`
/// has the method: the fastest of rounds, the full size against a quarter of it).
@Suite(.testStores, .serialized, .timeLimit(.minutes(10)), .disabled(if: CostSuites.skipped, CostSuites.skipReason)) struct AnnotationCostTests {
    typealias Shape = DefinitionCostTests.Shape
    static func joined(_ n: Int, _ part: (Int) -> String) -> String { DefinitionCostTests.joined(n, part) }

    /// An app with accounts `ann` and `bob`; `prepare` makes what the bodies need and answers
    /// the path they go to.
    func expectLinear(_ shape: Shape, prepare: @escaping @Sendable (any TestClientProtocol) async throws -> (path: String, id: Int?) = { _ in ("/annotation/project/create", nil) }, name: String = #function, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (app, _) = try await AnnotationAPITests().makeApp(accounts: ["ann", "bob"])
        try await DefinitionCostTests.expectLinear(shape, app: app, prepare: prepare, name: name, sourceLocation: sourceLocation)
    }

    static func problem(_ path: String, _ code: String) -> @Sendable (Reply) throws -> Void {
        { reply in
            let problems = try reply.json()["problems"]?.arrayValue ?? []
            #expect(problems.first?["path"] == .string(path) && problems.first?["code"] == .string(code), "\(reply.text.prefix(300))")
        }
    }

    /// Creates a project and answers its id.
    static func project(_ client: any TestClientProtocol) async throws -> Int {
        let reply = try await client.send(.post, "/annotation/project/create", body: #"{"name": "pets", "labelConfig": {"kind": "choice", "labels": ["cat", "dog"]}}"#)
        return Int(try #require(try reply.json()["data"]?["projectId"]?.numberValue, "\(reply.text)"))
    }

    /// A project whose workflow labels (ann, bob) and completes; answers the upload's path
    /// and the workflow's id.
    static func upload(_ client: any TestClientProtocol) async throws -> (path: String, id: Int?) {
        let project = try await project(client)
        let pools = #"{"pools": [{"type": 0}, {"name": "Label", "type": 1, "workers": ["ann", "bob"]}, {"type": 5}]}"#
        let reply = try await client.send(.post, "/annotation/workflow/create", body: #"{"projectId": \#(project), "workflow": \#(pools)}"#)
        let id = try #require(try reply.json()["data"]?["workflowId"]?.numberValue, "\(reply.text)")
        return ("/annotation/item/upload", Int(id))
    }

    // MARK: Projects

    @Test func aLabelConfigWithLabelsPastTheLimitIsRefusedForItsLength() async throws {
        try await expectLinear(Shape(make: { n in
            #"{"name": "p", "labelConfig": {"kind": "choices", "labels": [\#(Self.joined(n) { "\"l\($0)\"" })]}}"#
        }, status: .badRequest, check: Self.problem("labelConfig.labels", "too_many")))
    }

    @Test func aLabelConfigOfTheMostLabelsOfTheLongestNamesAlikeButForTheirEnd() async throws {
        // 1000 labels of 200 characters, told apart by their last characters: the duplicate
        // check compares them all.
        let stem = String(repeating: "l", count: Limits.annotationNameCharacters - 5)
        try await expectLinear(Shape(make: { n in
            #"{"name": "p", "labelConfig": {"kind": "choices", "labels": [\#(Self.joined(n) { "\"\(stem)\(String(format: "%05d", $0))\"" })]}}"#
        }, maxParts: Limits.annotationLabels, status: .ok))
    }

    @Test func aJSONLabelConfigWithALargeSchema() async throws {
        try await expectLinear(Shape(make: { n in
            let properties = Self.joined(n) { #""p\#($0)": {"type": "string", "enum": ["a", "b"]}"# }
            return #"{"name": "p", "labelConfig": {"kind": "json", "schema": {"type": "object", "properties": {\#(properties)}, "required": ["p0"], "additionalProperties": false}}}"#
        }, status: .ok))
    }

    // MARK: Workflows

    @Test func poolsPastTheLimitAreRefusedForTheirNumber() async throws {
        let workers = Self.joined(Limits.annotationPoolWorkers) { "\"w\($0)\"" }
        try await expectLinear(Shape(make: { n in
            #"{"projectId": $ID, "workflow": {"pools": [{"type": 0}, \#(Self.joined(n) { #"{"name": "p\#($0)", "type": 1, "workers": [\#(workers)]}"# }), {"type": 5}]}}"#
        }, status: .badRequest, check: Self.problem("workflow.pools", "too_many")), prepare: { client in
            ("/annotation/workflow/create", try await Self.project(client))
        })
    }

    @Test func aPoolWithWorkersPastTheLimitIsRefusedForTheirNumber() async throws {
        try await expectLinear(Shape(make: { n in
            #"{"projectId": $ID, "workflow": {"pools": [{"type": 0}, {"name": "label", "type": 1, "workers": [\#(Self.joined(n) { "\"w\($0)\"" })]}, {"type": 5}]}}"#
        }, status: .badRequest, check: Self.problem("workflow.pools[1].workers", "too_many")), prepare: { client in
            ("/annotation/workflow/create", try await Self.project(client))
        })
    }

    @Test func theMostPoolsOfTheMostWorkersNamingUnknownAccounts() async throws {
        // 18 labeling pools of 100 workers with the longest account names, none of which
        // exists: an account looked up per distinct name, a problem per worker (100 listed).
        let name = String(repeating: "a", count: AccountName.maxLength - 5)
        try await expectLinear(Shape(make: { n in
            let pools = Self.joined(n) { p in
                #"{"name": "p\#(p)", "type": 1, "workers": [\#(Self.joined(Limits.annotationPoolWorkers) { "\"\(name)\(String(format: "%05d", p * 100 + $0))\"" })]}"#
            }
            return #"{"projectId": $ID, "workflow": {"pools": [{"type": 0}, \#(pools), {"type": 5}]}}"#
        }, maxParts: Limits.annotationPools - 2, status: .badRequest, check: Self.problem("workflow.pools[1].workers[0]", "unknown_account")), prepare: { client in
            ("/annotation/workflow/create", try await Self.project(client))
        })
    }

    // MARK: Items

    @Test func itemsPastTheLimitAreRefusedForTheirNumber() async throws {
        try await expectLinear(Shape(make: { n in
            #"{"workflowId": $ID, "items": [\#(Self.joined(n) { #"{"data": "d\#($0)"}"# })]}"#
        }, status: .badRequest, check: Self.problem("items", "too_many")), prepare: Self.upload)
    }

    @Test func theMostItemsEachWithALargePayload() async throws {
        // 1000 items of about 1 KiB each: stored, and an execution started for each.
        let payload = String(repeating: "x", count: 900)
        // Found by this test: 1000 items took 1.30 s where 250 took 0.071 s (18×). MemoryStore
        // scanned every queued task per enqueue (each item's execution queues one) and every
        // item per item stored (its number) and per execution recorded; now 0.29 s against
        // 0.06 s.
        try await expectLinear(Shape(make: { n in
            #"{"workflowId": $ID, "items": [\#(Self.joined(n) { #"{"data": {"text": "\#(payload)", "n": \#($0)}}"# })]}"#
        }, maxParts: Limits.annotationItemsPerUpload, status: .ok), prepare: Self.upload)
    }

    @Test func oneItemWithAPayloadOfTheBodyLimit() async throws {
        try await expectLinear(Shape(make: { n in
            #"{"workflowId": $ID, "items": [{"data": {\#(Self.joined(n) { #""k\#($0)": [\#($0), "v"]"# })}}]}"#
        }, status: .ok), prepare: Self.upload)
    }
}
