import Foundation
import SluiceCLI
import SluiceCore
import SluiceTestSupport
import Testing

/// `sluice task …`: a person's human-task work from the terminal, against a real server without
/// access checks (the person is `--account`).
@Suite(.testStores, .timeLimit(.minutes(1))) struct TaskCommandTests {
    static let review = """
        name: review
        steps:
          - type: StaticTextInput
            input: the draft
          - id: review
            type: Human.Task
            input:
              title: Approve the draft
              instructions: Read it, then decide.
              assignees: [alice]
              form:
                type: object
                required: [approved]
                properties:
                  approved: {type: boolean}
                  score: {type: integer}
                  note: {type: string}
        """

    /// The id of the task in `account`'s inbox, once queued.
    func waitingTask(_ server: String, _ account: String) async throws -> String {
        for _ in 0..<1000 {
            let listed = await runCLI(["task", "list", "--account", account, "-o", "json", "--server", server])
            try #require(listed.code == 0, "\(listed.err)")
            let inbox = try JSONParser.parse(Array(listed.out.utf8))
            if let id = inbox["claimable"]?.arrayValue?.first?["human_task_id"]?.stringValue { return id }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw CancellationError()
    }

    @Test func aPersonListsClaimsAndAnswersWithValuesTypedByTheForm() async throws {
        try await withServer { server in
            let file = try temporaryFile("review.yaml", Self.review)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let run = await runCLI(["run", workflowID, "--server", server])
            #expect(run.code == 0, "\(run.err)")
            let executionID = run.out.trimmingCharacters(in: .whitespacesAndNewlines)
            let id = try await waitingTask(server, "alice")

            let table = await runCLI(["task", "list", "--account", "alice", "--server", server])
            #expect(table.out.contains("Approve the draft") && table.out.contains("claimable"), "\(table.out)")
            let nobody = await runCLI(["task", "list", "--account", "bob", "--server", server])
            #expect(nobody.err.contains("Nothing in the inbox of bob"), "\(nobody.err)")

            let shown = await runCLI(["task", "show", id, "--server", server])
            #expect(shown.out.contains("Read it, then decide."))
            #expect(shown.out.contains("\"text\": \"the draft\""), "the input is shown: \(shown.out)")
            #expect(shown.out.contains("approved") && shown.out.contains("boolean"), "the form is shown: \(shown.out)")

            let refused = await runCLI(["task", "claim", id, "--account", "bob", "--server", server])
            #expect(refused.code == ExitStatus.usage)
            #expect(refused.err.contains("may be claimed only by \"alice\""), "\(refused.err)")
            let claimed = await runCLI(["task", "claim", id, "--account", "alice", "--server", server])
            #expect(claimed.code == 0, "\(claimed.err)")
            #expect(claimed.out.contains("is yours (alice)"))

            // A value the form does not allow is refused by the CLI before anything is sent.
            let wrong = await runCLI(["task", "complete", id, "--account", "alice", "--answer", "approved=maybe", "--server", server])
            #expect(wrong.code == ExitStatus.usage)
            #expect(wrong.err.contains("--answer approved=maybe: approved is boolean in the task's form"), "\(wrong.err)")
            // One the server refuses (a required field missing): its path is shown.
            let missing = await runCLI(["task", "complete", id, "--account", "alice", "--answer", "note=hm", "--server", server])
            #expect(missing.code == ExitStatus.usage)
            #expect(missing.err.contains("answer.approved"), "\(missing.err)")

            let done = await runCLI(["task", "complete", id, "--account", "alice", "--answer", "approved=true", "--answer", "score=7", "--answer", "note=fine by me", "--server", server])
            #expect(done.code == 0, "\(done.err)")
            #expect(done.out.contains("COMPLETED"))
            let answered = await runCLI(["task", "show", id, "--server", server])
            #expect(answered.out.contains("Answered") && answered.out.contains("workflow review, \(workflowID)"), "the workflow's name and when it was answered: \(answered.out)")
            // The engine goes on with the answer: wait for the execution to finish.
            var detail = JSONValue.null
            for _ in 0..<1000 where detail["status"] != "COMPLETED" {
                let execution = await runCLI(["execution", "get", executionID, "-o", "json", "--server", server])
                detail = try JSONParser.parse(Array(execution.out.utf8))
                if detail["status"] != "COMPLETED" { try await Task.sleep(for: .milliseconds(5)) }
            }
            let execution = (out: detail.jsonString, ())
            let review = detail["tasks"]?.arrayValue?.first { $0["step_id"] == "review" }
            #expect(review?["output"] == ["json": ["approved": true, "score": 7, "note": "fine by me"]], "\(execution.out)")
        }
    }

    @Test func aTaskIsReleasedAndReassigned() async throws {
        try await withServer { server in
            let file = try temporaryFile("review.yaml", Self.review)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            _ = await runCLI(["run", workflowID, "--server", server])
            let id = try await waitingTask(server, "alice")
            #expect(await runCLI(["task", "claim", id, "--account", "alice", "--server", server]).code == 0)
            let released = await runCLI(["task", "release", id, "--account", "alice", "--server", server])
            #expect(released.out.contains("back in the inbox"), "\(released.out) \(released.err)")
            let moved = await runCLI(["task", "reassign", id, "--to", "bob", "--server", server])
            #expect(moved.out.contains("now held by bob"), "\(moved.out) \(moved.err)")
            let both = await runCLI(["task", "reassign", id, "--to", "bob", "--nobody", "--server", server])
            #expect(both.code == ExitStatus.usage)
            let answerless = await runCLI(["task", "complete", id, "--server", server])
            #expect(answerless.code == ExitStatus.usage)
            #expect(answerless.err.contains("--answer key=value or --answer-file"), "\(answerless.err)")
            let back = await runCLI(["task", "reassign", id, "--nobody", "-o", "json", "--server", server])
            #expect(try JSONParser.parse(Array(back.out.utf8))["status"] == "WAITING", "\(back.out)")
        }
    }
}
