import Foundation
import SluiceCore
import Testing

/// `docs/limits.md` against the code: its table names every limit of `Limits.table` with its
/// value, and nothing else, and every test the page names (at a limit's edge, or for a fault)
/// exists. A limit changed in the code and not on the page, or the other way round, fails here.
@Suite struct LimitDocumentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Row {
        var cells: [String]
        var line: Int
    }

    /// The rows of the page's tables (header and separator rows left out).
    static func rows() throws -> [Row] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/limits.md"), encoding: .utf8)
        var rows: [Row] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.hasPrefix("| ") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map { $0.trimmingCharacters(in: .whitespaces) }
            if ["limit", "fault"].contains(cells.first) { continue }
            rows.append(Row(cells: cells, line: i + 1))
        }
        return rows
    }

    /// The text inside backticks in `cell`.
    static func quoted(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    @Test func theTableListsEveryLimitWithItsValueAndNothingElse() throws {
        let limits = try Self.rows().filter { $0.cells.count == 6 }
        var documented: [String: Int] = [:]
        for row in limits {
            let name = try #require(Self.quoted(row.cells[0]).first, "line \(row.line)")
            let value = try #require(Int(row.cells[1]), "line \(row.line): the value of \(name) is not a plain integer: \(row.cells[1])")
            #expect(documented[name] == nil, "line \(row.line): \(name) is listed twice")
            documented[name] = value
        }
        let table = Dictionary(uniqueKeysWithValues: Limits.table.map { ($0.name, $0.value) })
        #expect(table.count == Limits.table.count, "a name is given twice in Limits.table")
        for (name, value) in table {
            #expect(documented[name] == value, "\(name) is \(value) in Limits.table but \(documented[name].map(String.init) ?? "missing") in docs/limits.md")
        }
        for name in documented.keys where table[name] == nil {
            Issue.record("docs/limits.md lists \(name), which Limits.table does not have")
        }
    }

    @Test func everyTestThePageNamesExists() throws {
        let tests = try Self.testSources()
        var named = 0
        for row in try Self.rows() {
            // A limit's row names its tests in the last cell; a fault's row in the second.
            let cell = row.cells.count == 6 ? row.cells[5] : row.cells.count == 3 ? row.cells[1] : ""
            for reference in Self.quoted(cell) {
                let parts = reference.split(separator: ".")
                guard parts.count == 2, let function = parts.last else {
                    Issue.record("line \(row.line): \"\(reference)\" is not Suite.function")
                    continue
                }
                let sources = tests[String(parts[0])] ?? []
                #expect(sources.contains { $0.contains("func \(function)(") }, "line \(row.line): no test \(reference) in Tests/")
                named += 1
            }
        }
        #expect(named >= Limits.table.count, "every limit names a test")
    }

    /// The text of every Swift file under Tests/, by file name without `.swift` (the suite's
    /// name; two targets may have a file of the same name).
    static func testSources() throws -> [String: [String]] {
        var sources: [String: [String]] = [:]
        let enumerator = try #require(FileManager.default.enumerator(at: root.appendingPathComponent("Tests"), includingPropertiesForKeys: nil))
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            sources[url.deletingPathExtension().lastPathComponent, default: []].append(try String(contentsOf: url, encoding: .utf8))
        }
        return sources
    }
}
