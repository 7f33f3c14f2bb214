/// Reads Server-Sent Events line by line, as the WHATWG HTML specification describes: `field:
/// value` lines, events dispatched at a blank line, `:` comments ignored.
struct ServerSentEventParser {
    /// One dispatched event.
    struct Message: Equatable {
        var id: String?
        var event: String?
        var data: String
    }

    /// The last `id:` seen, kept across events (what `Last-Event-ID` sends back).
    private(set) var lastEventID: String?
    /// The reconnection time the server asked for with `retry:`, in milliseconds.
    private(set) var retry: Int?
    private var event: String?
    private var data: [String] = []

    /// Feeds one line (without its line end); returns an event when the line completes one.
    mutating func feed(_ line: String) -> Message? {
        if line.isEmpty {
            defer { event = nil; data = [] }
            guard !data.isEmpty else { return nil }
            return Message(id: lastEventID, event: event, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = ""
        }
        switch field {
        case "data": data.append(String(value))
        case "event": event = String(value)
        case "id" where !value.contains("\0"): lastEventID = String(value)
        case "retry": if let ms = Int(value), ms >= 0 { retry = ms }
        default: break
        }
        return nil
    }
}
