import PostgresNIO
import SluiceCore
import SluiceStore

/// Accounts, tokens, grants and the audit log: writes. A unique violation would abort the whole
/// batch's transaction, so inserts that can collide say `ON CONFLICT DO NOTHING` and read the
/// outcome from what they return.
extension PostgresStore.Batch {
    mutating func applyAccessMutation(_ mutation: Mutation) async throws -> MutationOutcome {
        switch mutation {
        case .insertAccount(let a):
            // The id or the name taken: nothing is inserted.
            let rows = try await run("""
                INSERT INTO accounts (id, name, kind, display_name, created_at)
                VALUES (\(a.id), \(a.name), \(a.kind.rawValue), \(a.displayName)::text, \(a.createdAt))
                ON CONFLICT DO NOTHING RETURNING 1
                """)
            return rows.isEmpty ? .idConflict : .applied
        case .deleteAccount(let id):
            // Its tokens and grants go with it (ON DELETE CASCADE).
            let rows = try await run("DELETE FROM accounts WHERE id = \(id) RETURNING 1")
            return rows.isEmpty ? .stale : .applied
        case .insertToken(let t):
            // FOR KEY SHARE: an account deleted concurrently is either seen gone (stale) or kept
            // until this transaction ends, so the foreign key cannot fail.
            let rows = try await run("""
                WITH a AS (SELECT id FROM accounts WHERE id = \(t.accountID) FOR KEY SHARE),
                i AS (
                    INSERT INTO tokens (id, account_id, name, kind, hash, created_at, expires_at, last_used_at, revoked_at)
                    SELECT \(t.id), a.id, \(t.name), \(t.kind.rawValue), \(t.hash), \(t.createdAt), \(t.expiresAt)::bigint, \(t.lastUsedAt)::bigint, \(t.revokedAt)::bigint
                    FROM a
                    ON CONFLICT DO NOTHING RETURNING 1)
                SELECT EXISTS (SELECT 1 FROM a), EXISTS (SELECT 1 FROM i)
                """)
            return try Self.insertOutcome(rows)
        case .revokeToken(let id, let at):
            let rows = try await run("UPDATE tokens SET revoked_at = \(at) WHERE id = \(id) AND revoked_at IS NULL RETURNING 1")
            return rows.isEmpty ? .stale : .applied
        case .touchToken(let id, let at):
            try await run("UPDATE tokens SET last_used_at = \(at) WHERE id = \(id) AND (last_used_at IS NULL OR last_used_at < \(at))")
            return .applied
        case .insertGrant(let g):
            // The id taken, or the account has this role here already: nothing is inserted.
            let rows = try await run("""
                WITH a AS (SELECT id FROM accounts WHERE id = \(g.accountID) FOR KEY SHARE),
                i AS (
                    INSERT INTO grants (id, account_id, namespace, role, created_at, queues)
                    SELECT \(g.id), a.id, \(g.namespace), \(g.role.rawValue), \(g.createdAt), \(g.queuesColumn)::text FROM a
                    ON CONFLICT DO NOTHING RETURNING 1)
                SELECT EXISTS (SELECT 1 FROM a), EXISTS (SELECT 1 FROM i)
                """)
            return try Self.insertOutcome(rows)
        case .deleteGrant(let id):
            let rows = try await run("DELETE FROM grants WHERE id = \(id) RETURNING 1")
            return rows.isEmpty ? .stale : .applied
        case .appendAudit(let entries):
            guard !entries.isEmpty else { return .applied }
            // One statement; the entries travel as a JSON array (columns may be NULL), and take
            // their seqs in order.
            let rows = JSONValue.array(entries.map { e in
                .object(JSONObject([
                    ("at", .string(String(e.at))), ("actor", Self.text(e.actor)), ("action", .string(e.action)), ("object", Self.text(e.object)),
                    ("namespace", Self.text(e.namespace)), ("status", .string(String(e.status))), ("address", Self.text(e.address)),
                    ("request", .string(e.request)),
                ]))
            }).jsonString
            try await run("""
                INSERT INTO audit_log (at, actor, action, object, namespace, status, address, request)
                SELECT r.at::bigint, r.actor, r.action, r.object, r.namespace, r.status::bigint, r.address, r.request
                FROM ROWS FROM (json_to_recordset(\(rows)::json) AS (at text, actor text, action text, object text, namespace text, status text,
                    address text, request text))
                    WITH ORDINALITY AS r(at, actor, action, object, namespace, status, address, request, o)
                ORDER BY r.o
                """)
            return .applied
        case .insertGroup(let g):
            // The id or the name taken: nothing is inserted.
            let rows = try await run("""
                INSERT INTO account_groups (id, name, description, created_at) VALUES (\(g.id), \(g.name), \(g.description)::text, \(g.createdAt))
                ON CONFLICT DO NOTHING RETURNING 1
                """)
            return rows.isEmpty ? .idConflict : .applied
        case .deleteGroup(let id):
            // Its memberships go with it (ON DELETE CASCADE).
            let rows = try await run("DELETE FROM account_groups WHERE id = \(id) RETURNING 1")
            return rows.isEmpty ? .stale : .applied
        case .addGroupMember(let groupID, let accountID, let at):
            // FOR KEY SHARE: a group or account deleted concurrently is seen gone (stale) or
            // kept until this transaction ends, so the foreign keys cannot fail.
            let rows = try await run("""
                WITH a AS (SELECT a.id AS account_id, g.id AS group_id FROM accounts a, account_groups g
                           WHERE a.id = \(accountID) AND g.id = \(groupID) FOR KEY SHARE),
                i AS (
                    INSERT INTO account_group_members (group_id, account_id, added_at) SELECT a.group_id, a.account_id, \(at) FROM a
                    ON CONFLICT DO NOTHING RETURNING 1)
                SELECT EXISTS (SELECT 1 FROM a), EXISTS (SELECT 1 FROM i)
                """)
            return try Self.insertOutcome(rows)
        case .removeGroupMember(let groupID, let accountID):
            let rows = try await run("DELETE FROM account_group_members WHERE group_id = \(groupID) AND account_id = \(accountID) RETURNING 1")
            return rows.isEmpty ? .stale : .applied
        default:
            preconditionFailure("not an access mutation: \(mutation)")
        }
    }

