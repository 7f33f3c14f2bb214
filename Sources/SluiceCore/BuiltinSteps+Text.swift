/// The text step types beyond the one-line transforms: Replace, Split, Join and Template.
///
/// Replace and Split match Unicode scalars (code points), as most languages do, so that `"\n"`
/// also finds the line feed of a `"\r\n"` pair; Length counts characters (grapheme clusters).
extension StepRegistry {
    static let textReplace = StepType(
        name: "TextOperation.Replace",
        summary: "Replaces occurrences of `find` in the text with `replace`: every one, or only the first if `all` is false.",
        input: .value(.text), output: .value(.text),
        parameters: .object([
            ("find", Schema.string(minLength: 1).described("the text to look for")),
            ("replace", Schema.string().described("what to put in its place (may be empty)")),
            ("all", Schema(type: .boolean).described("replace every occurrence (true) or only the first (false)").defaulting(to: true)),
        ], required: ["find", "replace"]),
        parametersRequired: true,
        implementation: .pure { input, parameters throws(StepFailure) in
            let name = "TextOperation.Replace"
            let text = try requireText(input)
            let find = try parameter(parameters, "find", of: name, .string).stringValue!
            let replacement = try parameter(parameters, "replace", of: name, .string).stringValue!
            let all = try optionalParameter(parameters, "all", of: name, .boolean) != .bool(false)
            guard !find.isEmpty else { throw StepFailure("\(name)'s parameter \"find\" must not be empty") }
            let replaced = text.unicodeScalars.replacing(find.unicodeScalars, with: replacement.unicodeScalars, maxReplacements: all ? .max : 1)
            return ["text": .string(String(replaced))]
        }
    )

    static let textSplit = StepType(
        name: "TextOperation.Split",
        summary: "Splits the text into a list of texts at each `separator`; without one, at runs of white space, dropping empty pieces.",
        input: .value(.text), output: .value(.list(.text)),
        parameters: .object([
            ("separator", Schema.string(minLength: 1).described("where to split; the pieces keep empty ones (\"a,,b\" gives \"a\", \"\", \"b\"). Without it, the text splits at runs of white space and empty pieces are dropped")),
        ]),
        implementation: .pure { input, parameters throws(StepFailure) in
            let text = try requireText(input)
            let pieces: [String]
            if let separator = try optionalParameter(parameters, "separator", of: "TextOperation.Split", .string)?.stringValue, !separator.isEmpty {
                pieces = text.unicodeScalars
                    .split(separator: separator.unicodeScalars, omittingEmptySubsequences: false)
                    .map { String(String.UnicodeScalarView($0)) }
            } else {
                pieces = text.unicodeScalars
                    .split(whereSeparator: { $0.properties.isWhitespace })
                    .map { String(String.UnicodeScalarView($0)) }
            }
            return ["list": .array(pieces.map(JSONValue.string))]
        }
    )

    static let textJoin = StepType(
        name: "TextOperation.Join",
        summary: "Joins a list of texts into one text, with `separator` (default none) between items.",
        input: .value(.list(.text)), output: .value(.text),
        parameters: .object([
            ("separator", Schema.string().described("put between items").defaulting(to: "")),
        ]),
        implementation: .pure { input, parameters throws(StepFailure) in
            let items = try require(.list(.text), input).arrayValue!.map { $0.stringValue! }
            let separator = try optionalParameter(parameters, "separator", of: "TextOperation.Join", .string)?.stringValue ?? ""
            return ["text": .string(items.joined(separator: separator))]
        }
    )

    static let textTemplate = StepType(
        name: "TextOperation.Template",
        summary: "Produces text from `template`, replacing each {{name}} with the input's member `name`: {{text}} as is, {{number}}, {{json}} and others as compact JSON. \"{{\" always starts a placeholder; there is no escape.",
        input: .any, output: .value(.text),
        parameters: .object([
            ("template", Schema.string().described("text with {{name}} placeholders, such as \"Hello, {{text}}!\"")),
        ], required: ["template"]),
        parametersRequired: true,
        parameterCheck: { parameters, path in
            guard let source = parameters["template"]?.stringValue else { return [] }
            do throws(Template.ParseError) {
                _ = try Template(parsing: source)
                return []
            } catch {
                return [.init(path: IssuePath.member(path, "template"), code: "invalid_template", message: error.description)]
            }
        },
        implementation: .pure { input, parameters throws(StepFailure) in
            let source = try parameter(parameters, "template", of: "TextOperation.Template", .string).stringValue!
            let template: Template
            do throws(Template.ParseError) { template = try Template(parsing: source) } catch { throw StepFailure("invalid template: \(error)") }
            return ["text": .string(try template.render(members: members(input)))]
        }
    )
}
