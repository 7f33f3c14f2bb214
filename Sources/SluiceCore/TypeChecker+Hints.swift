/// The parts of the type checker whose cost could grow with the square of a definition: which
/// tasks are upstream of which, and the "did you mean" hints and lists of known names in
/// messages. Each is bounded so that checking a definition costs time in proportion to its size.
extension TypeChecker {
    /// The most names a message lists (known task ids, allowed properties, enum values); past
    /// it, the message gives the first ones and how many more there are.
    static let maxListed = Limits.namesListed

    /// `names` joined with ", ", or the first `maxListed` of them and "and N more" when `total`
    /// (how many there are in all) is larger.
    static func list(_ names: [String], total: Int) -> String {
        let shown = names.prefix(maxListed).joined(separator: ", ")
        return total > min(names.count, maxListed) ? "\(shown) and \(total - min(names.count, maxListed)) more" : shown
    }

    /// The candidate closest to `name` (case aside, at most a quarter of its letters off, at
    /// least 2), for "did you mean" hints; the first of equally close ones. Candidates whose
    /// length alone puts them too far are skipped, and the distance is computed only as far as
    /// it can still win, so a long name costs no more than a short one.
    static func closest(_ name: String, among candidates: some Sequence<String>) -> String? {
        let lower = Array(name.lowercased().unicodeScalars)
        var best: (String, Int)?
        for c in candidates {
            let limit = min(max(2, c.count / 4), (best?.1 ?? .max) - 1)
            if let d = editDistance(lower, Array(c.lowercased().unicodeScalars), atMost: limit) { best = (c, d) }
        }
        return best?.0
    }

    /// The Levenshtein distance between `a` and `b` if it is at most `limit`, else `nil`; only
    /// the band of `2 × limit + 1` diagonals that can stay within the limit is computed.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], atMost limit: Int) -> Int? {
        guard limit >= 0, abs(a.count - b.count) <= limit else { return nil }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let beyond = limit + 1
        var previous = [Int](repeating: beyond, count: b.count + 1)
        var current = previous
        for j in 0...min(b.count, limit) { previous[j] = j }
        for i in 1...a.count {
            let low = max(1, i - limit), high = min(b.count, i + limit)
            current[low - 1] = low == 1 && i <= limit ? i : beyond
            var rowMinimum = current[low - 1]
            if low <= high {
                for j in low...high {
                    let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                    let value = min(substitution, previous[j] + 1, current[j - 1] + 1, beyond)
                    current[j] = value
                    rowMinimum = min(rowMinimum, value)
                }
            }
            if high < b.count { current[high + 1] = beyond }
            if rowMinimum > limit { return nil }
            swap(&previous, &current)
        }
        return previous[b.count] <= limit ? previous[b.count] : nil
    }
}

/// The messages for `depends_on` entries that name no task: the tasks it could depend on
/// (every other task but those downstream of it, which would make a cycle) and the closest
/// of them. Each task's downstream set is found once; past `ValidationFailure.maxIssues`
/// such entries, which no answer lists, the message is only their name.
struct UnknownDependencies {
    let tasks: [WorkflowDefinition.Task]
    /// The ids of the tasks that list each id in `depends_on`, as written; made on first use.
    private var dependents: [String: [String]]?
    private var downstream: [String: Set<String>] = [:]
    private var reported = 0

    init(tasks: [WorkflowDefinition.Task]) { self.tasks = tasks }

    mutating func message(_ dep: String, task i: Int) -> String {
        reported += 1
        guard reported <= ValidationFailure.maxIssues else { return "unknown task \"\(dep)\"" }
        let id = tasks[i].id
        let below = downstream(of: id)
        let candidates = tasks.lazy.map(\.id).filter { $0 != id && !$0.isEmpty && !below.contains($0) }
        var names: [String] = []
        var total = 0
        for candidate in candidates {
            if names.count < TypeChecker.maxListed { names.append(candidate) }
            total += 1
        }
        var hint = ""
        if let near = TypeChecker.closest(dep, among: candidates) { hint = "did you mean \"\(near)\"? " }
        return "unknown task \"\(dep)\"; \(hint)expected one of: \(names.isEmpty ? "(no task it could depend on)" : TypeChecker.list(names, total: total))"
    }

    /// The ids of the tasks that depend on task `id`, directly or not, by their `depends_on` as
    /// written (the dependencies are not resolved yet, and may form cycles).
    private mutating func downstream(of id: String) -> Set<String> {
        if let known = downstream[id] { return known }
        if dependents == nil {
            var map: [String: [String]] = [:]
            for t in tasks { for d in t.dependsOn { map[d, default: []].append(t.id) } }
            dependents = map
        }
        var seen = Set<String>()
        var stack = dependents?[id] ?? []
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack += dependents?[next] ?? [] }
        }
        downstream[id] = seen
        return seen
    }
}

/// Which tasks are upstream of which (reachable through `depends_on`), as one row of bits per
/// task: filled in topological order, each dependency adds its own row, so a chain or a dense
/// DAG of n tasks costs n × n / 64 words rather than a growing set per task.
struct Reachability {
    private let words: Int
    private var bits: [UInt64]

    init(order: [Int], dependencies: [[Int]]) {
        let n = dependencies.count
        let words = (n + 63) / 64
        self.words = words
        var bits = [UInt64](repeating: 0, count: n * words)
        bits.withUnsafeMutableBufferPointer { bits in
            for i in order {
                for d in dependencies[i] {
                    bits[i * words + d / 64] |= 1 << UInt64(d % 64)
                    for w in 0..<words { bits[i * words + w] |= bits[d * words + w] }
                }
            }
        }
        self.bits = bits
    }

    /// Whether task `k` is upstream of task `i`.
    func contains(_ i: Int, _ k: Int) -> Bool {
        bits[i * words + k / 64] & (1 << UInt64(k % 64)) != 0
    }
}
