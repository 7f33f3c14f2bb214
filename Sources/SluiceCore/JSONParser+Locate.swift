extension JSONParser {
    /// Where each of `paths` points in a JSON text, as `location(of:in:)` says (the 1-based line
    /// and column where the value at the path starts, or where its nearest enclosing value
    /// starts; `nil` for the empty path), for all of them in one pass over the text. The pass
    /// reads only the members and items the paths lead through and skips every other value
    /// without building it, so its cost is the text's length whatever the number of paths.
    /// Meant for a text `parse` accepted; `nil` where its structure is broken.
    public static func locate(_ paths: [String], in bytes: [UInt8]) -> [(line: Int, column: Int)?]? {
        var trie = PathTrie()
        let ends = paths.map { trie.insert(IssuePath.segments(of: $0)) }
        var scanner = SkipScanner(bytes: bytes, trie: trie)
        guard scanner.value(node: 0), scanner.atEnd else { return nil }
        let found = scanner.starts
        // The offset each path points at: that of the deepest node on it the text has.
        let offsets: [Int?] = ends.map { end in
            guard var node = end else { return nil }
            while found[node] == nil { node = trie.parent[node] }
            return found[node]
        }
        return LineColumns(bytes: bytes, offsets: offsets.compactMap { $0 }).positions(offsets)
    }
}

/// Problem paths merged into a tree of their segments (node 0 is the root, the whole
/// document), so that one walk of a document finds where all of them point.
public struct PathTrie: Sendable {
    /// Each node's children, by the segment that leads to them.
    public private(set) var children: [[IssuePath.Segment: Int]] = [[:]]
    /// Each node's parent (the root's is itself).
    public private(set) var parent: [Int] = [0]

    public init() {}

    /// Adds a path (`IssuePath.segments(of:)`); its end node, or `nil` for the empty path.
    public mutating func insert(_ segments: [IssuePath.Segment]) -> Int? {
        guard !segments.isEmpty else { return nil }
        var node = 0
        for segment in segments {
            if let next = children[node][segment] {
                node = next
            } else {
                let next = children.count
                children.append([:])
                parent.append(node)
                children[node][segment] = next
                node = next
            }
        }
        return node
    }
}

/// Walks a JSON text, recording where each value the trie names starts and skipping the rest.
struct SkipScanner {
    let bytes: [UInt8]
    let trie: PathTrie
    var index = 0
    var depth = 0
    /// The offset where the value of each trie node starts, once seen.
    var starts: [Int?]

    init(bytes: [UInt8], trie: PathTrie) {
        self.bytes = bytes
        self.trie = trie
        self.starts = [Int?](repeating: nil, count: trie.children.count)
    }

    var atEnd: Bool {
        mutating get {
            skipWhitespace()
            return index == bytes.count
        }
    }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    /// Reads one value whose trie node is `node` (`nil`: no path goes through it); `false` if the
    /// text is not JSON there.
    mutating func value(node: Int?) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { return false }
        if let node, starts[node] == nil { starts[node] = index }
        let children = node.map { trie.children[$0] } ?? [:]
        switch bytes[index] {
        case UInt8(ascii: "{"):
            depth += 1
            guard depth <= 1024 else { return false }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; depth -= 1; return true }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return false }
                let child: Int?
                if children.isEmpty {
                    guard skipString() else { return false }
                    child = nil
                } else {
                    guard let key = readString() else { return false }
                    child = children[.key(key)]
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
                index += 1
                guard value(node: child) else { return false }
                skipWhitespace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                return false
            }
            depth -= 1
            return true
        case UInt8(ascii: "["):
            depth += 1
            guard depth <= 1024 else { return false }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; depth -= 1; return true }
            var i = 0
            while true {
                guard value(node: children.isEmpty ? nil : children[.index(i)]) else { return false }
                i += 1
                skipWhitespace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                return false
            }
            depth -= 1
            return true
        case UInt8(ascii: "\""):
            return skipString()
        default:
            // A number or a literal: up to the next delimiter.
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A, 0x0D, 0x09: return index > start
                default: index += 1
                }
            }
            return index > start
        }
    }

    /// Skips a string; `index` is at its opening quote.
    mutating func skipString() -> Bool {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""): index += 1; return true
            case UInt8(ascii: "\\"): index += 2
            default: index += 1
            }
        }
        return false
    }

    /// Reads a string (a member name the trie may ask for); `index` is at its opening quote.
    mutating func readString() -> String? {
        let start = index
        guard skipString() else { return nil }
        let literal = bytes[start..<index]
        if !literal.contains(UInt8(ascii: "\\")) { return String(decoding: literal.dropFirst().dropLast(), as: UTF8.self) }
        guard case .string(let s)? = try? JSONParser.parse(Array(literal)) else { return nil }
        return s
    }
}

/// Line and column (1-based, columns in Unicode scalars) of byte offsets, from one scan of
/// the text up to the last of them.
struct LineColumns {
    private var found: [Int: (line: Int, column: Int)] = [:]

    init(bytes: [UInt8], offsets: [Int]) {
        let wanted = Set(offsets).sorted()
        guard let last = wanted.last else { return }
        var line = 1, column = 1, next = 0
        var found: [Int: (line: Int, column: Int)] = [:]
        bytes.withUnsafeBufferPointer { bytes in
            for i in 0...min(last, bytes.count) {
                if i == wanted[next] {
                    found[i] = (line, column)
                    next += 1
                    if next == wanted.count { break }
                }
                guard i < bytes.count else { break }
                let b = bytes[i]
                if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
            }
        }
        self.found = found
    }

    func positions(_ offsets: [Int?]) -> [(line: Int, column: Int)?] {
        offsets.map { $0.flatMap { found[$0] } }
    }
}
