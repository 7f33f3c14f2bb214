/// A store that cannot do what was asked: the message says what and why.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// An error a store driver can tell apart as "the storage is full" (SQLite's `SQLITE_FULL`,
/// PostgreSQL's `disk_full`): the engine then answers that, in those words, instead of a store
/// failure in general. Drivers make their library's error conform; nothing else reads it.
public protocol StorageFullError: Error {
    /// Whether the write failed because the disk (or the database's size limit) is full.
    var storageIsFull: Bool { get }
}

extension StoreError {
    /// Whether `error` says the storage is full (see `StorageFullError`).
    public static func isStorageFull(_ error: any Error) -> Bool {
        (error as? any StorageFullError)?.storageIsFull == true
    }
}
