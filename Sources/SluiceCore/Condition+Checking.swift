extension Condition {
    /// Checks the condition against the types known when the workflow is created, and returns
    /// one sentence per problem (none when it is fine). `typeOf` gives a reference's type, or a
    /// reason it cannot be used (an unknown task, a task that is not upstream, a member a task's
    /// output lacks); those reasons are returned among the problems.
    ///
    /// The rules; an `unknown` type always passes:
    /// - `<`, `<=`, `>`, `>=` need numbers on both sides or text on both sides.
    /// - `==`, `!=` between two different known kinds (text and number, boolean and text, …) are
    ///   errors, since they would always be false (or true); `null` may be compared with anything.
    /// - `and`, `or`, `not` and the condition as a whole need booleans: a boolean reference alone
    ///   is a fine condition, a text one is not.
    /// - `in`/`contains` need a list, text or an object to look in; text is looked for in text,
    ///   a member name (text) in an object, and in a list an element of the list's element type.
    /// - `len` needs text, a list or an object.
    public func check(typeOf: (Reference) -> Result<ValueType, TypeProblem>) -> [String] {
        withoutActuallyEscaping(typeOf) { typeOf in
            var checker = ConditionChecker(typeOf: typeOf)
            let type = checker.type(of: expression)
            checker.requireBoolean(type, of: expression) { "a condition must be true or false, but \($0)" }
            return checker.problems
        }
    }

    /// Checks the condition given the type of each root (see `Reference.staticType(rootType:)`).
    public func check(rootType: (Reference.Root) -> ValueType?) -> [String] {
        check(typeOf: { $0.staticType(rootType: rootType) })
    }
}

/// Works out the static type of each node of a condition, collecting problems.
struct ConditionChecker {
    let typeOf: (Reference) -> Result<ValueType, TypeProblem>
    private(set) var problems: [String] = []
    /// `problems` as a set, so that a condition with many references stays linear to check.
    private var reported = Set<String>()

    init(typeOf: @escaping (Reference) -> Result<ValueType, TypeProblem>) { self.typeOf = typeOf }

    mutating func report(_ problem: String) {
        if reported.insert(problem).inserted { problems.append(problem) }
    }

    mutating func type(of expression: Condition.Expression) -> ValueType {
        switch expression {
        case .literal(let value):
            return ValueType(of: value)
        case .reference(let reference):
            return type(of: reference)
        case .list(let items):
            return .list(ValueType.common(items.map { type(of: $0) }))
        case .not(let operand):
            requireBoolean(type(of: operand), of: operand) { "\"not\" needs true or false, but \($0)" }
            return .boolean
        case .and(let operands), .or(let operands):
            let word = expression.andOperands != nil ? "and" : "or"
            for operand in operands {
                requireBoolean(type(of: operand), of: operand) { "\"\(word)\" needs true or false on both sides, but \($0)" }
            }
            return .boolean
        case .comparison(let op, let left, let right):
            let l = type(of: left)
            let r = type(of: right)
            guard !l.isUnknown, !r.isUnknown else { return .boolean }
            if op.isOrdering {
                let fine: Bool
                switch (l, r) {
                case (.number, .number), (.text, .text): fine = true
                default: fine = false
                }
                if !fine {
                    report("\(expression) compares \(l.kindName) with \(r.kindName); \"\(op.rawValue)\" needs numbers on both sides or text on both sides")
                }
            } else if Self.differ(l, r) {
                let consequence = op == .equal ? "they are never equal" : "they always differ"
                report("\(expression) compares \(l.kindName) with \(r.kindName); \(consequence)")
            }
            return .boolean
        case .isIn(let element, let collection):
            checkContainment(expression, collection: collection, element: element, word: "\"in\" needs a list, text or an object on its right")
            return .boolean
        case .contains(let collection, let element):
            checkContainment(expression, collection: collection, element: element, word: "contains(…) needs a list, text or an object to look in")
            return .boolean
        case .exists(let reference):
            _ = type(of: reference)
            return .boolean
        case .length(let operand):
            let t = type(of: operand)
            switch t {
            case .text, .list, .object, .unknown: break
            default: report("len(…) needs text, a list or an object, but \(operand) is \(t)")
            }
            return .number
        }
    }

    mutating func type(of reference: Reference) -> ValueType {
        switch typeOf(reference) {
        case .success(let t): return t
        case .failure(let problem):
            report(problem.message)
            return .unknown
        }
    }

    mutating func checkContainment(_ expression: Condition.Expression, collection: Condition.Expression, element: Condition.Expression, word: String) {
        let c = type(of: collection)
        let e = type(of: element)
        switch c {
        case .unknown:
            break
        case .list(let elementType):
            if Self.differ(elementType, e) {
                report("\(expression) looks for \(e.kindName) in a list of \(elementType.kindName); it is never found")
            }
        case .text:
            if !e.isUnknown, e != .text {
                report("\(expression) looks for \(e.kindName) in text; only text can be found in text")
            }
        case .object:
            if !e.isUnknown, e != .text {
                report("\(expression) looks for \(e.kindName) among an object's members; member names are text")
            }
        default:
            report("\(word), but \(collection) is \(c)")
        }
    }

    /// Reports `message(subject)` unless `type` is boolean or unknown.
    mutating func requireBoolean(_ type: ValueType, of expression: Condition.Expression, _ message: (String) -> String) {
        let hint: String
        switch type {
        case .boolean, .unknown: return
        case .text: hint = "; compare it, for example \(expression.written(atLeast: 4)) == \"…\""
        case .number: hint = "; compare it, for example \(expression.written(atLeast: 4)) > 0"
        case .list, .object: hint = "; test its size, for example len(\(expression)) > 0, or whether it exists"
        case .null: hint = ""
        }
        report(message("\(expression) is \(type)") + hint)
    }

    /// Whether two known types can never hold equal values: different kinds, neither null.
    static func differ(_ a: ValueType, _ b: ValueType) -> Bool {
        switch (a, b) {
        case (.unknown, _), (_, .unknown), (.null, _), (_, .null): return false
        default: return a.kindName != b.kindName
        }
    }
}
