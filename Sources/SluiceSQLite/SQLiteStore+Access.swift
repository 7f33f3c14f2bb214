import GRDB
import SluiceCore
import SluiceStore

/// Accounts, tokens, grants and the audit log: writes.
extension SQLiteStore {
    static func applyAccessMutation(_ mutation: Mutation, _ db: Database, now: Int64) throws -> MutationOutcome {
        switch mutation {
        case .insertAccount(let a):
            // The id or the name taken: either unique constraint ignores the row.
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO accounts (id, name, kind, display_name, created_at) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [a.id, a.name, a.kind.rawValue, a.displayName, a.createdAt])
            return db.changesCount == 0 ? .idConflict : .applied
        case .deleteAccount(let id):
            // Its tokens and grants go with it (ON DELETE CASCADE; GRDB enforces foreign keys).
            try db.cachedStatement(sql: "DELETE FROM accounts WHERE id = ?").execute(arguments: [id])
            return db.changesCount == 0 ? .stale : .applied
        case .insertToken(let t):
            guard try accountExists(t.accountID, db) else { return .stale }
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO tokens (id, account_id, name, kind, hash, created_at, expires_at, last_used_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [t.id, t.accountID, t.name, t.kind.rawValue, t.hash, t.createdAt, t.expiresAt, t.lastUsedAt, t.revokedAt])
            return db.changesCount == 0 ? .idConflict : .applied
        case .revokeToken(let id, let at):
            try db.cachedStatement(sql: "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").execute(arguments: [at, id])
            return db.changesCount == 0 ? .stale : .applied
        case .touchToken(let id, let at):
            try db.cachedStatement(sql: "UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
                .execute(arguments: [at, id, at])
            return .applied
        case .insertGrant(let g):
            guard try accountExists(g.accountID, db) else { return .stale }
            // The id taken, or the account has this role here already.
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO grants (id, account_id, namespace, role, created_at, queues) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [g.id, g.accountID, g.namespace, g.role.rawValue, g.createdAt, g.queuesColumn])
            return db.changesCount == 0 ? .idConflict : .applied
        case .deleteGrant(let id):
            try db.cachedStatement(sql: "DELETE FROM grants WHERE id = ?").execute(arguments: [id])
            return db.changesCount == 0 ? .stale : .applied
        case .appendAudit(let entries):
            let insert = try db.cachedStatement(sql: """
                INSERT INTO audit_log (at, actor, action, object, namespace, status, address, request) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for e in entries {
                try insert.execute(arguments: [e.at, e.actor, e.action, e.object, e.namespace, e.status, e.address, e.request])
            }
            return .applied
        case .insertGroup(let g):
            // The id or the name taken: either unique constraint ignores the row.
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO account_groups (id, name, description, created_at) VALUES (?, ?, ?, ?)")
                .execute(arguments: [g.id, g.name, g.description, g.createdAt])
            return db.changesCount == 0 ? .idConflict : .applied
        case .deleteGroup(let id):
            // Its memberships go with it (ON DELETE CASCADE).
            try db.cachedStatement(sql: "DELETE FROM account_groups WHERE id = ?").execute(arguments: [id])
            return db.changesCount == 0 ? .stale : .applied
        case .addGroupMember(let groupID, let accountID, let at):
            guard try accountExists(accountID, db),
                  try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM account_groups WHERE id = ?"), arguments: [groupID]) != nil else { return .stale }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO account_group_members (group_id, account_id, added_at) VALUES (?, ?, ?)")
                .execute(arguments: [groupID, accountID, at])
            return db.changesCount == 0 ? .idConflict : .applied
        case .removeGroupMember(let groupID, let accountID):
            try db.cachedStatement(sql: "DELETE FROM account_group_members WHERE group_id = ? AND account_id = ?").execute(arguments: [groupID, accountID])
            return db.changesCount == 0 ? .stale : .applied
        default:
            preconditionFailure("not an access mutation: \(mutation)")
        }
    }

    static func accountExists(_ id: String, _ db: Database) throws -> Bool {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM accounts WHERE id = ?"), arguments: [id]) != nil
    }
}

/// Accounts, tokens, grants and the audit log: reads.
extension SQLiteStore {
    static let accountColumns = "a.seq, a.id, a.name, a.kind, a.display_name, a.created_at"
    static let tokenColumns = "t.id, t.account_id, t.name, t.kind, t.hash, t.created_at, t.expires_at, t.last_used_at, t.revoked_at"
    static let grantColumns = "g.id, a.name, g.namespace, g.role, g.created_at, g.queues"
    static let groupColumns = "g.seq, g.id, g.name, g.description, g.created_at"
    static let auditColumns = "seq, at, actor, action, object, namespace, status, address, request"

    static func account(_ row: Row, offset o: Int = 0) throws -> AccountRecord {
        let kind: String = row[o + 3]
        guard let k = AccountKind(rawValue: kind) else { throw StoreError(message: "unknown account kind \(kind) in the database") }
        return AccountRecord(id: row[o + 1], name: row[o + 2], kind: k, displayName: row[o + 4], createdAt: row[o + 5], seq: row[o])
    }

    static func token(_ row: Row, offset o: Int = 0) throws -> TokenRecord {
        let kind: String = row[o + 3]
        guard let k = TokenKind(rawValue: kind) else { throw StoreError(message: "unknown token kind \(kind) in the database") }
        return TokenRecord(
            id: row[o], accountID: row[o + 1], name: row[o + 2], kind: k, hash: row[o + 4], createdAt: row[o + 5],
            expiresAt: row[o + 6], lastUsedAt: row[o + 7], revokedAt: row[o + 8]
        )
    }

    static func grant(_ row: Row, offset o: Int = 0) throws -> Grant {
        let role: String = row[o + 3]
        guard let r = Role(rawValue: role) else { throw StoreError(message: "unknown role \(role) in the database") }
        return Grant(id: row[o], account: row[o + 1], namespace: row[o + 2], role: r, createdAt: row[o + 4], queues: GrantRecord.queues(column: row[o + 5]))
    }

    static func group(_ row: Row) -> GroupRecord {
        GroupRecord(id: row[1], name: row[2], description: row[3], createdAt: row[4], seq: row[0])
    }

    /// The names of the groups account `name` is a member of, in `db`'s transaction.
    static func groupNames(account name: String, _ db: Database) throws -> [String] {
        try String.fetchAll(db.cachedStatement(sql: """
            SELECT g.name FROM account_group_members m JOIN account_groups g ON g.id = m.group_id JOIN accounts a ON a.id = m.account_id
            WHERE a.name = ? ORDER BY g.name
            """), arguments: [name])
    }

    public func group(name: String) async throws -> GroupRecord? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.groupColumns) FROM account_groups g WHERE g.name = ?"), arguments: [name]).map(Self.group)
        }
    }

    public func groups(limit: Int, before: Int64?) async throws -> Page<GroupRecord> {
        try readNow { db in
            let rows = try Row.fetchAll(db, sql: "SELECT \(Self.groupColumns) FROM account_groups g WHERE g.seq < ? ORDER BY g.seq DESC LIMIT ?", arguments: [before ?? Int64.max, limit + 1])
            let items = rows.prefix(limit).map(Self.group)
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
        }
    }

    public func groupMembers(groupID: String) async throws -> [AccountRecord] {
        try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.accountColumns) FROM account_group_members m JOIN accounts a ON a.id = m.account_id WHERE m.group_id = ? ORDER BY a.name
                """), arguments: [groupID]).map { try Self.account($0) }
        }
    }

    public func groupNames(account: String) async throws -> [String] {
        try readNow { db in try Self.groupNames(account: account, db) }
    }

    static func audit(_ row: Row) -> AuditRecord {
        AuditRecord(
            seq: row[0], at: row[1], actor: row[2], action: row[3], object: row[4], namespace: row[5],
            status: row[6], address: row[7], request: row[8]
        )
    }

    public func account(id: String) async throws -> AccountRecord? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.accountColumns) FROM accounts a WHERE a.id = ?"), arguments: [id]).map { try Self.account($0) }
        }
    }

    public func account(name: String) async throws -> AccountRecord? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.accountColumns) FROM accounts a WHERE a.name = ?"), arguments: [name]).map { try Self.account($0) }
        }
    }

    public func accounts(limit: Int, before: Int64?) async throws -> Page<AccountRecord> {
        try readNow { db in
            let rows = try Row.fetchAll(db, sql: "SELECT \(Self.accountColumns) FROM accounts a WHERE a.seq < ? ORDER BY a.seq DESC LIMIT ?", arguments: [before ?? Int64.max, limit + 1])
            let items = try rows.prefix(limit).map { try Self.account($0) }
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
        }
    }

    public func credential(tokenHash: String) async throws -> Credential? {
        // One statement: the token and its account on every row, one row per grant (or one row
        // with NULL grant columns when it has none).
        try readNow { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.tokenColumns), \(Self.accountColumns), \(Self.grantColumns)
                FROM tokens t JOIN accounts a ON a.id = t.account_id LEFT JOIN grants g ON g.account_id = a.id
                WHERE t.hash = ? ORDER BY g.created_at, g.id
                """), arguments: [tokenHash])
            guard let first = rows.first else { return nil }
            let grants = try rows.compactMap { row -> Grant? in
                row.hasNull(atIndex: 15) ? nil : try Self.grant(row, offset: 15)
            }
            return Credential(token: try Self.token(first), account: try Self.account(first, offset: 9), grants: grants)
        }
    }

    public func token(id: String) async throws -> TokenRecord? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM tokens t WHERE t.id = ?"), arguments: [id]).map { try Self.token($0) }
        }
    }

    public func tokens(accountID: String) async throws -> [TokenRecord] {
        try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM tokens t WHERE t.account_id = ? ORDER BY t.created_at, t.id"), arguments: [accountID])
                .map { try Self.token($0) }
        }
    }

    public func grant(id: String) async throws -> Grant? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.grantColumns) FROM grants g JOIN accounts a ON a.id = g.account_id WHERE g.id = ?"), arguments: [id])
                .map { try Self.grant($0) }
        }
    }

    public func grants(accountID: String?, namespace: String?) async throws -> [Grant] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let accountID {
            conditions.append("g.account_id = ?")
            arguments += [accountID]
        }
        if let namespace {
            conditions.append("g.namespace = ?")
            arguments += [namespace]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try readNow { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.grantColumns) FROM grants g JOIN accounts a ON a.id = g.account_id \(filter) ORDER BY g.created_at, g.id", arguments: arguments)
                .map { try Self.grant($0) }
        }
    }

    public func audit(_ filter: AuditFilter, limit: Int, before: Int64?) async throws -> Page<AuditRecord> {
        var conditions = ["seq < ?"]
        var arguments: StatementArguments = [before ?? Int64.max]
        if let actor = filter.actor {
            conditions.append("actor = ?")
            arguments += [actor]
        }
        if let action = filter.action {
            // A prefix ends with "." (`workflow.`); anything else matches exactly.
            if action.hasSuffix(".") {
                conditions.append("substr(action, 1, length(?)) = ?")
                arguments += [action, action]
            } else {
                conditions.append("action = ?")
                arguments += [action]
            }
        }
        if let object = filter.object {
            conditions.append("object = ?")
            arguments += [object]
        }
        if let namespace = filter.namespace {
            conditions.append("namespace = ?")
            arguments += [namespace]
        }
        if let since = filter.since {
            conditions.append("at >= ?")
            arguments += [since]
        }
        if let until = filter.until {
            conditions.append("at < ?")
            arguments += [until]
        }
        arguments += [limit + 1]
        let sql = "SELECT \(Self.auditColumns) FROM audit_log WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT ?"
        return try readNow { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let items = rows.prefix(limit).map(Self.audit)
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
        }
    }
}
