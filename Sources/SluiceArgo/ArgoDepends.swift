/// A DAG task's `depends` expression, such as `A && (B.Succeeded || C.Failed)`: task names, each
/// with an optional result (`.Succeeded`, `.Failed`, `.Skipped`, `.Errored`, `.Completed`,
/// `.Daemoned`, `.AnySucceeded`, `.AllFailed`), joined with `&&`, `||`, `!` and parentheses.
indirect enum ArgoDepends: Sendable, Hashable {
    case task(String, result: String?)
    case not(ArgoDepends)
    case and(ArgoDepends, ArgoDepends)
    case or(ArgoDepends, ArgoDepends)

    static let results = ["Succeeded", "Failed", "Skipped", "Errored", "Completed", "Daemoned", "AnySucceeded", "AllFailed"]

    /// The task names it mentions, in order of first mention.
    var taskNames: [String] {
        var names: [String] = []
        func walk(_ e: ArgoDepends) {
            switch e {
            case .task(let n, _): if !names.contains(n) { names.append(n) }
            case .not(let x): walk(x)
            case .and(let a, let b), .or(let a, let b): walk(a); walk(b)
            }
        }
        walk(self)
        return names
    }

    /// The tasks whose success it requires, when it is what Sluice's own dependencies mean: a
    /// conjunction of `X` and `X.Succeeded`. `nil` for anything else.
    var conjunctionOfSuccesses: [String]? {
        switch self {
        case .task(let n, let result) where result == nil || result == "Succeeded": return [n]
        case .and(let a, let b):
            guard let x = a.conjunctionOfSuccesses, let y = b.conjunctionOfSuccesses else { return nil }
            return x + y.filter { !x.contains($0) }
        default: return nil
        }
    }

    /// Parses `source`, or says what is wrong and where (from character 1).
    static func parse(_ source: String) -> Result<ArgoDepends, ArgoDependsError> {
        var parser = Parser(chars: Array(source))
        do {
            let e = try parser.or()
            parser.skipSpaces()
            guard parser.i >= parser.chars.count else {
                throw ArgoDependsError(message: "unexpected \"\(parser.chars[parser.i])\" at character \(parser.i + 1); expected && or || between task names")
            }
            return .success(e)
        } catch let error as ArgoDependsError {
            return .failure(error)
        } catch {
            return .failure(ArgoDependsError(message: "\(error)"))
        }
    }

    struct Parser {
        let chars: [Character]
        var i = 0

        mutating func skipSpaces() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

        mutating func take(_ s: String) -> Bool {
            skipSpaces()
            let c = Array(s)
            guard i + c.count <= chars.count, Array(chars[i..<i + c.count]) == c else { return false }
            i += c.count
            return true
        }

        mutating func or() throws -> ArgoDepends {
            var left = try and()
            while take("||") { left = .or(left, try and()) }
            return left
        }

        mutating func and() throws -> ArgoDepends {
            var left = try unary()
            while take("&&") { left = .and(left, try unary()) }
            return left
        }

        mutating func unary() throws -> ArgoDepends {
            if take("!") { return .not(try unary()) }
            if take("(") {
                let e = try or()
                guard take(")") else { throw ArgoDependsError(message: "expected \")\" at character \(i + 1)") }
                return e
            }
            skipSpaces()
            let start = i
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" || chars[i] == "_" { i += 1 }
            guard i > start else {
                throw ArgoDependsError(message: i < chars.count ? "expected a task name at character \(i + 1), found \"\(chars[i])\"" : "expected a task name at the end")
            }
            let name = String(chars[start..<i])
            guard i < chars.count, chars[i] == "." else { return .task(name, result: nil) }
            i += 1
            let resultStart = i
            while i < chars.count, chars[i].isLetter { i += 1 }
            let result = String(chars[resultStart..<i])
            guard ArgoDepends.results.contains(result) else {
                throw ArgoDependsError(message: "\"\(name).\(result)\": expected one of \(ArgoDepends.results.map { ".\($0)" }.joined(separator: ", ")) after a task name")
            }
            return .task(name, result: result)
        }
    }
}

/// Why a `depends` expression could not be read.
struct ArgoDependsError: Error, Sendable {
    var message: String
}
