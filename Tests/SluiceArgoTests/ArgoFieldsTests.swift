import SluiceCore
import Testing

@testable import SluiceArgo

/// Argo's `fields` parameter: keep only the paths named, or with a leading `-` drop them;
/// arrays pass a path on to each element.
@Suite struct ArgoFieldsTests {
    static let list = json("""
    {"metadata": {"resourceVersion": "7", "continue": "2"},
     "items": [{"metadata": {"name": "a", "uid": "u1"}, "spec": {"entrypoint": "main"}, "status": {"phase": "Running", "nodes": {"a": {"id": "a"}}}},
               {"metadata": {"name": "b", "uid": "u2"}, "status": {"phase": "Succeeded"}}]}
    """)

    @Test func pathsKeepOnlyWhatTheyNameInEveryItem() {
        let fields = ArgoFields("metadata,items.metadata.name,items.status.phase")
        #expect(fields?.apply(to: Self.list) == json("""
        {"metadata": {"resourceVersion": "7", "continue": "2"},
         "items": [{"metadata": {"name": "a"}, "status": {"phase": "Running"}}, {"metadata": {"name": "b"}, "status": {"phase": "Succeeded"}}]}
        """))
    }

    @Test func aLeadingMinusDropsWhatThePathsNameAndKeepsTheRest() {
        let fields = ArgoFields("-items.status.nodes,items.spec,metadata.continue")
        #expect(fields?.apply(to: Self.list) == json("""
        {"metadata": {"resourceVersion": "7"},
         "items": [{"metadata": {"name": "a", "uid": "u1"}, "status": {"phase": "Running"}}, {"metadata": {"name": "b", "uid": "u2"}, "status": {"phase": "Succeeded"}}]}
        """))
    }

    @Test func noFieldsMeansTheWholeAnswer() {
        #expect(ArgoFields(nil) == nil)
        #expect(ArgoFields("") == nil)
        #expect(ArgoFields(" , ") == nil)
        // A path naming nothing there keeps an empty object, as Argo's filter does.
        #expect(ArgoFields("status.nope")?.apply(to: json(#"{"status": {"phase": "Running"}}"#)) == json(#"{"status": {}}"#))
    }
}
