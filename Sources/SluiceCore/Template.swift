/// A text with `{{name}}` placeholders, each filled in from a value's members when rendered.
///
/// `{{` always starts a placeholder and the next `}}` ends it; there is no escape, so a template
/// cannot produce a literal `{{`. Spaces around the name are ignored (`{{ text }}` is `{{text}}`).
/// A lone `}}` is literal text. Parse a template when a workflow is created, so that an
/// unterminated placeholder is reported then, and render it when the step runs.
public struct Template: Sendable, Hashable {
    /// A piece of a template.
    public enum Part: Sendable, Hashable {
        case literal(String)
        /// A placeholder and the name between its braces.
        case placeholder(String)
    }

    /// Why a text is not a template.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        /// Where the problem starts, in characters from 1.
        public var position: Int
        public var description: String { "at character \(position): \(message)" }
    }

    /// A placeholder that had no value when rendering.
    public struct UnknownPlaceholder: Error, Sendable, Hashable {
        public var name: String
    }

    public let parts: [Part]

    /// Parses `text`, failing on a `{{` without a closing `}}` or a placeholder without a name.
    public init(parsing text: String) throws(ParseError) {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        var position = 1
        while let open = rest.firstRange(of: "{{") {
            literal += rest[..<open.lowerBound]
            position += rest.distance(from: rest.startIndex, to: open.lowerBound)
            let inside = rest[open.upperBound...]
            guard let close = inside.firstRange(of: "}}") else {
                throw ParseError(message: "\"{{\" starts a placeholder that is never closed with \"}}\" (\"{{\" always starts a placeholder; there is no escape)", position: position)
            }
            let name = Self.trimmingWhitespace(inside[..<close.lowerBound])
            if name.isEmpty {
                throw ParseError(message: "placeholder \"\(rest[open.lowerBound..<close.upperBound])\" has no name; expected {{name}} naming a member of the input, such as {{text}}", position: position)
            }
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            parts.append(.placeholder(name))
            position += rest.distance(from: open.lowerBound, to: close.upperBound)
            rest = inside[close.upperBound...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// `text` without the whitespace around it, scalar by scalar: a combining mark that follows a
    /// space (`{{ \u{598}x }}`) joins it in one character, which is not whitespace as a whole, yet
    /// the space is still around the name (`\u{598}x`, as in `{{\n\u{598}x}}`). Found by the
    /// expression fuzzer (Fuzz/regressions/expression).
    static func trimmingWhitespace(_ text: Substring) -> String {
        var scalars = text.unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    /// The distinct placeholder names, in order of first use.
    public var placeholders: [String] {
        var names: [String] = []
        var seen = Set<String>()
        for case .placeholder(let name) in parts where seen.insert(name).inserted { names.append(name) }
        return names
    }

    /// The text with each placeholder replaced by `value(name)`; throws for the first placeholder
    /// `value` has nothing for.
    public func render(_ value: (String) -> String?) throws(UnknownPlaceholder) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .placeholder(let name):
                guard let v = value(name) else { throw UnknownPlaceholder(name: name) }
                out += v
            }
        }
        return out
    }

    /// The text with each `{{name}}` replaced by the member `name` of `members` (see
    /// `text(for:)`); an unknown placeholder fails, naming it and the members there are.
    public func render(members: JSONObject) throws(StepFailure) -> String {
        do throws(UnknownPlaceholder) {
            // Many placeholders over a large input: look members up by name, not one scan each.
            guard members.count > 8 else { return try render { name in members[name].map(Template.text(for:)) } }
            var byName: [String: JSONValue] = [:]
            for member in members where byName[member.key] == nil { byName[member.key] = member.value }
            return try render { name in byName[name].map(Template.text(for:)) }
        } catch {
            let present = members.keys.isEmpty ? "it has no members" : "its members: " + members.keys.joined(separator: ", ")
            throw StepFailure("template placeholder {{\(error.name)}} has no value: the input has no member \"\(error.name)\" (\(present))")
        }
    }

    /// How a member's value reads in rendered text: a string as is, anything else as compact JSON
    /// (`3`, `2.5`, `true`, `["a","b"]`, `{"k":1}`).
    public static func text(for value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return value.jsonString
    }
}
