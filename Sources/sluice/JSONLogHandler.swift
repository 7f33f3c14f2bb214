import ArgumentParser
import Foundation
import Logging
import SluiceCore

/// One JSON object per log line: `{"ts", "level", "label", "msg", ...metadata}`, for log shippers.
struct JSONLogHandler: LogHandler {
    var label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    /// Adds metadata from the task-local context: with tracing on, the `trace_id` and `span_id`
    /// of the span a line is logged in.
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var o = JSONObject()
        o.append("ts", .string(Timestamp.format(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))))
        o.append("level", .string(event.level.rawValue))
        o.append("label", .string(label))
        o.append("msg", .string(event.message.description))
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { o[key] = .string("\(value)") }
        var bytes = JSONValue.object(o).jsonBytes
        bytes.append(0x0A)
        FileHandle.standardError.write(Data(bytes))
    }
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

enum Logs {
    /// Sets up swift-log once for the process.
    /// With `metadataProvider` (tracing on), every line logged inside a span carries its
    /// `trace_id` and `span_id`.
    static func bootstrap(format: LogFormat, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        LoggingSystem.bootstrap({ label, provider in
            switch format {
            case .json:
                var h = JSONLogHandler(label: label)
                h.logLevel = level
                h.metadataProvider = provider
                return h
            case .text:
                var h = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                h.logLevel = level
                return h
            }
        }, metadataProvider: metadataProvider)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
