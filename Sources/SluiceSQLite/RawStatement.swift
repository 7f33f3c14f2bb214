import GRDB
import GRDBSQLite
import SluiceStore

/// A cached statement driven through SQLite's C interface: values bound in place, no argument
/// arrays of existentials. For the writes every execution makes (its row, its tasks, its
/// events), which run on the single writer and so bound how many executions commit per second.
struct RawStatement {
    let handle: OpaquePointer
    let db: Database

    /// `statement`, reset and with its bindings cleared.
    init(_ statement: Statement, _ db: Database) {
        handle = statement.sqliteStatement
        self.db = db
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// SQLite copies the bytes before the call returns.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    static let empty: StaticString = ""

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int?) {
        bind(index, value.map(Int64.init))
    }

    func bind(_ index: Int32, _ value: Bool) {
        sqlite3_bind_int64(handle, index, value ? 1 : 0)
    }

    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUTF8 { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 {
                base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { sqlite3_bind_text(handle, index, $0, Int32(bytes.count), Self.transient) }
            } else {
                Self.empty.withUTF8Buffer { e in
                    e.baseAddress!.withMemoryRebound(to: CChar.self, capacity: 1) { sqlite3_bind_text(handle, index, $0, 0, Self.transient) }
                }
            }
        }
    }

    /// Runs a statement that returns no row.
    func run() throws {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw failure(rc) }
    }

    /// Runs a query; the first column of its first row as an integer, `nil` if no row.
    func int64() throws -> Int64? {
        let rc = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw failure(rc) }
        return sqlite3_column_type(handle, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, 0)
    }

    /// Runs a query; the first column of its first row as text, `nil` if no row or NULL.
    func text() throws -> String? {
        let rc = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw failure(rc) }
        guard let p = sqlite3_column_text(handle, 0) else { return nil }
        return String(cString: p)
    }

    func failure(_ rc: Int32) -> StoreError {
        let message = db.sqliteConnection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "error \(rc)"
        return StoreError(message: "SQLite: \(message)")
    }
}
