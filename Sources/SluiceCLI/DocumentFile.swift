import Foundation
import SluiceCore
import SluiceYAML
import Yams

/// A JSON or YAML document given with `-f FILE` (or `-f -` for standard input), read as JSON,
/// and able to say where a problem's path points in it (line and column, JSON or YAML).
struct DocumentFile {
    /// The name to show: the path, or `<stdin>`.
    var name: String
    /// The document as JSON.
    var json: JSONValue
    /// The bytes to send: the file itself when it is JSON (so the server's line and column refer
    /// to it), else the YAML converted.
    var body: [UInt8]
    /// The YAML node tree, for positions; `nil` for JSON.
    var yaml: Node?

    enum Format { case json, yaml }

    /// Reads `path` (`-` for standard input). JSON when the name ends in `.json` or the text
    /// starts with `{` or `[`; YAML otherwise.
    static func read(_ path: String, standardInput: () -> Data = { FileHandle.standardInput.readDataToEndOfFile() }) throws(InputError) -> DocumentFile {
        let data: Data
        let name = path == "-" ? "<stdin>" : path
        if path == "-" {
            data = standardInput()
        } else {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw InputError("cannot read \(path): \((error as NSError).localizedDescription)")
            }
        }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("\(name) is not UTF-8 text") }
        return try parse(text, name: name)
    }

    static func parse(_ text: String, name: String) throws(InputError) -> DocumentFile {
        let trimmed = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        guard !trimmed.isEmpty else { throw InputError("\(name) is empty; expected a JSON or YAML document") }
        let looksJSON = name.lowercased().hasSuffix(".json") || trimmed.first == "{" || trimmed.first == "["
        if looksJSON {
            do {
                let json = try JSONParser.parse(Array(text.utf8))
                return DocumentFile(name: name, json: json, body: Array(text.utf8), yaml: nil)
            } catch {
                throw InputError("\(name) is not valid JSON: \(error)")
            }
        }
        do {
            let node = try YAMLConversion.compose(text)
            let json = try YAMLConversion.value(node)
            return DocumentFile(name: name, json: json, body: json.jsonBytes, yaml: node)
        } catch {
            throw InputError("\(name) is not valid YAML or JSON: \(error.description)")
        }
    }

    /// `workflow.yaml:12:9` (or `workflow.json:4:15`) for each problem path (`steps[2].type`),
    /// where the path leads somewhere in the document; one pass over a JSON text for them all.
    func positions(of paths: [String]) -> [String?] {
        let found: [(line: Int, column: Int)?]
        if let yaml {
            found = YAMLConversion.locate(paths, in: yaml)
        } else {
            found = JSONParser.locate(paths, in: body) ?? paths.map { _ in nil }
        }
        return found.map { $0.map { "\(name):\($0.line):\($0.column)" } }
    }
}