    /// The outcome of an insert that needs its account: a row of (account found, row inserted).
    static func insertOutcome(_ rows: [PostgresRow]) throws -> MutationOutcome {
        guard let row = rows.first else { throw StoreError(message: "an insert answered no row") }
        let (found, inserted) = try row.decode((Bool, Bool).self)
        return !found ? .stale : inserted ? .applied : .idConflict
    }
}

/// Accounts, tokens, grants and the audit log: reads.
extension PostgresStore {
    static let accountColumns = "a.seq, a.id, a.name, a.kind, a.display_name, a.created_at"
    static let tokenColumns = "t.id, t.account_id, t.name, t.kind, t.hash, t.created_at, t.expires_at, t.last_used_at, t.revoked_at"
    static let grantColumns = "g.id, a.name, g.namespace, g.role, g.created_at, g.queues"
    static let groupColumns = "g.seq, g.id, g.name, g.description, g.created_at"
    static let auditColumns = "seq, at, actor, action, object, namespace, status, address, request"

    static func account(_ row: PostgresRandomAccessRow, offset o: Int = 0) throws -> AccountRecord {
        let kind = try row[o + 3].decode(String.self)
        guard let k = AccountKind(rawValue: kind) else { throw StoreError(message: "unknown account kind \(kind) in the database") }
        return AccountRecord(
            id: try row[o + 1].decode(String.self), name: try row[o + 2].decode(String.self), kind: k,
            displayName: try row[o + 4].decode(String?.self), createdAt: try row[o + 5].decode(Int64.self), seq: try row[o].decode(Int64.self)
        )
    }

