/// An annotation workflow's pipeline: its pools, from a distribution pool to a completion pool,
/// read from what a client sent and checked by the rules of the annotation API.
///
/// The rules here need nothing but the request; whether the accounts in `workers` exist and may
/// work in the project, and whether the algorithms exist, the server checks with the store,
/// using `references`.
public struct AnnotationPipeline: Sendable, Hashable {
    public var pools: [AnnotationPool]

    public init(pools: [AnnotationPool]) {
        self.pools = pools
    }

    /// The share of items a spot-check pool checks when its `sampleRate` is not given.
    public static let defaultSampleRate = 0.1
    public static let maxPools = Limits.annotationPools
    public static let maxWorkers = Limits.annotationPoolWorkers
    public static let maxAlgorithms = Limits.annotationAlgorithmsPerPool
    public static let maxNameLength = Limits.annotationNameCharacters

    /// What a project gets when its workflow is created without `workflow`: distribution (pull)
    /// → labeling → inspection → completion, each open to anyone who may work in the project.
    public static let `default` = AnnotationPipeline(pools: [
        AnnotationPool(name: "Distribution", type: .distribution),
        AnnotationPool(name: "Labeling", type: .labeling),
        AnnotationPool(name: "Inspection", type: .inspection),
        AnnotationPool(name: "Completion", type: .completion),
    ])

    /// The pools as the API shows them: `{"pools": [...]}`.
    public var json: JSONValue { ["pools": .array(pools.map(\.json))] }

    /// An account or algorithm a pool names, and where.
    public struct Reference: Sendable, Hashable {
        public var name: String
        public var path: String
    }

    /// The accounts the pools name in `workers`, and the algorithms in `algorithmList`, each
    /// with its path (`workflow.pools[1].workers[0]`), for the checks that need the store.
    public func references(path: String) -> (workers: [Reference], algorithms: [Reference]) {
        var workers: [Reference] = []
        var algorithms: [Reference] = []
        let at = IssuePath.member(path, "pools")
        for (i, pool) in pools.enumerated() {
            let poolPath = IssuePath.index(at, i)
            for (k, name) in pool.workers.enumerated() { workers.append(.init(name: name, path: IssuePath.index(IssuePath.member(poolPath, "workers"), k))) }
            for (k, name) in pool.algorithms.enumerated() { algorithms.append(.init(name: name, path: IssuePath.index(IssuePath.member(poolPath, "algorithmList"), k))) }
        }
        return (workers, algorithms)
    }

    /// Reads a `workflow` member (`{"pools": [...]}`) at `path`; `nil` (and the problems) when it
    /// breaks a rule. Every problem is reported, each at its path.
    public static func parse(_ value: JSONValue, path: String = "workflow") -> (AnnotationPipeline?, [ValidationIssue]) {
        var issues: [ValidationIssue] = []
        guard let object = value.objectValue else {
            return (nil, [.init(path: path, code: "type_mismatch", message: "expected an object with pools, found \(value.described)")])
        }
        issues += AnnotationFields.unknownMembers(object, allowed: ["pools"], path: path)
        let poolsPath = IssuePath.member(path, "pools")
        guard let raw = object["pools"], raw != .null else {
            issues.append(.init(path: poolsPath, code: "required", message: "a workflow needs pools; expected an array of pools from a distribution pool (type 0) to a completion pool (type 5)"))
            return (nil, issues)
        }
        guard let list = raw.arrayValue else {
            issues.append(.init(path: poolsPath, code: "type_mismatch", message: "expected an array of pools, found \(raw.described)"))
            return (nil, issues)
        }
        if list.isEmpty {
            issues.append(.init(path: poolsPath, code: "no_pools", message: "a workflow needs pools; expected at least a distribution pool (type 0) and a completion pool (type 5)"))
            return (nil, issues)
        }
        if list.count > maxPools {
            issues.append(.init(path: poolsPath, code: "too_many", message: "expected at most \(maxPools) pools, found \(list.count)"))
            return (nil, issues)
        }
        var pools: [AnnotationPool?] = []
        var types: [PoolType?] = []
        for (i, item) in list.enumerated() {
            let (pool, type, poolIssues) = parsePool(item, path: IssuePath.index(poolsPath, i))
            pools.append(pool)
            types.append(type)
            issues += poolIssues
        }
        issues += orderProblems(types, path: poolsPath)
        guard issues.isEmpty else { return (nil, issues) }
        return (AnnotationPipeline(pools: pools.compactMap { $0 }), [])
    }

