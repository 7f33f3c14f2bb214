/// Group names: named sets of accounts that a `Human.Task` assigns as `group:NAME`.
public enum GroupName {
    public static let maxLength = Limits.accountNameCharacters
    /// How an assignee names a group rather than an account (`group:reviewers`); account names
    /// have no `:`, so the two never collide.
    public static let assigneePrefix = "group:"

    /// Why `name` is not a valid group name, or `nil`: the rule of account names (1 to 64
    /// letters, digits, `.`, `_`, `@` and `-`, starting with a letter or digit).
    public static func problem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        let isAlnum: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }
        if bytes.isEmpty { return "a group name cannot be empty" }
        if bytes.count > maxLength { return "a group name has at most \(maxLength) characters; this one has \(bytes.count)" }
        guard isAlnum(bytes[0]), bytes.allSatisfy({ isAlnum($0) || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "-")].contains($0) }) else {
            return "\"\(name)\" is not a valid group name; expected letters, digits, \".\", \"_\", \"@\" and \"-\", starting with a letter or digit"
        }
        return nil
    }

    /// The group an assignee entry names (`group:ops` → `ops`), or `nil` for an account.
    public static func named(byAssignee entry: String) -> String? {
        entry.hasPrefix(assigneePrefix) ? String(entry.dropFirst(assigneePrefix.count)) : nil
    }
}
