/// An edit of an annotation workflow's pipeline (`POST /annotation/workflow/update`): which
/// pool of the new pipeline each pool of the old one continues as, and whether the items in the
/// old pools can follow. No I/O: the server counts the items, this decides.
///
/// Pools are matched by name: a pool of the new pipeline named as one of the old continues it
/// (its items stay in it, wherever it now stands); an old pool whose name is gone is removed.
/// A removed pool that holds items refuses the edit, unless `moves` sends them to a pool of the
/// new pipeline of the same type (`moveItems: {"Review": "Review 2"}`). Only people's pools
/// (labeling, inspection, spot check) move items: an algorithm pool holding items keeps them
/// until they are through.
public struct AnnotationPipelineEdit: Sendable, Hashable {
    public let old: AnnotationPipeline
    public let new: AnnotationPipeline
    /// Removed pool's name → the new pool its items go to.
    public let moves: [String: String]

    public init(old: AnnotationPipeline, new: AnnotationPipeline, moves: [String: String] = [:]) {
        self.old = old
        self.new = new
        self.moves = moves
    }

    /// The index in the new pipeline of the pool that old pool `name` continues as (its own
    /// name, or where `moves` sends it), or `nil` when it is removed.
    public func target(ofPoolNamed name: String) -> Int? {
        if let i = new.pools.firstIndex(where: { $0.name == name }) { return i }
        if let moved = moves[name] { return new.pools.firstIndex { $0.name == moved } }
        return nil
    }

    /// Items in one old pool: waiting for someone, and held by someone.
    public struct Occupancy: Sendable, Hashable {
        public var waiting: Int
        public var held: Int
        public init(waiting: Int, held: Int) {
            self.waiting = waiting
            self.held = held
        }
        var total: Int { waiting + held }
        var described: String { "\(total) item\(total == 1 ? "" : "s") (\(waiting) waiting, \(held) held)" }
    }

    /// Why the edit cannot be made, each at its path: pool names the new pipeline repeats (an
    /// edit matches pools by name), `moveItems` entries that name no removed pool or no pool of
    /// the same type, removed or retyped pools that hold items (`occupancy`, by old pool index).
    public func problems(occupancy: [Int: Occupancy], workflowPath: String = "workflow", movesPath: String = "moveItems") -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let poolsPath = IssuePath.member(workflowPath, "pools")
        var seen: Set<String> = []
        for (i, pool) in new.pools.enumerated() where !seen.insert(pool.name).inserted {
            issues.append(.init(path: IssuePath.member(IssuePath.index(poolsPath, i), "name"), code: "duplicate_name",
                                message: "another pool is named \"\(pool.name)\"; an edit matches pools by name, so each pool needs its own name"))
        }
        for (from, to) in moves.sorted(by: { $0.key < $1.key }) {
            let at = IssuePath.member(movesPath, from)
            guard let source = old.pools.first(where: { $0.name == from }) else {
                issues.append(.init(path: at, code: "unknown_pool", message: "the workflow has no pool named \"\(from)\"; expected the name of a pool the edit removes (\(Self.list(old.pools.map(\.name).filter { !newNames.contains($0) })))"))
                continue
            }
            if newNames.contains(from) {
                issues.append(.init(path: at, code: "pool_kept", message: "pool \"\(from)\" stays in the workflow, and its items with it; only a removed pool's items move"))
                continue
            }
            guard source.type.isHuman else {
                issues.append(.init(path: at, code: "cannot_move", message: "pool \"\(from)\" is a \(source.type.name) pool; only the items of labeling, inspection and spot-check pools move (an algorithm pool's items finish where they are)"))
                continue
            }
            guard let target = new.pools.first(where: { $0.name == to }) else {
                issues.append(.init(path: at, code: "unknown_pool", message: "the edited workflow has no pool named \"\(to)\"; expected one of \(Self.list(new.pools.filter { $0.type == source.type }.map(\.name)))"))
                continue
            }
            if target.type != source.type {
                issues.append(.init(path: at, code: "type_mismatch", message: "pool \"\(from)\" is a \(source.type.name) pool and \"\(to)\" a \(target.type.name) pool; items move only to a pool of the same type"))
            }
        }
        for (index, count) in occupancy.sorted(by: { $0.key < $1.key }) where count.total > 0 && index < old.pools.count {
            let pool = old.pools[index]
            // With two old pools of one name, the first continues; the others are removed.
            let isFirstOfName = old.pools.firstIndex { $0.name == pool.name } == index
            if isFirstOfName, let kept = new.pools.firstIndex(where: { $0.name == pool.name }) {
                if new.pools[kept].type != pool.type {
                    issues.append(.init(path: IssuePath.member(IssuePath.index(poolsPath, kept), "type"), code: "pool_not_empty",
                                        message: "pool \"\(pool.name)\" holds \(count.described) as a \(pool.type.name) pool; its type cannot change while it holds items (give the new pool another name, and move the items with \(movesPath))"))
                }
                continue
            }
            // A move that is itself wrong is reported above; the pool still counts as stranded.
            if isFirstOfName, pool.type.isHuman, let moved = moves[pool.name], new.pools.contains(where: { $0.name == moved && $0.type == pool.type }) { continue }
            let how = pool.type.isHuman
                ? "keep the pool, or move its items to a \(pool.type.name) pool of the edited workflow with \(movesPath): {\"\(pool.name)\": \"<pool name>\"}"
                : "keep the pool until its items are through"
            issues.append(.init(path: poolsPath, code: "pool_not_empty", message: "the edit removes pool \"\(pool.name)\" (\(pool.type.name)), which holds \(count.described); \(how)"))
        }
        return issues
    }

    private var newNames: Set<String> { Set(new.pools.map(\.name)) }

    static func list(_ names: [String]) -> String {
        names.isEmpty ? "none" : names.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}
