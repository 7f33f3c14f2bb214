import SluiceCore
import Testing

/// An edit of a pipeline: pools matched by name, removed pools that hold items, moves, and an
/// item's walk continued on the edited pools.
@Suite struct AnnotationPipelineEditTests {
    static let old = try! AnnotationWalkTests.pipeline(#"{"pools": [{"type": 0}, {"name": "Label", "type": 1, "workers": ["ann"]}, {"name": "Review", "type": 2}, {"name": "OCR", "type": 4, "algorithmList": ["ocr", "lang"]}, {"type": 5}]}"#)

    @Test func poolsAreMatchedByNameAndRemovedOnesSendTheirItemsWhereMovesSay() throws {
        let new = try AnnotationWalkTests.pipeline(#"{"pools": [{"type": 0}, {"name": "QA", "type": 2}, {"name": "Label", "type": 1}, {"name": "OCR", "type": 4, "algorithmList": ["ocr"]}, {"type": 5}]}"#)
        let edit = AnnotationPipelineEdit(old: Self.old, new: new, moves: ["Review": "QA"])
        #expect(edit.target(ofPoolNamed: "Label") == 2)
        #expect(edit.target(ofPoolNamed: "Review") == 1, "moved")
        #expect(AnnotationPipelineEdit(old: Self.old, new: new).target(ofPoolNamed: "Review") == nil, "removed")
        #expect(edit.problems(occupancy: [1: .init(waiting: 3, held: 1), 2: .init(waiting: 1, held: 0)]).isEmpty)
    }

    @Test func anEditThatStrandsItemsIsRefusedWithCountsAndPaths() throws {
        let new = try AnnotationWalkTests.pipeline(#"{"pools": [{"type": 0}, {"name": "Label", "type": 2}, {"name": "QA", "type": 2}, {"name": "QA", "type": 2}, {"type": 5}]}"#)
        let refused = AnnotationPipelineEdit(old: Self.old, new: new, moves: ["Label": "QA", "Nope": "QA", "OCR": "QA"])
            .problems(occupancy: [1: .init(waiting: 2, held: 1), 2: .init(waiting: 1, held: 0), 3: .init(waiting: 0, held: 4)])
        #expect(refused.map(\.path) == ["workflow.pools[3].name", "moveItems.Label", "moveItems.Nope", "moveItems.OCR", "workflow.pools[1].type", "workflow.pools", "workflow.pools"])
        #expect(refused.map(\.code) == ["duplicate_name", "pool_kept", "unknown_pool", "cannot_move", "pool_not_empty", "pool_not_empty", "pool_not_empty"])
        #expect(refused[4].message.contains("3 items (2 waiting, 1 held)"), "\(refused[4].message)")
        #expect(refused[5].message.contains("\"Review\"") && refused[5].message.contains("moveItems"), "\(refused[5].message)")
        #expect(refused[6].message.contains("\"OCR\"") && refused[6].message.contains("until its items are through"), "\(refused[6].message)")
        let wrongType = AnnotationPipelineEdit(old: Self.old, new: try AnnotationWalkTests.pipeline(#"{"pools": [{"type": 0}, {"name": "Label", "type": 1}, {"type": 5}]}"#), moves: ["Review": "Label"])
        #expect(wrongType.problems(occupancy: [:]).map(\.code) == ["type_mismatch"])
    }

    @Test func aWalkGoesOnFromItsPoolInTheEditedPipelineWithWhoLabeledItByName() throws {
        var walk = AnnotationWalk(pipeline: Self.old, itemKey: "i", itemNumber: 0)
        walk.apply(.labeled(annotation: ["label": "cat"], by: "ann"))
        #expect(walk.step == .person(pool: 2, type: .inspection, workers: [], assignee: nil))
        // Edited: a second labeling pool goes first, Review gets a reviewer and a check follows.
        let new = try AnnotationWalkTests.pipeline(#"{"pools": [{"type": 0}, {"name": "Pre", "type": 1}, {"name": "Label", "type": 1}, {"name": "Review", "type": 2, "workers": ["rev"]}, {"name": "Check", "type": 2}, {"type": 5}]}"#)
        var moved = try #require(walk.rebased(onto: new, at: 3))
        #expect(moved.step == .person(pool: 3, type: .inspection, workers: ["rev"], assignee: nil))
        #expect(moved.annotation == ["label": "cat"])
        moved.apply(.reviewed(approved: false, comment: "dog", by: "rev"))
        #expect(moved.step == .person(pool: 2, type: .labeling, workers: [], assignee: "ann"), "back to who labeled it in Label, wherever Label stands now")
        moved.apply(.labeled(annotation: ["label": "dog"], by: "ann"))
        moved.apply(.reviewed(approved: true, comment: nil, by: "rev"))
        #expect(moved.step == .person(pool: 4, type: .inspection, workers: [], assignee: nil), "the pool the edit added")
        // An algorithm pool: the walk waits for the same algorithm there, or cannot go on.
        #expect(walk.rebased(onto: Self.old, at: 3, algorithm: "lang")?.step == .algorithm(pool: 3, name: "lang"))
        #expect(walk.rebased(onto: Self.old, at: 3, algorithm: "gone") == nil)
        #expect(walk.rebased(onto: new, at: 9) == nil)
    }
}
