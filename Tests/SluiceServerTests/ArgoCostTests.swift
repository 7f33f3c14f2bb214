import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceEngine
import SluiceSteps
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// Argo Workflows as they land (issue 21): `POST /api/v1/workflows/{namespace}` with the worst
/// body of each shape at the largest size the body limit (1 MiB) or the 10,000-task expansion
/// limit allows, and a read of a large workflow's status, each answered in time that grows with
/// the size, not faster (`DefinitionCostTests` has the method: the fastest of rounds, the full
/// size against a quarter of it). The accepted workflows start with a one-hour `suspend`, so no
/// container runs while they are timed.
@Suite(.testStores, .serialized, .timeLimit(.minutes(10)), .disabled(if: CostSuites.skipped, CostSuites.skipReason)) struct ArgoCostTests {
    typealias Shape = DefinitionCostTests.Shape
    static let path = "/api/v1/workflows/argo"

    func app() async throws -> some ApplicationProtocol {
        try await makeApp(registry: StepRegistry.standard(options: .init(httpClient: webhookTestClient, containers: ContainerOptions(runtime: ProcessContainerRuntime()))))
    }

    /// A Workflow named `prefix-xxxxx` with these templates, entered at `main`.
    static func workflow(_ prefix: String, _ templates: String) -> String {
        #"{"workflow": {"metadata": {"generateName": "\#(prefix)-"}, "spec": {"entrypoint": "main", "templates": [\#(templates)]}}}"#
    }

    /// A template that waits an hour (a `Delay`), so that what depends on it does not run yet.
    static let wait = #"{"name": "wait", "suspend": {"duration": "3600"}}"#
    static let echo = #"{"name": "echo", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.m}}"]}}"#

    func expectLinear(_ shape: Shape, name: String = #function, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await DefinitionCostTests.expectLinear(shape, app: try await app(), prepare: { _ in (Self.path, nil) }, budget: Self.budget, name: name, sourceLocation: sourceLocation)
    }

    /// An Argo body expands to up to 10,000 tasks whatever its size (a refusal past the limit
    /// too: the expansion stops there), a few seconds in a debug build: the shape is what is
    /// judged, the budget only catches a cost of minutes.
    static let budget: Duration = .seconds(20)

    /// The answer to a create of an accepted workflow holds its spec (as large as the body) and
    /// a node per task.
    static let createdAnswer = 8 * DefinitionCostTests.limit

    static func refused(_ words: String) -> @Sendable (Reply) throws -> Void {
        { reply in
            let message = try reply.json()["message"]?.stringValue ?? ""
            #expect(message.contains(words), "\(message.prefix(300))")
        }
    }

    @Test func aWithItemsListPastTheTaskLimitIsRefusedForItsLength() async throws {
        // About 150,000 items at 1 MiB: the expansion stops at 10,000.
        try await expectLinear(Shape(make: { n in
            Self.workflow("items", #"{"name": "main", "dag": {"tasks": [{"name": "t", "template": "echo", "withItems": [\#(DefinitionCostTests.joined(n) { "\($0)" })], "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}}]}}, \#(Self.echo)"#)
        }, path: Self.path, status: .badRequest, check: Self.refused("expands to more than \(Limits.maxTranslatedTasks)")))
    }

    @Test func aWithItemsListOfLongItemsAtTheTaskLimit() async throws {
        let item = String(repeating: "i", count: 90)
        try await expectLinear(Shape(make: { n in
            Self.workflow("long-items", #"{"name": "main", "dag": {"tasks": [{"name": "w", "template": "wait"}, {"name": "t", "template": "echo", "dependencies": ["w"], "withItems": [\#(DefinitionCostTests.joined(n) { #""\#(item)\#($0)""# })], "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}}]}}, \#(Self.wait), \#(Self.echo)"#)
        }, maxParts: Limits.maxTranslatedTasks - 1, path: Self.path, status: .ok, maxAnswerBytes: Self.createdAnswer))
    }

    @Test func manyDAGTasksEachDependingOnTheThreeBefore() async throws {
        try await expectLinear(Shape(make: { n in
            let tasks = DefinitionCostTests.joined(n) { i in
                i == 0 ? #"{"name": "t0", "template": "wait"}"#
                    : #"{"name": "t\#(i)", "template": "echo", "dependencies": [\#((max(0, i - 3)..<i).map { "\"t\($0)\"" }.joined(separator: ", "))], "arguments": {"parameters": [{"name": "m", "value": "\#(i)"}]}}"#
            }
            return Self.workflow("dag", #"{"name": "main", "dag": {"tasks": [\#(tasks)]}}, \#(Self.wait), \#(Self.echo)"#)
        }, maxParts: Limits.maxTranslatedTasks, path: Self.path, status: .ok, maxAnswerBytes: Self.createdAnswer))
    }

    /// `depends` expressions that let a task run after a failure: each such gate is looked up,
    /// not searched for in every gate made before (that was quadratic).
    @Test func manyDAGTasksEachWithADependsExpressionOnTheOneBefore() async throws {
        try await expectLinear(Shape(make: { n in
            let tasks = DefinitionCostTests.joined(n) { i in
                i == 0 ? #"{"name": "t0", "template": "wait"}"#
                    : #"{"name": "t\#(i)", "template": "echo", "depends": "t\#(i - 1).Succeeded || t\#(i - 1).Failed", "arguments": {"parameters": [{"name": "m", "value": "\#(i)"}]}}"#
            }
            return Self.workflow("depends", #"{"name": "main", "dag": {"tasks": [\#(tasks)]}}, \#(Self.wait), \#(Self.echo)"#)
        }, maxParts: Limits.maxTranslatedTasks, path: Self.path, status: .ok, maxAnswerBytes: Self.createdAnswer))
    }

    @Test func manyTemplatesCallingEachOtherInChainsAsDeepAsAllowed() async throws {
        // Templates c0 → c1 → … → c7 → wait, c8 → … → c15 → wait, …; main calls the head of
        // each chain. n templates, n/8 suspends.
        let depth = 8
        try await expectLinear(Shape(make: { n in
            let chains = (n + depth - 1) / depth
            let main = #"{"name": "main", "dag": {"tasks": [\#(DefinitionCostTests.joined(chains) { #"{"name": "h\#($0)", "template": "c\#($0 * depth)"}"# })]}}"#
            let templates = DefinitionCostTests.joined(n) { i in
                let next = (i + 1) % depth == 0 || i + 1 == n ? "wait" : "c\(i + 1)"
                return #"{"name": "c\#(i)", "dag": {"tasks": [{"name": "x", "template": "\#(next)"}]}}"#
            }
            return Self.workflow("templates", "\(main), \(templates), \(Self.wait)")
        }, path: Self.path, status: .ok, maxAnswerBytes: Self.createdAnswer))
    }

    @Test func manyStepsGroupsOneAfterAnother() async throws {
        let pad = String(repeating: "p", count: 40)
        try await expectLinear(Shape(make: { n in
            let groups = DefinitionCostTests.joined(n) { i in
                i == 0 ? #"[{"name": "s0", "template": "wait"}]"#
                    : #"[{"name": "s\#(i)", "template": "echo", "arguments": {"parameters": [{"name": "m", "value": "\#(pad)\#(i)"}]}}]"#
            }
            return Self.workflow("steps", #"{"name": "main", "steps": [\#(groups)]}, \#(Self.wait), \#(Self.echo)"#)
        }, maxParts: Limits.maxTranslatedTasks, path: Self.path, status: .ok, maxAnswerBytes: Self.createdAnswer))
    }

    /// The status of a `withItems` over a DAG template, read: each item's DAG node gathers the
    /// nodes inside it. 4,000 items against 1,000, the fastest of rounds (commit 83cc768 made
    /// this linear; it was a scan of every node per DAG, 3.3 s a read at 3,000 items).
    @Test func readingTheStatusOfAWithItemsOverADAGTemplate() async throws {
        let sizes = [1000, 4000]
        try await app().test(.router) { client in
            var names: [String] = []
            for n in sizes {
                let body = Self.workflow("read", #"""
                    {"name": "main", "dag": {"tasks": [{"name": "t", "template": "sub", "withItems": [\#(DefinitionCostTests.joined(n) { "\($0)" })], "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}}]}},
                    {"name": "sub", "inputs": {"parameters": [{"name": "m"}]}, "dag": {"tasks": [{"name": "w", "template": "wait"}, {"name": "e", "template": "echo", "dependencies": ["w"], "arguments": {"parameters": [{"name": "m", "value": "{{inputs.parameters.m}}"}]}}]}},
                    \#(Self.wait), \#(Self.echo)
                    """#)
                let created = try await client.send(.post, Self.path, body: body)
                try #require(created.status == .ok, "\(created.text.prefix(300))")
                names.append(try #require(try created.json()["metadata"]?["name"]?.stringValue))
            }
            try await DefinitionCostTests.expectLinearTimes(quarterBytes: sizes[0], fullBytes: sizes[1], unit: "items", name: "reading a status", budget: Self.budget, sourceLocation: #_sourceLocation) { k in
                let reply = try await client.send(.get, "\(Self.path)/\(names[k])")
                #expect(reply.status == .ok)
                let nodes = try reply.json()["status"]?["nodes"]?.objectValue
                #expect(nodes?.count ?? 0 > 3 * sizes[k], "a DAG node, a suspend and a container per item")
            }
        }
    }
}