    static func token(_ row: PostgresRandomAccessRow, offset o: Int = 0) throws -> TokenRecord {
        let kind = try row[o + 3].decode(String.self)
        guard let k = TokenKind(rawValue: kind) else { throw StoreError(message: "unknown token kind \(kind) in the database") }
        return TokenRecord(
            id: try row[o].decode(String.self), accountID: try row[o + 1].decode(String.self), name: try row[o + 2].decode(String.self), kind: k,
            hash: try row[o + 4].decode(String.self), createdAt: try row[o + 5].decode(Int64.self), expiresAt: try row[o + 6].decode(Int64?.self),
            lastUsedAt: try row[o + 7].decode(Int64?.self), revokedAt: try row[o + 8].decode(Int64?.self)
        )
    }

    static func grant(_ row: PostgresRandomAccessRow, offset o: Int = 0) throws -> Grant {
        let role = try row[o + 3].decode(String.self)
        guard let r = Role(rawValue: role) else { throw StoreError(message: "unknown role \(role) in the database") }
        return Grant(
            id: try row[o].decode(String.self), account: try row[o + 1].decode(String.self), namespace: try row[o + 2].decode(String.self),
            role: r, createdAt: try row[o + 4].decode(Int64.self), queues: GrantRecord.queues(column: try row[o + 5].decode(String?.self))
        )
    }

    static func group(_ row: PostgresRandomAccessRow) throws -> GroupRecord {
        GroupRecord(
            id: try row[1].decode(String.self), name: try row[2].decode(String.self), description: try row[3].decode(String?.self),
            createdAt: try row[4].decode(Int64.self), seq: try row[0].decode(Int64.self)
        )
    }

    /// The statement that reads the names of the groups account `name` is a member of.
    static func groupNamesQuery(account name: String) -> PostgresQuery {
        """
        SELECT g.name FROM account_group_members m JOIN account_groups g ON g.id = m.group_id JOIN accounts a ON a.id = m.account_id
        WHERE a.name = \(name) ORDER BY g.name COLLATE "C"
        """
    }

    public func group(name: String) async throws -> GroupRecord? {
        try await rows("SELECT \(unescaped: Self.groupColumns) FROM account_groups g WHERE g.name = \(name)").first.map(Self.group)
    }

    public func groups(limit: Int, before: Int64?) async throws -> Page<GroupRecord> {
        let rows = try await rows("""
            SELECT \(unescaped: Self.groupColumns) FROM account_groups g WHERE g.seq < \(before ?? Int64.max) ORDER BY g.seq DESC LIMIT \(Int64(limit + 1))
            """)
        let items = try rows.prefix(limit).map(Self.group)
        return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
    }

    public func groupMembers(groupID: String) async throws -> [AccountRecord] {
        try await rows("""
            SELECT \(unescaped: Self.accountColumns) FROM account_group_members m JOIN accounts a ON a.id = m.account_id WHERE m.group_id = \(groupID) ORDER BY a.name COLLATE "C"
            """).map { try Self.account($0) }
    }

    public func groupNames(account: String) async throws -> [String] {
        try await rows(Self.groupNamesQuery(account: account)).map { try $0[0].decode(String.self) }
    }

    static func audit(_ row: PostgresRandomAccessRow) throws -> AuditRecord {
        AuditRecord(
            seq: try row[0].decode(Int64.self), at: try row[1].decode(Int64.self), actor: try row[2].decode(String?.self),
            action: try row[3].decode(String.self), object: try row[4].decode(String?.self), namespace: try row[5].decode(String?.self),
            status: try row[6].decode(Int.self), address: try row[7].decode(String?.self), request: try row[8].decode(String.self)
        )
    }

    public func account(id: String) async throws -> AccountRecord? {
        try await rows("SELECT \(unescaped: Self.accountColumns) FROM accounts a WHERE a.id = \(id)").first.map { try Self.account($0) }
    }

    public func account(name: String) async throws -> AccountRecord? {
        try await rows("SELECT \(unescaped: Self.accountColumns) FROM accounts a WHERE a.name = \(name)").first.map { try Self.account($0) }
    }

    public func accounts(limit: Int, before: Int64?) async throws -> Page<AccountRecord> {
        let rows = try await rows("""
            SELECT \(unescaped: Self.accountColumns) FROM accounts a WHERE a.seq < \(before ?? Int64.max) ORDER BY a.seq DESC LIMIT \(Int64(limit + 1))
            """)
        let items = try rows.prefix(limit).map { try Self.account($0) }
        return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
    }

