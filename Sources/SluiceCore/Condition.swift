/// A `when` condition: an expression over the execution input and upstream task outputs that
/// decides whether a task runs. Parse it once when the workflow is created (`parse`), check it
/// against the types known then (`check`), and evaluate it at run time (`evaluate`).
///
/// Grammar, loosest binding first (see docs/expressions.md for the full description):
///
///     condition  := or
///     or         := and (("or" | "||") and)*
///     and        := comparison (("and" | "&&") comparison)*
///     comparison := unary (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") unary)?
///     unary      := ("not" | "!") unary | primary
///     primary    := literal | reference | list | "(" or ")"
///                 | "exists" "(" reference ")" | "contains" "(" or "," or ")" | "len" "(" or ")"
///     list       := "[" (or ("," or)*)? "]"
///     literal    := number | string | "true" | "false" | "null"
///     number     := "-"? digits ("." digits)? (("e" | "E") ("+" | "-")? digits)?
///     string     := '"' … '"' or "'" … "'" with the escapes \" \' \\ \n \t \r
///     reference  := see `Reference`: input.user.name, tasks.fetch.json.items[0]
///
/// `not` binds tighter than comparisons, so `not a == b` is `(not a) == b`; write
/// `not (a == b)` or `a != b`. Comparisons do not chain: `a < b < c` is an error.
///
/// At run time a missing value reads as `null`, `==` compares JSON values structurally (numbers
/// numerically, objects regardless of member order), ordering comparisons are true only between
/// two numbers or two strings, and a value used as a condition is true only if it is `true`.
/// Evaluation never fails.
public struct Condition: Sendable, Hashable, CustomStringConvertible {
    /// The parsed expression.
    public var expression: Expression

    public init(_ expression: Expression) { self.expression = expression }

    /// Parses `source`. Errors say what was expected and what was found, with the character
    /// offset: `expected an operand after "and" at offset 12, found end of expression`.
    public static func parse(_ source: String) -> Result<Condition, ExpressionError> {
        var parser = ConditionParser(source)
        do {
            return .success(Condition(try parser.parse()))
        } catch {
            return .failure(error)
        }
    }

    /// Every reference in the condition, in source order, each once; the caller checks that each
    /// task named is upstream of the task that carries the condition.
    public var references: [Reference] {
        var seen = Set<Reference>()
        var result: [Reference] = []
        expression.forEachReference { reference in
            if seen.insert(reference).inserted { result.append(reference) }
        }
        return result
    }

    /// The ids of the tasks the condition reads, in source order, each once.
    public var taskIDs: [String] {
        var seen = Set<String>()
        return references.compactMap(\.taskID).filter { seen.insert($0).inserted }
    }

    /// A normalised form: keywords spelled `and`, `or`, `not`, strings in double quotes, numbers
    /// in their shortest form, single spaces, and only the parentheses precedence needs.
    /// `parse(description)` gives back the same condition.
    public var description: String { expression.description }
}