    /// The rules of the pools' types in order: a distribution pool first and only there, a
    /// completion pool last and only there.
    static func orderProblems(_ types: [PoolType?], path: String) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let last = types.count - 1
        for (i, type) in types.enumerated() {
            guard let type else { continue }
            let at = IssuePath.member(IssuePath.index(path, i), "type")
            if i == 0, type != .distribution {
                issues.append(.init(path: at, code: "first_not_distribution", message: "the first pool must be the distribution pool; expected type 0, found \(type.rawValue) (\(type.name))"))
            } else if i != 0, type == .distribution {
                issues.append(.init(path: at, code: "second_distribution", message: "only the first pool may be a distribution pool (type 0); pool \(i) is another one"))
            }
            if i == last, type != .completion {
                issues.append(.init(path: at, code: "last_not_completion", message: "the last pool must be the completion pool; expected type 5, found \(type.rawValue) (\(type.name))"))
            } else if i != last, type == .completion {
                issues.append(.init(path: at, code: "second_completion", message: "only the last pool may be a completion pool (type 5); pool \(i) is another one"))
            }
        }
        return issues
    }

    static let poolMembers = ["name", "runMode", "type", "workers", "algorithmList", "sampleRate"]

    /// A pool, its type when that much is known (for the rules of the pools' order), and its
    /// problems.
    static func parsePool(_ value: JSONValue, path: String) -> (AnnotationPool?, PoolType?, [ValidationIssue]) {
        guard let object = value.objectValue else {
            return (nil, nil, [.init(path: path, code: "type_mismatch", message: "expected a pool (an object with type, name, runMode, workers), found \(value.described)")])
        }
        var issues = AnnotationFields.unknownMembers(object, allowed: poolMembers, path: path)
        let fields = AnnotationFields(object: object, path: path)

        var type: PoolType?
        if let raw = fields.integer("type", required: true, issues: &issues) {
            if let t = PoolType(rawValue: Int(raw)) {
                type = t
            } else {
                issues.append(.init(path: IssuePath.member(path, "type"), code: "unknown_pool_type", message: "expected one of \(PoolType.described), found \(raw)"))
            }
        }
        var runMode = RunMode.pull
        if let raw = fields.integer("runMode", issues: &issues) {
            if let mode = RunMode(rawValue: Int(raw)) {
                runMode = mode
            } else {
                issues.append(.init(path: IssuePath.member(path, "runMode"), code: "unknown_run_mode", message: "expected one of \(RunMode.described), found \(raw)"))
            }
        }
        let name = fields.string("name", maxLength: maxNameLength, issues: &issues)
        let workers = fields.names("workers", max: maxWorkers, what: "account", problem: AccountName.problem, issues: &issues) ?? []
        let algorithms = fields.names("algorithmList", max: maxAlgorithms, what: "algorithm", problem: AlgorithmName.problem, issues: &issues)
        let sampleRate = fields.number("sampleRate", issues: &issues)

        if let type {
            let algorithmPath = IssuePath.member(path, "algorithmList")
            if type == .algorithm {
                if algorithms == nil, object["algorithmList"] == nil || object["algorithmList"] == .null {
                    issues.append(.init(path: algorithmPath, code: "required", message: "an algorithm pool (type 4) runs the algorithms it lists; expected algorithmList with at least one algorithm"))
                } else if algorithms?.isEmpty == true {
                    issues.append(.init(path: algorithmPath, code: "no_algorithms", message: "an algorithm pool (type 4) runs the algorithms it lists; expected at least one algorithm, found an empty list"))
                }
            } else if let raw = object["algorithmList"], raw != .null {
                issues.append(.init(path: algorithmPath, code: "unexpected", message: "only an algorithm pool (type 4) lists algorithms; this pool is type \(type.rawValue) (\(type.name)): leave algorithmList out"))
            }
            let ratePath = IssuePath.member(path, "sampleRate")
            if let sampleRate {
                if type != .spotCheck {
                    issues.append(.init(path: ratePath, code: "unexpected", message: "only a spot-check pool (type 3) samples items; this pool is type \(type.rawValue) (\(type.name)): leave sampleRate out"))
                } else if !(sampleRate > 0 && sampleRate <= 1) {
                    issues.append(.init(path: ratePath, code: "invalid_value", message: "expected the share of items to check, above 0 and at most 1 (0.1 checks one item in ten), found \(JSONValue.number(sampleRate).jsonString)"))
                }
            }
            if !type.isHuman, !workers.isEmpty {
                issues.append(.init(path: IssuePath.member(path, "workers"), code: "unexpected", message: "nobody works in a \(type.name) pool (type \(type.rawValue)); only labeling, inspection and spot-check pools have workers: leave workers out or empty"))
            }
        }
        guard issues.isEmpty, let type else { return (nil, type, issues) }
        return (AnnotationPool(name: name ?? type.title, type: type, runMode: runMode, workers: workers, algorithms: algorithms ?? [], sampleRate: type == .spotCheck ? (sampleRate ?? defaultSampleRate) : nil), type, [])
    }
}

/// Algorithm names: what an algorithm pool's `algorithmList` names.
public enum AlgorithmName {
    public static let maxLength = Limits.accountNameCharacters

    /// Why `name` is not a valid algorithm name, or `nil`: 1 to 64 letters, digits, `.`, `_` and
    /// `-`, starting with a letter or digit.
    public static func problem(_ name: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        if scalars.isEmpty { return "an algorithm name cannot be empty; expected 1 to \(maxLength) letters, digits, \".\", \"_\" and \"-\"" }
        if scalars.count > maxLength { return "an algorithm name has at most \(maxLength) characters; this one has \(scalars.count)" }
        let isAlnum: (Unicode.Scalar) -> Bool = { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        guard scalars.allSatisfy({ isAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" }), isAlnum(scalars[0]) else {
            return "\"\(name)\" is not a valid algorithm name; expected letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit (like \"ocr-v2\")"
        }
        return nil
    }
}
