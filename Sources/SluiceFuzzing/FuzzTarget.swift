import SluiceCore
import SluiceYAML

/// What the fuzzers drive: each target feeds arbitrary bytes to one of the parsers and checkers a
/// client's input reaches, and checks the properties that must hold for *every* input — beyond
/// "does not crash": what is written reads back the same, what is parsed twice is checked the same
/// way, every position reported lies inside the text.
///
/// `.ci/fuzz` links these into a libFuzzer binary (`LLVMFuzzerTestOneInput` in
/// `LibFuzzerEntry.swift`); `FuzzCorpusTests` replays the committed corpus (`Fuzz/corpus/<target>`)
/// and every input that once failed (`Fuzz/regressions/<target>`) through the same checks on each
/// `swift test`, so nothing found stays fixed only by chance.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `JSONParser`: JSON text as every request body is read.
    case json
    /// `TypeChecker.check(json:)`: a workflow definition as `POST /workflows` checks it.
    case definition
    /// `Condition.parse` and `Template(parsing:)`: a `when` expression and a `{{name}}` template.
    case expression
    /// `Schema.parse` and `Schema.validate`: an input schema, and a value checked against it.
    case schema
    /// `YAMLConversion`: YAML read as JSON (the CLI's files, YAML bodies) and JSON written as YAML.
    case yaml

    /// Runs one input; `nil` when every property held, else what broke. A crash in the code
    /// under test is a crash here too (that is what the fuzzer looks for).
    public func check(_ bytes: [UInt8]) -> String? {
        switch self {
        case .json: return Self.checkJSON(bytes)
        case .definition: return Self.checkDefinition(bytes)
        case .expression: return Self.checkExpression(bytes)
        case .schema: return Self.checkSchema(bytes)
        case .yaml: return Self.checkYAML(bytes)
        }
    }

    // MARK: - JSON

    static func checkJSON(_ bytes: [UInt8]) -> String? {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            return position(line: error.line, column: error.column, in: bytes, what: "the parse error")
        }
        // Written and read back, a value is the same value; writing is a fixed point.
        let written = value.jsonBytes
        guard let again = try? JSONParser.parse(written) else {
            return "the written form does not parse: \(String(decoding: written, as: UTF8.self).prefix(200))"
        }
        guard again == value else { return "written and read back, the value changed: \(String(decoding: written, as: UTF8.self).prefix(200))" }
        guard again.jsonBytes == written else { return "writing is not a fixed point" }
        // Every path into the value is found in the text, at a place inside it.
        let paths = Self.paths(in: value, limit: 64)
        guard let found = JSONParser.locate(paths, in: bytes) else { return "locate refused a text parse accepted" }
        guard found.count == paths.count else { return "locate answered \(found.count) positions for \(paths.count) paths" }
        for (path, place) in zip(paths, found) {
            guard let place else {
                if path.isEmpty { continue }
                return "no position for \(path)"
            }
            if let problem = position(line: place.line, column: place.column, in: bytes, what: path) { return problem }
        }
        return nil
    }

    // MARK: - Definitions

    static func checkDefinition(_ bytes: [UInt8]) -> String? {
        guard let json = try? JSONParser.parse(bytes) else { return nil }
        let checker = TypeChecker()
        let result = checker.check(json: json)
        let first = summary(result)
        // The same definition is judged the same way every time (no dependence on hashing order).
        let second = summary(checker.check(json: json))
        guard first == second else { return "checked twice, the answers differ:\n\(first)\n---\n\(second)" }
        if case .failure(let failure) = result {
            let limited = failure.limited()
            guard limited.issues.count <= ValidationFailure.maxIssues + 1 else { return "\(limited.issues.count) problems listed, over the limit" }
            guard !limited.issues.isEmpty else { return "a refusal with no problem" }
            // Every problem's path is found in the text the client sent, inside it.
            let paths = limited.issues.map(\.path)
            guard let found = JSONParser.locate(paths, in: bytes) else { return "locate refused a text parse accepted" }
            for (path, place) in zip(paths, found) {
                if let place, let problem = position(line: place.line, column: place.column, in: bytes, what: path) { return problem }
            }
        }
        return nil
    }

    private static func summary(_ result: Result<WorkflowPlan, ValidationFailure>) -> String {
        switch result {
        case .success(let plan):
            return "ok " + plan.nodes.map { "\($0.id):\($0.step.name):\($0.dependencies)" }.joined(separator: ",")
        case .failure(let failure):
            return "refused " + failure.issues.map { "\($0.path)|\($0.code)|\($0.message)" }.joined(separator: "\n")
        }
    }

    // MARK: - Conditions and templates

    static func checkExpression(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        switch Condition.parse(text) {
        case .success(let condition):
            // The normal form parses back to the same condition (documented on `description`).
            let normal = condition.description
            switch Condition.parse(normal) {
            case .success(let again):
                guard again == condition else { return "the normal form \(normal) parses to another condition: \(again)" }
            case .failure(let error):
                return "the normal form \(normal) does not parse: \(error)"
            }
            // Evaluation never fails, whatever the values it reads.
            let values: [JSONValue] = [.null, .bool(true), .number(3), .string("x"), .array([.number(1), .string("x")]), ["a": 1]]
            var k = 0
            _ = condition.evaluate { _ in k += 1; return values[k % values.count] }
        case .failure:
            break
        }
        do {
            let template = try Template(parsing: text)
            // Written back with `{{ name }}` placeholders, the template parses to the same parts
            // (the spaces keep a name ending in "}" from closing early: `{{ a} }}`).
            var source = ""
            for part in template.parts {
                switch part {
                case .literal(let s): source += s
                case .placeholder(let name): source += "{{ \(name) }}"
                }
            }
            guard let again = try? Template(parsing: source), again.parts == template.parts else {
                return "the template written back (\(source.prefix(200))) parses to other parts"
            }
            let rendered = try? template.render { "<\($0)>" }
            guard rendered != nil else { return "rendering with every placeholder known failed" }
        } catch {
            guard error.position >= 1, error.position <= text.count + 1 else { return "template error at \(error.position), outside the text of \(text.count) characters" }
        }
        return nil
    }

    // MARK: - Schemas

    static func checkSchema(_ bytes: [UInt8]) -> String? {
        guard let json = try? JSONParser.parse(bytes) else { return nil }
        // `[schema, value, …]` checks each value against the schema; anything else is read as a
        // schema and checked against itself.
        let schemaJSON: JSONValue
        let values: [JSONValue]
        if case .array(let items) = json, let head = items.first {
            schemaJSON = head
            values = Array(items.dropFirst())
        } else {
            schemaJSON = json
            values = [json]
        }
        let (schema, issues) = Schema.parse(schemaJSON, path: "input_schema")
        guard let schema else {
            return issues.isEmpty ? "a schema refused with no problem" : nil
        }
        guard issues.isEmpty else { return "a schema accepted with problems: \(issues)" }
        // The schema's own JSON reads back as the same schema.
        let (reread, rereadIssues) = Schema.parse(schema.json, path: "input_schema")
        guard let reread, rereadIssues.isEmpty, reread == schema else { return "the schema's JSON does not read back as itself: \(schema.json.jsonString.prefix(200))" }
        for value in values {
            let once = schema.validate(value, path: "input")
            let twice = schema.validate(value, path: "input")
            guard once == twice else { return "validated twice, the problems differ" }
            for issue in once where !(issue.path == "input" || issue.path.hasPrefix("input.") || issue.path.hasPrefix("input[")) {
                return "a problem outside the value: \(issue.path)"
            }
        }
        return nil
    }

    // MARK: - YAML

    static func checkYAML(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let value: JSONValue
        do {
            value = try YAMLConversion.json(fromYAML: text)
        } catch {
            if let line = error.line, let column = error.column {
                // YAML breaks lines at "\r\n", "\r", "\n", NEL, LS and PS.
                var lines = 1
                var previous: Unicode.Scalar = " "
                for u in text.unicodeScalars {
                    if u == "\r" || u == "\u{85}" || u == "\u{2028}" || u == "\u{2029}" || (u == "\n" && previous != "\r") { lines += 1 }
                    previous = u
                }
                guard line >= 1, line <= lines + 1, column >= 1 else { return "YAML error at \(line):\(column), outside a text of \(lines) lines" }
            }
            return nil
        }
        // JSON written as YAML (the CLI's `-o yaml`) reads back as the same JSON.
        let yaml = YAMLConversion.yaml(from: value)
        do {
            let again = try YAMLConversion.json(fromYAML: yaml)
            guard again == value else { return "written as YAML and read back, the value changed:\n\(yaml.prefix(300))" }
        } catch {
            return "the YAML written does not read back (\(error)):\n\(yaml.prefix(300))"
        }
        return nil
    }

    // MARK: - Helpers

    /// A problem if a 1-based line and column lie outside `bytes` (the column counts Unicode
    /// scalars; one past the end of a line, or of the text, is allowed).
    static func position(line: Int, column: Int, in bytes: [UInt8], what: String) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return "\(what) at line \(line), but the text has \(lines.count)" }
        guard column >= 1, column <= lines[line - 1].count + 1 else { return "\(what) at \(line):\(column), past the line's \(lines[line - 1].count) characters" }
        return nil
    }

    /// Up to `limit` paths into `value`, in the problem paths' syntax (`a.b[2]`), breadth first.
    static func paths(in value: JSONValue, limit: Int) -> [String] {
        var result: [String] = []
        var queue: [(String, JSONValue)] = [("", value)]
        var k = 0
        while k < queue.count, result.count < limit {
            let (path, v) = queue[k]
            k += 1
            result.append(path)
            switch v {
            case .object(let object):
                for member in object where Self.isPlainName(member.key) {
                    queue.append((path.isEmpty ? member.key : "\(path).\(member.key)", member.value))
                }
            case .array(let items):
                for (i, item) in items.enumerated() { queue.append(("\(path)[\(i)]", item)) }
            default:
                break
            }
        }
        return result
    }

    /// A member name a problem path writes as `.name` (letters, digits, `_`, `-`).
    private static func isPlainName(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 }
    }
}
