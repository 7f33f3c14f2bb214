import ArgumentParser
import Foundation
import SluiceClient
import SluiceCore

/// `sluice execution …`: show, list, cancel and retry executions.
public struct ExecutionCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "execution",
        abstract: "Show, list, cancel, retry and rerun executions.",
        discussion: """
            Examples:
              sluice execution get ex-abcd1234
              sluice execution list wf-abcd1234 --status FAILED
              sluice execution cancel ex-abcd1234
              sluice execution retry ex-abcd1234 --watch
              sluice execution rerun ex-abcd1234 --from-task fetch --wait
            """,
        subcommands: [Get.self, List.self, Cancel.self, Retry.self, Rerun.self],
        aliases: ["executions", "ex"]
    )

    public init() {}

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an execution with its tasks.",
            discussion: """
                Examples:
                  sluice execution get ex-abcd1234
                  sluice execution get ex-abcd1234 -o json | jq .output
                  sluice execution get ex-abcd1234 --watch
                """
        )
        @Argument(help: "The execution's id (ex-…).")
        var executionID: String
        @Flag(help: "Follow it live until it finishes (a summary line when not on a terminal); exit code 1 if it fails.")
        var watch = false
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let execution = try await client.execution(id: executionID)
                if watch {
                    var follow = FollowOptions()
                    follow.watch = true
                    return try await follow.follow(client: client, workflowID: execution.workflowID, executionID: execution.id, output: output, console: console)
                }
                if !output.printStructured(execution.json, console: console) { ExecutionReport.printDetails(execution, console: console) }
                return ExitStatus.success
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a workflow's executions, newest first.",
            discussion: """
                Examples:
                  sluice execution list wf-abcd1234
                  sluice execution list wf-abcd1234 --status RUNNING -o json
                """,
            aliases: ["ls"]
        )
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @Option(help: "Only executions with this status: PENDING, RUNNING, COMPLETED, FAILED or CANCELLED.")
        var status: String?
        @OptionGroup var page: PageOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let status, !["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"].contains(status.uppercased()) {
                throw ValidationError("--status must be PENDING, RUNNING, COMPLETED, FAILED or CANCELLED, found \"\(status)\"")
            }
        }

        func run() async throws {
            try await server.run { client, console in
                let result = try await client.listExecutions(workflowID: workflowID, status: status.map { .init(rawValue: $0.uppercased()) }, limit: page.limit, cursor: page.cursor)
                if output.printStructured(result.json, console: console) { return ExitStatus.success }
                if result.items.isEmpty {
                    console.printError(status == nil ? "No executions of \(workflowID) yet. Start one with: sluice run \(workflowID)" : "No \(status!.uppercased()) executions of \(workflowID).")
                    return ExitStatus.success
                }
                let now = Date()
                console.print(Formatting.table(["EXECUTION", "STATUS", "VERSION", "CREATED", "DURATION"], result.items.map { e in
                    [e.id, console.paint(e.status.rawValue, Formatting.style(forStatus: e.status.rawValue)), String(e.workflowVersion),
                     Formatting.age(e.createdAt, now: now), Formatting.elapsed(from: e.startedAt, to: e.completedAt, now: now)]
                }))
                page.printMore(result.nextCursor, console: console)
                return ExitStatus.success
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a pending or running execution and its unfinished tasks.",
            discussion: """
                Refused (exit 2) when it already completed or failed.

                Example:
                  sluice execution cancel ex-abcd1234
                """
        )
        @Argument(help: "The execution's id (ex-…).")
        var executionID: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let found = try await client.execution(id: executionID)
                let cancelled = try await client.cancel(workflowID: found.workflowID, executionID: executionID)
                if !output.printStructured(cancelled.json, console: console) { console.print(ExecutionReport.summaryLine(cancelled, console: console)) }
                return ExitStatus.success
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Continue a failed or cancelled execution in place; completed tasks keep their outputs.",
            discussion: """
                Examples:
                  sluice execution retry ex-abcd1234
                  sluice execution retry ex-abcd1234 --wait
                """
        )
        @Argument(help: "The execution's id (ex-…).")
        var executionID: String
        @OptionGroup var follow: FollowOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let found = try await client.execution(id: executionID)
                _ = try await client.retry(workflowID: found.workflowID, executionID: executionID)
                return try await follow.started(executionID, workflowID: found.workflowID, client: client, output: output, console: console)
            }
        }
    }
}

extension ExecutionCommand {
    struct Rerun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a new execution with the same input and workflow version, and print its id.",
            discussion: """
                With --from-task, completed tasks that are neither that task nor downstream of it
                keep their outputs; everything runs again otherwise.

                Examples:
                  sluice execution rerun ex-abcd1234
                  sluice execution rerun ex-abcd1234 --from-task fetch --watch
                """
        )
        @Argument(help: "The execution to run again (ex-…).")
        var executionID: String
        @Option(help: ArgumentHelp("Run again from this task (its step id or task-… id).", valueName: "TASK"))
        var fromTask: String?
        @OptionGroup var follow: FollowOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let found = try await client.execution(id: executionID)
                let started = try await client.rerun(workflowID: found.workflowID, executionID: executionID, fromTask: fromTask)
                return try await follow.started(started.executionID, workflowID: found.workflowID, client: client, output: output, console: console)
            }
        }
    }
}

