/// Who may do what: roles granted to accounts per namespace, and the decision for one request.
/// Pure values; the server resolves a token to a `Principal` and asks it.
///
/// | role     | may                                                                        |
/// |----------|----------------------------------------------------------------------------|
/// | `admin`  | everything below, and grants in the namespace (with `*`: accounts, tokens, |
/// |          | grants everywhere, the audit log)                                          |
/// | `editor` | create, update, delete workflows and webhooks; run, cancel, retry; read    |
/// | `runner` | run and read                                                               |
/// | `viewer` | read                                                                       |
/// | `worker` | only claim and complete the tasks of the queues and pools it is assigned to |
/// |          | (a grant may name its queues: `Grant.queues`)                              |
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    case admin, editor, runner, viewer, worker

    /// What the role allows in the namespace it is granted in.
    public var permissions: Set<Permission> {
        switch self {
        case .admin: Set(Permission.allCases)
        case .editor: [.read, .run, .control, .edit]
        case .runner: [.read, .run]
        case .viewer: [.read]
        case .worker: [.work]
        }
    }

    /// The roles' names as the API spells them, for error messages.
    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}

/// One kind of thing a request does, checked against the caller's roles in the namespace of
/// what it touches.
public enum Permission: String, Sendable, Hashable, CaseIterable, Codable {
    /// Read workflows, executions, their tasks, events, logs, webhook subscriptions (never their
    /// secrets) and deliveries.
    case read
    /// Start executions.
    case run
    /// Cancel and retry executions.
    case control
    /// Create, update and delete workflows and webhook subscriptions; redeliver.
    case edit
    /// Claim and complete the tasks of the queues and pools the account is assigned to.
    case work
    /// Manage grants in the namespace; granted everywhere (`*`), also accounts, their tokens and
    /// the audit log.
    case administer
}

/// Namespaces: every workflow (and so its executions, events, logs and webhooks) belongs to one.
public enum Namespace {
    /// Where a workflow goes when its definition names none.
    public static let `default` = "default"
    /// In a grant: every namespace, present and future.
    public static let all = "*"
    public static let maxLength = Limits.namespaceCharacters

    /// Why `name` is not a valid namespace name, or `nil` if it is: 1 to 63 lowercase letters,
    /// digits and `-`, starting and ending with a letter or digit (a DNS label, as Kubernetes
    /// namespaces, so Argo's `{namespace}` maps onto it).
    public static func problem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        let isAlnum: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
        if bytes.isEmpty { return "a namespace cannot be empty; expected 1 to \(maxLength) lowercase letters, digits and \"-\"" }
        if bytes.count > maxLength { return "a namespace has at most \(maxLength) characters; this one has \(bytes.count)" }
        guard bytes.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "-") }) else {
            return "\"\(name)\" is not a valid namespace; expected lowercase letters, digits and \"-\" (like \"team-a\")"
        }
        guard isAlnum(bytes.first!), isAlnum(bytes.last!) else {
            return "\"\(name)\" is not a valid namespace; it must start and end with a letter or digit"
        }
        return nil
    }
}

/// Account names: people and machines, also how annotation pools name their workers.
public enum AccountName {
    public static let maxLength = Limits.accountNameCharacters

    /// Why `name` is not a valid account name, or `nil`: 1 to 64 of letters, digits, `.`, `_`,
    /// `@` and `-`, starting with a letter or digit (an e-mail address fits).
    public static func problem(_ name: String) -> String? {
        problem(name, calling: "account name")
    }

    /// The account-name rule for names of other things (`"group name"`), said with that word.
    static func problem(_ name: String, calling what: String) -> String? {
        let bytes = Array(name.utf8)
        let isAlnum: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }
        let article = what.first.map { "aeiou".contains($0) } == true ? "an" : "a"
        if bytes.isEmpty { return "\(article) \(what) cannot be empty" }
        if bytes.count > maxLength { return "\(article) \(what) has at most \(maxLength) characters; this one has \(bytes.count)" }
        guard isAlnum(bytes[0]), bytes.allSatisfy({ isAlnum($0) || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "-")].contains($0) }) else {
            return "\"\(name)\" is not a valid \(what); expected letters, digits, \".\", \"_\", \"@\" and \"-\", starting with a letter or digit"
        }
        return nil
    }
}

/// A role granted to an account in one namespace, or in every namespace (`*`).
public struct Grant: Sendable, Hashable, Codable {
    public var id: String
    public var account: String
    public var namespace: String
    public var role: Role
    public var createdAt: Int64
    /// For a `worker` grant: the only queues it may claim from and answer (`@human` for the
    /// namespace's human tasks); `nil`: every queue of the namespace.
    public var queues: [String]?

    public init(id: String, account: String, namespace: String, role: Role, createdAt: Int64, queues: [String]? = nil) {
        self.id = id
        self.account = account
        self.namespace = namespace
        self.role = role
        self.createdAt = createdAt
        self.queues = queues
    }

    /// Whether it lets its account work on the tasks of `queue` in its namespace.
    public func allowsWork(onQueue queue: String) -> Bool {
        role.permissions.contains(.work) && (queues?.contains(queue) ?? true)
    }

