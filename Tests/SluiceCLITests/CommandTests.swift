import ArgumentParser
import Foundation
@testable import SluiceCLI
import SluiceClient
import SluiceCore
import SluiceTestSupport
import SluiceYAML
import Testing

/// Command lines parsed and run in-process, against a real server on a free port.
@Suite(.testStores) struct CommandTests {
    // MARK: Parsing

    @Test func usageErrorsExitWith2AndSayWhatIsWrong() async {
        let both = await runCLI(["run", "wf-x", "--wait", "--watch"])
        #expect(both.code == ExitStatus.usage)
        #expect(both.err.contains("--wait and --watch cannot be used together"))

        let pair = await runCLI(["run", "wf-x", "--input", "novalue"])
        #expect(pair.code == ExitStatus.usage)
        #expect(pair.err.contains("--input expects key=value, found \"novalue\""))

        let timeout = await runCLI(["run", "wf-x", "--timeout", "5m"])
        #expect(timeout.err.contains("--timeout needs --wait or --watch"))

        let format = await runCLI(["workflow", "list", "-o", "xml"])
        #expect(format.code == ExitStatus.usage)

        let server = await runCLI(["workflow", "list", "--server", "ftp://example.com"])
        #expect(server.code == ExitStatus.usage)
        #expect(server.err.contains("must be an http or https URL"))

        let missing = await runCLI(["workflow", "create"])
        #expect(missing.code == ExitStatus.usage)
        #expect(missing.err.contains("--file"))
    }

    @Test func everyCommandHasHelpWithAnExample() {
        let commands: [any ParsableCommand.Type] = [
            WorkflowCommand.self, WorkflowCommand.Create.self, WorkflowCommand.Update.self, WorkflowCommand.List.self, WorkflowCommand.Get.self,
            WorkflowCommand.Delete.self, WorkflowCommand.Validate.self, RunCommand.self, ExecutionCommand.self,
            ExecutionCommand.Get.self, ExecutionCommand.List.self, ExecutionCommand.Cancel.self, ExecutionCommand.Retry.self, ExecutionCommand.Rerun.self,
            LogsCommand.self, StepTypesCommand.self,
        ]
        for command in commands {
            let help = ClientRoot.helpMessage(for: command)
            #expect(help.contains("Example"), "\(command) --help has no example")
            if command != WorkflowCommand.self && command != ExecutionCommand.self {
                #expect(help.contains("--server <URL>"), "\(command) --help lacks --server")
            }
        }
    }

    @Test func aServerNobodyListensOnExitsWith3() async {
        let result = await runCLI(["workflow", "list", "--server", "http://127.0.0.1:1"])
        #expect(result.code == ExitStatus.unreachable)
        #expect(result.err.contains("could not reach the Sluice server at http://127.0.0.1:1"))
    }

    // MARK: Against a server

