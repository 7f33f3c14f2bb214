/// The kinds of pool an annotation workflow is made of, numbered as the annotation API numbers
/// them (`type` in a pool).
public enum PoolType: Int, Sendable, Hashable, CaseIterable {
    /// Where items enter: offered to (pull) or assigned in advance among (push) the next pool's
    /// workers. Always the first pool, and only one.
    case distribution = 0
    /// A person labels the item: an annotation matching the project's label config.
    case labeling = 1
    /// A reviewer approves the item (on to the next pool) or rejects it with a comment (back to
    /// the labeling pool before it, to the same labeler).
    case inspection = 2
    /// A sample of the items (`sampleRate`) needs a checker's pass; a fail sends the item back to
    /// labeling; the others pass through.
    case spotCheck = 3
    /// Each algorithm of `algorithmList` runs on the item; their outputs are stored with it.
    case algorithm = 4
    /// The item is done and exportable. Always the last pool, and only one.
    case completion = 5

    /// How the API and the docs name it.
    public var name: String {
        switch self {
        case .distribution: "distribution"
        case .labeling: "labeling"
        case .inspection: "inspection"
        case .spotCheck: "spot check"
        case .algorithm: "algorithm"
        case .completion: "completion"
        }
    }

    /// A pool's name when the request gives none.
    public var title: String {
        switch self {
        case .spotCheck: "Spot Check"
        default: String(name.prefix(1)).uppercased() + name.dropFirst()
        }
    }

    /// Whether people work in it (it has a queue of items and `workers`).
    public var isHuman: Bool { self == .labeling || self == .inspection || self == .spotCheck }

    /// "0 (distribution), 1 (labeling), …" for error messages.
    public static let described = allCases.map { "\($0.rawValue) (\($0.name))" }.joined(separator: ", ")
}

/// How items reach the people of a pool (`runMode`).
public enum RunMode: Int, Sendable, Hashable, CaseIterable {
    /// Workers take the next waiting item when they ask for one (the default).
    case pull = 0
    /// Each item is assigned in advance to one of the pool's workers, evenly (round robin in the
    /// order items arrive); it waits in that worker's queue.
    case push = 1

    public var name: String { self == .pull ? "pull" : "push" }

    public static let described = allCases.map { "\($0.rawValue) (\($0.name))" }.joined(separator: ", ")
}

/// One pool of an annotation workflow, as checked.
public struct AnnotationPool: Sendable, Hashable {
    public var name: String
    public var type: PoolType
    public var runMode: RunMode
    /// The accounts that work in it; empty: anyone who may work in the project's namespace.
    public var workers: [String]
    /// For an algorithm pool: the algorithms it runs, in order.
    public var algorithms: [String]
    /// For a spot-check pool: the share of items checked, 0 to 1.
    public var sampleRate: Double?

    public init(name: String, type: PoolType, runMode: RunMode = .pull, workers: [String] = [], algorithms: [String] = [], sampleRate: Double? = nil) {
        self.name = name
        self.type = type
        self.runMode = runMode
        self.workers = workers
        self.algorithms = algorithms
        self.sampleRate = sampleRate
    }

    /// As the API shows it, in the members' order of the create request.
    public var json: JSONValue {
        var o = JSONObject()
        o.append("name", .string(name))
        o.append("runMode", .number(Double(runMode.rawValue)))
        o.append("type", .number(Double(type.rawValue)))
        o.append("workers", .array(workers.map(JSONValue.string)))
        if type == .algorithm { o.append("algorithmList", .array(algorithms.map(JSONValue.string))) }
        if type == .spotCheck { o.append("sampleRate", .number(sampleRate ?? AnnotationPipeline.defaultSampleRate)) }
        return .object(o)
    }
}
