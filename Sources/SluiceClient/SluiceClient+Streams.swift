import AsyncHTTPClient
import NIOCore
import SluiceCore

extension SluiceClient {
    /// `GET …/events`: one page of the execution's events, oldest first.
    ///
    /// - Parameter after: an event id (``EventPage/lastEventID``); the page starts after it.
    public func events(workflowID: String, executionID: String, after: String? = nil, limit: Int? = nil) async throws -> EventPage {
        let query: [(String, String?)] = [("after", after), ("limit", limit.map(String.init))]
        return try EventPage(json: try await fetch(.GET, Self.path("workflows", workflowID, "executions", executionID, "events"), query: query))
    }

    /// `GET /events`: one page of every execution's events (or one workflow's), oldest first.
    public func allEvents(workflowID: String? = nil, after: String? = nil, limit: Int? = nil) async throws -> EventPage {
        let query: [(String, String?)] = [("workflow_id", workflowID), ("after", after), ("limit", limit.map(String.init))]
        return try EventPage(json: try await fetch(.GET, "/events", query: query))
    }

    /// The execution's events live, as Server-Sent Events: those already committed, then each as
    /// it commits. The stream ends once the execution has finished and every event was read.
    ///
    /// A connection that drops is reopened with `Last-Event-ID`, so no event is missed or
    /// repeated. Stop reading (or cancel the reading task) to close it.
    ///
    /// - Parameter lastEventID: the id of the last event already read; the stream starts after it.
    public func streamEvents(workflowID: String, executionID: String, lastEventID: String? = nil) -> AsyncThrowingStream<Event, any Error> {
        eventStream(path: Self.path("workflows", workflowID, "executions", executionID, "events"), query: [], lastEventID: lastEventID)
    }

    /// Every execution's events live (or one workflow's), as Server-Sent Events. This stream does
    /// not end by itself: stop reading to close it.
    public func streamAllEvents(workflowID: String? = nil, lastEventID: String? = nil) -> AsyncThrowingStream<Event, any Error> {
        eventStream(path: "/events", query: [("workflow_id", workflowID)], lastEventID: lastEventID)
    }

    /// A task's log lines live (NDJSON): those already written after `after`, then each as it
    /// commits, ending when the task has finished (retries included) and every line was read.
    /// A connection that drops is reopened after the last line read.
    public func followLogs(workflowID: String, executionID: String, taskID: String, after: Int64? = nil) -> AsyncThrowingStream<LogLine, any Error> {
        let path = Self.path("workflows", workflowID, "executions", executionID, "tasks", taskID, "logs")
        return reconnectingStream(initial: after.map { String($0) }) { position in
            (path, [("follow", "true"), ("after", position)], [])
        } handle: { (line: String, position: inout String?) throws -> LogLine? in
            guard !line.allSatisfy(\.isWhitespace) else { return nil }
            let logLine = try LogLine(json: try Self.parse(Array(line.utf8)))
            position = String(logLine.seq)
            return logLine
        }
    }

    func eventStream(path: String, query: [(String, String?)], lastEventID: String?) -> AsyncThrowingStream<Event, any Error> {
        // The parser lives across lines of one connection; a new connection starts a new one.
        let parser = ParserBox()
        return reconnectingStream(initial: lastEventID) { position in
            parser.value = ServerSentEventParser()
            return (path, query, [("Accept", "text/event-stream")] + (position.map { [("Last-Event-ID", $0)] } ?? []))
        } handle: { (line: String, position: inout String?) throws -> Event? in
            guard let message = parser.value.feed(line) else { return nil }
            let event = try Event(json: try Self.parse(Array(message.data.utf8)))
            position = message.id ?? event.id
            return event
        }
    }

    /// How many times in a row a dropped stream is reopened before the stream fails.
    static let maxReconnects = 5

    /// A stream of the items of a streamed answer, one line at a time. When the connection drops
    /// after it was open, it is reopened from `position` (what `handle` last recorded), after a
    /// pause, up to ``maxReconnects`` times in a row.
    func reconnectingStream<Element: Sendable>(
        initial: String?,
        request: @escaping @Sendable (_ position: String?) -> (String, [(String, String?)], [(String, String)]),
        handle: @escaping @Sendable (_ line: String, _ position: inout String?) throws -> Element?
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Element, any Error>.makeStream()
        let task = Task {
            var position = initial
            var failures = 0
            var opened = false
            while true {
                do {
                    let (path, query, headers) = request(position)
                    // The deadline bounds only the wait for the answer's head, not the stream.
                    let deadline = NIODeadline.now() + .nanoseconds(Self.nanoseconds(requestTimeout))
                    let response = try await open(.GET, path, query: query, headers: headers, deadline: deadline)
                    opened = true
                    var splitter = LineSplitter()
                    do {
                        for try await chunk in response.body {
                            for line in splitter.push(chunk) {
                                if let item = try handle(line, &position) {
                                    failures = 0
                                    continuation.yield(item)
                                }
                            }
                        }
                    } catch let error as SluiceClientError {
                        throw error
                    } catch {
                        try Task.checkCancellation()
                        throw SluiceClientError.unreachable(error)
                    }
                    if let rest = splitter.finish(), let item = try handle(rest, &position) { continuation.yield(item) }
                    continuation.finish()
                    return
                } catch SluiceClientError.unreachable(let error) {
                    if Task.isCancelled { break }
                    guard opened, failures < Self.maxReconnects else {
                        continuation.finish(throwing: SluiceClientError.unreachable(error))
                        return
                    }
                    failures += 1
                    try? await Task.sleep(for: Duration.seconds(failures))
                } catch {
                    if Task.isCancelled { break }
                    continuation.finish(throwing: error)
                    return
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// The SSE parser of the current connection, shared by the closures of one stream (which run
/// one after another on its reading task).
final class ParserBox: @unchecked Sendable {
    var value = ServerSentEventParser()
}