    @Test func createRunWaitAndReadTheResultAsJSON() async throws {
        try await withServer { server in
            let file = try temporaryFile("shout.yaml", shoutYAML)
            let created = await runCLI(["workflow", "create", "-f", file, "--server", server])
            #expect(created.code == 0, "\(created.err)")
            let workflowID = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(workflowID.hasPrefix("wf-"))

            let run = await runCLI(["run", workflowID, "--input", "text=hello", "--wait", "--server", server])
            #expect(run.code == 0, "\(run.err)")
            let lines = run.out.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasSuffix("(2/2 tasks)") == true)
            #expect(lines.first?.contains(" COMPLETED in ") == true)
            #expect(run.out.contains("\"text\": \"HELLO\""))

            let executionID = try #require(lines.first?.split(separator: " ").first.map(String.init))
            let json = await runCLI(["execution", "get", executionID, "-o", "json", "--server", server])
            #expect(json.code == 0, "\(json.err)")
            let parsed = try JSONParser.parse(Array(json.out.utf8))
            #expect(parsed["status"] == "COMPLETED")
            #expect(parsed["output"] == ["text": "HELLO"])
            #expect(parsed["workflow_id"] == .string(workflowID))

            let yaml = await runCLI(["execution", "get", executionID, "-o", "yaml", "--server", server])
            #expect(yaml.out.contains("status: COMPLETED\n"))

            let table = await runCLI(["execution", "list", workflowID, "--server", server])
            #expect(table.out.hasPrefix("EXECUTION"))
            #expect(table.out.contains(executionID))
        }
    }

    @Test func validationProblemsArePrintedWithPathAndFilePositionAndExit2() async throws {
        try await withServer { server in
            let file = try temporaryFile("bad.yaml", """
                name: bad
                steps:
                  - type: TextOperation.Uppercase
                  - type: Nope
                """)
            for command in [["workflow", "create"], ["workflow", "validate"]] {
                let result = await runCLI(command + ["-f", file, "--server", server])
                #expect(result.code == ExitStatus.usage)
                #expect(result.err.contains("Invalid workflow definition: 1 problem"))
                #expect(result.err.contains("bad.yaml:4:11: steps[1].type: unknown step type \"Nope\""))
                #expect(result.err.contains("[unknown_step_type]"))
                #expect(result.out.isEmpty)
            }
            let list = await runCLI(["workflow", "list", "-o", "json", "--server", server])
            #expect(try JSONParser.parse(Array(list.out.utf8))["workflows"] == [], "nothing was stored")
        }
    }

    @Test func validateReportsAValidDefinitionWithoutStoringIt() async throws {
        try await withServer { server in
            let file = try temporaryFile("shout.yaml", shoutYAML)
            let result = await runCLI(["workflow", "validate", "-f", file, "--server", server])
            #expect(result.code == 0, "\(result.err)")
            #expect(result.out.contains("is valid: \"shout\", 2 tasks"))
            #expect(result.out.contains("text   string   yes"))
            let list = await runCLI(["workflow", "list", "-o", "json", "--server", server])
            #expect(try JSONParser.parse(Array(list.out.utf8))["workflows"] == [])
        }
    }

    @Test func inputThatFailsTheSchemaExits2WithThePathOfEachProblem() async throws {
        try await withServer { server in
            let file = try temporaryFile("shout.yaml", shoutYAML)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let result = await runCLI(["run", workflowID, "--input", "times=2", "--server", server])
            #expect(result.code == ExitStatus.usage)
            #expect(result.err.contains("input.text"))
        }
    }

    @Test func aFailedExecutionExits1AndSaysWhichStepFailed() async throws {
        try await withServer { server in
            let file = try temporaryFile("fail.json", #"{"name": "fails", "steps": [{"type": "Fail", "input": {"message": "it broke"}}]}"#)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let result = await runCLI(["run", workflowID, "--wait", "--server", server])
            #expect(result.code == ExitStatus.executionFailed)
            #expect(result.out.contains(" FAILED in "))
            #expect(result.out.contains("it broke"))
            // --watch off a terminal: the one summary line.
            let watched = await runCLI(["run", workflowID, "--watch", "--server", server])
            #expect(watched.code == ExitStatus.executionFailed)
            #expect(watched.out.split(separator: "\n").count == 1)
        }
    }

    @Test func watchOnATerminalDrawsTheTasksLiveAndEndsWithTheResult() async throws {
        try await withServer { server in
            // Long enough that the CLI, started as a process on a loaded machine, sees it running
            // (at 0.5 s a CI run once drew only the finished frame, 1.1 s after the start).
            let file = try temporaryFile("delay.json", #"{"name": "slow", "steps": [{"type": "StaticTextInput", "input": "done"}, {"type": "Delay", "input": {"seconds": 3}}, {"type": "Echo"}]}"#)
            let created = await runCLI(["workflow", "create", "-f", file, "--server", server])
            #expect(created.code == 0, "\(created.err)")
            let workflowID = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
            let result = await runCLI(["run", workflowID, "--watch", "--server", server], terminal: true)
            #expect(result.code == 0, "\(result.err)")
            // Redrawn in place: cursor moves up, lines cleared; a running frame, then the final one.
            #expect(result.out.contains("\u{1B}[2K"))
            #expect(result.out.contains("RUNNING"))
            #expect(result.out.contains("✓ step-3"))
            #expect(result.out.contains("\"text\": \"done\""))
        }
    }

    @Test func cancelRetryAndDeleteWorkThroughTheExecutionID() async throws {
        try await withServer { server in
            let file = try temporaryFile("delay.json", #"{"name": "slow", "steps": [{"type": "Delay", "input": {"seconds": 30}}, {"type": "Echo"}]}"#)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let executionID = await runCLI(["run", workflowID, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(executionID.hasPrefix("ex-"))

            let busy = await runCLI(["workflow", "delete", workflowID, "--server", server])
            #expect(busy.code == ExitStatus.usage, "a workflow with a running execution is not deleted")

            let cancelled = await runCLI(["execution", "cancel", executionID, "--server", server])
            #expect(cancelled.code == 0, "\(cancelled.err)")
            #expect(cancelled.out.hasPrefix("\(executionID) CANCELLED"))

            let again = await runCLI(["execution", "cancel", executionID, "--server", server])
            #expect(again.code == ExitStatus.usage || again.code == 0)

            let retried = await runCLI(["execution", "retry", executionID, "-o", "json", "--server", server])
            #expect(retried.code == 0, "\(retried.err)")
            #expect(try JSONParser.parse(Array(retried.out.utf8))["execution_id"] == .string(executionID))
            _ = await runCLI(["execution", "cancel", executionID, "--server", server])

            let deleted = await runCLI(["workflow", "delete", workflowID, "--server", server])
            #expect(deleted.code == 0, "\(deleted.err)")
            let gone = await runCLI(["workflow", "get", workflowID, "--server", server])
            #expect(gone.code == ExitStatus.usage)
            #expect(gone.err.contains("no workflow with id"))
        }
    }

    @Test func updateStoresANewVersionAndRerunStartsANewExecution() async throws {
        try await withServer { server in
            let file = try temporaryFile("shout.yaml", shoutYAML)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let updated = await runCLI(["workflow", "update", workflowID, "-f", file, "--if-version", "1", "--server", server])
            #expect(updated.code == 0, "\(updated.err)")
            #expect(updated.out == "2\n")
            let stale = await runCLI(["workflow", "update", workflowID, "-f", file, "--if-version", "1", "--server", server])
            #expect(stale.code == ExitStatus.usage, "a stale --if-version is refused")
            #expect(stale.err.contains("is at version 2, not version 1") && stale.err.contains("--if-version 2"), "in the command's terms: \(stale.err)")
            #expect(!stale.err.contains("If-Match"))

            let first = await runCLI(["run", workflowID, "--input", "text=again", "--wait", "-o", "json", "--server", server])
            let firstID = try #require(try JSONParser.parse(Array(first.out.utf8))["execution_id"]?.stringValue)
            let rerun = await runCLI(["execution", "rerun", firstID, "--wait", "-o", "json", "--server", server])
            #expect(rerun.code == 0, "\(rerun.err)")
            let second = try JSONParser.parse(Array(rerun.out.utf8))
            #expect(second["execution_id"] != .string(firstID))
            #expect(second["input"] == ["text": "again"])
            #expect(second["output"] == ["text": "AGAIN"])
        }
    }

    /// `workflow get --definition -o yaml` prints the definition as sent (its own input_schema
    /// and description included), which `workflow update -f` stores again unchanged.
    @Test func getDefinitionPrintsWhatUpdateStoresAgain() async throws {
        try await withServer { server in
            let file = try temporaryFile("shout.yaml", shoutYAML)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let printed = await runCLI(["workflow", "get", workflowID, "--definition", "-o", "yaml", "--server", server])
            #expect(printed.code == 0, "\(printed.err)")
            #expect(try YAMLConversion.json(fromYAML: printed.out) == YAMLConversion.json(fromYAML: shoutYAML))
            let asJSON = await runCLI(["workflow", "get", workflowID, "--definition", "--server", server])
            #expect(try JSONParser.parse(Array(asJSON.out.utf8)) == YAMLConversion.json(fromYAML: shoutYAML), "JSON without -o")
            let edited = try temporaryFile("edited.yaml", printed.out)
            let updated = await runCLI(["workflow", "update", workflowID, "-f", edited, "--server", server])
            #expect(updated.code == 0 && updated.out == "2\n", "\(updated.err)")
            let second = await runCLI(["workflow", "get", workflowID, "--definition", "-o", "json", "--server", server])
            #expect(try JSONParser.parse(Array(second.out.utf8)) == YAMLConversion.json(fromYAML: shoutYAML))
        }
    }

    @Test func logsPrintEachTasksLinesPrefixedByTask() async throws {
        try await withServer { server in
            // A Delay with retries logs "attempt 1 of 2 started".
            let file = try temporaryFile("two.json", #"{"name": "two", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Delay", "input": {"seconds": 0.05}, "retry": {"max_attempts": 2}}, {"type": "Echo"}]}"#)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let run = await runCLI(["run", workflowID, "--wait", "-o", "json", "--server", server])
            let executionID = try #require(try JSONParser.parse(Array(run.out.utf8))["execution_id"]?.stringValue)
            let all = await runCLI(["logs", executionID, "--server", server])
            #expect(all.code == 0, "\(all.err)")
            let one = await runCLI(["logs", executionID, "step-2", "--follow", "--server", server])
            #expect(one.code == 0, "\(one.err)")
            #expect(one.out == "attempt 1 of 2 started\n")
            #expect(all.out.contains("step-2 | attempt 1 of 2 started\n"))
            let unknown = await runCLI(["logs", executionID, "step-9", "--server", server])
            #expect(unknown.code == ExitStatus.usage)
            #expect(unknown.err.contains("has no task \"step-9\""))
        }
    }

    @Test func stepTypesListsTheCatalogAsATable() async throws {
        try await withServer { server in
            let result = await runCLI(["step-types", "--server", server])
            #expect(result.out.hasPrefix("TYPE"))
            #expect(result.out.contains("TextOperation.Reverse"))
            let json = await runCLI(["step-types", "-o", "json", "--server", server])
            let catalog = try JSONParser.parse(Array(json.out.utf8))
            #expect(catalog["step_types"]?.arrayValue?.isEmpty == false)
        }
    }

    @Test func logsOfATaskWithoutLinesSaySo() async throws {
        try await withServer { server in
            let file = try temporaryFile("shout.yaml", shoutYAML)
            let workflowID = await runCLI(["workflow", "create", "-f", file, "--server", server]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let run = await runCLI(["run", workflowID, "--input", "text=hi", "--wait", "-o", "json", "--server", server])
            let id = try #require(try JSONParser.parse(Array(run.out.utf8))["execution_id"]?.stringValue)
            let logs = await runCLI(["logs", id, "--server", server])
            #expect(logs.code == 0 && logs.out.isEmpty)
            #expect(logs.err.contains("(no task of \(id) has any log lines)"), "\(logs.err)")
            // One task without lines says so in words that read: it has none (not "has any"),
            // and not "yet" once it has finished.
            let one = await runCLI(["logs", id, "step-1", "--server", server])
            #expect(one.code == 0 && one.out.isEmpty)
            #expect(one.err.contains("(task step-1 of \(id) has no log lines)"), "\(one.err)")
            let followed = await runCLI(["logs", id, "--follow", "--server", server])
            #expect(followed.code == 0 && followed.out.isEmpty)
            #expect(followed.err.contains("(no task of \(id) has any log lines)"), "--follow says so too: \(followed.err)")
        }
    }

    @Test func problemsInAFileAreListedInTheFilesOrder() async throws {
        try await withServer { server in
            // The server lists problems by path (tasks[0] before tasks[1]); the file puts them the
            // other way round.
            let yaml = """
                name: order
                tasks:
                  - id: b
                    type: Echo
                    depends_on: [nowhere]
                  - id: a
                    type: NoSuchStep
                """
            let file = try temporaryFile("order.yaml", yaml)
            let result = await runCLI(["workflow", "validate", "-f", file, "--server", server])
            #expect(result.code == ExitStatus.usage)
            let lines = result.err.split(separator: "\n").filter { $0.contains("order.yaml:") }
            let positions = lines.compactMap { line -> Int? in
                guard let r = line.firstMatch(of: /order\.yaml:(\d+):/) else { return nil }
                return Int(r.1)
            }
            #expect(positions.count >= 2 && positions == positions.sorted(), "\(result.err)")
        }
    }

    @Test func problemsInAJSONFileCarryTheirLineAndColumnInTheFilesOrder() async throws {
        try await withServer { server in
            // As the YAML case above: the server lists tasks[0] first, the file has it last.
            let json = """
                {
                  "name": "order",
                  "tasks": [
                    {"id": "b", "type": "Echo", "depends_on": ["nowhere"]},
                    {"id": "a", "type": "NoSuchStep"}
                  ]
                }
                """
            let file = try temporaryFile("order.json", json)
            let result = await runCLI(["workflow", "validate", "-f", file, "--server", server])
            #expect(result.code == ExitStatus.usage)
            let lines = result.err.split(separator: "\n").filter { $0.contains("order.json:") }
            let positions = lines.compactMap { line -> [Int]? in
                guard let r = line.firstMatch(of: /order\.json:(\d+):(\d+):/) else { return nil }
                return [Int(r.1)!, Int(r.2)!]
            }
            // tasks[0].depends_on[0] is at line 4, the unknown type of tasks[1] at line 5.
            #expect(positions.count == 2, "\(result.err)")
            #expect(positions.map { $0[0] } == [4, 5], "\(result.err)")
            #expect(lines.first?.contains("depends_on") == true, "\(result.err)")
        }
    }
}
