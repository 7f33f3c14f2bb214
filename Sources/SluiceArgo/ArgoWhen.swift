import SluiceCore

/// Translates an Argo `when` (a govaluate expression after `{{…}}` substitution, such as
/// `{{tasks.flip.outputs.result}} == heads`) into a Sluice condition
/// (`tasks.flip.json.result == "heads"`).
///
/// Values known when the workflow is submitted (parameters, items) are substituted as Argo does
/// (as text); results known only at run time become references. A bare word that is not `true`
/// or `false` is a string, as Argo reads it; quoted strings and numbers stay as they are.
/// Operators: `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, `!` and parentheses; anything else
/// (`=~`, arithmetic) is refused.
enum ArgoWhen {
    /// A marker that cannot appear in text, around a reference's index in `references`.
    static let open: Character = "\u{1}"
    static let close: Character = "\u{2}"

    static func translate(_ source: String, scope: ArgoScope, path: String) -> Result<String, ArgoIssue> {
        var references: [String] = []
        let substituted: String
        switch scope.substitute(source, path: path, runtime: { r in
            references.append(r.description)
            return "\(open)\(references.count - 1)\(close)"
        }) {
        case .failure(let issue): return .failure(issue)
        case .success(let s): substituted = s
        }
        var out: [String] = []
        let chars = Array(substituted)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if c == open {
                var j = i + 1
                var digits = ""
                while j < chars.count, chars[j] != close { digits.append(chars[j]); j += 1 }
                out.append(references[Int(digits) ?? 0])
                i = j + 1
                continue
            }
            if c == "\"" || c == "'" {
                var j = i + 1
                var text = ""
                while j < chars.count, chars[j] != c {
                    if chars[j] == "\\", j + 1 < chars.count { text.append(chars[j + 1]); j += 2; continue }
                    text.append(chars[j]); j += 1
                }
                guard j < chars.count else { return .failure(ArgoIssue(path: path, message: "\(source): a string starting with \(c) is never closed")) }
                out.append(JSONValue.string(text).jsonString)
                i = j + 1
                continue
            }
            let two = i + 1 < chars.count ? String(chars[i...i + 1]) : String(c)
            if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) { out.append(two); i += 2; continue }
            if two == "=~" || two == "!~" { return .failure(ArgoIssue(path: path, message: "\(source): regular expression matches (\(two)) are not supported")) }
            if ["<", ">", "!", "(", ")"].contains(String(c)) { out.append(String(c)); i += 1; continue }
            if c.isLetter || c.isNumber || c == "_" || c == "-" || c == "." {
                var j = i
                var word = ""
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" || chars[j] == "-" || chars[j] == "." || chars[j] == "/" || chars[j] == ":" {
                    word.append(chars[j]); j += 1
                }
                if word == "true" || word == "false" || Double(word) != nil {
                    out.append(word)
                } else {
                    out.append(JSONValue.string(word).jsonString)
                }
                i = j
                continue
            }
            return .failure(ArgoIssue(path: path, message: "\(source): \"\(c)\" is not supported in when (supported: ==, !=, <, <=, >, >=, &&, ||, !, parentheses)"))
        }
        guard !out.isEmpty else { return .failure(ArgoIssue(path: path, message: "the condition is empty")) }
        let condition = out.joined(separator: " ")
        if case .failure(let error) = Condition.parse(condition) {
            return .failure(ArgoIssue(path: path, message: "\(source): \(error.message)"))
        }
        return .success(condition)
    }
}
