import SluiceCore
import Testing

/// The annotation API's rules for a workflow's pools, each at its path, before anything is
/// stored.
@Suite struct AnnotationPipelineTests {
    static func parse(_ json: String) throws -> (AnnotationPipeline?, [ValidationIssue]) {
        AnnotationPipeline.parse(try JSONParser.parse(json))
    }

    static func paths(_ json: String) throws -> [String] {
        try parse(json).1.map(\.path)
    }

    static func codes(_ json: String) throws -> [String] {
        try parse(json).1.map(\.code)
    }

    @Test func theSeedsPipelineIsReadWithItsDefaults() throws {
        let (pipeline, issues) = try Self.parse("""
            {"pools": [
              {"name": "in", "runMode": 0, "type": 0, "workers": []},
              {"name": "label", "runMode": 1, "type": 1, "workers": ["alice", "bob"]},
              {"name": "review", "runMode": 0, "type": 2, "workers": ["carol"]},
              {"name": "check", "type": 3, "sampleRate": 0.25},
              {"name": "ocr", "runMode": 0, "type": 4, "workers": [], "algorithmList": ["ocr-v2"]},
              {"name": "done", "runMode": 0, "type": 5, "workers": [], "algorithmList": null}
            ]}
            """)
        #expect(issues.isEmpty)
        let pools = try #require(pipeline).pools
        #expect(pools.map(\.type) == [.distribution, .labeling, .inspection, .spotCheck, .algorithm, .completion])
        #expect(pools[1].runMode == .push && pools[1].workers == ["alice", "bob"])
        #expect(pools[3].sampleRate == 0.25 && pools[3].runMode == .pull)
        #expect(pools[4].algorithms == ["ocr-v2"])
        let refs = try #require(pipeline).references(path: "workflow")
        #expect(refs.workers.map(\.path) == ["workflow.pools[1].workers[0]", "workflow.pools[1].workers[1]", "workflow.pools[2].workers[0]"])
        #expect(refs.algorithms.map(\.path) == ["workflow.pools[4].algorithmList[0]"])
    }

    @Test func aPoolWithoutANameIsNamedByItsType() throws {
        let pipeline = try #require(try Self.parse(#"{"pools": [{"type": 0}, {"type": 3}, {"type": 5}]}"#).0)
        #expect(pipeline.pools.map(\.name) == ["Distribution", "Spot Check", "Completion"])
        #expect(pipeline.pools[1].sampleRate == AnnotationPipeline.defaultSampleRate)
    }

    @Test func noPoolsIsInvalid() throws {
        #expect(try Self.codes(#"{"pools": []}"#) == ["no_pools"])
        #expect(try Self.paths(#"{}"#) == ["workflow.pools"])
        #expect(try Self.paths(#"{"pools": null}"#) == ["workflow.pools"])
    }

