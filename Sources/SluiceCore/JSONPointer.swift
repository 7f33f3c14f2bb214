/// A JSON Pointer (RFC 6901): `""` is the whole value, `/a/0/b` the member `b` of item 0 of
/// member `a`. In a token `~1` stands for `/` and `~0` for `~`.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// Why a text is not a JSON Pointer.
    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Why a pointer does not resolve in a value: what is missing and what was found instead.
    public struct ResolutionFailure: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The reference tokens, unescaped.
    public let tokens: [String]

    /// The pointer as written (escaped).
    public var description: String {
        tokens.map { "/" + $0.replacing("~", with: "~0").replacing("/", with: "~1") }.joined()
    }

    /// Parses `text`: empty, or `/`-separated tokens in which `~` is always followed by `0` or `1`.
    public init(parsing text: String) throws(SyntaxError) {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw SyntaxError(message: "a JSON Pointer is empty (the whole value) or starts with \"/\" (such as \"/items/0/name\"), found \(JSONValue.string(text).preview)")
        }
        var tokens: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var chars = raw.makeIterator()
            while let c = chars.next() {
                guard c == "~" else { token.append(c); continue }
                switch chars.next() {
                case "0"?: token.append("~")
                case "1"?: token.append("/")
                case let other:
                    let found = other.map { "\"~\($0)\"" } ?? "\"~\" at the end of a token"
                    throw SyntaxError(message: "in a JSON Pointer \"~\" must be followed by 0 or 1 (\"~0\" is \"~\", \"~1\" is \"/\"), found \(found) in \(JSONValue.string(text).preview)")
                }
            }
            tokens.append(token)
        }
        self.tokens = tokens
    }

    /// The value the pointer refers to in `value`.
    public func resolve(in value: JSONValue) throws(ResolutionFailure) -> JSONValue {
        var current = value
        for (depth, token) in tokens.enumerated() {
            let here = JSONPointer(tokens: Array(tokens[..<depth]))
            let place = depth == 0 ? "the top level" : "\(here)"
            switch current {
            case .object(let object):
                guard let next = object[token] else {
                    let members = object.keys.isEmpty ? "it has no members" : "its members: " + object.keys.map { JSONValue.string($0).jsonString }.joined(separator: ", ")
                    throw ResolutionFailure(message: "\(self) not found: the object at \(place) has no member \(JSONValue.string(token).jsonString) (\(members))")
                }
                current = next
            case .array(let items):
                guard let i = JSONPointer.arrayIndex(token) else {
                    throw ResolutionFailure(message: "\(self) not found: the value at \(place) is an array, and \(JSONValue.string(token).jsonString) is not an array index (0, 1, ...)")
                }
                guard i < items.count else {
                    throw ResolutionFailure(message: "\(self) not found: the array at \(place) has \(items.count) item\(items.count == 1 ? "" : "s"), so there is no item \(token)")
                }
                current = items[i]
            default:
                throw ResolutionFailure(message: "\(self) not found: the value at \(place) is \(current.described), not an object or array")
            }
        }
        return current
    }

    init(tokens: [String]) { self.tokens = tokens }

    /// An array index token: `0`, or digits without a leading zero. (`-`, the item after the last,
    /// never exists when reading.)
    static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.count < 16, token.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if token.count > 1 && token.hasPrefix("0") { return nil }
        return Int(token)
    }
}
