/// One problem found in something a user sent: where it is, what kind it is, and what was
/// expected instead.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is, as a path into the request body (`steps[2].type`, `input.text`);
    /// empty for the body itself.
    public var path: String
    /// A stable, machine-readable kind (`unknown_step_type`, `type_mismatch`, …).
    public var code: String
    /// A sentence a person can act on: what was expected and what was found.
    public var message: String
    /// Where `path` points in the text that was sent, when that is known: 1-based line and
    /// column (in Unicode scalars) of the value, or of the nearest enclosing value the text has
    /// (a missing member points at its object), or where a text that is not JSON or YAML went wrong.
    public var line: Int?
    public var column: Int?

    public init(path: String, code: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Thrown when a request carries one or more `ValidationIssue`s; all of them are reported at once
/// (at most `maxIssues` of them: see `limited()`).
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    /// A one-line summary of what was being validated ("Invalid workflow definition").
    public var title: String
    public var issues: [ValidationIssue]
    /// How many problems were found beyond those `issues` lists (`limited()` leaves them out and
    /// says so in a last issue); 0 when every problem is listed.
    public var omitted: Int

    public init(title: String, issues: [ValidationIssue], omitted: Int = 0) {
        self.title = title
        self.issues = issues
        self.omitted = omitted
    }

    /// The most problems one answer lists; past it, a last issue says how many more there were.
    public static let maxIssues = Limits.problemsListed
    /// The code of that last issue.
    public static let omittedCode = "too_many_problems"

    /// This failure with at most `maxIssues` problems, in their order, and then, if there were
    /// more, one issue (empty path, code `too_many_problems`) that says how many were left out.
    /// An answer stays proportionate to the request however many problems it has.
    public func limited() -> ValidationFailure {
        guard omitted == 0, issues.count > Self.maxIssues else { return self }
        let left = issues.count - Self.maxIssues
        var kept = Array(issues.prefix(Self.maxIssues))
        kept.append(.init(path: "", code: Self.omittedCode, message: "\(left) more \(left == 1 ? "problem was" : "problems were") found; only the first \(Self.maxIssues) are listed"))
        return ValidationFailure(title: title, issues: kept, omitted: left)
    }

    /// How many problems were found: those listed and those left out.
    public var problemCount: Int { omitted > 0 ? issues.count - 1 + omitted : issues.count }

    public var description: String { "\(title): " + issues.map(\.description).joined(separator: "; ") }
}

/// Builds the paths that `ValidationIssue` uses: `a.b[2].c`.
public enum IssuePath {
    public static func member(_ base: String, _ key: String) -> String {
        // A key that starts with a combining mark is never plain: after the `.` the mark would
        // join the dot into one character, and the path would not read back (found by the
        // schema fuzzer: a member `\u{0365}pea`).
        let plain = !key.isEmpty && (isPlainASCII(key) || (!startsWithMark(key) && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }))
        if !plain { return base + "[\(JSONValue.string(key).jsonString)]" }
        return base.isEmpty ? key : "\(base).\(key)"
    }

    public static func index(_ base: String, _ i: Int) -> String { "\(base)[\(i)]" }

    /// Whether `key`'s first scalar is a combining mark (general category M).
    static func startsWithMark(_ key: String) -> Bool {
        switch key.unicodeScalars.first?.properties.generalCategory {
        case .nonspacingMark?, .spacingMark?, .enclosingMark?: return true
        default: return false
        }
    }

    /// ASCII letters, digits, `_` and `-` only: a plain key, told without Unicode properties.
    static func isPlainASCII(_ key: String) -> Bool {
        for b in key.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): continue
            default: return false
            }
        }
        return true
    }

    /// One step of a path: a member name or an array index.
    public enum Segment: Hashable, Sendable { case key(String), index(Int) }

    /// A path split into its steps, the reverse of `member` and `index`: `steps[2].type` is key
    /// steps, index 2, key type; `input["a b"]` is key input, key `a b`.
    public static func segments(of path: String) -> [Segment] {
        var result: [Segment] = []
        var current = ""
        // Scalars, not characters: a key may start with a combining mark, which as a character
        // would join the quote or bracket before it.
        var chars = Substring(path).unicodeScalars
        func text(_ scalars: Substring.UnicodeScalarView) -> String { String(String.UnicodeScalarView(scalars)) }
        func flush() { if !current.isEmpty { result.append(.key(current)); current = "" } }
        while let c = chars.first {
            chars.removeFirst()
            switch c {
            case ".": flush()
            case "[":
                flush()
                if chars.first == "\"" {
                    // A JSON string up to its closing quote (escapes skipped), then "]".
                    var end = chars.index(after: chars.startIndex)
                    while end < chars.endIndex, chars[end] != "\"" {
                        if chars[end] == "\\" { end = chars.index(after: end) }
                        if end < chars.endIndex { end = chars.index(after: end) }
                    }
                    let literal = text(end < chars.endIndex ? chars[chars.startIndex...end] : chars[...])
                    if case .string(let key)? = try? JSONParser.parse(literal) { result.append(.key(key)) } else { result.append(.key(literal)) }
                    chars = chars[(end < chars.endIndex ? chars.index(after: end) : end)...]
                    if chars.first == "]" { chars.removeFirst() }
                } else {
                    let inside = chars.prefix { $0 != "]" }
                    chars = chars.dropFirst(inside.count + 1)
                    if let index = Int(text(inside)) { result.append(.index(index)) } else { result.append(.key(text(inside))) }
                }
            default: current.unicodeScalars.append(c)
            }
        }
        flush()
        return result
    }
}
