import Hummingbird
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceEngine
import SluiceStore
import Synchronization

/// Whether the server checks who calls it, and how.
public struct AuthConfiguration: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Every route answers everyone (only safe on a loopback address).
        case off
        /// Every route but the open ones needs a valid token or session.
        case required
    }

    public var mode: Mode
    /// How long a token once looked up is trusted before the store is asked again: a token
    /// revoked on another node of a cluster stops working within this time (on the node that
    /// revoked it, at once).
    public var recheckAfterMilliseconds: Int64
    /// How long a browser session lasts.
    public var sessionSeconds: Int64
    /// Failed sign-ins allowed per client address per minute; more are answered `429`.
    public var failuresPerMinute: Int
    /// Whether session cookies are marked `Secure` (served over HTTPS).
    public var secureCookies: Bool

    public init(mode: Mode = .off, recheckAfterMilliseconds: Int64 = 500, sessionSeconds: Int64 = 12 * 3600, failuresPerMinute: Int = Limits.signInFailuresPerMinute, secureCookies: Bool = false) {
        self.mode = mode
        self.recheckAfterMilliseconds = recheckAfterMilliseconds
        self.sessionSeconds = sessionSeconds
        self.failuresPerMinute = failuresPerMinute
        self.secureCookies = secureCookies
    }
}

/// Turns tokens into principals (with a short cache), limits failed sign-ins per address, and
/// keeps the audit log's buffer. One per server; the routes' `AccessResponder`s share it.
public final class AccessControl: Service, Sendable {
    public let configuration: AuthConfiguration
    let store: any Store
    let clock: any EngineClock
    let logger: Logger

    struct CacheEntry {
        var credential: Credential?
        var fetchedAt: Int64
    }

    struct State {
        var cache: [String: CacheEntry] = [:]
        /// Failed sign-ins per address: the minute they count in and how many.
        var failures: [String: (minute: Int64, count: Int)] = [:]
        var audit: [AuditRecord] = []
        var touched: [String: Int64] = [:]
        /// Hashes of tokens seen valid, and when (see the sign-in limit in `authenticate`).
        var knownGood: [String: Int64] = [:]
    }

    let state = Mutex(State())
    /// Workflow id → namespace (`namespace(ofWorkflow:)`).
    let namespaces = Mutex<[String: String]>([:])
    /// Wakes the writer when entries are buffered.
    let wake: AsyncStream<Void>.Continuation
    let wakes: AsyncStream<Void>

