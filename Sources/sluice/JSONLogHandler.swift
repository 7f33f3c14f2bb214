import ArgumentParser
import Foundation
import Logging
import SluiceCore

/// One JSON object per log line: `{"ts", "level", "label", "msg", ...metadata}`, for log shippers.
struct JSONLogHandler: LogHandler {
    var label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

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
    static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var h = JSONLogHandler(label: label)
                h.logLevel = level
                return h
            case .text:
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = level
                return h
            }
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
