/// Parses a condition by recursive descent, reading one token ahead, so that the first problem
/// in reading order is the one reported. See `Condition` for the grammar.
struct ConditionParser {
    /// How deeply parentheses, lists, calls and `not` may nest; keeps evaluation's recursion shallow.
    static let maxDepth = Limits.conditionDepth

    enum Symbol: String {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case and = "&&", or = "||", not = "!"
        case openParenthesis = "(", closeParenthesis = ")", openBracket = "[", closeBracket = "]", comma = ","
    }

    enum Kind {
        case end
        case word(String)
        case number(Double)
        case string(String)
        case reference(Reference)
        case symbol(Symbol)
    }

    struct Token {
        var kind: Kind
        /// Byte offsets in the source.
        var start: Int
        var end: Int
    }

    var scanner: ExpressionScanner
    var token = Token(kind: .end, start: 0, end: 0)
    var depth = 0

    init(_ source: String) { scanner = ExpressionScanner(source, end: "end of expression") }

    mutating func parse() throws(ExpressionError) -> Condition.Expression {
        try advance()
        let expression = try parseOr(after: nil)
        guard case .end = token.kind else {
            throw scanner.expected("an operator or the end of the expression", at: token.start)
        }
        return expression
    }

    // MARK: Grammar

    mutating func parseOr(after: String?) throws(ExpressionError) -> Condition.Expression {
        var operands: [Condition.Expression] = []
        append(try parseAnd(after: after), to: &operands, flattening: \.orOperands)
        while isOr {
            let op = text(token)
            try advance()
            append(try parseAnd(after: op), to: &operands, flattening: \.orOperands)
        }
        return operands.count == 1 ? operands[0] : .or(operands)
    }

    mutating func parseAnd(after: String?) throws(ExpressionError) -> Condition.Expression {
        var operands: [Condition.Expression] = []
        append(try parseComparison(after: after), to: &operands, flattening: \.andOperands)
        while isAnd {
            let op = text(token)
            try advance()
            append(try parseComparison(after: op), to: &operands, flattening: \.andOperands)
        }
        return operands.count == 1 ? operands[0] : .and(operands)
    }

    mutating func parseComparison(after: String?) throws(ExpressionError) -> Condition.Expression {
        let left = try parseUnary(after: after)
        guard let op = comparison else { return left }
        let opText = text(token)
        try advance()
        let right = try parseUnary(after: opText)
        if comparison != nil {
            let found = text(token)
            throw scanner.error(at: token.start) {
                "expected \"and\" or \"or\" at offset \($0), found \"\(found)\"; comparisons do not chain (write a < b and b < c)"
            }
        }
        if let op { return .comparison(op, left, right) }
        return .isIn(left, right)
    }

    mutating func parseUnary(after: String?) throws(ExpressionError) -> Condition.Expression {
        guard isNot else { return try parsePrimary(after: after) }
        let op = text(token)
        try enter()
        try advance()
        let operand = try parseUnary(after: op)
        depth -= 1
        return .not(operand)
    }

    mutating func parsePrimary(after: String?) throws(ExpressionError) -> Condition.Expression {
        let expectation = after.map { "an operand after \"\($0)\"" } ?? "an operand"
        switch token.kind {
        case .number(let n):
            try advance()
            return .literal(.number(n))
        case .string(let s):
            try advance()
            return .literal(.string(s))
        case .reference(let reference):
            try advance()
            return .reference(reference)
        case .symbol(.openParenthesis):
            let open = token.start
            try enter()
            try advance()
            let inner = try parseOr(after: "(")
            guard case .symbol(.closeParenthesis) = token.kind else {
                let found = scanner.describe(at: token.start)
                let openOffset = scanner.characterOffset(open)
                throw scanner.error(at: token.start) { "expected \")\" at offset \($0) to close the \"(\" at offset \(openOffset), found \(found)" }
            }
            depth -= 1
            try advance()
            return inner
        case .symbol(.openBracket):
            return try parseList()
        case .word(let word):
            switch word {
            case "true":
                try advance()
                return .literal(.bool(true))
            case "false":
                try advance()
                return .literal(.bool(false))
            case "null":
                try advance()
                return .literal(.null)
            case "exists", "contains", "len":
                return try parseCall(word)
            case "and", "or", "not", "in":
                throw scanner.expected(expectation, at: token.start)
            default:
                var lookahead = scanner
                lookahead.skipWhitespace()
                if lookahead.current == UInt8(ascii: "(") {
                    throw scanner.error(at: token.start) { "unknown function \"\(word)\" at offset \($0); expected exists(…), contains(…) or len(…)" }
                }
                let found = scanner.describe(at: token.start)
                throw scanner.error(at: token.start) {
                    "expected \(expectation) at offset \($0), found \(found); a reference starts with \"input\" or \"tasks.\", and text is written in quotes"
                }
            }
        default:
            throw scanner.expected(expectation, at: token.start)
        }
    }

    mutating func parseList() throws(ExpressionError) -> Condition.Expression {
        try enter()
        try advance()
        var items: [Condition.Expression] = []
        if case .symbol(.closeBracket) = token.kind {
            try advance()
            depth -= 1
            return .literal(.array([]))
        }
        while true {
            items.append(try parseOr(after: items.isEmpty ? "[" : ","))
            if case .symbol(.comma) = token.kind {
                try advance()
                continue
            }
            if case .symbol(.closeBracket) = token.kind {
                try advance()
                break
            }
            throw scanner.expected("\",\" or \"]\" in a list", at: token.start)
        }
        depth -= 1
        // A list of literals is a literal: evaluation then builds nothing.
        var values: [JSONValue] = []
        for item in items {
            guard case .literal(let value) = item else { return .list(items) }
            values.append(value)
        }
        return .literal(.array(values))
    }

