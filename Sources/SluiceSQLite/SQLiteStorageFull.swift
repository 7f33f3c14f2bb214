import GRDB
import SluiceStore

/// `SQLITE_FULL` ("database or disk is full"): the disk, or `max_page_count`, has no room for
/// the write; the transaction was rolled back.
extension DatabaseError: StorageFullError {
    public var storageIsFull: Bool { resultCode == .SQLITE_FULL }
}