/// `sluice logs EXECUTION_ID [TASK]`.
public struct LogsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the log lines of an execution's tasks.",
        discussion: """
            Without TASK, every task's lines, each prefixed with its task; with --follow, new lines
            as they are written until the tasks finish.

            Examples:
              sluice logs ex-abcd1234
              sluice logs ex-abcd1234 fetch --follow
              sluice logs ex-abcd1234 -o json
            """
    )
    @Argument(help: "The execution's id (ex-…).")
    var executionID: String
    @Argument(help: "A task: its step id (step-2, or the id in the definition) or task-… id. [default: every task]")
    var task: String?
    @Flag(name: [.short, .long], help: "Keep printing new lines until the tasks finish.")
    var follow = false
    @Flag(help: "Start each line with its time (UTC) and attempt.")
    var timestamps = false
    @OptionGroup var server: ServerOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: text, or json (one JSON object per line, with the task's step_id).")
    var format: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    public init() {}

    public func run() async throws {
        try await server.run { client, console in
            let execution = try await client.execution(id: executionID)
            let tasks: [ExecutionTask]
            if let task {
                guard let found = execution.task(task) else {
                    console.printError("\(console.paint("error:", .red)) execution \(executionID) has no task \"\(task)\"; its tasks: \(execution.tasks.map(\.stepID).joined(separator: ", "))")
                    return ExitStatus.usage
                }
                tasks = [found]
            } else {
                tasks = execution.tasks
            }
            let printer = LogPrinter(console: console, prefixWidth: task == nil ? (tasks.map(\.stepID.count).max() ?? 0) : nil, timestamps: timestamps, json: format == .json)
            var printed = 0
            if follow {
                printed = try await withThrowingTaskGroup(of: Int.self) { group in
                    for t in tasks {
                        group.addTask {
                            var count = 0
                            for try await line in client.followLogs(workflowID: execution.workflowID, executionID: execution.id, taskID: t.id) {
                                printer.print(line, stepID: t.stepID)
                                count += 1
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
            } else {
                for t in tasks {
                    var after: Int64?
                    repeat {
                        let page = try await client.taskLogs(workflowID: execution.workflowID, executionID: execution.id, taskID: t.id, after: after, limit: 500)
                        for line in page.lines { printer.print(line, stepID: t.stepID) }
                        printed += page.lines.count
                        after = page.nextCursor.flatMap { Int64($0) }
                    } while after != nil
                }
            }
            // Say so rather than print nothing (on standard error: the output stays empty); "yet"
            // only while a task could still write some (not after --follow, which waited for them).
            if printed == 0, format == .text {
                let yet = !follow && tasks.contains { !$0.status.isTerminal } ? " yet" : ""
                let text = task.map { "task \($0) of \(executionID) has no log lines\(yet)" } ?? "no task of \(executionID) has any log lines\(yet)"
                console.printError(console.paint("(\(text))", .dim))
            }
            return ExitStatus.success
        }
    }
}

/// Prints log lines: the text alone for one task, `step-1 | text` for several.
struct LogPrinter: Sendable {
    var console: Console
    /// The width of the task prefix; `nil` for no prefix.
    var prefixWidth: Int?
    var timestamps: Bool
    var json: Bool

    func print(_ line: LogLine, stepID: String) {
        if json {
            var object = line.json.objectValue ?? JSONObject()
            object["step_id"] = .string(stepID)
            console.print(JSONValue.object(object).jsonString)
            return
        }
        console.print(format(line, stepID: stepID))
    }

    func format(_ line: LogLine, stepID: String) -> String {
        var text = ""
        if let prefixWidth { text += console.paint(stepID.padding(toLength: prefixWidth, withPad: " ", startingAt: 0) + " |", .cyan) + " " }
        if timestamps { text += console.paint(Formatting.timestamp(line.at) + " #\(line.attempt)", .dim) + " " }
        text += line.source == "engine" ? console.paint(line.line, .dim) : line.line
        return text
    }
}

/// `sluice step-types`: the catalog.
public struct StepTypesCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "step-types",
        abstract: "List the step types the server offers, with what each takes and gives.",
        discussion: """
            Examples:
              sluice step-types
              sluice step-types -o json | jq '.step_types[].type'
            """
    )
    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    public init() {}

    public func run() async throws {
        try await server.run { client, console in
            let types = try await client.stepTypes()
            if output.printStructured(["step_types": .array(types.map(\.json))], console: console) { return ExitStatus.success }
            let summaryWidth = max(30, (console.size?.columns ?? 200) - 80)
            console.print(Formatting.table(["TYPE", "TAKES", "GIVES", "PARAMETERS", "SUMMARY"], types.map { t in
                [t.name, t.inputType, t.outputType, t.parameters == nil ? "none" : (t.parametersRequired ? "required" : "optional"),
                 console.isTerminal ? Formatting.truncate(t.summary, to: summaryWidth) : t.summary]
            }))
            return ExitStatus.success
        }
    }
}

/// The client commands, for the `sluice` executable's list of subcommands.
public enum ClientCommands {
    public static let all: [any ParsableCommand.Type] = [WorkflowCommand.self, RunCommand.self, ExecutionCommand.self, LogsCommand.self, StepTypesCommand.self, LoginCommand.self, LogoutCommand.self, WhoamiCommand.self, AccountCommand.self, TokenCommand.self, GrantCommand.self, GroupCommand.self, TaskCommand.self, ScheduleCommand.self]
}
