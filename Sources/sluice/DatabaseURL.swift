import ArgumentParser
import SluiceSQLite
import SluiceStore

/// Where a server keeps its data: `sqlite:PATH` (the default, `sqlite:./sluice.db`) or `memory:`.
enum DatabaseURL: Equatable {
    case sqlite(path: String)
    case memory

    static let `default` = DatabaseURL.sqlite(path: "./sluice.db")

    init(_ text: String) throws {
        if text == "memory:" || text == "memory" {
            self = .memory
        } else if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw ValidationError("database URL \"\(text)\" has no path; expected sqlite:PATH, e.g. sqlite:./sluice.db") }
            self = .sqlite(path: path)
        } else {
            throw ValidationError("unsupported database URL \"\(text)\"; expected sqlite:PATH (e.g. sqlite:./sluice.db) or memory:")
        }
    }

    func open() throws -> any Store {
        switch self {
        case .memory: return MemoryStore()
        case .sqlite(let path): return try SQLiteStore(path: path)
        }
    }

    var description: String {
        switch self {
        case .memory: return "memory:"
        case .sqlite(let path): return "sqlite:\(path)"
        }
    }
}
