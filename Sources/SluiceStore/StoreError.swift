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

/// An error a store driver can tell apart as "the database cannot be reached" (no connection
/// within the deadline, the server went away mid-request): the engine and the API then answer
/// `503` and say so, instead of a store failure in general. Whether a write that failed this way
/// was committed is unknown to the driver; the engine treats it as not acknowledged.
public protocol StoreUnavailableError: Error {
    /// Whether the request failed because the database could not be reached.
    var storeIsUnavailable: Bool { get }
}

extension StoreError {
    /// Whether `error` says the database cannot be reached (see `StoreUnavailableError`).
    public static func isUnavailable(_ error: any Error) -> Bool {
        (error as? any StoreUnavailableError)?.storeIsUnavailable == true
    }
}