    public init(configuration: AuthConfiguration, store: any Store, clock: any EngineClock, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public var enabled: Bool { configuration.mode == .required }

    /// Why a request could not sign in: answered `401` with `WWW-Authenticate: Bearer`.
    static func unauthorized(_ detail: String) -> Problem {
        var problem = Problem(status: .unauthorized, type: "urn:sluice:problem:unauthorized", title: "Unauthorized", detail: detail)
        problem.headers[.wwwAuthenticate] = "Bearer realm=\"sluice\""
        return problem
    }

    static func forbidden(_ detail: String) -> Problem {
        Problem(status: .forbidden, type: "urn:sluice:problem:forbidden", title: "Forbidden", detail: detail)
    }

    /// The principal of `token`, or the `401` (or `429` after too many failures from `address`).
    /// The work done is the same whether or not a token with the same beginning exists: the
    /// token is hashed whole and looked up by its hash.
    func authenticate(token: String, address: String?) async throws -> (Principal, TokenRecord) {
        let now = clock.now()
        let hash = TokenValue.hash(token)
        let cached = state.withLock { state -> CacheEntry? in
            guard let entry = state.cache[hash], now - entry.fetchedAt < configuration.recheckAfterMilliseconds, now >= entry.fetchedAt else { return nil }
            return entry
        }
        // An address over the limit may still use a token this node saw valid in the last ten
        // minutes (it is looked up again, so a revocation still counts): others behind the same
        // address are not locked out by someone guessing. Any other token is refused unread.
        let knownGood = cached?.credential?.token.isValid(at: now) == true || state.withLock { state in
            state.knownGood[hash].map { now - $0 < 600_000 } ?? false
        }
        if let address, !knownGood, let retry = blockedFor(address, now: now) {
            var problem = Problem(status: .tooManyRequests, type: "urn:sluice:problem:too-many-failures", title: "Too many failed sign-ins", detail: "too many failed sign-ins from \(address) in the last minute; retry after \(retry) s")
            problem.headers[.retryAfter] = String(retry)
            throw problem
        }
        guard TokenValue.isWellFormed(token) else {
            throw failure(address, now: now, "the token is not a Sluice token; expected \"slc_\" and at least 40 letters or digits (create one with `sluice token create` or POST /accounts/{account}/tokens)")
        }
        let credential: Credential?
        if let cached {
            credential = cached.credential
        } else {
            credential = try await store.credential(tokenHash: hash)
            state.withLock { state in
                // Bounded: a flood of random tokens cannot grow it without limit.
                if state.cache.count >= 10_000 { state.cache.removeAll(keepingCapacity: true) }
                state.cache[hash] = CacheEntry(credential: credential, fetchedAt: now)
            }
        }
        guard let credential else { throw failure(address, now: now, "the token is not known (it may have belonged to a deleted account)") }
        if let revoked = credential.token.revokedAt {
            throw failure(address, now: now, "the token \(credential.token.id) was revoked at \(Timestamp.format(milliseconds: revoked))")
        }
        if let expires = credential.token.expiresAt, now >= expires {
            throw failure(address, now: now, "the token \(credential.token.id) expired at \(Timestamp.format(milliseconds: expires))")
        }
        state.withLock { state in
            if state.knownGood.count >= 100_000 { state.knownGood.removeAll(keepingCapacity: true) }
            state.knownGood[hash] = now
        }
        touch(credential.token, now: now)
        return (Principal(accountID: credential.account.id, account: credential.account.name, grants: credential.grants, tokenID: credential.token.id), credential.token)
    }

    /// Counts a failure of `address` and makes its `401`.
    func failure(_ address: String?, now: Int64, _ detail: String) -> Problem {
        if let address {
            state.withLock { state in
                let minute = now / 60_000
                var entry = state.failures[address] ?? (minute, 0)
                if entry.minute != minute { entry = (minute, 0) }
                entry.count += 1
                if state.failures.count >= 100_000 { state.failures.removeAll(keepingCapacity: true) }
                state.failures[address] = entry
            }
        }
        return Self.unauthorized(detail)
    }

    /// Seconds until `address` may try again, or `nil` if it may now.
    func blockedFor(_ address: String, now: Int64) -> Int64? {
        state.withLock { state in
            guard let entry = state.failures[address], entry.minute == now / 60_000, entry.count >= configuration.failuresPerMinute else { return nil }
            return max(1, ((entry.minute + 1) * 60_000 - now + 999) / 1000)
        }
    }

    /// Forgets every cached token: after a revocation, a grant change or an account deletion on
    /// this node, the next request reads the store.
    func forgetCachedTokens() {
        state.withLock { $0.cache.removeAll() }
    }

    /// Records a token's use, at most once a minute per token (written with the audit log).
    func touch(_ token: TokenRecord, now: Int64) {
        let due = state.withLock { state -> Bool in
            let last = max(state.touched[token.id] ?? 0, token.lastUsedAt ?? 0)
            guard now - last >= 60_000 else { return false }
            if state.touched.count >= 100_000 { state.touched.removeAll(keepingCapacity: true) }
            state.touched[token.id] = now
            return true
        }
        if due { enqueue(nil, touch: (token.id, now)) }
    }

    /// Buffers an audit entry; the writer stores it within a moment.
    func record(_ entry: AuditRecord) {
        enqueue(entry, touch: nil)
    }

    private let touches = Mutex<[(String, Int64)]>([])

    private func enqueue(_ entry: AuditRecord?, touch: (String, Int64)?) {
        if let entry { state.withLock { $0.audit.append(entry) } }
        if let touch { touches.withLock { $0.append(touch) } }
        wake.yield()
    }

    /// With auth on and no account in the store (its first start): creates the account
    /// `admin` with the `admin` role everywhere and a token, `adminToken` if given (else a new
    /// one). Answers the token when one was created for it to be shown once, `nil` when the
    /// store has accounts already (or another node of the cluster created them first).
    public func bootstrap(adminToken: String?) async throws -> String? {
        guard enabled, try await store.accounts(limit: 1, before: nil).items.isEmpty else { return nil }
        if let adminToken, !TokenValue.isWellFormed(adminToken) {
            throw StoreError(message: "the first admin's token (SLUICE_ADMIN_TOKEN or --admin-token-file) must be \"slc_\" and 40 to 128 letters, digits, \"-\" or \"_\"; for example: slc_$(openssl rand -hex 32)")
        }
        let now = clock.now()
        let value = adminToken ?? TokenValue.make()
        let account = AccountRecord(id: Identifier.make("acct"), name: "admin", kind: .person, displayName: "The first administrator", createdAt: now)
        let outcomes = try await store.apply([
            .insertAccount(account),
            .insertToken(TokenRecord(id: Identifier.make("tok"), accountID: account.id, name: "created at first start", hash: TokenValue.hash(value), createdAt: now)),
            .insertGrant(GrantRecord(id: Identifier.make("gr"), accountID: account.id, namespace: Namespace.all, role: .admin, createdAt: now)),
            .appendAudit([AuditRecord(at: now, actor: nil, action: "account.bootstrap", object: "admin", namespace: nil, status: 201, address: nil, request: "sluice serve")]),
        ])
        guard outcomes.first == .applied else { return nil }
        logger.notice("auth: created the first account, \"admin\", with the admin role in every namespace", metadata: ["account.id": "\(account.id)"])
        return adminToken == nil ? value : nil
    }

    /// Writes what is buffered; returns once it is stored.
    public func flush() async {
        let entries = state.withLock { state -> [AuditRecord] in
            defer { state.audit.removeAll() }
            return state.audit
        }
        let used = touches.withLock { t -> [(String, Int64)] in
            defer { t.removeAll() }
            return t
        }
        guard !entries.isEmpty || !used.isEmpty else { return }
        var mutations: [Mutation] = used.map { .touchToken(id: $0.0, at: $0.1) }
        if !entries.isEmpty { mutations.append(.appendAudit(entries)) }
        do {
            _ = try await store.apply(mutations)
        } catch {
            // Kept for the next flush: the audit log is not dropped because the store failed once.
            logger.error("audit log entries could not be stored; retrying", metadata: ["error": "\(error)", "entries": "\(entries.count)"])
            state.withLock { $0.audit.insert(contentsOf: entries, at: 0) }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// The audit writer: stores buffered entries as they come (batched), and what is left at
    /// shutdown before the store closes.
    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakes {
                await flush()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        await flush()
    }
}