    /// Why `queues` cannot restrict a grant of `role`, or `nil` if it can: at most
    /// `Limits.grantQueues` queue names (or `@human`), each once, and only on a `worker` grant
    /// (the other roles' work is not per queue). Each problem with its path under `path`.
    public static func queueProblems(_ queues: [String], role: Role?, path: String = "queues") -> [ValidationIssue] {
        if let role, role != .worker {
            return [ValidationIssue(path: path, code: "invalid_value", message: "queues restrict a worker grant; a grant of role \(role.rawValue) covers every queue its role may work on, so leave queues out")]
        }
        if queues.isEmpty {
            return [ValidationIssue(path: path, code: "invalid_value", message: "expected at least one queue name; leave queues out (or null) for every queue of the namespace")]
        }
        if queues.count > Limits.grantQueues {
            return [ValidationIssue(path: path, code: "too_many", message: "expected at most \(Limits.grantQueues) queues, found \(queues.count)")]
        }
        var issues: [ValidationIssue] = []
        var seen = Set<String>()
        for (i, queue) in queues.enumerated() {
            if queue != HumanTask.queue, let problem = WorkerTask.queueNameProblem(queue) {
                issues.append(ValidationIssue(path: "\(path)[\(i)]", code: "invalid_queue", message: problem + ", or \"\(HumanTask.queue)\" for the namespace's human tasks"))
            } else if !seen.insert(queue).inserted {
                issues.append(ValidationIssue(path: "\(path)[\(i)]", code: "duplicate", message: "queue \"\(queue)\" is listed twice"))
            }
        }
        return issues
    }
}

/// What a check answers.
public enum AccessDecision: Sendable, Hashable {
    case allowed
    /// The caller has a role in the namespace but not this permission: `403`.
    case forbidden
    /// The caller has no role in the namespace at all: the object is answered as not found
    /// (`404`), so ids outside the caller's namespaces do not leak.
    case hidden
}

/// An authenticated caller: its account and every grant it holds.
public struct Principal: Sendable, Hashable {
    public var accountID: String
    public var account: String
    public var grants: [Grant]
    /// The id of the token (or session) it signed in with.
    public var tokenID: String

    public init(accountID: String, account: String, grants: [Grant], tokenID: String) {
        self.accountID = accountID
        self.account = account
        self.grants = grants
        self.tokenID = tokenID
    }

    /// The roles it holds in `namespace`: those granted there and those granted everywhere.
    public func roles(in namespace: String) -> Set<Role> {
        Set(grants.lazy.filter { $0.namespace == namespace || $0.namespace == Namespace.all }.map(\.role))
    }

    public func may(_ permission: Permission, in namespace: String) -> Bool {
        roles(in: namespace).contains { $0.permissions.contains(permission) }
    }

    /// Whether it may do `permission` everywhere (a grant on `*`): an `admin` on `*` manages
    /// accounts and reads the audit log.
    public func mayEverywhere(_ permission: Permission) -> Bool {
        grants.contains { $0.namespace == Namespace.all && $0.role.permissions.contains(permission) }
    }

    /// The decision for `permission` on something in `namespace`.
    public func decide(_ permission: Permission, in namespace: String) -> AccessDecision {
        let roles = roles(in: namespace)
        if roles.isEmpty { return .hidden }
        return roles.contains { $0.permissions.contains(permission) } ? .allowed : .forbidden
    }

    /// Whether it may work on the tasks of `queue` in `namespace`: a role there (or on `*`)
    /// with the `work` permission whose grant does not leave `queue` out.
    public func mayWork(onQueue queue: String, in namespace: String) -> Bool {
        grants.contains { ($0.namespace == namespace || $0.namespace == Namespace.all) && $0.allowsWork(onQueue: queue) }
    }

    /// The decision for working on `queue` in `namespace`: allowed, `forbidden` with a role
    /// there that does not allow it (a viewer, or a worker granted other queues), `hidden` with
    /// no role there.
    public func decideWork(onQueue queue: String, in namespace: String) -> AccessDecision {
        if roles(in: namespace).isEmpty { return .hidden }
        return mayWork(onQueue: queue, in: namespace) ? .allowed : .forbidden
    }

    /// The namespaces where it may work on `queue`, or `nil` for every namespace (a grant on
    /// `*` that allows it).
    public func namespaces(workingOn queue: String) -> Set<String>? {
        var names = Set<String>()
        for grant in grants where grant.allowsWork(onQueue: queue) {
            if grant.namespace == Namespace.all { return nil }
            names.insert(grant.namespace)
        }
        return names
    }

    /// The namespaces where it may do `permission`, or `nil` for every namespace (a grant on
    /// `*` that allows it): what a list shows.
    public func namespaces(where permission: Permission) -> Set<String>? {
        var names = Set<String>()
        for grant in grants where grant.role.permissions.contains(permission) {
            if grant.namespace == Namespace.all { return nil }
            names.insert(grant.namespace)
        }
        return names
    }
}
