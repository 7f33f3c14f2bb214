import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import Synchronization
import Testing

/// Traces from the real binary (issue 22): `sluice serve --otlp-endpoint` exports one trace per
/// execution over OTLP/HTTP, continuing the caller's `traceparent`; the execution's HTTP
/// requests and its webhook deliveries carry the trace onward, and the JSON log lines written
/// inside it name its trace id. Without an endpoint, nothing is traced or propagated.
@Suite struct TracingProcessTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let callerSpan = "00f067aa0ba902b7"
    static let traceparent = "00-\(traceID)-\(callerSpan)-01"

    /// What the receiver saw: OTLP span exports, and the trace headers of the requests the
    /// execution sent (its HTTP.Request step's and its webhook's).
    struct Seen: Sendable {
        var spans: [JSONValue] = []
        var echo: [String?] = []
        var hook: [String?] = []
    }

    final class Received: Sendable {
        let state = Mutex(Seen())
        func withLock<T: Sendable>(_ body: (inout Seen) -> T) -> T {
            state.withLock { seen in
                var copy = seen
                defer { seen = copy }
                return body(&copy)
            }
        }
    }

    /// Runs a receiver (OTLP collector, echo endpoint, webhook endpoint) on a free port.
    func withReceiver(_ body: @escaping @Sendable (Int, Received) async throws -> Void) async throws {
        let seen = Received()
        let router = Router()
        router.post("/v1/traces") { request, _ -> HTTPResponse.Status in
            let bytes = try await request.body.collect(upTo: 1 << 24)
            let export = try JSONParser.parse(Array(bytes.readableBytesView))
            let spans = (export["resourceSpans"]?.arrayValue ?? []).flatMap { ($0["scopeSpans"]?.arrayValue ?? []).flatMap { $0["spans"]?.arrayValue ?? [] } }
            seen.withLock { $0.spans += spans }
            return .ok
        }
        router.get("/echo") { request, _ -> String in
            seen.withLock { $0.echo.append(request.headers[.init("traceparent")!]) }
            return "{}"
        }
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            seen.withLock { $0.hook.append(request.headers[.init("traceparent")!]) }
            return .noContent
        }
        try await Application(router: router).test(.live) { client in
            try await body(try #require(client.port), seen)
        }
    }

    /// A span's id field as lowercase hex (OTLP JSON gives hex; protobuf's JSON mapping base64).
    static func hex(_ value: JSONValue?) -> String? {
        guard let s = value?.stringValue, !s.isEmpty else { return nil }
        if s.count == 32 || s.count == 16, s.allSatisfy(\.isHexDigit) { return s.lowercased() }
        guard let data = Data(base64Encoded: s) else { return nil }
        return data.map { String(format: "%02x", $0) }.joined()
    }

    /// The parent of the span whose `traceparent` a request carried, when that is in this
    /// test's trace and exported.
    static func parent(ofSent header: String?, in spans: [JSONValue]) -> String? {
        guard let parts = header?.split(separator: "-"), parts.count == 4, parts[1] == traceID else { return nil }
        return spans.first { hex($0["spanId"]) == String(parts[2]) }.flatMap { hex($0["parentSpanId"]) }
    }

    func run(port: Int, arguments: [String], _ check: @Sendable (ServerProcess) async throws -> Void) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await ServerProcess.start(
            database: "sqlite:" + dir.appendingPathComponent("db").path, logURL: dir.appendingPathComponent("log"),
            arguments: ["--allow-private-networks", "--allow-private-webhooks", "--log-format", "json", "--log-level", "debug"] + arguments,
            environment: ["OTEL_BSP_SCHEDULE_DELAY": "100"]
        )
        do {
            let workflow = #"{"name": "traced", "steps": [{"type": "HTTP.Request", "input": {"url": "http://127.0.0.1:\#(port)/echo"}}]}"#
            let (created, answer) = try await send(.shared, "POST", server.baseURL + "/workflows", body: workflow)
            #expect(created == 201, "\(answer)")
            let id = try #require(answer["workflow_id"]?.stringValue)
            let (_, started) = try await send(
                .shared, "POST", server.baseURL + "/workflows/\(id)/execute",
                body: #"{"input": {}, "webhook_url": "http://127.0.0.1:\#(port)/hook"}"#, headers: [("traceparent", Self.traceparent)]
            )
            let execution = try #require(started["execution_id"]?.stringValue, "\(started)")
            let (_, done) = try await send(.shared, "GET", server.baseURL + "/executions/\(execution)?wait=30")
            #expect(done["status"] == "COMPLETED", "\(done)")
            try await check(server)
        } catch {
            _ = await server.stop()
            throw error
        }
        _ = await server.stop()
    }

    /// Waits (up to 30 s) until `ready` holds for what the receiver saw.
    static func eventually(_ seen: Received, _ ready: (Seen) -> Bool) async throws -> Seen {
        for _ in 0..<300 {
            let now = seen.withLock { $0 }
            if ready(now) { return now }
            try await Task.sleep(for: .milliseconds(100))
        }
        return seen.withLock { $0 }
    }

    @Test func anExecutionIsOneTraceThatContinuesTheCallersAndGoesOnWithItsRequests() async throws {
        try await withReceiver { port, seen in
            try await run(port: port, arguments: ["--otlp-endpoint", "http://127.0.0.1:\(port)", "--otlp-protocol", "http/json"]) { server in
                let names = ["execution.start", "task step-1", "execution"]
                let got = try await Self.eventually(seen) { s in
                    !s.hook.isEmpty && names.allSatisfy { n in s.spans.contains { $0["name"]?.stringValue == n } }
                }
                let spans = Dictionary(got.spans.map { ($0["name"]?.stringValue ?? "", $0) }, uniquingKeysWith: { a, _ in a })
                for name in names {
                    #expect(Self.hex(spans[name]?["traceId"]) == Self.traceID, "\(name): \(spans[name] ?? .null)")
                }
                // The request's own span continues the caller's; the execution's spans hang off
                // the span that started it.
                let request = got.spans.first { Self.hex($0["parentSpanId"]) == Self.callerSpan }
                #expect(request != nil, "no span is a child of the caller's: \(got.spans.map { $0["name"] ?? .null })")
                let start = try #require(Self.hex(spans["execution.start"]?["spanId"]))
                #expect(Self.hex(spans["execution.start"]?["parentSpanId"]) == Self.hex(request?["spanId"]))
                #expect(Self.hex(spans["task step-1"]?["parentSpanId"]) == start)
                #expect(Self.hex(spans["execution"]?["parentSpanId"]) == start)
                // The step's request goes with the span of its HTTP client call, a child of the
                // task's; each webhook delivery with a span that is a child of the start's.
                let task = try #require(Self.hex(spans["task step-1"]?["spanId"]))
                // The client spans are exported a moment after the requests went.
                let final = try await Self.eventually(seen) { s in (s.echo + s.hook).allSatisfy { Self.parent(ofSent: $0, in: s.spans) != nil } }
                #expect(final.echo.count == 1 && final.echo.allSatisfy { Self.parent(ofSent: $0, in: final.spans) == task }, "\(final.echo)")
                #expect(!final.hook.isEmpty && final.hook.allSatisfy { Self.parent(ofSent: $0, in: final.spans) == start }, "\(final.hook)")
                // JSON log lines written inside the trace name it.
                let traced = server.log.split(separator: "\n").filter { $0.contains(#""trace_id":"\#(Self.traceID)""#) }
                #expect(!traced.isEmpty, "no log line names the trace: \(server.log.suffix(2000))")
            }
        }
    }

    @Test func withoutAnEndpointNothingIsTracedOrPropagated() async throws {
        try await withReceiver { port, seen in
            try await run(port: port, arguments: []) { server in
                let got = try await Self.eventually(seen) { !$0.hook.isEmpty }
                #expect(got.echo == [nil], "the step's request carried \(got.echo)")
                #expect(got.hook.allSatisfy { $0 == nil } && !got.hook.isEmpty, "\(got.hook)")
                #expect(got.spans.isEmpty)
                #expect(!server.log.contains("trace_id"))
            }
        }
    }
}
