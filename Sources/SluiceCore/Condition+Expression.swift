extension Condition {
    /// A comparison operator.
    public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="

        /// Whether the operator orders values (`<`, `<=`, `>`, `>=`) rather than testing equality.
        public var isOrdering: Bool { self != .equal && self != .notEqual }
    }

    /// A node of a parsed condition.
    public indirect enum Expression: Sendable, Hashable, CustomStringConvertible {
        /// A number, string, `true`, `false`, `null`, or a list of literals.
        case literal(JSONValue)
        /// A value from the input or a task output; `null` at run time when missing.
        case reference(Reference)
        /// A list whose elements are not all literals, such as `[input.a, "b"]`.
        case list([Expression])
        /// `not x`, `!x`.
        case not(Expression)
        /// `a and b and …`, `a && b`: true when every operand is true; stops at the first false.
        case and([Expression])
        /// `a or b or …`, `a || b`: true when some operand is true; stops at the first true.
        case or([Expression])
        /// `a == b`, `a < b`, …
        case comparison(ComparisonOperator, Expression, Expression)
        /// `element in collection`: `contains(collection, element)` written the other way round.
        case isIn(Expression, Expression)
        /// `exists(reference)`: the referenced value is present (it may be `null`).
        case exists(Reference)
        /// `contains(collection, element)`: a list holds an element equal to it, a text contains it
        /// as a substring, or an object has a member with that name.
        case contains(Expression, Expression)
        /// `len(x)`: the number of characters of a text, elements of a list or members of an
        /// object; `null` for anything else.
        case length(Expression)

        /// How tightly the node binds when written: `or` 1, `and` 2, comparisons 3, `not` 4, the rest 5.
        var precedence: Int {
            switch self {
            case .or: return 1
            case .and: return 2
            case .comparison, .isIn: return 3
            case .not: return 4
            default: return 5
            }
        }

        /// The normalised source form (see `Condition.description`).
        public var description: String {
            switch self {
            case .literal(let value): return Expression.literalText(value)
            case .reference(let reference): return reference.description
            case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
            case .not(let operand): return "not " + operand.written(atLeast: 4)
            case .and(let operands):
                if operands.isEmpty { return "true" }
                return operands.map { $0.written(atLeast: 3) }.joined(separator: " and ")
            case .or(let operands):
                if operands.isEmpty { return "false" }
                return operands.map { $0.written(atLeast: 2) }.joined(separator: " or ")
            case .comparison(let op, let left, let right):
                return "\(left.written(atLeast: 4)) \(op.rawValue) \(right.written(atLeast: 4))"
            case .isIn(let element, let collection):
                return "\(element.written(atLeast: 4)) in \(collection.written(atLeast: 4))"
            case .exists(let reference): return "exists(\(reference))"
            case .contains(let collection, let element): return "contains(\(collection), \(element))"
            case .length(let operand): return "len(\(operand))"
            }
        }

        /// The source form, in parentheses if it binds more loosely than `precedence`.
        func written(atLeast precedence: Int) -> String {
            self.precedence < precedence ? "(\(description))" : description
        }

        static func literalText(_ value: JSONValue) -> String {
            switch value {
            case .null: return "null"
            case .bool(let b): return b ? "true" : "false"
            case .number(let n):
                if n.rounded() == n && abs(n) < 9.0e15 { return String(Int64(n)) }
                return "\(n)"
            case .string(let s): return Reference.quoted(s)
            case .array(let items): return "[" + items.map(literalText).joined(separator: ", ") + "]"
            case .object: return value.jsonString
            }
        }

        /// Calls `body` with every reference, in source order.
        func forEachReference(_ body: (Reference) -> Void) {
            switch self {
            case .literal: return
            case .reference(let reference), .exists(let reference): body(reference)
            case .list(let items), .and(let items), .or(let items):
                for item in items { item.forEachReference(body) }
            case .not(let operand), .length(let operand): operand.forEachReference(body)
            case .comparison(_, let a, let b), .isIn(let a, let b), .contains(let a, let b):
                a.forEachReference(body)
                b.forEachReference(body)
            }
        }
    }
}
