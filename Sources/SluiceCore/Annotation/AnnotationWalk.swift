/// One item's way through an annotation pipeline: a value that says what the item waits for
/// next, and moves on with each answer. No I/O: the engine stores each answer (as a queued
/// task of the item's execution) and replays them, in order, to find where the item stands
/// after a restart.
///
/// - distribution: the item enters; nothing to wait for.
/// - labeling: a person labels it; their annotation becomes the item's.
/// - inspection: a reviewer approves it (on to the next pool) or rejects it with a comment:
///   back to the labeling pool before it, to the person who labeled it there. With no
///   labeling pool before, a rejected item is discarded.
/// - spot check: a sample of the items (`sampleRate`, decided by the item's key, so a replay
///   decides the same) waits for a checker's pass; a fail is a rejection. The others pass.
/// - algorithm: each algorithm runs on the item in turn; their outputs are kept by name.
/// - completion: the item is done.
public struct AnnotationWalk: Sendable, Hashable {
    public private(set) var pipeline: AnnotationPipeline
    /// What makes sampling and push assignment the same on every replay: the item's id.
    public let itemKey: String
    /// The item's number in its workflow (0, 1, …): push pools assign items in turn by it.
    public let itemNumber: Int
    /// The pool the item is in.
    public private(set) var position: Int
    /// How many times the item went back to labeling.
    public private(set) var rounds = 0
    /// The annotation as it stands.
    public private(set) var annotation: JSONValue?
    /// Who labeled it last, by labeling pool.
    public private(set) var labelers: [Int: String] = [:]
    /// The comment of the last rejection, shown to the labeler it goes back to.
    public private(set) var comment: String?
    /// The outputs of the algorithms run so far, by name.
    public private(set) var outputs: [String: JSONValue] = [:]
    /// The algorithm of the current algorithm pool that runs next.
    public private(set) var algorithmIndex = 0
    /// The labeler a rejected item goes back to.
    var returnTo: String?
    public private(set) var ended: End?

    /// How an item's way ended.
    public enum End: String, Sendable, Hashable {
        /// Through the completion pool.
        case completed
        /// Rejected where it could not be sent back (no labeling pool before).
        case discarded
    }

    /// What the item waits for.
    public enum Step: Sendable, Hashable {
        /// A person's answer in a labeling, inspection or spot-check pool: `assignee` holds it
        /// from the start (a push pool's pick, or the labeler a rejection goes back to);
        /// otherwise any of `workers` (anyone when empty) may claim it.
        case person(pool: Int, type: PoolType, workers: [String], assignee: String?)
        /// Algorithm `name` of pool `pool`.
        case algorithm(pool: Int, name: String)
        case ended(End)
    }

    /// What a step was answered with.
    public enum Answer: Sendable, Hashable {
        case labeled(annotation: JSONValue, by: String)
        /// An inspection's or a spot check's verdict.
        case reviewed(approved: Bool, comment: String?, by: String)
        case algorithm(output: JSONValue)
    }

    public init(pipeline: AnnotationPipeline, itemKey: String, itemNumber: Int, annotation: JSONValue? = nil) {
        self.pipeline = pipeline
        self.itemKey = itemKey
        self.itemNumber = itemNumber
        self.annotation = annotation
        self.position = 0
        settle()
    }

    /// What the item waits for now.
    public var step: Step {
        if let ended { return .ended(ended) }
        let pool = pipeline.pools[position]
        switch pool.type {
        case .algorithm:
            return .algorithm(pool: position, name: pool.algorithms[algorithmIndex])
        default:
            var assignee = returnTo
            if assignee == nil, pool.runMode == .push, !pool.workers.isEmpty {
                assignee = pool.workers[(itemNumber + rounds) % pool.workers.count]
            }
            return .person(pool: position, type: pool.type, workers: pool.workers, assignee: assignee)
        }
    }

    /// Moves on with the answer to the current step; a wrong kind of answer changes nothing and
    /// says so.
    @discardableResult
    public mutating func apply(_ answer: Answer) -> Bool {
        guard ended == nil else { return false }
        let pool = pipeline.pools[position]
        switch (pool.type, answer) {
        case (.labeling, .labeled(let value, let by)):
            annotation = value
            labelers[position] = by
            returnTo = nil
            comment = nil
            position += 1
        case (.inspection, .reviewed(let approved, let text, _)), (.spotCheck, .reviewed(let approved, let text, _)):
            if approved {
                position += 1
            } else if let back = pipeline.pools[..<position].lastIndex(where: { $0.type == .labeling }) {
                rounds += 1
                comment = text
                returnTo = labelers[back]
                position = back
                return true
            } else {
                ended = .discarded
                return true
            }
        case (.algorithm, .algorithm(let output)):
            outputs[pool.algorithms[algorithmIndex]] = output
            algorithmIndex += 1
            if algorithmIndex == pool.algorithms.count {
                algorithmIndex = 0
                position += 1
            }
        default:
            return false
        }
        settle()
        return true
    }

    /// The walk continued on an edited pipeline (`POST /annotation/workflow/update`), standing
    /// in pool `pool` of `edited` as it stood before the answer it waits for: the annotation,
    /// comment, rounds and algorithm outputs carry over, and who labeled it in each labeling
    /// pool follows the pool's name. In an algorithm pool it waits for `algorithm` there.
    /// `nil` when it cannot: the walk ended, or `edited` has no such algorithm in that pool.
    /// Then `apply` takes the answer by the rules of the edited pipeline.
    public func rebased(onto edited: AnnotationPipeline, at pool: Int, algorithm: String? = nil) -> AnnotationWalk? {
        guard ended == nil, edited.pools.indices.contains(pool) else { return nil }
        var next = self
        next.pipeline = edited
        next.position = pool
        next.algorithmIndex = 0
        if edited.pools[pool].type == .algorithm {
            guard let algorithm, let i = edited.pools[pool].algorithms.firstIndex(of: algorithm) else { return nil }
            next.algorithmIndex = i
        }
        next.labelers = [:]
        for (index, name) in labelers {
            let poolName = pipeline.pools[index].name
            if let moved = edited.pools.firstIndex(where: { $0.name == poolName }) { next.labelers[moved] = name }
        }
        return next
    }

    /// Passes the pools that wait for nothing: distribution, an unsampled spot check, and
    /// completion (which ends the walk).
    mutating func settle() {
        while ended == nil {
            let pool = pipeline.pools[position]
            switch pool.type {
            case .distribution:
                position += 1
            case .spotCheck where !Self.sampled(itemKey, pool: position, rate: pool.sampleRate ?? AnnotationPipeline.defaultSampleRate):
                position += 1
            case .completion:
                ended = .completed
            default:
                return
            }
        }
    }

    /// Whether the spot check of pool `pool` checks item `key`: a hash of both below `rate`.
    public static func sampled(_ key: String, pool: Int, rate: Double) -> Bool {
        if rate >= 1 { return true }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 + [0x3A] + String(pool).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        // The top 53 bits, as a fraction of 1.
        return Double(hash >> 11) / Double(UInt64(1) << 53) < rate
    }
}
