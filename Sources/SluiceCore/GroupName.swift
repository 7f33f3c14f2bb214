/// Group names: named sets of accounts that a `Human.Task` assigns as `group:NAME`.
public enum GroupName {
    public static let maxLength = AccountName.maxLength
    /// How an assignee names a group rather than an account (`group:reviewers`); account names
    /// have no `:`, so the two never collide.
    public static let assigneePrefix = "group:"

    /// Why `name` is not a valid group name, or `nil`: the rule of account names (1 to 64
    /// letters, digits, `.`, `_`, `@` and `-`, starting with a letter or digit).
    public static func problem(_ name: String) -> String? {
        AccountName.problem(name, calling: "group name")
    }

    /// The group an assignee entry names (`group:ops` → `ops`), or `nil` for an account.
    public static func named(byAssignee entry: String) -> String? {
        entry.hasPrefix(assigneePrefix) ? String(entry.dropFirst(assigneePrefix.count)) : nil
    }
}
