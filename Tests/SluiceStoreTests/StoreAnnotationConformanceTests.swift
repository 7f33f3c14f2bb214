import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// Annotation projects, workflows and algorithms, the same in every driver.
@Suite(.postgresSchemas) struct StoreAnnotationConformanceTests {
    func project(_ name: String, namespace: String = "default") -> AnnotationProjectRecord {
        AnnotationProjectRecord(namespace: namespace, name: name, description: "about \(name)", labelConfig: ["kind": "choice", "labels": ["cat", "dog"]], createdAt: 100)
    }

    @Test(arguments: Driver.allCases)
    func projectsTakeIncreasingIdsAndAreListedByNamespace(driver: Driver) async throws {
        let store = try await driver.make()
        let a = try await store.insertProject(project("a"))
        let b = try await store.insertProject(project("b", namespace: "team-b"))
        let c = try await store.insertProject(project("c"))
        #expect(a.id > 0 && b.id > a.id && c.id > b.id)
        #expect(try await store.project(id: b.id) == b)
        #expect(try await store.project(id: c.id + 100) == nil)
        #expect(try await store.projects(namespaces: nil, after: 0, limit: 10).map(\.name) == ["a", "b", "c"])
        #expect(try await store.projects(namespaces: ["default"], after: 0, limit: 10).map(\.name) == ["a", "c"])
        #expect(try await store.projects(namespaces: [], after: 0, limit: 10).isEmpty)
        #expect(try await store.projects(namespaces: nil, after: a.id, limit: 1).map(\.name) == ["b"], "a page starts after its cursor")
    }

    @Test(arguments: Driver.allCases)
    func aWorkflowBelongsToAProjectThatExists(driver: Driver) async throws {
        let store = try await driver.make()
        let p = try await store.insertProject(project("a", namespace: "team-a"))
        let pipeline = AnnotationPipeline.default.json
        let w1 = try #require(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id, namespace: "", pipeline: pipeline, createdAt: 200)))
        let w2 = try #require(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id, namespace: "", pipeline: ["pools": []], createdAt: 300)))
        #expect(w1.namespace == "team-a", "a workflow is in its project's namespace")
        #expect(w2.id > w1.id)
        #expect(try await store.annotationWorkflow(id: w1.id) == w1)
        #expect(try await store.annotationWorkflow(id: w1.id)?.pipeline == pipeline)
        #expect(try await store.annotationWorkflows(projectID: p.id).map(\.id) == [w1.id, w2.id])
        #expect(try await store.insertAnnotationWorkflow(AnnotationWorkflowRecord(projectID: p.id + 50, namespace: "", pipeline: pipeline, createdAt: 1)) == nil)
        #expect(try await store.annotationWorkflows(projectID: p.id + 50).isEmpty)
    }

    @Test(arguments: Driver.allCases)
    func anAlgorithmNameIsTakenOncePerNamespace(driver: Driver) async throws {
        let store = try await driver.make()
        let ocr = AnnotationAlgorithmRecord(namespace: "default", name: "ocr", description: "reads text", spec: ["queue": "ocr"], createdAt: 5)
        #expect(try await store.insertAlgorithm(ocr))
        #expect(try await store.insertAlgorithm(AnnotationAlgorithmRecord(namespace: "default", name: "ocr", description: "again", spec: ["queue": "x"], createdAt: 6)) == false)
        #expect(try await store.insertAlgorithm(AnnotationAlgorithmRecord(namespace: "team-b", name: "ocr", description: "theirs", spec: ["queue": "y"], createdAt: 7)))
        #expect(try await store.insertAlgorithm(AnnotationAlgorithmRecord(namespace: "default", name: "blur", description: "", spec: ["queue": "b"], createdAt: 8)))
        #expect(try await store.algorithm(namespace: "default", name: "ocr") == ocr)
        #expect(try await store.algorithm(namespace: "default", name: "nope") == nil)
        #expect(try await store.algorithms(namespace: "default").map(\.name) == ["blur", "ocr"])
    }
}
