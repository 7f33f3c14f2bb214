import Foundation
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceEngine
@testable import SluiceServer
import SluiceTestSupport
import Testing

/// A `worker` grant that names its queues: the account claims and answers only the tasks of
/// those queues (`@human` for human tasks); without queues, every queue of the namespace.
@Suite(.testStores, .timeLimit(.minutes(1))) struct QueueGrantTests {
    func grant(_ queues: String, role: String = "worker") -> String {
        #"{"account": "resizer", "namespace": "media", "role": "\#(role)", "queues": \#(queues)}"#
    }

    @Test func aGrantsQueuesAreCheckedAndKept() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        try await fixture.account("resizer", kind: .machine)
        try await fixture.app.test(.router) { client in
            func problems(_ body: String) async throws -> [String] {
                try expectProblem(try await send(client, .post, "/grants", admin, body: body), status: .badRequest).map { "\($0.path) \($0.code)" }
            }
            #expect(try await problems(grant(#"["resize"]"#, role: "editor")) == ["queues invalid_value"], "queues restrict only a worker grant")
            #expect(try await problems(grant(#"["resize", "Big Queue", "resize", 7]"#)) == ["queues[3] type_mismatch"])
            #expect(try await problems(grant(#"["resize", "Big Queue", "resize"]"#)) == ["queues[1] invalid_queue", "queues[2] duplicate"])
            #expect(try await problems(grant("[]")) == ["queues invalid_value"])
            #expect(try await problems(grant(#""resize""#)) == ["queues type_mismatch"])
            let many = "[" + (0...Limits.grantQueues).map { "\"q\($0)\"" }.joined(separator: ", ") + "]"
            #expect(try await problems(grant(many)) == ["queues too_many"])
            let most = "[" + (1...Limits.grantQueues).map { "\"q\($0)\"" }.joined(separator: ", ") + "]"
            let atTheLimit = try await send(client, .post, "/grants", admin, body: #"{"account": "resizer", "namespace": "edge", "role": "worker", "queues": \#(most)}"#)
            #expect(atTheLimit.status == .created, "\(Limits.grantQueues) queues: \(atTheLimit.text)")

            let created = try await send(client, .post, "/grants", admin, body: grant(#"["resize", "@human"]"#))
            #expect(created.status == .created, "\(created.text)")
            #expect(try created.json()["queues"] == ["resize", "@human"])
            let same = try await send(client, .post, "/grants", admin, body: grant(#"["resize", "@human"]"#))
            #expect(same.status == .ok)
            #expect(try same.json()["grant_id"] == (try created.json()["grant_id"]))
            #expect(try await send(client, .post, "/grants", admin, body: grant(#"["resize"]"#)).status == .conflict, "other queues: remove the grant first")
            #expect(try await send(client, .post, "/grants", admin, body: grant("null")).status == .conflict)
            #expect(try await send(client, .get, "/grants?account=resizer", admin).json()["grants"]?.arrayValue?.first { $0["namespace"] == "media" }?["queues"] == ["resize", "@human"])
            let everything = try await send(client, .post, "/grants", admin, body: #"{"account": "resizer", "namespace": "other", "role": "worker"}"#)
            #expect(try everything.json()["queues"] == .null)
        }
    }

    @Test func aWorkerClaimsAndAnswersOnlyTheQueuesItIsGranted() async throws {
        let fixture = try await AccessFixture()
        let admin = try await fixture.account("root", [("*", .admin)])
        let resizer = try await fixture.account("resizer", kind: .machine)
        let any = try await fixture.account("any", [("media", .worker)], kind: .machine)
        try await fixture.app.test(.router) { client in
            #expect(try await send(client, .post, "/grants", admin, body: grant(#"["resize"]"#)).status == .created)
            for queue in ["resize", "ocr"] {
                let definition = #"{"name": "\#(queue)", "namespace": "media", "tasks": [{"id": "w", "type": "Worker.Task", "input": {"queue": "\#(queue)"}}]}"#
                let wf = try #require(try await send(client, .post, "/workflows", admin, body: definition).json()["workflow_id"]?.stringValue)
                #expect(try await send(client, .post, "/workflows/\(wf)/execute", admin).status == .accepted)
            }
            let human = #"{"name": "h", "namespace": "media", "tasks": [{"id": "h", "type": "Human.Task", "input": {"title": "Look"}}]}"#
            let hwf = try #require(try await send(client, .post, "/workflows", admin, body: human).json()["workflow_id"]?.stringValue)
            _ = try await send(client, .post, "/workflows/\(hwf)/execute", admin)

            // Not granted: 403, naming what it is granted; nothing is claimed.
            let refused = try await send(client, .post, "/queues/ocr/claim", resizer, body: #"{"wait": 1}"#)
            _ = try expectProblem(refused, status: .forbidden)
            #expect(try refused.json()["detail"]?.stringValue?.contains("resize in namespace \"media\"") == true, "\(refused.text)")
            // Granted: claimed and answered.
            let claim = try await send(client, .post, "/queues/resize/claim", resizer, body: #"{"wait": 5}"#)
            let task = try #require(try claim.json()["tasks"]?.arrayValue?.first, "\(claim.text)")
            let token = try #require(task["claim_token"]?.stringValue)
            let id = try #require(task["queued_task_id"]?.stringValue)
            #expect(try await send(client, .post, "/queues/resize/tasks/\(id)/heartbeat", resizer, body: #"{"claim_token": "\#(token)"}"#).status == .ok)
            #expect(try await send(client, .post, "/queues/resize/tasks/\(id)/complete", resizer, body: #"{"claim_token": "\#(token)", "output": {"ok": 1}}"#).status == .ok)

            // A task of a queue it is not granted, held by a worker of every queue: 403 on every call.
            let other = try #require(try await send(client, .post, "/queues/ocr/claim", any, body: #"{"wait": 5}"#).json()["tasks"]?.arrayValue?.first)
            let otherID = try #require(other["queued_task_id"]?.stringValue)
            let otherToken = try #require(other["claim_token"]?.stringValue)
            for action in ["heartbeat", "fail", "complete"] {
                let body = action == "fail" ? #"{"claim_token": "\#(otherToken)", "message": "no"}"# : action == "complete" ? #"{"claim_token": "\#(otherToken)", "output": {}}"# : #"{"claim_token": "\#(otherToken)"}"#
                #expect(try await send(client, .post, "/queues/ocr/tasks/\(otherID)/\(action)", resizer, body: body).status == .forbidden, "\(action)")
            }
            #expect(try await send(client, .post, "/queues/ocr/tasks/\(otherID)/heartbeat", any, body: #"{"claim_token": "\#(otherToken)"}"#).status == .ok, "its holder goes on")

            // GET /queues shows only what it may work on; human tasks need "@human" among its queues.
            let seen = try await send(client, .get, "/queues", resizer).json()["queues"]?.arrayValue?.compactMap { $0["queue"]?.stringValue } ?? []
            #expect(seen == ["resize"], "\(seen)")
            #expect(try await send(client, .get, "/queues", any).json()["queues"]?.arrayValue?.compactMap { $0["queue"]?.stringValue } == ["ocr", "resize"])
            var humanTask: String?
            for _ in 0..<1000 where humanTask == nil {
                humanTask = try await send(client, .get, "/inbox", any).json()["claimable"]?.arrayValue?.first?["human_task_id"]?.stringValue
                if humanTask == nil { try await Task.sleep(for: .milliseconds(2)) }
            }
            let ht = try #require(humanTask)
            #expect(try await send(client, .get, "/inbox", resizer).json()["claimable"] == [])
            #expect(try await send(client, .post, "/human-tasks/\(ht)/claim", resizer, body: "{}").status == .forbidden)
        }
    }
}
