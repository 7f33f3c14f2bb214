import SluiceCore
import Testing

/// An item's way through the pools, answer by answer.
@Suite struct AnnotationWalkTests {
    static func pipeline(_ json: String) throws -> AnnotationPipeline {
        try #require(AnnotationPipeline.parse(try JSONParser.parse(json)).0)
    }

    @Test func aRejectedItemGoesBackToItsLabelerWithTheCommentUntilApproved() throws {
        let pipeline = try Self.pipeline(#"{"pools": [{"type": 0}, {"type": 1, "workers": ["ann", "bob"]}, {"type": 2, "workers": ["rev"]}, {"type": 5}]}"#)
        var walk = AnnotationWalk(pipeline: pipeline, itemKey: "item-1", itemNumber: 0)
        #expect(walk.step == .person(pool: 1, type: .labeling, workers: ["ann", "bob"], assignee: nil), "a pull pool: anyone of its workers claims it")
        let applied1 = walk.apply(.labeled(annotation: ["label": "cat"], by: "bob"))
        #expect(applied1)
        #expect(walk.step == .person(pool: 2, type: .inspection, workers: ["rev"], assignee: nil))
        let applied2 = walk.apply(.reviewed(approved: false, comment: "it is a dog", by: "rev"))
        #expect(applied2)
        #expect(walk.step == .person(pool: 1, type: .labeling, workers: ["ann", "bob"], assignee: "bob"), "back to the same labeler")
        #expect(walk.comment == "it is a dog" && walk.rounds == 1)
        walk.apply(.labeled(annotation: ["label": "dog"], by: "bob"))
        #expect(walk.comment == nil)
        walk.apply(.reviewed(approved: true, comment: nil, by: "rev"))
        #expect(walk.step == .ended(.completed))
        #expect(walk.annotation == ["label": "dog"])
        let applied3 = walk.apply(.labeled(annotation: [:], by: "x"))
        #expect(!applied3, "an ended walk takes no answer")
    }

    @Test func aPushPoolAssignsItemsToItsWorkersInTurn() throws {
        let pipeline = try Self.pipeline(#"{"pools": [{"type": 0}, {"type": 1, "runMode": 1, "workers": ["ann", "bob", "cy"]}, {"type": 5}]}"#)
        let assignees = (0..<6).map { n -> String? in
            guard case .person(_, _, _, let assignee) = AnnotationWalk(pipeline: pipeline, itemKey: "i\(n)", itemNumber: n).step else { return nil }
            return assignee
        }
        #expect(assignees == ["ann", "bob", "cy", "ann", "bob", "cy"])
    }

    @Test func aSpotCheckChecksItsSampleAndAFailSendsTheItemBack() throws {
        let always = try Self.pipeline(#"{"pools": [{"type": 0}, {"type": 1}, {"type": 3, "sampleRate": 1}, {"type": 5}]}"#)
        var walk = AnnotationWalk(pipeline: always, itemKey: "x", itemNumber: 0)
        walk.apply(.labeled(annotation: ["a": 1], by: "ann"))
        #expect(walk.step == .person(pool: 2, type: .spotCheck, workers: [], assignee: nil))
        walk.apply(.reviewed(approved: false, comment: "sloppy", by: "chk"))
        #expect(walk.step == .person(pool: 1, type: .labeling, workers: [], assignee: "ann"))
        walk.apply(.labeled(annotation: ["a": 2], by: "ann"))
        walk.apply(.reviewed(approved: true, comment: nil, by: "chk"))
        #expect(walk.step == .ended(.completed))

        let rare = try Self.pipeline(#"{"pools": [{"type": 0}, {"type": 1}, {"type": 3, "sampleRate": 0.1}, {"type": 5}]}"#)
        var checked = 0
        for n in 0..<10_000 {
            var item = AnnotationWalk(pipeline: rare, itemKey: "item-\(n)", itemNumber: n)
            item.apply(.labeled(annotation: [:], by: "ann"))
            if case .person = item.step { checked += 1 } else { #expect(item.step == .ended(.completed), "unsampled items pass") }
        }
        #expect((800...1200).contains(checked), "about a tenth is checked: \(checked)")
        #expect(AnnotationWalk.sampled("item-7", pool: 2, rate: 0.5) == AnnotationWalk.sampled("item-7", pool: 2, rate: 0.5), "the same item, the same decision")
    }

    @Test func aRejectionWithNoLabelingPoolBeforeDiscardsTheItem() throws {
        let pipeline = try Self.pipeline(#"{"pools": [{"type": 0}, {"type": 4, "algorithmList": ["pre"]}, {"type": 2}, {"type": 5}]}"#)
        var walk = AnnotationWalk(pipeline: pipeline, itemKey: "x", itemNumber: 0, annotation: ["label": "cat"])
        #expect(walk.step == .algorithm(pool: 1, name: "pre"))
        walk.apply(.algorithm(output: ["label": "dog"]))
        walk.apply(.reviewed(approved: false, comment: "wrong", by: "rev"))
        #expect(walk.step == .ended(.discarded))
    }

    @Test func algorithmsRunInTurnAndTheirOutputsAreKeptByName() throws {
        let pipeline = try Self.pipeline(#"{"pools": [{"type": 0}, {"type": 1}, {"type": 4, "algorithmList": ["ocr", "blur"]}, {"type": 5}]}"#)
        var walk = AnnotationWalk(pipeline: pipeline, itemKey: "x", itemNumber: 0)
        let applied4 = walk.apply(.algorithm(output: [:]))
        #expect(!applied4, "a labeling pool takes an annotation, not an algorithm's output")
        walk.apply(.labeled(annotation: ["a": 1], by: "ann"))
        #expect(walk.step == .algorithm(pool: 2, name: "ocr"))
        walk.apply(.algorithm(output: ["text": "hi"]))
        #expect(walk.step == .algorithm(pool: 2, name: "blur"))
        walk.apply(.algorithm(output: ["ok": true]))
        #expect(walk.step == .ended(.completed))
        #expect(walk.outputs == ["ocr": ["text": "hi"], "blur": ["ok": true]])
    }

    @Test func aReplayOfTheSameAnswersEndsWhereTheItemWas() throws {
        let pipeline = try Self.pipeline(#"{"pools": [{"type": 0}, {"type": 1, "runMode": 1, "workers": ["ann", "bob"]}, {"type": 2}, {"type": 3, "sampleRate": 1}, {"type": 5}]}"#)
        let answers: [AnnotationWalk.Answer] = [
            .labeled(annotation: ["v": 1], by: "bob"), .reviewed(approved: false, comment: "no", by: "r"),
            .labeled(annotation: ["v": 2], by: "bob"), .reviewed(approved: true, comment: nil, by: "r"),
        ]
        var first = AnnotationWalk(pipeline: pipeline, itemKey: "k", itemNumber: 1)
        for answer in answers { first.apply(answer) }
        var replay = AnnotationWalk(pipeline: pipeline, itemKey: "k", itemNumber: 1)
        for answer in answers { replay.apply(answer) }
        #expect(replay == first)
        #expect(replay.step == .person(pool: 3, type: .spotCheck, workers: [], assignee: nil))
    }
}