    @Test func theFirstPoolDistributesAndTheLastCompletes() throws {
        #expect(try Self.paths(#"{"pools": [{"type": 1}, {"type": 5}]}"#) == ["workflow.pools[0].type"])
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 1}]}"#) == ["workflow.pools[1].type"])
        #expect(try Self.codes(#"{"pools": [{"type": 5}]}"#) == ["first_not_distribution"])
        #expect(try Self.codes(#"{"pools": [{"type": 0}]}"#) == ["last_not_completion"])
    }

    @Test func onlyOneDistributionAndOneCompletionPool() throws {
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 0}, {"type": 5}]}"#) == ["workflow.pools[1].type"])
        #expect(try Self.codes(#"{"pools": [{"type": 0}, {"type": 5}, {"type": 5}]}"#) == ["second_completion"])
    }

    @Test func aTypeOutsideZeroToFiveIsInvalid() throws {
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 6}, {"type": 5}]}"#) == ["workflow.pools[1].type"])
        #expect(try Self.codes(#"{"pools": [{"type": 0}, {"type": -1}, {"type": 5}]}"#) == ["unknown_pool_type"])
        #expect(try Self.codes(#"{"pools": [{"type": 0}, {"name": "x"}, {"type": 5}]}"#) == ["required"])
    }

    @Test func algorithmsBelongToAlgorithmPoolsOnly() throws {
        #expect(try Self.codes(#"{"pools": [{"type": 0}, {"type": 4}, {"type": 5}]}"#) == ["required"])
        #expect(try Self.codes(#"{"pools": [{"type": 0}, {"type": 4, "algorithmList": []}, {"type": 5}]}"#) == ["no_algorithms"])
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 1, "algorithmList": ["a"]}, {"type": 5}]}"#) == ["workflow.pools[1].algorithmList"])
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 1, "algorithmList": []}, {"type": 5}]}"#) == ["workflow.pools[1].algorithmList"])
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 4, "algorithmList": ["ok", "no way"]}, {"type": 5}]}"#) == ["workflow.pools[1].algorithmList[1]"])
    }

    @Test func anUndefinedRunModeIsInvalid() throws {
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 1, "runMode": 2}, {"type": 5}]}"#) == ["workflow.pools[1].runMode"])
        #expect(try Self.codes(#"{"pools": [{"type": 0}, {"type": 1, "runMode": 1.5}, {"type": 5}]}"#) == ["type_mismatch"])
    }

    @Test func wrongJSONTypesAreInvalidWhereTheyAre() throws {
        #expect(try Self.paths(#"[]"#) == ["workflow"])
        #expect(try Self.paths(#"{"pools": {}}"#) == ["workflow.pools"])
        #expect(try Self.paths(#"{"pools": [3, {"type": 5}]}"#) == ["workflow.pools[0]"])
        #expect(try Self.paths(#"{"pools": [{"type": "0"}, {"type": 5}]}"#) == ["workflow.pools[0].type"])
        #expect(try Self.paths(#"{"pools": [{"type": 0, "name": 7}, {"type": 5}]}"#) == ["workflow.pools[0].name"])
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 1, "workers": "alice"}, {"type": 5}]}"#) == ["workflow.pools[1].workers"])
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 1, "workers": ["alice", 3]}, {"type": 5}]}"#) == ["workflow.pools[1].workers[1]"])
        #expect(try Self.paths(#"{"pools": [{"type": 0, "typo": 1}, {"type": 5}]}"#) == ["workflow.pools[0].typo"])
    }

    @Test func workersAreValidAccountNamesListedOnceInPoolsPeopleWorkIn() throws {
        #expect(try Self.codes(#"{"pools": [{"type": 0}, {"type": 1, "workers": ["alice", "alice"]}, {"type": 5}]}"#) == ["duplicate"])
        #expect(try Self.codes(#"{"pools": [{"type": 0}, {"type": 1, "workers": ["a b"]}, {"type": 5}]}"#) == ["invalid_name"])
        #expect(try Self.paths(#"{"pools": [{"type": 0, "workers": ["alice"]}, {"type": 5}]}"#) == ["workflow.pools[0].workers"])
    }

    @Test func aSampleRateIsAShareAndOnlyForSpotChecks() throws {
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 3, "sampleRate": 0}, {"type": 5}]}"#) == ["workflow.pools[1].sampleRate"])
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 3, "sampleRate": 1.5}, {"type": 5}]}"#) == ["workflow.pools[1].sampleRate"])
        #expect(try Self.paths(#"{"pools": [{"type": 0}, {"type": 1, "sampleRate": 0.5}, {"type": 5}]}"#) == ["workflow.pools[1].sampleRate"])
        #expect(try Self.parse(#"{"pools": [{"type": 0}, {"type": 3, "sampleRate": 1}, {"type": 5}]}"#).1.isEmpty)
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let paths = try Self.paths(#"{"pools": [{"type": 1}, {"type": 9}, {"type": 4}, {"type": 2, "runMode": 7}]}"#)
        #expect(paths == ["workflow.pools[1].type", "workflow.pools[2].algorithmList", "workflow.pools[3].runMode", "workflow.pools[0].type", "workflow.pools[3].type"])
    }

    @Test func aPipelineStaysWithinItsLimits() throws {
        func pools(_ middle: Int) -> String {
            #"{"pools": [{"type": 0}, "# + Array(repeating: #"{"type": 1}"#, count: middle).joined(separator: ", ") + #", {"type": 5}]}"#
        }
        #expect(try Self.parse(pools(Limits.annotationPools - 2)).1.isEmpty)
        #expect(try Self.codes(pools(Limits.annotationPools - 1)) == ["too_many"])
        func workers(_ n: Int) -> String {
            let names = (0..<n).map { "\"w\($0)\"" }.joined(separator: ", ")
            return #"{"pools": [{"type": 0}, {"type": 1, "workers": ["# + names + #"]}, {"type": 5}]}"#
        }
        #expect(try Self.parse(workers(Limits.annotationPoolWorkers)).1.isEmpty)
        #expect(try Self.paths(workers(Limits.annotationPoolWorkers + 1)) == ["workflow.pools[1].workers"])
        func algorithms(_ n: Int) -> String {
            let names = (0..<n).map { "\"a\($0)\"" }.joined(separator: ", ")
            return #"{"pools": [{"type": 0}, {"type": 4, "algorithmList": ["# + names + #"]}, {"type": 5}]}"#
        }
        #expect(try Self.parse(algorithms(Limits.annotationAlgorithmsPerPool)).1.isEmpty)
        #expect(try Self.paths(algorithms(Limits.annotationAlgorithmsPerPool + 1)) == ["workflow.pools[1].algorithmList"])
        let name = String(repeating: "n", count: Limits.annotationNameCharacters)
        #expect(try Self.parse(#"{"pools": [{"type": 0, "name": "\#(name)"}, {"type": 5}]}"#).1.isEmpty)
        #expect(try Self.paths(#"{"pools": [{"type": 0, "name": "\#(name)x"}, {"type": 5}]}"#) == ["workflow.pools[0].name"])
        func labels(_ n: Int) throws -> [ValidationIssue] {
            LabelConfig.parse(["kind": "choice", "labels": .array((0..<n).map { .string("l\($0)") })], path: "labelConfig").1
        }
        #expect(try labels(Limits.annotationLabels).isEmpty)
        #expect(try labels(Limits.annotationLabels + 1).map(\.path) == ["labelConfig.labels"])
        #expect(LabelConfig.parse(["kind": "choice", "labels": [.string(name + "x")]], path: "labelConfig").1.map(\.path) == ["labelConfig.labels[0]"])
    }
}

