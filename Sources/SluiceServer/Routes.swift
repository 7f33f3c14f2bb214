import Hummingbird
import SluiceEngine
import Synchronization

/// The path templates of every registered route with their methods, so that a known path asked
/// with a method it does not support answers `405` with `Allow` (Hummingbird's router answers
/// `404` for both an unknown path and an unknown method).
final class RouteTable: Sendable {
    struct Route: Sendable {
        var path: RouterPath
        var methods: [HTTPRequest.Method]
    }

    private let routes = Mutex<[Route]>([])

    func add(_ path: RouterPath, method: HTTPRequest.Method) {
        routes.withLock { routes in
            if let i = routes.firstIndex(where: { $0.path == path }) {
                if !routes[i].methods.contains(method) { routes[i].methods.append(method) }
            } else {
                routes.append(Route(path: path, methods: [method]))
            }
        }
    }

    /// The methods of the route the router picks for `path`: of the templates that match it
    /// segment by segment (`:param` matches any one segment, a trailing `**` one or more), the
    /// one with a constant segment where the others have a parameter, first from the left
    /// (`/workflows/validate` over `/workflows/:workflow_id`), as the router's trie tries
    /// constants first. Empty when no route has this path. Empty segments are skipped, as the
    /// router does.
    func methods(forPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.withLock { routes in
            var best: (rank: [Bool], methods: [HTTPRequest.Method])?
            for route in routes {
                // A trailing `**` matches one or more segments (`/ui/**`), as in the router.
                let recursive = route.path.components.last?.isRecursiveWildcard == true
                guard recursive ? segments.count >= route.path.components.count : route.path.components.count == segments.count else { continue }
                guard zip(route.path.components, segments).allSatisfy({ $0 ~= $1 }) else { continue }
                let rank = route.path.components.map(\.isConstant)
                if let b = best, !rank.lexicographicallyPrecedes(b.rank, by: { $0 && !$1 }) {
                    // Same rank: the same template registered twice cannot happen (`add` merges).
                    if rank == b.rank { best!.methods += route.methods.filter { !b.methods.contains($0) } }
                    continue
                }
                best = (rank, route.methods)
            }
            return best?.methods ?? []
        }
    }
}

/// Registers routes on a router and records them in a `RouteTable`; the controllers register
/// through it. Every route is wrapped in its `AccessResponder`: a route without an entry in
/// `AccessRules.table` stops the server at start-up, so none can be added unchecked.
struct RecordingRouter: RouterMethods {
    typealias Context = SluiceRequestContext
    let router: Router<Context>
    let table: RouteTable
    let access: AccessControl
    let engine: Engine
    /// Routes whose requests clients hold open, by method and template (`POST
    /// /queues/{queue}/claim`): each request takes a place in its `HeldRequests` while it is
    /// answered, inside the access check (so a refused caller takes none).
    var held: [String: HeldRequests] = [:]

    /// Registers the route; a `GET` route answers `HEAD` too (`HeadMiddleware` drops the body).
    /// `HEAD` is not recorded in the table, so `Allow` lists the methods as registered.
    @discardableResult func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self where Responder.Context == Context {
        guard let entry = AccessRules.entry(method: method, path: path.description) else {
            preconditionFailure("\(method) \(path.description) has no access rule: add it to AccessRules.table")
        }
        if let held = held["\(method.rawValue) \(path.description)"] {
            register(path, method: method, responder: AccessResponder(entry: entry, route: path.description, inner: HeldResponder(held: held, inner: responder), access: access, engine: engine))
        } else {
            register(path, method: method, responder: AccessResponder(entry: entry, route: path.description, inner: responder, access: access, engine: engine))
        }
        table.add(path, method: method)
        return self
    }

    private func register<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) where Responder.Context == Context {
        router.on(path, method: method, responder: responder)
        if method == .get { router.on(path, method: .head, responder: responder) }
    }

    func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }
}

extension RouterPath.Element {
    /// Whether the segment is a constant (not a `:parameter` or wildcard).
    var isConstant: Bool {
        // Its kind is not public; its description is the segment itself for a constant, and has
        // `{…}` or `*` otherwise (Sluice's routes use neither in constants).
        !description.contains("{") && !description.contains("*")
    }

    /// Whether the segment is `**` (the rest of the path, one segment or more).
    var isRecursiveWildcard: Bool { description == "**" }
}
