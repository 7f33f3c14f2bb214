import PostgresNIO
import SluiceCore
import SluiceStore

// PLACEHOLDER (branch `access` only, replaced before merging): accounts, tokens, grants and the
// audit log are not stored by this driver yet.
extension PostgresStore.Batch {
    mutating func applyAccessMutation(_ mutation: Mutation) async throws -> MutationOutcome {
        throw StoreError(message: "accounts are not stored by the Postgres driver yet")
    }
}

extension PostgresStore {
    public func account(id: String) async throws -> AccountRecord? { throw StoreError(message: "accounts are not stored by the Postgres driver yet") }
    public func account(name: String) async throws -> AccountRecord? { throw StoreError(message: "accounts are not stored by the Postgres driver yet") }
    public func accounts(limit: Int, before: Int64?) async throws -> Page<AccountRecord> { throw StoreError(message: "accounts are not stored by the Postgres driver yet") }
    public func credential(tokenHash: String) async throws -> Credential? { throw StoreError(message: "accounts are not stored by the Postgres driver yet") }
    public func token(id: String) async throws -> TokenRecord? { throw StoreError(message: "accounts are not stored by the Postgres driver yet") }
    public func tokens(accountID: String) async throws -> [TokenRecord] { throw StoreError(message: "accounts are not stored by the Postgres driver yet") }
    public func grant(id: String) async throws -> Grant? { throw StoreError(message: "accounts are not stored by the Postgres driver yet") }
    public func grants(accountID: String?, namespace: String?) async throws -> [Grant] { throw StoreError(message: "accounts are not stored by the Postgres driver yet") }
    public func audit(_ filter: AuditFilter, limit: Int, before: Int64?) async throws -> Page<AuditRecord> { throw StoreError(message: "accounts are not stored by the Postgres driver yet") }
}