    public func credential(tokenHash: String) async throws -> Credential? {
        // One round trip, one snapshot: the token and its account on every row, one row per
        // grant (or one row with NULL grant columns when it has none).
        let rows = try await rows("""
            SELECT \(unescaped: Self.tokenColumns), \(unescaped: Self.accountColumns), \(unescaped: Self.grantColumns)
            FROM tokens t JOIN accounts a ON a.id = t.account_id LEFT JOIN grants g ON g.account_id = a.id
            WHERE t.hash = \(tokenHash) ORDER BY g.created_at, g.id
            """)
        guard let first = rows.first else { return nil }
        let grants = try rows.compactMap { row -> Grant? in
            guard try row[15].decode(String?.self) != nil else { return nil }
            return try Self.grant(row, offset: 15)
        }
        return Credential(token: try Self.token(first), account: try Self.account(first, offset: 9), grants: grants)
    }

    public func token(id: String) async throws -> TokenRecord? {
        try await rows("SELECT \(unescaped: Self.tokenColumns) FROM tokens t WHERE t.id = \(id)").first.map { try Self.token($0) }
    }

    public func tokens(accountID: String) async throws -> [TokenRecord] {
        try await rows("SELECT \(unescaped: Self.tokenColumns) FROM tokens t WHERE t.account_id = \(accountID) ORDER BY t.created_at, t.id").map { try Self.token($0) }
    }

    public func grant(id: String) async throws -> Grant? {
        try await rows("SELECT \(unescaped: Self.grantColumns) FROM grants g JOIN accounts a ON a.id = g.account_id WHERE g.id = \(id)").first.map { try Self.grant($0) }
    }

    public func grants(accountID: String?, namespace: String?) async throws -> [Grant] {
        var query = Conditions()
        if let accountID { query.add("g.account_id = ", accountID) }
        if let namespace { query.add("g.namespace = ", namespace) }
        return try await rows(query.query("""
            SELECT \(Self.grantColumns) FROM grants g JOIN accounts a ON a.id = g.account_id \(query.whereClause) ORDER BY g.created_at, g.id
            """)).map { try Self.grant($0) }
    }

    public func audit(_ filter: AuditFilter, limit: Int, before: Int64?) async throws -> Page<AuditRecord> {
        var query = Conditions()
        query.add("seq < ", before ?? Int64.max)
        if let actor = filter.actor { query.add("actor = ", actor) }
        if let action = filter.action {
            // A prefix ends with "." (`workflow.`); anything else matches exactly.
            if action.hasSuffix(".") {
                let p = query.bind(action)
                query.conditions.append("left(action, char_length(\(p))) = \(p)")
            } else {
                query.add("action = ", action)
            }
        }
        if let object = filter.object { query.add("object = ", object) }
        if let namespace = filter.namespace { query.add("namespace = ", namespace) }
        if let since = filter.since { query.add("at >= ", since) }
        if let until = filter.until { query.add("at < ", until) }
        let limitParameter = query.bind(Int64(limit + 1))
        let rows = try await rows(query.query("""
            SELECT \(Self.auditColumns) FROM audit_log \(query.whereClause) ORDER BY seq DESC LIMIT \(limitParameter)
            """))
        let items = try rows.prefix(limit).map(Self.audit)
        return Page(items: items, nextCursor: rows.count > limit ? items.last?.seq : nil)
    }

    /// A WHERE clause built from the filters given, with `$n` parameters.
    struct Conditions {
        var conditions: [String] = []
        var binds = PostgresBindings()

        /// Binds `value`; its parameter (`$n`).
        mutating func bind(_ value: some PostgresNonThrowingEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }

        /// Adds `<sql><parameter of value>`, e.g. `add("actor = ", actor)`.
        mutating func add(_ sql: String, _ value: some PostgresNonThrowingEncodable) {
            conditions.append(sql + bind(value))
        }

        var whereClause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }

        func query(_ sql: String) -> PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
    }
}
