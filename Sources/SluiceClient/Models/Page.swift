import SluiceCore

/// One page of a list, newest or oldest first as the endpoint says.
public struct Page<Item: Sendable>: Sendable {
    /// The items of this page.
    public var items: [Item]
    /// Pass as `cursor` to read the next page; `nil` on the last page.
    public var nextCursor: String?
    /// The whole page as the server sent it (`{"workflows": […], "next_cursor": …}`).
    public var json: JSONValue

    /// A page from its parts.
    public init(items: [Item], nextCursor: String?, json: JSONValue = .null) {
        self.items = items
        self.nextCursor = nextCursor
        self.json = json
    }

    /// Whether another page may follow.
    public var hasMore: Bool { nextCursor != nil }

    init(_ json: JSONValue, key: String, _ item: (JSONValue) throws(SluiceClientError) -> Item) throws(SluiceClientError) {
        let f = try Fields(json, "the list of \(key)")
        self.items = try f.list(key, item)
        self.nextCursor = try f.optionalString("next_cursor")
        self.json = json
    }
}

extension Page: Equatable where Item: Equatable {}
extension Page: Hashable where Item: Hashable {}
