import PostgresNIO
import SluiceStore

/// SQLSTATE class 53 "insufficient resources", code `53100` `disk_full`: the server has no room
/// for the write; the transaction was rolled back.
extension PSQLError: StorageFullError {
    public var storageIsFull: Bool { serverInfo?[.sqlState] == "53100" }
}
