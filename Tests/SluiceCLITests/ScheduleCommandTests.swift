import Foundation
import SluiceCLI
import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// `sluice schedule …` against a real server whose engine runs on a `ManualClock` (it starts at
/// 2026-01-01T00:00:00Z).
/// (The time limit counts the wait for a PostgreSQL connection slot in CI's PostgreSQL pass.)
@Suite(.testStores, .timeLimit(.minutes(3))) struct ScheduleCommandTests {
    @Test func aScheduleIsCreatedListedPausedResumedAndShowsWhatItsFireTimesDid() async throws {
        let clock = ManualClock()
        try await withServer(clock: clock) { server in
            let file = try temporaryFile("shout.yaml", shoutYAML)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)

            let created = await runCLI(["schedule", "create", workflowID, "--every", "1m", "--input", "text=hi", "--input", "times=3", "-o", "json", "--server", server])
            #expect(created.code == 0, "\(created.err)")
            let json = try JSONParser.parse(Array(created.out.utf8))
            let id = try #require(json["schedule_id"]?.stringValue)
            #expect(json["interval_seconds"] == 60)
            #expect(json["input"] == ["text": "hi", "times": 3], "--input values typed by the workflow's input schema")

            let shown = await runCLI(["schedule", "get", workflowID, id, "--server", server])
            #expect(shown.out.contains("every 60 s") && shown.out.contains("2026-01-01T00:01:00.000Z"), "\(shown.out)")
            let listed = await runCLI(["schedule", "list", workflowID, "--server", server])
            #expect(listed.out.contains(id) && listed.out.contains("2026-01-01T00:01:00.000Z"), "\(listed.out)")

            #expect(await runCLI(["schedule", "fires", workflowID, id, "--server", server]).err.contains("No fire time"))
            clock.advance(by: 60_000)
            var fires = CLIResult(code: 0, out: "", err: "")
            for _ in 0..<2000 where !fires.out.contains("fired") {
                fires = await runCLI(["schedule", "fires", workflowID, id, "--server", server])
                if !fires.out.contains("fired") { try await Task.sleep(for: .milliseconds(5)) }
            }
            #expect(fires.out.contains("2026-01-01T00:01:00.000Z") && fires.out.contains("ex-"), "\(fires.out)")

            let paused = await runCLI(["schedule", "pause", workflowID, id, "--server", server])
            #expect(paused.code == 0 && paused.out.contains("paused") && paused.out.contains("no fire time ahead"), "\(paused.out)")
            let resumed = await runCLI(["schedule", "resume", workflowID, id, "--server", server])
            #expect(resumed.code == 0 && resumed.out.contains("2026-01-01T00:02:00.000Z"), "\(resumed.out)")
            let deleted = await runCLI(["schedule", "delete", workflowID, id, "--server", server])
            #expect(deleted.code == 0, "\(deleted.err)")
            #expect(await runCLI(["schedule", "get", workflowID, id, "--server", server]).code != 0)
        }
    }

    @Test func wrongArgumentsAreRefusedWithWhatWasExpected() async throws {
        try await withServer { server in
            let file = try temporaryFile("shout.yaml", shoutYAML)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let neither = await runCLI(["schedule", "create", workflowID, "--server", server])
            #expect(neither.code == ExitStatus.usage)
            #expect(neither.err.contains("give --cron EXPR or --every DURATION"), "\(neither.err)")
            let every = await runCLI(["schedule", "create", workflowID, "--every", "soon", "--server", server])
            #expect(every.code == ExitStatus.usage)
            #expect(every.err.contains("--every expects a duration"), "\(every.err)")
            // The server's word on a cron expression, with the field it is about.
            let cron = await runCLI(["schedule", "create", workflowID, "--cron", "0 24 * * *", "--input", "text=a", "--server", server])
            #expect(cron.code == ExitStatus.usage)
            #expect(cron.err.contains("cron") && cron.err.contains("hour"), "\(cron.err)")
            let input = await runCLI(["schedule", "create", workflowID, "--cron", "@daily", "--server", server])
            #expect(input.code == ExitStatus.usage)
            #expect(input.err.contains("input.text"), "the workflow's input schema requires text: \(input.err)")
        }
    }
}