/// A project's label config, and the form its annotations are checked against.
@Suite struct LabelConfigTests {
    @Test func eachKindMakesTheFormItsAnnotationsMatch() throws {
        let choice = try #require(LabelConfig.parse(["kind": "choice", "labels": ["cat", "dog"]], path: "labelConfig").0)
        #expect(choice.problems(["label": "cat"], path: "annotation").isEmpty)
        #expect(choice.problems(["label": "cow"], path: "annotation").map(\.path) == ["annotation.label"])
        let choices = try #require(LabelConfig.parse(["kind": "choices", "labels": ["cat", "dog"]], path: "c").0)
        #expect(choices.problems(["labels": ["cat", "dog"]], path: "annotation").isEmpty)
        #expect(choices.problems(["labels": []], path: "annotation").map(\.code) == ["no_labels"])
        let boxes = try #require(LabelConfig.parse(["kind": "boxes", "labels": ["car"]], path: "c").0)
        #expect(boxes.problems(["boxes": [["label": "car", "x": 1, "y": 2, "width": 3, "height": 4]]], path: "annotation").isEmpty)
        #expect(boxes.problems(["boxes": [["label": "car", "x": 1, "y": 2, "width": -3, "height": 4]]], path: "annotation").map(\.path) == ["annotation.boxes[0].width"])
        let spans = try #require(LabelConfig.parse(["kind": "spans", "labels": ["name"]], path: "c").0)
        #expect(spans.problems(["spans": [["label": "name", "start": 0, "end": 4]]], path: "annotation").isEmpty)
        #expect(!spans.problems(["spans": [["label": "name", "start": 0.5, "end": 4]]], path: "annotation").isEmpty)
        let text = try #require(LabelConfig.parse(["kind": "text"], path: "c").0)
        #expect(text.problems(["text": "hello"], path: "annotation").isEmpty)
        #expect(text.problems(["text": ""], path: "annotation").map(\.path) == ["annotation.text"])
        let json = try #require(LabelConfig.parse(["kind": "json", "schema": ["type": "object", "required": ["score"]]], path: "c").0)
        #expect(json.problems(["score": 3], path: "annotation").isEmpty)
        #expect(json.problems([:], path: "annotation").map(\.path) == ["annotation.score"])
        #expect(LabelConfig.default.problems(["anything": true], path: "annotation").isEmpty)
    }

    @Test func aConfigIsCheckedMemberByMember() {
        func paths(_ value: JSONValue) -> [String] { LabelConfig.parse(value, path: "labelConfig").1.map(\.path) }
        #expect(paths("choice") == ["labelConfig"])
        #expect(paths([:]) == ["labelConfig.kind"])
        #expect(paths(["kind": "polygon", "labels": ["a"]]) == ["labelConfig.kind"])
        #expect(paths(["kind": "choice"]) == ["labelConfig.labels"])
        #expect(paths(["kind": "choice", "labels": []]) == ["labelConfig.labels"])
        #expect(paths(["kind": "choice", "labels": ["a", "a"]]) == ["labelConfig.labels[1]"])
        #expect(paths(["kind": "text", "labels": ["a"]]) == ["labelConfig.labels"])
        #expect(paths(["kind": "choice", "labels": ["a"], "schema": ["type": "object"]]) == ["labelConfig.schema"])
        #expect(paths(["kind": "json", "schema": ["type": "string"]]) == ["labelConfig.schema.type"])
        #expect(paths(["kind": "json", "colour": "red"]) == ["labelConfig.colour"])
    }
}