    mutating func parseCall(_ name: String) throws(ExpressionError) -> Condition.Expression {
        try advance()
        guard case .symbol(.openParenthesis) = token.kind else {
            throw scanner.expected("\"(\" after \"\(name)\"", at: token.start)
        }
        try enter()
        try advance()
        let result: Condition.Expression
        switch name {
        case "exists":
            guard case .reference(let reference) = token.kind else {
                throw scanner.expected("a reference such as input.name inside exists(…)", at: token.start)
            }
            try advance()
            result = .exists(reference)
        case "len":
            result = .length(try parseOr(after: "len("))
        default:
            let collection = try parseOr(after: "contains(")
            guard case .symbol(.comma) = token.kind else {
                throw scanner.expected("\",\" and a second argument to contains(…)", at: token.start)
            }
            try advance()
            result = .contains(collection, try parseOr(after: ","))
        }
        guard case .symbol(.closeParenthesis) = token.kind else {
            throw scanner.expected("\")\" to close \"\(name)(\"", at: token.start)
        }
        depth -= 1
        try advance()
        return result
    }

    // MARK: Helpers

    mutating func enter() throws(ExpressionError) {
        depth += 1
        if depth > ConditionParser.maxDepth {
            throw scanner.error(at: token.start) { "the expression nests more than \(ConditionParser.maxDepth) levels deep at offset \($0)" }
        }
    }

    func append(_ operand: Condition.Expression, to operands: inout [Condition.Expression], flattening: KeyPath<Condition.Expression, [Condition.Expression]?>) {
        if let inner = operand[keyPath: flattening] { operands += inner } else { operands.append(operand) }
    }

    func text(_ token: Token) -> String {
        String(decoding: scanner.bytes[token.start..<token.end], as: UTF8.self)
    }

    var isOr: Bool {
        switch token.kind {
        case .word("or"), .symbol(.or): return true
        default: return false
        }
    }

    var isAnd: Bool {
        switch token.kind {
        case .word("and"), .symbol(.and): return true
        default: return false
        }
    }

    var isNot: Bool {
        switch token.kind {
        case .word("not"), .symbol(.not): return true
        default: return false
        }
    }

    /// `.some(op)` for a comparison operator, `.some(nil)` for `in`, `nil` for anything else.
    var comparison: Condition.ComparisonOperator?? {
        switch token.kind {
        case .word("in"): return .some(nil)
        case .symbol(let symbol): return Condition.ComparisonOperator(rawValue: symbol.rawValue).map { .some($0) }
        default: return nil
        }
    }

    // MARK: Tokens

    /// Reads the next token into `token`.
    mutating func advance() throws(ExpressionError) {
        scanner.skipWhitespace()
        let start = scanner.index
        let kind: Kind
        let b = scanner.current
        if scanner.atEnd {
            kind = .end
        } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
            kind = .string(try scanner.scanString())
        } else if ExpressionScanner.isDigit(b) || b == UInt8(ascii: "-") {
            kind = .number(try scanner.scanNumber())
            if ExpressionScanner.isWordStart(scanner.current) {
                throw scanner.expected("a space or an operator after the number", at: scanner.index)
            }
        } else if ExpressionScanner.isWordStart(b) {
            let word = scanner.scanName()
            if word == "input" || word == "tasks" || ((word == "status" || word == "execution") && (scanner.current == UInt8(ascii: ".") || scanner.current == UInt8(ascii: "["))) {
                scanner.index = start
                kind = .reference(try scanner.scanReference())
            } else {
                kind = .word(word)
            }
        } else {
            let pair = (b, scanner.next)
            let symbol: Symbol
            var length = 1
            switch pair {
            case (UInt8(ascii: "="), UInt8(ascii: "=")): symbol = .equal; length = 2
            case (UInt8(ascii: "!"), UInt8(ascii: "=")): symbol = .notEqual; length = 2
            case (UInt8(ascii: "<"), UInt8(ascii: "=")): symbol = .lessOrEqual; length = 2
            case (UInt8(ascii: ">"), UInt8(ascii: "=")): symbol = .greaterOrEqual; length = 2
            case (UInt8(ascii: "&"), UInt8(ascii: "&")): symbol = .and; length = 2
            case (UInt8(ascii: "|"), UInt8(ascii: "|")): symbol = .or; length = 2
            case (UInt8(ascii: "!"), _): symbol = .not
            case (UInt8(ascii: "<"), _): symbol = .less
            case (UInt8(ascii: ">"), _): symbol = .greater
            case (UInt8(ascii: "("), _): symbol = .openParenthesis
            case (UInt8(ascii: ")"), _): symbol = .closeParenthesis
            case (UInt8(ascii: "["), _): symbol = .openBracket
            case (UInt8(ascii: "]"), _): symbol = .closeBracket
            case (UInt8(ascii: ","), _): symbol = .comma
            case (UInt8(ascii: "="), _): throw scanner.expected("\"==\" (comparison is written with two \"=\")", at: start)
            case (UInt8(ascii: "&"), _): throw scanner.expected("\"&&\" or \"and\"", at: start)
            case (UInt8(ascii: "|"), _): throw scanner.expected("\"||\" or \"or\"", at: start)
            default: throw scanner.expected("an operand or an operator", at: start)
            }
            scanner.index += length
            kind = .symbol(symbol)
        }
        token = Token(kind: kind, start: start, end: scanner.index)
    }
}

extension Condition.Expression {
    var orOperands: [Condition.Expression]? {
        if case .or(let operands) = self { return operands }
        return nil
    }

    var andOperands: [Condition.Expression]? {
        if case .and(let operands) = self { return operands }
        return nil
    }
}
