import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTestSupport
import Testing

/// The event list and the Server-Sent Events streams.
@Suite(.testStores) struct EventStreamTests {
    static let accept: HTTPFields = [.accept: "text/event-stream"]

    /// The events of an SSE body: (id, event, data).
    static func parse(_ text: String) -> [(id: String, type: String, data: JSONValue)] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var id = "", type = "", data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data += line.dropFirst(6) }
            }
            guard !id.isEmpty, let json = try? JSONParser.parse(data) else { return nil }
            return (id, type, json)
        }
    }

    @Test func anExecutionsEventsAreListedInOrderWithTheirState() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            _ = try await client.finishedExecution(wf, ex)
            let reply = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events")
            #expect(reply.status == .ok)
            let events = try #require(try reply.json()["events"]?.arrayValue)
            #expect(events.compactMap { $0["type"]?.stringValue } == WebhookDeliveryTests.chainEvents)
            for e in events {
                #expect(e["id"]?.stringValue?.hasPrefix("evt_") == true && isRFC3339(e["timestamp"]))
                #expect(e["data"]?["execution_id"]?.stringValue == ex && e["data"]?["workflow_id"]?.stringValue == wf)
            }
            #expect(events[2]["data"]?["type"] == "StaticTextInput" && events[2]["data"]?["status"] == "COMPLETED")
            #expect(events[2]["data"]?["output"] == ["text": "Hello, world!"])
            #expect(try reply.json()["last_event_id"] == events.last?["id"])
            // A page after the third event holds the rest.
            let third = try #require(events[2]["id"]?.stringValue)
            let rest = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events?after=\(third)&limit=2").json()
            #expect(rest["events"]?.arrayValue?.map { $0["id"] } == Array(events[3...4]).map { $0["id"] })
            #expect(rest["has_more"] == true)
            try expectValidation(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events?after=yesterday"), path: "after")
            let foreign = try expectValidation(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events?after=evt_other000_2"), path: "after")
            #expect(foreign.contains("another database"), "an id of another database is not read as a position in this one")
            var stale = Self.accept
            stale[HTTPField.Name("Last-Event-ID")!] = "evt_other000_2"
            try expectValidation(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events", headers: stale), path: "Last-Event-ID")
            // A malformed Last-Event-ID is refused even when `after` takes precedence.
            try expectValidation(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events?after=3", headers: [HTTPField.Name("Last-Event-ID")!: "mDb]a"]), path: "Last-Event-ID")
            try expectValidation(try await client.send(.get, "/events?after=3", headers: [HTTPField.Name("Last-Event-ID")!: "mDb]a"]), path: "Last-Event-ID")
            let byNumber = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events?after=3").json()
            #expect(byNumber["events"]?.arrayValue?.first?["id"] == events[3]["id"], "a bare number is the seq")
            try expectProblem(try await client.send(.get, "/workflows/\(wf)/executions/ex-nothere1/events"), status: .notFound)
        }
    }

    @Test func theStreamResumesAfterLastEventIDWithoutGapsOrRepeats() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            let ex = try await client.startExecution(wf)
            _ = try await client.finishedExecution(wf, ex)
            let full = try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events", headers: Self.accept)
            #expect(full.headers[.contentType] == "text/event-stream")
            let all = Self.parse(full.text)
            #expect(all.map(\.type) == WebhookDeliveryTests.chainEvents, "the stream of a finished execution sends everything and ends")
            #expect(all.map { $0.data["type"]?.stringValue ?? "" } == all.map(\.type))
            for cut in 0..<all.count {
                var headers = Self.accept
                headers[HTTPField.Name("Last-Event-ID")!] = all[cut].id
                let resumed = Self.parse(try await client.send(.get, "/workflows/\(wf)/executions/\(ex)/events", headers: headers).text)
                #expect(resumed.map(\.id) == all[(cut + 1)...].map(\.id), "after \(all[cut].id): the rest, nothing twice, nothing missing")
            }
        }
    }

    @Test func theStreamDeliversEventsLiveUntilTheExecutionFinishes() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            // It waits for a worker (the test), who answers only once the stream is open: the
            // stream must stay open for the events after that (a Delay once ended before it).
            let wf = try await client.createWorkflow(#"{"name": "wait", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Worker.Task", "input": {"queue": "streamed", "output_type": "text"}}, {"type": "Echo"}]}"#)
            let ex = try await client.startExecution(wf)
            async let streamed = client.send(.get, "/workflows/\(wf)/executions/\(ex)/events", headers: Self.accept)
            try await Task.sleep(for: .milliseconds(300))
            try await client.answerWorkerTask(queue: "streamed", output: #""x""#)
            let stream = try await streamed
            let types = Self.parse(stream.text).map(\.type)
            #expect(types.first == "execution.pending" && types.last == "execution.completed")
            #expect(types.contains("task.claimed"), "the claim made after the stream opened is in it: \(types)")
        }
    }

    @Test func theServerWideListFiltersByWorkflow() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            let a = try await client.createWorkflow(seedWorkflow)
            let b = try await client.createWorkflow(reverseChain)
            let exA = try await client.startExecution(a)
            let exB = try await client.startExecution(b, #"{"input": {"text": "ab"}}"#)
            _ = try await client.finishedExecution(a, exA)
            _ = try await client.finishedExecution(b, exB)
            let all = try #require(try await client.send(.get, "/events").json()["events"]?.arrayValue)
            #expect(Set(all.compactMap { $0["data"]?["execution_id"]?.stringValue }) == [exA, exB])
            let onlyB = try #require(try await client.send(.get, "/events?workflow_id=\(b)").json()["events"]?.arrayValue)
            #expect(!onlyB.isEmpty && onlyB.allSatisfy { $0["data"]?["workflow_id"]?.stringValue == b })
            let seqs = all.compactMap { $0["id"]?.stringValue?.split(separator: "_").last.flatMap { Int($0) } }
            #expect(seqs == seqs.sorted(), "commit order")
            try expectProblem(try await client.send(.get, "/events?workflow_id=wf-nothere1"), status: .notFound)
        }
    }

    @Test func cancelAndRetryAreEventsToo() async throws {
        try await makeApp(registry: testRegistry).test(.router) { client in
            let slow = try await client.createWorkflow(#"{"name": "slow", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Delay", "input": {"seconds": 30}}, {"type": "Echo"}]}"#)
            let ex = try await client.startExecution(slow)
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await client.send(.post, "/workflows/\(slow)/executions/\(ex)/cancel").status == .ok)
            let types = try #require(try await client.send(.get, "/workflows/\(slow)/executions/\(ex)/events").json()["events"]?.arrayValue).compactMap { $0["type"]?.stringValue }
            #expect(types.suffix(3) == ["task.cancelled", "task.cancelled", "execution.cancelled"], "\(types)")

            let failing = try await client.createWorkflow(#"{"name": "fails", "steps": [{"type": "Test.FailOn"}, {"type": "Echo"}]}"#)
            let ex2 = try await client.startExecution(failing, #"{"input": {"text": "fail"}}"#)
            _ = try await client.finishedExecution(failing, ex2)
            #expect(try await client.send(.post, "/workflows/\(failing)/executions/\(ex2)/retry").status == .accepted)
            _ = try await client.finishedExecution(failing, ex2)
            let events = try #require(try await client.send(.get, "/workflows/\(failing)/executions/\(ex2)/events").json()["events"]?.arrayValue)
            let kinds = events.compactMap { $0["type"]?.stringValue }
            #expect(kinds.filter { $0 == "execution.failed" }.count == 2, "the first run and the retry each end in an event: \(kinds)")
            #expect(kinds.contains("task.pending"), "a retry puts the failed tasks back, and says so: \(kinds)")
            let failed = try #require(events.first { $0["type"] == "task.failed" })
            #expect(failed["data"]?["error"]?["message"]?.stringValue?.contains("fail") == true, "a failure carries its error")
        }
    }
}
