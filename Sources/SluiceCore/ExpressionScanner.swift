/// Reads the pieces that references and conditions share (names, quoted strings, numbers,
/// references) from UTF-8 bytes, and builds `ExpressionError`s whose offsets count characters.
struct ExpressionScanner {
    let bytes: [UInt8]
    /// Where reading is, in bytes.
    var index = 0
    /// How the end of the source is named in messages ("end of expression").
    let endName: String

    init(_ source: String, end endName: String) {
        self.bytes = Array(source.utf8)
        self.endName = endName
    }

    var atEnd: Bool { index >= bytes.count }

    /// The byte at `index`, or 0 at the end.
    var current: UInt8 { index < bytes.count ? bytes[index] : 0 }

    /// The byte after `index`, or 0 past the end.
    var next: UInt8 { index + 1 < bytes.count ? bytes[index + 1] : 0 }

    static func isNameByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static func isWordStart(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"): return true
        default: return false
        }
    }

    static let twoCharacterOperators = Set(["==", "!=", "<=", ">=", "&&", "||"].map { Array($0.utf8) })

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    // MARK: Errors

    /// The character offset of byte offset `byteOffset`.
    func characterOffset(_ byteOffset: Int) -> Int {
        let end = min(max(byteOffset, 0), bytes.count)
        var ascii = true
        for i in 0..<end where bytes[i] >= 0x80 { ascii = false; break }
        if ascii { return end }
        return String(decoding: bytes[0..<end], as: UTF8.self).count
    }

    /// An error at byte offset `at` whose message is `message(characterOffset)`.
    func error(at byteOffset: Int, _ message: (Int) -> String) -> ExpressionError {
        let offset = characterOffset(byteOffset)
        return ExpressionError(offset: offset, message: message(offset))
    }

    /// "expected `what` at offset N, found `what is at byteOffset`".
    func expected(_ what: String, at byteOffset: Int) -> ExpressionError {
        let found = describe(at: byteOffset)
        return error(at: byteOffset) { "expected \(what) at offset \($0), found \(found)" }
    }

    /// What the source holds at `byteOffset`, for "found …": `end of expression`, `"foo"`,
    /// `"=="`, `number 3`, `string "fast"`.
    func describe(at byteOffset: Int) -> String {
        guard byteOffset < bytes.count else { return endName }
        let b = bytes[byteOffset]
        if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { return "whitespace" }
        var end = byteOffset + 1
        var kind = ""
        if ExpressionScanner.isNameByte(b) {
            while end < bytes.count, ExpressionScanner.isNameByte(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
            if ExpressionScanner.isDigit(b) { kind = "number " }
        } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
            kind = "string "
            while end < bytes.count, bytes[end] != b {
                end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
            }
            end = min(end + 1, bytes.count)
        } else if b >= 0x80 {
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        } else if end < bytes.count, ExpressionScanner.twoCharacterOperators.contains([b, bytes[end]]) {
            end += 1
        }
        var text = String(decoding: bytes[byteOffset..<end], as: UTF8.self)
        if text.count > 24 { text = String(text.prefix(23)) + "…" }
        return kind.isEmpty ? "\"" + text + "\"" : kind + text
    }

    // MARK: Pieces

    /// Reads a name (ASCII letters, digits, `_`, `-`); empty if there is none.
    mutating func scanName() -> String {
        let start = index
        while index < bytes.count, ExpressionScanner.isNameByte(bytes[index]) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Reads a string in single or double quotes; `index` is at the opening quote.
    mutating func scanString() throws(ExpressionError) -> String {
        let quote = bytes[index]
        let start = index
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let b = bytes[index]
            if b == quote {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { break }
            switch bytes[index + 1] {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "'"): out.append(UInt8(ascii: "'"))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            default:
                var escapeEnd = index + 2
                while escapeEnd < bytes.count, bytes[escapeEnd] & 0xC0 == 0x80 { escapeEnd += 1 }
                let escape = String(decoding: bytes[index..<escapeEnd], as: UTF8.self)
                throw error(at: index) { "expected an escape (\\\", \\', \\\\, \\n, \\t or \\r) at offset \($0), found \"\(escape)\"" }
            }
            index += 2
        }
        let q = quote == UInt8(ascii: "'") ? "'" : "\""
        let end = endName
        throw error(at: start) { "unterminated string starting at offset \($0): expected a closing \(q), found \(end)" }
    }

    /// Reads a number (`3`, `-2.5`, `1e3`); `index` is at its first character.
    mutating func scanNumber() throws(ExpressionError) -> Double {
        let start = index
        if current == UInt8(ascii: "-") {
            index += 1
            guard ExpressionScanner.isDigit(current) else { throw expected("a digit after \"-\"", at: index) }
        }
        while ExpressionScanner.isDigit(current) { index += 1 }
        if current == UInt8(ascii: ".") {
            index += 1
            guard ExpressionScanner.isDigit(current) else { throw expected("a digit after \".\" in a number", at: index) }
            while ExpressionScanner.isDigit(current) { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard ExpressionScanner.isDigit(current) else { throw expected("a digit in the exponent of a number", at: index) }
            while ExpressionScanner.isDigit(current) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw error(at: start) { "number \(text) at offset \($0) is out of range" }
        }
        return value
    }

    /// Reads a reference; `index` is at its first character.
    mutating func scanReference() throws(ExpressionError) -> Reference {
        let start = index
        let word = ExpressionScanner.isWordStart(current) ? scanName() : ""
        let root: Reference.Root
        switch word {
        case "input":
            root = .input
        case "item":
            root = .item
        case "execution":
            root = .execution
        case "tasks", "status":
            let make: (String) -> Reference.Root = word == "tasks" ? { .task($0) } : { .status($0) }
            if current == UInt8(ascii: ".") {
                index += 1
                let id = scanName()
                guard !id.isEmpty else { throw expected("a task id after \"\(word).\"", at: index) }
                root = make(id)
            } else if current == UInt8(ascii: "[") {
                index += 1
                guard current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") else {
                    throw expected("a task id in quotes after \"\(word)[\"", at: index)
                }
                let idStart = index
                let id = try scanString()
                guard !id.isEmpty else { throw error(at: idStart) { "expected a task id at offset \($0), found an empty string" } }
                guard current == UInt8(ascii: "]") else { throw expected("\"]\" after the task id", at: index) }
                index += 1
                root = make(id)
            } else {
                throw expected("\".\" and a task id after \"\(word)\"", at: index)
            }
        default:
            index = start
            throw expected("a reference starting with \"input\" or \"tasks.\"", at: start)
        }
        var path: [Reference.Component] = []
        while true {
            if current == UInt8(ascii: ".") {
                index += 1
                let name = scanName()
                guard !name.isEmpty else { throw expected("a member name after \".\"", at: index) }
                path.append(.member(name))
            } else if current == UInt8(ascii: "[") {
                index += 1
                if ExpressionScanner.isDigit(current) {
                    let digitsStart = index
                    var value = 0
                    var overflow = false
                    while ExpressionScanner.isDigit(current) {
                        let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                        let (sum, o2) = times10.addingReportingOverflow(Int(current - UInt8(ascii: "0")))
                        overflow = overflow || o1 || o2
                        value = sum
                        index += 1
                    }
                    if overflow {
                        let digits = String(decoding: bytes[digitsStart..<index], as: UTF8.self)
                        throw error(at: digitsStart) { "index \(digits) at offset \($0) is too large" }
                    }
                    path.append(.index(value))
                } else if current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") {
                    path.append(.member(try scanString()))
                } else {
                    throw expected("an index such as [0] or a quoted member name such as [\"odd key\"] after \"[\"", at: index)
                }
                guard current == UInt8(ascii: "]") else { throw expected("\"]\"", at: index) }
                index += 1
            } else {
                break
            }
        }
        return Reference(root: root, path: path)
    }
}
