import Foundation
import AsyncHTTPClient
import SluiceCore

/// Accounts, tokens, grants and the audit log (docs/operating.md, "Accounts and access"). They answer the
/// server's JSON as it is: the CLI prints it as tables or passes it on.
extension SluiceClient {
    /// `GET /me`: the caller, its grants, and whether the server checks access.
    public func me() async throws -> JSONValue { try await fetch(.GET, "/me") }

    public func accounts(limit: Int? = nil, cursor: String? = nil) async throws -> JSONValue {
        try await fetch(.GET, "/accounts", query: [("limit", limit.map(String.init)), ("cursor", cursor)])
    }

    public func account(_ name: String) async throws -> JSONValue { try await fetch(.GET, "/accounts/\(Self.segment(name))") }

    public func createAccount(name: String, kind: String? = nil, displayName: String? = nil) async throws -> JSONValue {
        var body = JSONObject([("name", .string(name))])
        if let kind { body.append("kind", .string(kind)) }
        if let displayName { body.append("display_name", .string(displayName)) }
        return try await fetch(.POST, "/accounts", body: JSONValue.object(body).jsonBytes)
    }

    public func deleteAccount(_ name: String) async throws { _ = try await send(.DELETE, "/accounts/\(Self.segment(name))") }

    public func tokens(account: String) async throws -> JSONValue { try await fetch(.GET, "/accounts/\(Self.segment(account))/tokens") }

    /// Creates a token; the answer's `token` is its value, shown this once.
    public func createToken(account: String, name: String, expiresInSeconds: Double? = nil) async throws -> JSONValue {
        var body = JSONObject([("name", .string(name))])
        if let expiresInSeconds { body.append("expires_in_seconds", .number(expiresInSeconds)) }
        return try await fetch(.POST, "/accounts/\(Self.segment(account))/tokens", body: JSONValue.object(body).jsonBytes)
    }

    public func revokeToken(account: String, tokenID: String) async throws {
        _ = try await send(.DELETE, "/accounts/\(Self.segment(account))/tokens/\(Self.segment(tokenID))")
    }

    public func grants(account: String? = nil, namespace: String? = nil) async throws -> JSONValue {
        try await fetch(.GET, "/grants", query: [("account", account), ("namespace", namespace)])
    }

    /// Grants `role` in `namespace`; `queues` restrict a `worker` grant to those queues
    /// (`@human` for the namespace's human tasks), `nil` covers every queue.
    public func grant(account: String, namespace: String, role: String, queues: [String]? = nil) async throws -> JSONValue {
        var body = JSONObject([("account", .string(account)), ("namespace", .string(namespace)), ("role", .string(role))])
        if let queues { body.append("queues", .array(queues.map(JSONValue.string))) }
        return try await fetch(.POST, "/grants", body: JSONValue.object(body).jsonBytes)
    }

    public func deleteGrant(_ id: String) async throws { _ = try await send(.DELETE, "/grants/\(Self.segment(id))") }

    /// `GET /groups`: a page of groups, newest first.
    public func groups(limit: Int? = nil, cursor: String? = nil) async throws -> JSONValue {
        try await fetch(.GET, "/groups", query: [("limit", limit.map(String.init)), ("cursor", cursor)])
    }

    /// A group with its members' account names.
    public func group(_ name: String) async throws -> JSONValue { try await fetch(.GET, "/groups/\(Self.segment(name))") }

    public func createGroup(name: String, description: String? = nil) async throws -> JSONValue {
        var body = JSONObject([("name", .string(name))])
        if let description { body.append("description", .string(description)) }
        return try await fetch(.POST, "/groups", body: JSONValue.object(body).jsonBytes)
    }

    public func deleteGroup(_ name: String) async throws { _ = try await send(.DELETE, "/groups/\(Self.segment(name))") }

    /// Makes `account` a member of `group` (nothing changes if it is one); answers the group.
    public func addGroupMember(group: String, account: String) async throws -> JSONValue {
        let body: JSONValue = ["account": .string(account)]
        return try await fetch(.POST, "/groups/\(Self.segment(group))/members", body: body.jsonBytes)
    }

    public func removeGroupMember(group: String, account: String) async throws {
        _ = try await send(.DELETE, "/groups/\(Self.segment(group))/members/\(Self.segment(account))")
    }

    public func audit(filters: [(String, String?)], limit: Int? = nil, cursor: String? = nil) async throws -> JSONValue {
        try await fetch(.GET, "/audit", query: filters + [("limit", limit.map(String.init)), ("cursor", cursor)])
    }

    /// A path segment with everything but unreserved characters percent-encoded.
    static func segment(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII, c.isLetter || c.isNumber || "-._~@".contains(c) { out.append(c) } else { out += String(format: "%%%02X", byte) }
        }
        return out
    }
}
