import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// Accounts, their tokens, grants, the browser session and the audit log: `GET /me`,
/// `POST|DELETE /session`, `/accounts…`, `/grants…`, `GET /audit`. Who may call which is in
/// `AccessRules`; what depends on the object (whose tokens, which namespace's grants) is
/// checked here.
struct AccountController {
    let engine: Engine
    let configuration: ServerConfiguration
    let access: AccessControl
    var parsing: RequestParsing { RequestParsing(configuration: configuration) }

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/me", use: me)
        router.post("/session", use: createSession)
        router.delete("/session", use: deleteSession)
        router.get("/accounts", use: listAccounts)
        router.post("/accounts", use: createAccount)
        router.get("/accounts/:account", use: getAccount)
        router.delete("/accounts/:account", use: deleteAccount)
        router.get("/accounts/:account/tokens", use: listTokens)
        router.post("/accounts/:account/tokens", use: createToken)
        router.delete("/accounts/:account/tokens/:token_id", use: revokeToken)
        router.get("/grants", use: listGrants)
        router.post("/grants", use: createGrant)
        router.delete("/grants/:grant_id", use: deleteGrant)
        router.get("/audit", use: audit)
    }

    // MARK: Representations

    static func representation(_ a: AccountRecord) -> JSONValue {
        var o = JSONObject()
        o.append("name", .string(a.name))
        o.append("account_id", .string(a.id))
        o.append("kind", .string(a.kind.rawValue))
        o.append("display_name", a.displayName.map(JSONValue.string) ?? .null)
        o.append("created_at", Optional(a.createdAt).timestamp)
        return .object(o)
    }

    static func representation(_ t: TokenRecord, now: Int64) -> JSONValue {
        var o = JSONObject()
        o.append("token_id", .string(t.id))
        o.append("name", .string(t.name))
        o.append("kind", .string(t.kind.rawValue))
        o.append("status", .string(t.revokedAt != nil ? "REVOKED" : t.isValid(at: now) ? "ACTIVE" : "EXPIRED"))
        o.append("created_at", Optional(t.createdAt).timestamp)
        o.append("expires_at", t.expiresAt.timestamp)
        o.append("last_used_at", t.lastUsedAt.timestamp)
        o.append("revoked_at", t.revokedAt.timestamp)
        return .object(o)
    }

    static func representation(_ g: Grant) -> JSONValue {
        [
            "grant_id": .string(g.id), "account": .string(g.account), "namespace": .string(g.namespace), "role": .string(g.role.rawValue),
            "queues": g.queues.map { .array($0.map(JSONValue.string)) } ?? .null, "created_at": Optional(g.createdAt).timestamp,
        ]
    }

    static func representation(_ e: AuditRecord) -> JSONValue {
        var o = JSONObject()
        o.append("seq", .number(Double(e.seq)))
        o.append("at", Optional(e.at).timestamp)
        o.append("actor", e.actor.map(JSONValue.string) ?? .null)
        o.append("action", .string(e.action))
        o.append("object", e.object.map(JSONValue.string) ?? .null)
        o.append("namespace", e.namespace.map(JSONValue.string) ?? .null)
        o.append("status", .number(Double(e.status)))
        o.append("address", e.address.map(JSONValue.string) ?? .null)
        o.append("request", .string(e.request))
        return .object(o)
    }

    // MARK: Helpers

    /// Commits through the engine's group committer; a store failure is a 503.
    func commit(_ mutations: [Mutation]) async throws -> [MutationOutcome] {
        do {
            return try await engine.committer.commit(mutations)
        } catch {
            throw EngineError.unavailable(engine.reportStoreError(error, while: "committing the change"))
        }
    }

    /// The JSON object body, with only `allowed` fields; the `400` otherwise.
    func body(_ request: Request, allowed: [String], example: String) async throws -> JSONObject {
        guard case .object(let body)? = try await parsing.jsonBody(request) else {
            throw Problem.badRequest(path: "", code: "invalid_body", "expected a JSON object such as \(example)")
        }
        let unknown = body.keys.filter { !allowed.contains($0) }
        if !unknown.isEmpty {
            throw Problem.validation(ValidationFailure(title: "Invalid request", issues: unknown.map {
                ValidationIssue(path: $0, code: "unknown_field", message: "unknown field; expected \(allowed.joined(separator: ", "))")
            }))
        }
        return body
    }

    func string(_ body: JSONObject, _ key: String, required: Bool, max: Int = Limits.accountTextCharacters) throws -> String? {
        switch body[key] {
        case nil, .null?:
            if required { throw Problem.badRequest(path: key, code: "required", "missing; expected a string") }
            return nil
        case .string(let s)?:
            guard s.unicodeScalars.count <= max else { throw Problem.badRequest(path: key, code: "too_long", "expected at most \(max) characters, found \(s.unicodeScalars.count)") }
            return s
        case let v?:
            throw Problem.badRequest(path: key, code: "type_mismatch", "expected a string, found \(v.kindName)")
        }
    }

    /// The account the path names, or the 404.
    func namedAccount(_ context: SluiceRequestContext) async throws -> AccountRecord {
        let name = try context.parameters.require("account")
        guard let account = try await engine.store.account(name: name) else { throw Problem.notFound("no account named \"\(name)\"") }
        return account
    }

    /// The account the path names, which must be the caller's own unless the caller is an admin
    /// everywhere (anyone when auth is off). Someone else's account is answered as not found.
    func ownOrAdministered(_ context: SluiceRequestContext) async throws -> AccountRecord {
        let name = try context.parameters.require("account")
        if context.authEnabled, !context.mayEverywhere(.administer), context.identity?.account != name {
            throw Problem.notFound("no account named \"\(name)\"")
        }
        return try await namedAccount(context)
    }

    // MARK: The caller and the session

    @Sendable func me(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        var o = JSONObject()
        o.append("auth", .string(access.configuration.mode.rawValue))
        if let principal = context.identity, let account = try await engine.store.account(id: principal.accountID) {
            o.append("account", Self.representation(account))
            o.append("grants", .array(principal.grants.map(Self.representation)))
            o.append("groups", .array(try await engine.store.groupNames(account: account.name).map(JSONValue.string)))
            o.append("token_id", .string(principal.tokenID))
            if context.signedInWithCookie, let cookie = request.cookies[sessionCookieName]?.value {
                o.append("csrf_token", .string(TokenValue.csrf(forSession: cookie)))
            }
        } else {
            o.append("account", .null)
            o.append("grants", .array([]))
            o.append("groups", .array([]))
        }
        return JSONResponse.make(.object(o), headers: [.cacheControl: "no-store"])
    }

    /// `POST /session {"token": "slc_…"}`: the browser's sign-in. The token is checked, and a
    /// session token of the same account goes into an HttpOnly, SameSite=Strict cookie (an
    /// `EventSource` sends cookies, never headers); the answer holds the CSRF token mutations
    /// send back in `X-Sluice-CSRF`.
    @Sendable func createSession(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        guard access.enabled else {
            throw EngineError.conflict("auth is off on this server (--auth off): every request is answered without signing in")
        }
        let body = try await body(request, allowed: ["token"], example: "{\"token\": \"slc_…\"}")
        guard let token = try string(body, "token", required: true) else { throw Problem.badRequest(path: "token", code: "required", "missing") }
        let (principal, _) = try await access.authenticate(token: token, address: context.clientAddress)
        let now = engine.now()
        let value = TokenValue.make()
        let expires = now + access.configuration.sessionSeconds * 1000
        let record = TokenRecord(id: Identifier.make("tok"), accountID: principal.accountID, name: "web session", kind: .session, hash: TokenValue.hash(value), createdAt: now, expiresAt: expires)
        guard try await commit([.insertToken(record)])[0] == .applied else {
            throw Problem.notFound("the token's account was deleted meanwhile")
        }
        var cookie = "\(sessionCookieName)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(access.configuration.sessionSeconds)"
        if access.configuration.secureCookies { cookie += "; Secure" }
        var o = JSONObject()
        o.append("account", .string(principal.account))
        o.append("expires_at", Optional(expires).timestamp)
        o.append("csrf_token", .string(TokenValue.csrf(forSession: value)))
        return JSONResponse.make(.object(o), status: .created, headers: [.setCookie: cookie, .cacheControl: "no-store"])
    }

    /// Signs the browser out: its session token is revoked and the cookie cleared.
    @Sendable func deleteSession(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        if context.signedInWithCookie, let principal = context.identity {
            _ = try await commit([.revokeToken(id: principal.tokenID, at: engine.now())])
            access.forgetCachedTokens()
        }
        var cookie = "\(sessionCookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        if access.configuration.secureCookies { cookie += "; Secure" }
        return Response(status: .noContent, headers: [.setCookie: cookie])
    }

    // MARK: Accounts

    @Sendable func listAccounts(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let page = try parsing.page(request)
        let result = try await engine.store.accounts(limit: page.limit, before: page.before)
        return JSONResponse.make(.page("accounts", result.items.map(Self.representation), next: result.nextCursor))
    }

    @Sendable func createAccount(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await body(request, allowed: ["name", "kind", "display_name"], example: "{\"name\": \"ann\", \"kind\": \"person\"}")
        var issues: [ValidationIssue] = []
        var name = ""
        do {
            name = try string(body, "name", required: true, max: AccountName.maxLength * 4) ?? ""
            if let problem = AccountName.problem(name) { issues.append(.init(path: "name", code: "invalid_value", message: problem)) }
        } catch let p as Problem { issues += p.errors }
        var kind = AccountKind.person
        do {
            if let k = try string(body, "kind", required: false) {
                if let parsed = AccountKind(rawValue: k) { kind = parsed } else {
                    issues.append(.init(path: "kind", code: "invalid_value", message: "expected person or machine, found \"\(k)\""))
                }
            }
        } catch let p as Problem { issues += p.errors }
        var displayName: String?
        do { displayName = try string(body, "display_name", required: false) } catch let p as Problem { issues += p.errors }
        if !issues.isEmpty { throw Problem.validation(ValidationFailure(title: "Invalid account", issues: issues)) }
        let record = AccountRecord(id: Identifier.make("acct"), name: name, kind: kind, displayName: displayName, createdAt: engine.now())
        guard try await commit([.insertAccount(record)])[0] == .applied else {
            throw EngineError.conflict("an account named \"\(name)\" exists already")
        }
        return JSONResponse.make(Self.representation(try await engine.store.account(id: record.id) ?? record), status: .created, headers: [.location: "/accounts/\(name)"])
    }

    /// An account with its grants and tokens (never their values).
    @Sendable func getAccount(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let account = try await namedAccount(context)
        guard case .object(var o) = Self.representation(account) else { preconditionFailure() }
        o.append("grants", .array(try await engine.store.grants(accountID: account.id, namespace: nil).map(Self.representation)))
        let now = engine.now()
        o.append("tokens", .array(try await engine.store.tokens(accountID: account.id).filter { $0.kind == .api }.map { Self.representation($0, now: now) }))
        return JSONResponse.make(.object(o))
    }

    @Sendable func deleteAccount(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let account = try await namedAccount(context)
        if context.identity?.accountID == account.id {
            throw EngineError.conflict("account \"\(account.name)\" is the one this request signed in with; delete it signed in as another admin")
        }
        _ = try await commit([.deleteAccount(id: account.id)])
        access.forgetCachedTokens()
        return Response(status: .noContent)
    }

    // MARK: Tokens

    @Sendable func listTokens(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let account = try await ownOrAdministered(context)
        let now = engine.now()
        let tokens = try await engine.store.tokens(accountID: account.id).filter { $0.kind == .api }
        return JSONResponse.make(["tokens": .array(tokens.map { Self.representation($0, now: now) })])
    }

    /// `POST /accounts/{account}/tokens {"name": "laptop", "expires_in_seconds": 2592000}`:
    /// the token's value is in this answer and nowhere else, ever.
    @Sendable func createToken(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let account = try await ownOrAdministered(context)
        let body = try await body(request, allowed: ["name", "expires_in_seconds"], example: "{\"name\": \"laptop\", \"expires_in_seconds\": 2592000}")
        let name = try string(body, "name", required: true, max: Limits.accountTextCharacters) ?? ""
        if name.isEmpty { throw Problem.badRequest(path: "name", code: "invalid_value", "a token's name cannot be empty; say where it is used (\"laptop\", \"ci\")") }
        let now = engine.now()
        var expires: Int64?
        switch body["expires_in_seconds"] {
        case nil, .null?: break
        case .number(let n)? where n >= 1 && n <= 10 * 365 * 86400: expires = now + Int64(n * 1000)
        case let v?: throw Problem.badRequest(path: "expires_in_seconds", code: "invalid_value", "expected a number of seconds from 1 to \(10 * 365 * 86400) (ten years), found \(v.preview)")
        }
        let value = TokenValue.make()
        let record = TokenRecord(id: Identifier.make("tok"), accountID: account.id, name: name, kind: .api, hash: TokenValue.hash(value), createdAt: now, expiresAt: expires)
        guard try await commit([.insertToken(record)])[0] == .applied else {
            throw Problem.notFound("no account named \"\(account.name)\"")
        }
        guard case .object(var o) = Self.representation(record, now: now) else { preconditionFailure() }
        o.append("account", .string(account.name))
        o.append("token", .string(value))
        return JSONResponse.make(.object(o), status: .created, headers: [.location: "/accounts/\(account.name)/tokens/\(record.id)", .cacheControl: "no-store"])
    }

    /// Revokes a token at once on this node, and within `recheckAfterMilliseconds` on the others.
    @Sendable func revokeToken(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let account = try await ownOrAdministered(context)
        let id = try context.parameters.require("token_id")
        guard let token = try await engine.store.token(id: id), token.accountID == account.id else {
            throw Problem.notFound("account \"\(account.name)\" has no token with id \"\(id)\"")
        }
        if context.identity?.tokenID == id {
            throw EngineError.conflict("\(id) is the token this request signed in with; revoke it signed in with another token (or sign out of the web UI), so that you cannot lock yourself out by mistake")
        }
        if token.revokedAt == nil { _ = try await commit([.revokeToken(id: id, at: engine.now())]) }
        access.forgetCachedTokens()
        return Response(status: .noContent)
    }

    // MARK: Grants

    /// Grants the caller administers: all of them for an admin everywhere, else those in the
    /// namespaces where it is an admin. `?account=` and `?namespace=` narrow the list.
    @Sendable func listGrants(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var accountID: String?
        if let name = query["account"].map(String.init) {
            guard let account = try await engine.store.account(name: name) else { return JSONResponse.make(["grants": .array([])]) }
            accountID = account.id
        }
        let visible = context.namespaces(where: .administer)
        let grants = try await engine.store.grants(accountID: accountID, namespace: query["namespace"].map(String.init))
            .filter { visible?.contains($0.namespace) ?? true }
        return JSONResponse.make(["grants": .array(grants.map(Self.representation))])
    }

    /// May the caller grant or take away roles in `namespace`? (`*` needs an admin everywhere.)
    func checkAdministers(_ namespace: String, _ context: SluiceRequestContext) throws {
        let allowed = namespace == Namespace.all ? context.mayEverywhere(.administer) : context.decide(.administer, in: namespace) == .allowed
        if !allowed {
            throw AccessControl.forbidden("granting roles in namespace \"\(namespace)\" needs the admin role there\(namespace == Namespace.all ? " (in every namespace)" : " or everywhere")")
        }
    }

    /// `POST /grants {"account": "ann", "namespace": "team-a", "role": "editor"}`: `201`, or
    /// `200` with the grant that exists already. A `worker` grant may name its `queues`
    /// (`["resize", "@human"]`); without, it covers every queue of the namespace. The account
    /// has one grant per role and namespace: the same role with other queues is a `409`.
    @Sendable func createGrant(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await body(request, allowed: ["account", "namespace", "role", "queues"], example: "{\"account\": \"ann\", \"namespace\": \"team-a\", \"role\": \"editor\"}")
        var issues: [ValidationIssue] = []
        func field(_ key: String) -> String? {
            do { return try string(body, key, required: true) } catch let p as Problem { issues += p.errors; return nil } catch { return nil }
        }
        let name = field("account"), namespace = field("namespace"), roleName = field("role")
        if let namespace, namespace != Namespace.all, let problem = Namespace.problem(namespace) {
            issues.append(.init(path: "namespace", code: "invalid_value", message: problem + ", or \"*\" for every namespace"))
        }
        let role = roleName.flatMap(Role.init(rawValue:))
        if let roleName, role == nil { issues.append(.init(path: "role", code: "invalid_value", message: "expected one of \(Role.names), found \"\(roleName)\"")) }
        var queues: [String]?
        switch body["queues"] {
        case nil, .null?: break
        case .array(let items)?:
            var names: [String] = []
            for (i, item) in items.enumerated() {
                if let name = item.stringValue { names.append(name) } else {
                    issues.append(.init(path: "queues[\(i)]", code: "type_mismatch", message: "expected a queue name, found \(item.kindName)"))
                }
            }
            if names.count == items.count {
                issues += Grant.queueProblems(names, role: role)
                queues = names
            }
        case let v?:
            issues.append(.init(path: "queues", code: "type_mismatch", message: "expected an array of queue names (a worker grant's only queues) or null for every queue, found \(v.kindName)"))
        }
        if !issues.isEmpty { throw Problem.validation(ValidationFailure(title: "Invalid grant", issues: issues)) }
        guard let name, let namespace, let role else { preconditionFailure("checked above") }
        try checkAdministers(namespace, context)
        guard let account = try await engine.store.account(name: name) else {
            throw Problem.badRequest(path: "account", code: "unknown_account", "no account named \"\(name)\"; create it first (POST /accounts)")
        }
        if let existing = try await engine.store.grants(accountID: account.id, namespace: namespace).first(where: { $0.role == role }) {
            guard existing.queues == queues else {
                let covers = existing.queues.map { "queues \($0.joined(separator: ", "))" } ?? "every queue"
                throw EngineError.conflict("account \"\(name)\" has the \(role.rawValue) role in \(namespace == Namespace.all ? "every namespace" : "namespace \"\(namespace)\"") already (\(existing.id)), covering \(covers); to change its queues, remove it (DELETE /grants/\(existing.id)) and grant it again")
            }
            return JSONResponse.make(Self.representation(existing))
        }
        let record = GrantRecord(id: Identifier.make("gr"), accountID: account.id, namespace: namespace, role: role, createdAt: engine.now(), queues: queues)
        switch try await commit([.insertGrant(record)])[0] {
        case .applied:
            access.forgetCachedTokens()
            let grant = Grant(id: record.id, account: account.name, namespace: namespace, role: role, createdAt: record.createdAt, queues: queues)
            return JSONResponse.make(Self.representation(grant), status: .created, headers: [.location: "/grants/\(record.id)"])
        case .stale:
            throw Problem.badRequest(path: "account", code: "unknown_account", "no account named \"\(name)\"")
        default:
            throw EngineError.conflict("the grant changed meanwhile; send it again")
        }
    }

    @Sendable func deleteGrant(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let id = try context.parameters.require("grant_id")
        guard let grant = try await engine.store.grant(id: id), context.namespaces(where: .administer).map({ $0.contains(grant.namespace) }) ?? true || context.mayEverywhere(.administer) else {
            throw Problem.notFound("no grant with id \"\(id)\"")
        }
        try checkAdministers(grant.namespace, context)
        if grant.namespace == Namespace.all, grant.role == .admin,
           try await engine.store.grants(accountID: nil, namespace: Namespace.all).filter({ $0.role == .admin }).count <= 1 {
            throw EngineError.conflict("\(id) makes \"\(grant.account)\" the last admin in every namespace; grant the role to another account first, so that someone can still manage accounts")
        }
        _ = try await commit([.deleteGrant(id: id)])
        access.forgetCachedTokens()
        return Response(status: .noContent)
    }

    // MARK: Audit

    /// `GET /audit?actor=&action=&object=&namespace=&since=&until=&limit=&cursor=`, newest first.
    @Sendable func audit(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let page = try parsing.page(request)
        let query = request.uri.queryParameters
        func time(_ key: String) throws -> Int64? {
            guard let raw = query[Substring(key)].map(String.init) else { return nil }
            guard let ms = Timestamp.parse(raw) else {
                throw Problem.badRequest(path: key, "expected an RFC 3339 time such as 2026-12-01T09:30:00Z, found \"\(raw)\"")
            }
            return ms
        }
        let filter = AuditFilter(actor: query["actor"].map(String.init), action: query["action"].map(String.init), object: query["object"].map(String.init), namespace: query["namespace"].map(String.init), since: try time("since"), until: try time("until"))
        // What this request's own neighbours did is visible at once.
        await access.flush()
        let result = try await engine.store.audit(filter, limit: page.limit, before: page.before)
        return JSONResponse.make(.page("entries", result.items.map(Self.representation), next: result.nextCursor))
    }
}
