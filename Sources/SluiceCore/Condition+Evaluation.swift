extension Condition {
    /// Decides the condition at run time. `lookup` gives the value a reference names, or `nil`
    /// when it is missing (which reads as `null`). Never fails: a comparison between values of
    /// different kinds is simply false for `==` and the orderings, true for `!=`.
    public func evaluate(lookup: (Reference) -> JSONValue?) -> Bool {
        expression.isTrue(lookup)
    }

    /// Decides the condition against an execution input and the outputs of tasks
    /// (`output(id)` gives a task's output object, `nil` if it has none).
    public func evaluate(input: JSONValue, output: (String) -> JSONValue?, status: (String) -> String? = { _ in nil }, execution: () -> JSONValue? = { nil }) -> Bool {
        expression.isTrue { $0.resolve(input: input, output: output, status: status, execution: execution) }
    }
}

extension Condition.Expression {
    /// Whether the node, used as a condition, is true: only the boolean `true` is.
    func isTrue(_ lookup: (Reference) -> JSONValue?) -> Bool {
        switch self {
        case .not(let operand):
            return !operand.isTrue(lookup)
        case .and(let operands):
            for operand in operands where !operand.isTrue(lookup) { return false }
            return true
        case .or(let operands):
            for operand in operands where operand.isTrue(lookup) { return true }
            return false
        case .comparison(let op, let left, let right):
            let l = left.value(lookup) ?? .null
            let r = right.value(lookup) ?? .null
            switch op {
            case .equal: return Condition.Expression.same(l, r)
            case .notEqual: return !Condition.Expression.same(l, r)
            case .less: return Condition.Expression.ordered(l, r, <, <)
            case .lessOrEqual: return Condition.Expression.ordered(l, r, <=, <=)
            case .greater: return Condition.Expression.ordered(l, r, >, >)
            case .greaterOrEqual: return Condition.Expression.ordered(l, r, >=, >=)
            }
        case .isIn(let element, let collection):
            return Condition.Expression.holds(collection.value(lookup) ?? .null, element.value(lookup) ?? .null)
        case .contains(let collection, let element):
            return Condition.Expression.holds(collection.value(lookup) ?? .null, element.value(lookup) ?? .null)
        case .exists(let reference):
            return lookup(reference) != nil
        case .literal(let value):
            return value == .bool(true)
        case .reference(let reference):
            return lookup(reference) == .bool(true)
        case .list, .length:
            return false
        }
    }

    /// The node's value, `nil` for a missing reference.
    func value(_ lookup: (Reference) -> JSONValue?) -> JSONValue? {
        switch self {
        case .literal(let value): return value
        case .reference(let reference): return lookup(reference)
        case .list(let items): return .array(items.map { $0.value(lookup) ?? .null })
        case .length(let operand):
            switch operand.value(lookup) {
            case .string(let s)?: return .number(Double(s.count))
            case .array(let items)?: return .number(Double(items.count))
            case .object(let object)?: return .number(Double(object.count))
            default: return .null
            }
        case .not, .and, .or, .comparison, .isIn, .contains, .exists:
            return .bool(isTrue(lookup))
        }
    }

    /// JSON equality: numbers numerically, strings by Unicode canonical equivalence, arrays
    /// element by element, objects member by member regardless of order.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return false }
            for i in x.indices where !same(x[i], y[i]) { return false }
            return true
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for member in x {
                guard let other = y[member.key], same(member.value, other) else { return false }
            }
            return true
        default:
            return false
        }
    }

    /// An ordering between two numbers or two strings; false for anything else.
    static func ordered(_ a: JSONValue, _ b: JSONValue, _ numbers: (Double, Double) -> Bool, _ strings: (String, String) -> Bool) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return numbers(x, y)
        case (.string(let x), .string(let y)): return strings(x, y)
        default: return false
        }
    }

    /// Whether `collection` holds `element`: a list an equal element, a text the element as a
    /// substring, an object a member named by the element.
    static func holds(_ collection: JSONValue, _ element: JSONValue) -> Bool {
        switch (collection, element) {
        case (.array(let items), _): return items.contains { same($0, element) }
        case (.string(let text), .string(let part)): return part.isEmpty || text.contains(part)
        case (.object(let object), .string(let key)): return object[key] != nil
        default: return false
        }
    }
}
