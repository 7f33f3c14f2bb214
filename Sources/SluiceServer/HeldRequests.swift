import Hummingbird
import SluiceCore
import Synchronization

/// Requests that clients hold open, of one kind (event streams, long-polled claims), counted in
/// all and per client: one past the limit in all is `503 overloaded`, one past a client's share
/// `429 too-many-requests`, both with `Retry-After`. A client is its account when it signed in,
/// else its address.
final class HeldRequests: Sendable {
    /// What is held, for messages (`event streams`).
    let what: String
    /// The flags that set the two limits, for messages.
    let flags: (total: String, perClient: String)
    let total: Int
    let perClient: Int

    private struct State {
        var held = 0
        var byClient: [String: Int] = [:]
    }

    private let state = Mutex(State())

    init(what: String, flags: (total: String, perClient: String), total: Int, perClient: Int) {
        self.what = what
        self.flags = flags
        self.total = total
        self.perClient = perClient
    }

    /// How many are held now, in all and by `client`.
    func count(client: String? = nil) -> Int {
        state.withLock { s in client.map { s.byClient[$0] ?? 0 } ?? s.held }
    }

    /// Takes a place for `client`, or throws the refusal. The place is given back when the
    /// returned ticket is released or, at the latest, freed.
    func admit(_ client: String) throws -> Ticket {
        let refusal = state.withLock { s -> Problem? in
            let mine = s.byClient[client] ?? 0
            if mine >= perClient {
                return problem(.tooManyRequests, type: "too-many-requests", title: "Too many requests",
                    detail: "this client (\(client)) holds \(mine) \(what) open, the most one client may (\(flags.perClient)); close one, or retry after \(Limits.retryAfterSeconds) s")
            }
            if s.held >= total {
                return problem(.serviceUnavailable, type: "overloaded", title: "Service unavailable",
                    detail: "\(s.held) \(what) are open, the server's limit (\(flags.total)); retry after \(Limits.retryAfterSeconds) s")
            }
            s.held += 1
            s.byClient[client] = mine + 1
            return nil
        }
        if let refusal { throw refusal }
        return Ticket(self, client: client)
    }

    fileprivate func release(_ client: String) {
        state.withLock { s in
            s.held -= 1
            let left = (s.byClient[client] ?? 1) - 1
            s.byClient[client] = left > 0 ? left : nil
        }
    }

    private func problem(_ status: HTTPResponse.Status, type: String, title: String, detail: String) -> Problem {
        var problem = Problem(status: status, type: "urn:sluice:problem:\(type)", title: title, detail: detail)
        problem.headers[.retryAfter] = String(Limits.retryAfterSeconds)
        return problem
    }

    /// A place taken; given back once, by `release()` or when the ticket is freed (a response
    /// body that was never written still frees its ticket).
    final class Ticket: Sendable {
        private let owner: HeldRequests
        private let client: String
        private let released = Atomic<Bool>(false)

        fileprivate init(_ owner: HeldRequests, client: String) {
            self.owner = owner
            self.client = client
        }

        func release() {
            if !released.exchange(true, ordering: .acquiringAndReleasing) { owner.release(client) }
        }

        deinit { release() }
    }

    /// The kinds of held requests of one server, with its limits.
    struct Kinds: Sendable {
        let streams: HeldRequests
        let longPolls: HeldRequests

        init(_ configuration: ServerConfiguration) {
            streams = HeldRequests(what: "event streams", flags: ("--max-streams", "--max-streams-per-client"), total: configuration.maxStreams, perClient: configuration.maxStreamsPerClient)
            longPolls = HeldRequests(what: "claims", flags: ("--max-long-polls", "--max-long-polls-per-client"), total: configuration.maxLongPolls, perClient: configuration.maxLongPollsPerClient)
        }
    }

    /// The client a request counts against: its account, else its address.
    static func client(_ context: SluiceRequestContext) -> String {
        if let account = context.identity?.account { return "account \(account)" }
        return context.clientAddress.map { "address \($0)" } ?? "address unknown"
    }
}

/// A route whose requests are held: each takes a place in `held` for as long as it is answered.
struct HeldResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == SluiceRequestContext {
    let held: HeldRequests
    let inner: Inner

    func respond(to request: Request, context: SluiceRequestContext) async throws -> Response {
        let ticket = try held.admit(HeldRequests.client(context))
        defer { ticket.release() }
        return try await inner.respond(to: request, context: context)
    }
}
