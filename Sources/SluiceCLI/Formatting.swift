import Foundation
import SluiceClient
import SluiceCore

/// Text for people: tables, durations, ages, statuses, pretty JSON. Pure functions, tested
/// without a server.
public enum Formatting {
    /// Columns aligned on the widest cell, headers in capitals, two spaces between columns
    /// (kubectl's layout); the last column is not padded. Widths count characters, not bytes,
    /// and ignore colour codes.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let columns = header.count
        var widths = Array(repeating: 0, count: columns)
        for row in all {
            for (i, cell) in row.enumerated() where i < columns { widths[i] = max(widths[i], visibleWidth(cell)) }
        }
        return all.map { row in
            var line = ""
            for (i, cell) in row.enumerated() where i < columns {
                line += cell
                if i < columns - 1 { line += String(repeating: " ", count: widths[i] - visibleWidth(cell) + 2) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// Characters a terminal shows, leaving out ANSI colour sequences.
    static func visibleWidth(_ text: String) -> Int {
        var count = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else {
                count += 1
            }
        }
        return count
    }

    /// A duration for people: `850ms`, `1.25s`, `42s`, `3m05s`, `2h10m`, `3d4h`.
    public static func duration(_ seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 1 { return "\(Int((s * 1000).rounded()))ms" }
        if s < 10 { return String(format: "%.2fs", s) }
        if s < 60 { return "\(Int(s))s" }
        let total = Int(s)
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        if total < 86400 { return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60) }
        return "\(total / 86400)d\((total % 86400) / 3600)h"
    }

    /// How long ago, kubectl's AGE style: `5s`, `3m`, `2h`, `4d`.
    public static func age(_ date: Date, now: Date) -> String {
        let s = Int(max(0, now.timeIntervalSince(date)))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }

    /// A time as RFC 3339 in UTC with milliseconds, as the API writes it.
    public static func timestamp(_ date: Date) -> String {
        timestampFormat.format(date)
    }

    nonisolated(unsafe) static let timestampFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// How long an execution or task ran: until it finished, or until `now` while it runs.
    public static func elapsed(from start: Date?, to end: Date?, now: Date) -> String {
        guard let start else { return "" }
        return duration((end ?? now).timeIntervalSince(start))
    }

    /// The colour of a status: green done, red failed, yellow under way, dim skipped or waiting.
    public static func style(forStatus status: String) -> Console.Style {
        switch status {
        case "COMPLETED": .green
        case "FAILED": .red
        case "CANCELLED": .magenta
        case "RUNNING": .cyan
        case "RETRYING": .yellow
        default: .dim
        }
    }

    /// The one-character mark of a task's status in the live view (`spinner` while it runs).
    public static func mark(forStatus status: String, spinner: String) -> String {
        switch status {
        case "COMPLETED": "✓"
        case "FAILED": "✗"
        case "CANCELLED": "⊘"
        case "SKIPPED": "-"
        case "RETRYING": "↻"
        case "RUNNING": spinner
        default: "·"
        }
    }

    /// Frames of the running spinner.
    public static let spinnerFrames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    /// Text cut to `width` characters with an ellipsis.
    public static func truncate(_ text: String, to width: Int) -> String {
        guard width > 1, text.count > width else { return text }
        return String(text.prefix(width - 1)) + "…"
    }

    /// A JSON value on one line, cut to `width` characters.
    public static func compact(_ value: JSONValue?, width: Int = 120) -> String {
        guard let value else { return "" }
        return truncate(value.jsonString, to: width)
    }

    // MARK: - JSON

    /// JSON indented by two spaces, keys in the server's order: what `-o json` prints.
    public static func prettyJSON(_ value: JSONValue) -> String {
        var out = ""
        writePretty(value, indent: "", into: &out)
        return out
    }

    static func writePretty(_ value: JSONValue, indent: String, into out: inout String) {
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            let inner = indent + "  "
            for (i, item) in items.enumerated() {
                out += inner
                writePretty(item, indent: inner, into: &out)
                out += i < items.count - 1 ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let object) where !object.isEmpty:
            out += "{\n"
            let inner = indent + "  "
            for (i, member) in object.enumerated() {
                out += inner + JSONValue.string(member.key).jsonString + ": "
                writePretty(member.value, indent: inner, into: &out)
                out += i < object.count - 1 ? ",\n" : "\n"
            }
            out += indent + "}"
        default:
            out += value.jsonString
        }
    }

    // MARK: - Input schema

    /// One row per property of an input schema: name, type, required (`yes`/`no`), default, description.
    public static func schemaSummary(_ schema: JSONValue) -> [[String]] {
        guard let properties = schema["properties"]?.objectValue else { return [] }
        let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        return properties.map { member in
            let p = member.value
            var type = p["type"]?.stringValue ?? (p["type"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "|") ?? "any")
            if let values = p["enum"]?.arrayValue { type += " (" + values.map(\.jsonString).joined(separator: ", ") + ")" }
            return [member.key, type, required.contains(member.key) ? "yes" : "no", p["default"]?.jsonString ?? "", p["description"]?.stringValue ?? ""]
        }
    }
}
