import Hummingbird
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

    /// The methods of every route whose template matches `path` segment by segment (`:param`
    /// matches any one segment), in registration order; empty when no route has this path.
    /// Empty segments are skipped, as the router does.
    func methods(forPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.withLock { routes in
            var methods: [HTTPRequest.Method] = []
            for route in routes where route.path.components.count == segments.count {
                guard zip(route.path.components, segments).allSatisfy({ $0 ~= $1 }) else { continue }
                for m in route.methods where !methods.contains(m) { methods.append(m) }
            }
            return methods
        }
    }
}

/// Registers routes on a router and records them in a `RouteTable`; the controllers register
/// through it.
struct RecordingRouter<Context: RequestContext>: RouterMethods {
    let router: Router<Context>
    let table: RouteTable

    @discardableResult func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self where Responder.Context == Context {
        router.on(path, method: method, responder: responder)
        table.add(path, method: method)
        return self
    }

    func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }
}
