import SluiceCore

/// A person or a machine that signs in with tokens.
public struct AccountRecord: Sendable, Hashable {
    /// `acct-xxxxxxxx`.
    public var id: String
    /// Unique, never changes (grants, pools and the audit log name accounts by it).
    public var name: String
    public var kind: AccountKind
    public var displayName: String?
    public var createdAt: Int64
    /// Insertion order, assigned by the store; pagination cursors are built from it.
    public var seq: Int64

    public init(id: String, name: String, kind: AccountKind, displayName: String? = nil, createdAt: Int64, seq: Int64 = 0) {
        self.id = id
        self.name = name
        self.kind = kind
        self.displayName = displayName
        self.createdAt = createdAt
        self.seq = seq
    }
}

public enum AccountKind: String, Sendable, Hashable, CaseIterable {
    case person, machine
}

/// What a token is for: an API token a client sends as `Authorization: Bearer`, or a browser
/// session (the value of the session cookie).
public enum TokenKind: String, Sendable, Hashable, CaseIterable {
    case api, session
}

/// A token as stored: never its value, only the SHA-256 of it.
public struct TokenRecord: Sendable, Hashable {
    /// `tok-xxxxxxxx`: how the API names a token (listing, revoking).
    public var id: String
    public var accountID: String
    public var name: String
    public var kind: TokenKind
    /// Lowercase hex SHA-256 of the token's value; unique.
    public var hash: String
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var lastUsedAt: Int64?
    public var revokedAt: Int64?

    public init(id: String, accountID: String, name: String, kind: TokenKind = .api, hash: String, createdAt: Int64, expiresAt: Int64? = nil, lastUsedAt: Int64? = nil, revokedAt: Int64? = nil) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.kind = kind
        self.hash = hash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// Whether it lets its holder in at `now`.
    public func isValid(at now: Int64) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }
}

/// A grant as stored: the account by id (the `Grant` value the store answers names it).
public struct GrantRecord: Sendable, Hashable {
    /// `gr-xxxxxxxx`.
    public var id: String
    public var accountID: String
    /// A namespace, or `*` for every namespace.
    public var namespace: String
    public var role: Role
    public var createdAt: Int64
    /// The only queues a `worker` grant covers; `nil`: every queue (`Grant.queues`).
    public var queues: [String]?

    public init(id: String, accountID: String, namespace: String, role: Role, createdAt: Int64, queues: [String]? = nil) {
        self.id = id
        self.accountID = accountID
        self.namespace = namespace
        self.role = role
        self.createdAt = createdAt
        self.queues = queues
    }

    /// `queues` as the stores keep them: a JSON array of strings, or `nil`.
    public var queuesColumn: String? {
        queues.map { JSONValue.array($0.map(JSONValue.string)).jsonString }
    }

    /// `queues` read back from `queuesColumn`.
    public static func queues(column: String?) -> [String]? {
        guard let column, let value = try? JSONParser.parse(column) else { return nil }
        return value.arrayValue?.compactMap(\.stringValue)
    }
}

/// A named group of accounts (`Human.Task` assignees name one as `group:NAME`). Managed like
/// accounts; its members are read when they are needed, so a member added later counts at once.
public struct GroupRecord: Sendable, Hashable {
    /// `grp-xxxxxxxx`.
    public var id: String
    /// Unique, never changes (assignees name groups by it).
    public var name: String
    public var description: String?
    public var createdAt: Int64
    /// Insertion order, assigned by the store; pagination cursors are built from it.
    public var seq: Int64

    public init(id: String, name: String, description: String? = nil, createdAt: Int64, seq: Int64 = 0) {
        self.id = id
        self.name = name
        self.description = description
        self.createdAt = createdAt
        self.seq = seq
    }
}

/// What a token lookup finds: the token, its account and the account's grants.
public struct Credential: Sendable, Hashable {
    public var token: TokenRecord
    public var account: AccountRecord
    public var grants: [Grant]

    public init(token: TokenRecord, account: AccountRecord, grants: [Grant]) {
        self.token = token
        self.account = account
        self.grants = grants
    }
}

/// One entry of the audit log: a mutation or a failed authentication. Never holds a secret.
public struct AuditRecord: Sendable, Hashable {
    /// Assigned by the store, increasing; the list's cursor.
    public var seq: Int64
    public var at: Int64
    /// The account that acted, `nil` when authentication failed or auth is off.
    public var actor: String?
    /// What was done: `workflow.create`, `execution.cancel`, `token.revoke`, `auth.failed`, …
    public var action: String
    /// The object it was done to (`wf-…`, `ex-…`, an account name), if any.
    public var object: String?
    public var namespace: String?
    /// The answer's HTTP status.
    public var status: Int
    /// The client's address.
    public var address: String?
    /// The method and path of the request.
    public var request: String

    public init(seq: Int64 = 0, at: Int64, actor: String?, action: String, object: String?, namespace: String?, status: Int, address: String?, request: String) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.object = object
        self.namespace = namespace
        self.status = status
        self.address = address
        self.request = request
    }
}

/// Which audit entries a list shows; `nil` fields match everything.
public struct AuditFilter: Sendable, Hashable {
    public var actor: String?
    /// An action (`workflow.create`) or a prefix of one ending in `.` (`workflow.`).
    public var action: String?
    public var object: String?
    public var namespace: String?
    /// Only entries at or after / before these times (ms).
    public var since: Int64?
    public var until: Int64?

    public init(actor: String? = nil, action: String? = nil, object: String? = nil, namespace: String? = nil, since: Int64? = nil, until: Int64? = nil) {
        self.actor = actor
        self.action = action
        self.object = object
        self.namespace = namespace
        self.since = since
        self.until = until
    }

    public func matches(_ r: AuditRecord) -> Bool {
        if let actor, r.actor != actor { return false }
        if let action {
            if action.hasSuffix(".") { if !r.action.hasPrefix(action) { return false } } else if r.action != action { return false }
        }
        if let object, r.object != object { return false }
        if let namespace, r.namespace != namespace { return false }
        if let since, r.at < since { return false }
        if let until, r.at >= until { return false }
        return true
    }
}
