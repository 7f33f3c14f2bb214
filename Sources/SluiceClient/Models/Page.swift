import SluiceCore

/// One page of a list, newest or oldest first as the endpoint says.
public struct Page<Item: Sendable>: Sendable {
    /// The items of this page.
    public var items: [Item]
    /// Pass as `cursor` to read the next page; `nil` on the last page.
    public var nextCursor: String?

    /// A page from its parts.
    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// Whether another page may follow.
    public var hasMore: Bool { nextCursor != nil }

    init(_ json: JSONValue, key: String, _ item: (JSONValue) throws(SluiceClientError) -> Item) throws(SluiceClientError) {
        let f = try Fields(json, "the list of \(key)")
        self.items = try f.list(key, item)
        self.nextCursor = try f.optionalString("next_cursor")
    }
}

extension Page: Equatable where Item: Equatable {}
extension Page: Hashable where Item: Hashable {}
