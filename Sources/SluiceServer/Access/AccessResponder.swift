import HTTPTypes
import Hummingbird
import HummingbirdAuth
import SluiceCore
import SluiceEngine
import SluiceStore
import Synchronization

/// The session cookie's name.
let sessionCookieName = "sluice_session"
/// The header a cookie-authenticated mutation carries its CSRF token in.
let csrfHeaderName = HTTPField.Name("X-Sluice-CSRF")!

/// Wraps one route: signs the caller in (bearer token or session cookie), applies the route's
/// `AccessRule`, and writes the audit entry of a mutation. With auth off it only passes the
/// request on (and audits nothing: there is no one to name).
struct AccessResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == SluiceRequestContext {
    typealias Context = SluiceRequestContext

    let entry: AccessRules.Entry
    /// The route's template, as the audit log names the request (`POST /workflows/{workflow_id}/execute`).
    let route: String
    let inner: Inner
    let access: AccessControl
    let engine: Engine

    func respond(to request: Request, context: Context) async throws -> Response {
        guard access.enabled else { return try await inner.respond(to: request, context: context) }
        var context = context
        context.authEnabled = true
        let address = context.clientAddress
        let now = access.clock.now()
        do {
            try await signIn(request, &context, address: address)
        } catch let problem as Problem {
            if problem.status == .unauthorized || problem.status == .tooManyRequests {
                audit("auth.failed", request, context, object: nil, namespace: nil, status: Int(problem.status.code), at: now)
            }
            throw problem
        }
        var namespace: String?
        do {
            namespace = try await authorize(request, context)
            let response = try await inner.respond(to: request, context: context)
            if let action = entry.action {
                // A workflow created by this request: its namespace came from the body.
                if namespace == nil, response.status == .created, let location = response.headers[.location], location.hasPrefix("/workflows/"),
                   let id = location.split(separator: "/").dropFirst().first {
                    namespace = try? await access.namespace(ofWorkflow: String(id))
                }
                audit(action, request, context, object: object(context, response), namespace: namespace, status: Int(response.status.code), at: now)
            }
            return response
        } catch {
            if let action = entry.action {
                audit(action, request, context, object: object(context, nil), namespace: namespace, status: Self.status(of: error), at: now)
            }
            throw error
        }
    }

    /// Sets `context.identity` from the `Authorization: Bearer` header or the session cookie;
    /// throws the `401` when the route needs a caller and none is valid.
    func signIn(_ request: Request, _ context: inout Context, address: String?) async throws {
        if let bearer = request.headers.bearer {
            let (principal, _) = try await access.authenticate(token: bearer.token, address: address)
            context.identity = principal
        } else if let cookie = request.cookies[sessionCookieName]?.value {
            do {
                let (principal, token) = try await access.authenticate(token: cookie, address: address)
                guard token.kind == .session else { throw AccessControl.unauthorized("the session cookie does not hold a session; sign in again") }
                context.identity = principal
                context.signedInWithCookie = true
                // The browser sends the cookie with any request to this site; a mutation must
                // also show it was made by the UI, which alone can read the CSRF token.
                if ![.get, .head].contains(request.method), request.headers[csrfHeaderName] != TokenValue.csrf(forSession: cookie) {
                    throw AccessControl.forbidden("a request signed in with the session cookie that changes something needs the \(csrfHeaderName) header the sign-in answered (GET /me answers it too)")
                }
            } catch let problem as Problem where problem.status == .unauthorized && entry.rule == .open {
                // An expired session on an open route (the UI's files): answer as signed out.
                _ = problem
            }
        } else if entry.rule != .open {
            throw AccessControl.unauthorized("\(route) needs a token: send Authorization: Bearer slc_… (see `sluice login`), or sign in to the web UI")
        }
    }

    /// Applies the route's rule; answers the namespace the request acts in, when the path names one.
    func authorize(_ request: Request, _ context: Context) async throws -> String? {
        switch entry.rule {
        case .open, .signedIn, .byHandler:
            return nil
        case .everywhere(let permission):
            guard context.mayEverywhere(permission) else {
                throw AccessControl.forbidden("\(route) needs the admin role in every namespace (a grant on \"*\"); account \"\(context.identity?.account ?? "")\" has none")
            }
            return nil
        case .namespaced(let permission):
            let workflowID = context.parameters.get("workflow_id")
            let namespace: String?
            if let workflowID {
                namespace = try await access.namespace(ofWorkflow: workflowID)
            } else if let executionID = context.parameters.get("execution_id") {
                namespace = try await access.namespace(ofExecution: executionID, engine: engine)
            } else {
                namespace = nil
            }
            // An unknown workflow or execution: the handler answers its 404.
            guard let namespace else { return nil }
            switch context.decide(permission, in: namespace) {
            case .allowed:
                return namespace
            case .hidden:
                // Exactly what the handler answers for an id that does not exist.
                if let workflowID { throw EngineError.workflowNotFound(workflowID) }
                throw EngineError.executionNotFound(context.parameters.get("execution_id") ?? "")
            case .forbidden:
                let roles = context.identity?.roles(in: namespace).map(\.rawValue).sorted().joined(separator: ", ") ?? ""
                throw AccessControl.forbidden("\(request.method) \(route) needs a role that may \(permission.rawValue) in namespace \"\(namespace)\"; account \"\(context.identity?.account ?? "")\" has \(roles) there")
            }
        }
    }

    /// The object a mutation acted on: the most specific id in its path, or what it created
    /// (the last segment of `Location`); a group's member is `group/account`.
    func object(_ context: Context, _ response: Response?) -> String? {
        if let group = context.parameters.get("group") {
            if let account = context.parameters.get("account") { return "\(group)/\(account)" }
            if let location = response?.headers[.location], location.hasPrefix("/groups/\(group)/members/"), let last = location.split(separator: "/").last {
                return "\(group)/\(last)"
            }
            return group
        }
        for name in ["delivery_id", "webhook_id", "token_id", "grant_id", "execution_id", "account", "workflow_id"] {
            if let value = context.parameters.get(name) { return value }
        }
        if let location = response?.headers[.location], let last = location.split(separator: "/").last { return String(last) }
        return nil
    }

    func audit(_ action: String, _ request: Request, _ context: Context, object: String?, namespace: String?, status: Int, at: Int64) {
        access.record(AuditRecord(at: at, actor: context.identity?.account, action: action, object: object, namespace: namespace, status: status, address: context.clientAddress, request: "\(request.method) \(route)"))
    }

    static func status(of error: any Error) -> Int {
        switch error {
        case let problem as Problem: Int(problem.status.code)
        case let error as EngineError: Int(error.problem.status.code)
        case let error as HTTPError: Int(error.status.code)
        default: 500
        }
    }
}

extension AccessControl {
    /// The namespace of workflow `id`, or `nil` if there is none. A workflow's namespace never
    /// changes, so it is remembered (a bounded map).
    func namespace(ofWorkflow id: String) async throws -> String? {
        if let known = namespaces.withLock({ $0[id] }) { return known }
        guard let workflow = try await store.workflow(id: id) else { return nil }
        namespaces.withLock { map in
            if map.count >= 100_000 { map.removeAll(keepingCapacity: true) }
            map[id] = workflow.namespace
        }
        return workflow.namespace
    }

    /// The namespace of execution `id`'s workflow, or `nil` if there is no such execution.
    func namespace(ofExecution id: String, engine: Engine) async throws -> String? {
        guard let detail = try await engine.execution(id: id) else { return nil }
        return try await namespace(ofWorkflow: detail.execution.workflowID)
    }
}
