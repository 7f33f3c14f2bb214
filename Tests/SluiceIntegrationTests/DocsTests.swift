import Foundation
import Testing

@testable import sluice

/// The documentation in `README.md` and `docs/` against the code and against itself: every flag
/// `sluice serve --help` lists has a row in docs/operating.md's configuration table, and every
/// relative link and image resolves (files, and `#anchor`s to a heading of that file, by
/// GitHub's slug rules), so that a moved section or a new flag cannot leave the docs behind.
@Suite struct DocsTests {
    /// The repository's root, from this file's place in it (Tests/SluiceIntegrationTests/…).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyServeFlagIsInTheConfigurationTable() throws {
        let help = Sluice.helpMessage(for: Serve.self, columns: 200)
        let flags = Self.flags(inHelp: help)
        #expect(flags.count > 30, "too few flags read from the help: \(flags)")
        let operating = try String(contentsOf: Self.root.appendingPathComponent("docs/operating.md"), encoding: .utf8)
        let rows = Self.configurationTableFirstCells(operating)
        #expect(!rows.isEmpty, "docs/operating.md has no table under \"## Configuration\"")
        for flag in flags where flag != "--help" {
            #expect(rows.contains { Self.mentions($0, flag) },
                    "sluice serve \(flag) has no row in docs/operating.md's configuration table")
        }
    }

    @Test func everyRelativeLinkResolves() throws {
        var files = [Self.root.appendingPathComponent("README.md")]
        let docs = Self.root.appendingPathComponent("docs")
        if let walker = FileManager.default.enumerator(at: docs, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where url.pathExtension == "md" { files.append(url) }
        }
        #expect(files.count > 5)
        var checked = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let name = file.path.replacingOccurrences(of: Self.root.path + "/", with: "")
            for target in Self.linkTargets(text) {
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                checked += 1
                let hashIndex = target.firstIndex(of: "#")
                let pathPart = hashIndex.map { String(target[..<$0]) } ?? target
                let anchor = hashIndex.map { String(target[target.index(after: $0)...]) }
                let decoded = pathPart.removingPercentEncoding ?? pathPart
                let destination = pathPart.isEmpty ? file
                    : decoded.hasPrefix("/") ? Self.root.appendingPathComponent(String(decoded.dropFirst()))
                    : file.deletingLastPathComponent().appendingPathComponent(decoded).standardized
                guard FileManager.default.fileExists(atPath: destination.path) else {
                    Issue.record("\(name): the link \(target) leads to \(destination.path), which does not exist")
                    continue
                }
                if let anchor, !anchor.isEmpty {
                    guard destination.pathExtension == "md" else { continue }
                    let headings = Self.anchors(try String(contentsOf: destination, encoding: .utf8))
                    #expect(headings.contains(anchor.lowercased()),
                            "\(name): the link \(target) names no heading of \(destination.lastPathComponent)")
                }
            }
        }
        #expect(checked > 20, "too few relative links found: \(checked)")
    }

    /// A check that the check can fail: a table without a flag's row is caught.
    @Test func aMissingRowIsNoticed() {
        let table = "## Configuration\n\n| flag | |\n|---|---|\n| `--host` | x |\n| `--port`, `--pool-size` | y |\n\n## Next\n| `--database` | z |\n"
        let rows = Self.configurationTableFirstCells(table)
        #expect(rows.contains { Self.mentions($0, "--port") })
        #expect(rows.contains { Self.mentions($0, "--pool-size") })
        #expect(!rows.contains { Self.mentions($0, "--database") })
        #expect(!rows.contains { Self.mentions($0, "--hos") })
        #expect(Self.slug("Sub-workflows: `Workflow.Run`") == "sub-workflows-workflowrun")
        #expect(Self.slug("`GET /openapi.yaml`, `GET /openapi.json`, `GET /docs`") == "get-openapiyaml-get-openapijson-get-docs")
        #expect(Self.anchors("# A\n## B\n```\n# not a heading\n```\n## B\n") == ["a", "b", "b-1"])
    }

    // MARK: - Reading help and markdown

    /// The `--flags` the help defines (the first word of an option's line), in order.
    static func flags(inHelp help: String) -> [String] {
        var flags: [String] = []
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            var rest = line.drop { $0 == " " }
            guard line.count - rest.count >= 2, line.count - rest.count <= 4 else { continue }
            if rest.hasPrefix("-"), !rest.hasPrefix("--"), let comma = rest.firstIndex(of: ",") {
                rest = rest[rest.index(after: comma)...].drop { $0 == " " }
            }
            guard rest.hasPrefix("--") else { continue }
            let flag = rest.prefix { $0.isLetter || $0.isNumber || $0 == "-" }
            if flag.count > 2, !flags.contains(String(flag)) { flags.append(String(flag)) }
        }
        return flags
    }

    /// The first cell of every table row under the `## Configuration` heading, up to the next
    /// heading of that level or higher.
    static func configurationTableFirstCells(_ markdown: String) -> [String] {
        var inSection = false
        var cells: [String] = []
        for line in proseLines(markdown) {
            if line.hasPrefix("#") {
                let level = line.prefix { $0 == "#" }.count
                if inSection, level <= 2 { break }
                if level == 2, line.dropFirst(2).trimmingCharacters(in: .whitespaces) == "Configuration" { inSection = true }
                continue
            }
            guard inSection, line.hasPrefix("|") else { continue }
            let cell = line.dropFirst().prefix { $0 != "|" }
            if !cell.allSatisfy({ $0 == "-" || $0 == ":" || $0 == " " }) { cells.append(String(cell)) }
        }
        return cells
    }

    /// Whether `cell` names `flag` whole (`--host` is not in `--hostname`).
    static func mentions(_ cell: String, _ flag: String) -> Bool {
        var search = cell[...]
        while let range = search.range(of: flag) {
            let after = search[range.upperBound...].first
            if after.map({ !($0.isLetter || $0.isNumber || $0 == "-") }) ?? true { return true }
            search = search[range.upperBound...]
        }
        return false
    }

    /// The lines of `markdown` outside fenced code blocks.
    static func proseLines(_ markdown: String) -> [Substring] {
        var fence: String?
        var lines: [Substring] = []
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil }
                lines.append("")
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = String(trimmed.prefix(3))
                lines.append("")
                continue
            }
            lines.append(line)
        }
        return lines
    }

    /// The targets of inline links and images, `[text](target)` and `![alt](target)`, outside
    /// code blocks and code spans (which may run over a line break, not over a blank line).
    static func linkTargets(_ markdown: String) -> [String] {
        var targets: [String] = []
        var inSpan = 0  // the length of the backtick run that opened the code span, or 0
        for line in proseLines(markdown) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { inSpan = 0; continue }
            let chars = Array(line)
            var i = 0
            while i < chars.count {
                if chars[i] == "`" {
                    var run = 0
                    while i < chars.count, chars[i] == "`" { run += 1; i += 1 }
                    if inSpan == 0 { inSpan = run } else if inSpan == run { inSpan = 0 }
                    continue
                }
                if inSpan == 0, chars[i] == "]", i + 1 < chars.count, chars[i + 1] == "(" {
                    var j = i + 2, depth = 1
                    var target = ""
                    while j < chars.count {
                        if chars[j] == "(" { depth += 1 }
                        if chars[j] == ")" { depth -= 1; if depth == 0 { break } }
                        target.append(chars[j])
                        j += 1
                    }
                    target = target.trimmingCharacters(in: .whitespaces)
                    if target.hasPrefix("<"), let end = target.firstIndex(of: ">") {
                        target = String(target[target.index(after: target.startIndex)..<end])
                    } else if let space = target.firstIndex(of: " ") {
                        target = String(target[..<space])  // a title follows
                    }
                    if !target.isEmpty { targets.append(target) }
                    i = j
                    continue
                }
                i += 1
            }
        }
        return targets
    }

    /// The anchors GitHub gives the headings of `markdown`: the slug of each, with `-1`, `-2`, …
    /// added to repeats.
    static func anchors(_ markdown: String) -> [String] {
        var seen: [String: Int] = [:]
        var anchors: [String] = []
        for line in proseLines(markdown) where line.hasPrefix("#") {
            let hashes = line.prefix { $0 == "#" }.count
            guard hashes <= 6, line.dropFirst(hashes).first == " " else { continue }
            let base = slug(String(line.dropFirst(hashes)))
            if let count = seen[base] {
                anchors.append("\(base)-\(count)")
                seen[base] = count + 1
            } else {
                anchors.append(base)
                seen[base] = 1
            }
        }
        return anchors
    }

    /// GitHub's heading slug: the text without markup, lower-cased, every character but letters,
    /// digits, `_`, `-` and spaces dropped, spaces made `-`.
    static func slug(_ heading: String) -> String {
        var text = heading.trimmingCharacters(in: .whitespaces)
        // [text](target) reads as text
        while let close = text.range(of: "]("), let open = text[..<close.lowerBound].lastIndex(of: "["),
              let end = text[close.upperBound...].firstIndex(of: ")") {
            text = String(text[..<open]) + text[text.index(after: open)..<close.lowerBound] + text[text.index(after: end)...]
        }
        var slug = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber || character == "_" || character == "-" {
                slug.append(character)
            } else if character == " " {
                slug.append("-")
            }
        }
        return slug
    }
}
