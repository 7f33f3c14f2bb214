import ArgumentParser
import Foundation
import SluiceClient
import SluiceCore

/// `sluice schedule …`: start a workflow on a schedule, list, pause, resume and delete schedules,
/// and see what each fire time did.
public struct ScheduleCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Start workflows on a schedule (cron or interval); pause, resume, delete; see what each fire time did.",
        discussion: """
            Examples:
              sluice schedule create wf-abcd1234 --cron '0 9 * * MON-FRI' --time-zone Europe/Berlin --input text=hi
              sluice schedule create wf-abcd1234 --every 15m --overlap queue_one
              sluice schedule list wf-abcd1234
              sluice schedule pause wf-abcd1234 sch-abcd1234
              sluice schedule fires wf-abcd1234 sch-abcd1234
            """,
        subcommands: [Create.self, List.self, Get.self, Pause.self, Resume.self, Delete.self, Fires.self],
        aliases: ["schedules"]
    )

    public init() {}

    /// `90`, `90s`, `15m`, `2h`, `1d` as seconds.
    static func seconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let u = units[last] {
            unit = u
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = Int(digits), n > 0 else { return nil }
        let (total, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : total
    }

    /// The schedule as the server answered it (`-o json|yaml`), or its details for people.
    static func show(_ s: WorkflowSchedule, output: OutputOptions, console: Console) -> Int32 {
        if !output.printStructured(s.json, console: console) { printDetails(s, console: console) }
        return ExitStatus.success
    }

    /// Pauses or resumes schedule `scheduleID`.
    static func setPaused(_ paused: Bool, workflowID: String, scheduleID: String, server: ServerOptions, output: OutputOptions) async throws {
        try await server.run { client, console in
            show(try await client.updateSchedule(workflowID: workflowID, scheduleID: scheduleID, changes: ["paused": .bool(paused)]), output: output, console: console)
        }
    }

    static func printDetails(_ s: WorkflowSchedule, console: Console) {
        let when = s.cron.map { "cron \($0) (\(s.timeZone))" } ?? "every \(s.intervalSeconds ?? 0) s"
        console.print("\(console.paint(s.id, .bold))  \(when)\(s.paused ? "  " + console.paint("paused", .yellow) : "")")
        console.print("  overlap \(s.overlap), catch-up \(s.catchupSeconds) s, revision \(s.revision)")
        console.print("  input \(s.input.jsonString)")
        if let last = s.lastFireTime { console.print("  last fire time \(Formatting.timestamp(last))") }
        if let queued = s.queuedFireTime { console.print("  queued fire time \(Formatting.timestamp(queued))") }
        if let error = s.lastError { console.print("  " + console.paint("last error: \(error)", .red)) }
        if s.nextFireTimes.isEmpty {
            console.print(console.paint("  no fire time ahead", .dim))
        } else {
            console.print("  next fire times:")
            for t in s.nextFireTimes { console.print("    \(Formatting.timestamp(t))") }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a workflow on a schedule.",
            discussion: """
                Give --cron (five fields, or six with seconds first; @daily and the like) read in
                --time-zone, or --every. The input is checked against the workflow's input schema now.

                Examples:
                  sluice schedule create wf-abcd1234 --cron '30 2 * * *' --time-zone America/New_York
                  sluice schedule create wf-abcd1234 --every 15m --input-file input.json
                """
        )
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @Option(help: ArgumentHelp("A cron expression, such as '0 9 * * MON-FRI'.", valueName: "EXPR"))
        var cron: String?
        @Option(help: ArgumentHelp("An interval: 90, 90s, 15m, 2h or 1d.", valueName: "DURATION"))
        var every: String?
        @Option(help: ArgumentHelp("The IANA time zone a cron expression is read in. [default: UTC]", valueName: "ZONE"))
        var timeZone: String?
        @Option(help: ArgumentHelp("While an execution it started still runs, a fire time is skipped (skip), waits (queue_one) or starts anyway (allow). [default: skip]", valueName: "POLICY"))
        var overlap: String?
        @Option(help: ArgumentHelp("How long after a fire time missed while the server was down it still starts. [default: 0]", valueName: "DURATION"))
        var catchup: String?
        @Flag(help: "Create it paused.")
        var paused = false
        @Option(name: .customLong("input"), help: ArgumentHelp("An input value, key=value; repeat for more keys.", valueName: "key=value"))
        var inputs: [String] = []
        @Option(help: ArgumentHelp("The input object from a JSON or YAML file (- for standard input); --input values override its keys.", valueName: "FILE"))
        var inputFile: String?
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if (cron == nil) == (every == nil) { throw ValidationError("give --cron EXPR or --every DURATION (one of them)") }
            if let every, ScheduleCommand.seconds(every) == nil { throw ValidationError("--every expects a duration such as 90, 90s, 15m, 2h or 1d, found \"\(every)\"") }
            if let catchup, catchup != "0", ScheduleCommand.seconds(catchup) == nil { throw ValidationError("--catchup expects a duration such as 0, 90s, 15m or 1h, found \"\(catchup)\"") }
            if let overlap, !["skip", "queue_one", "allow"].contains(overlap) { throw ValidationError("--overlap must be skip, queue_one or allow, found \"\(overlap)\"") }
            for pair in inputs {
                do { _ = try InputArguments.split(pair) } catch { throw ValidationError(error.description) }
            }
        }

        func run() async throws {
            let file = try inputFile.map { try readDocument($0).json }
            try await server.run { client, console in
                // The schema types the --input values.
                let schema = inputs.isEmpty ? nil : try await client.workflow(workflowID).inputSchema
                let input = try InputArguments.build(file: file, pairs: inputs, schema: schema)
                let created = try await client.createSchedule(
                    workflowID: workflowID, cron: cron, intervalSeconds: every.flatMap(ScheduleCommand.seconds), timeZone: timeZone, input: input,
                    overlap: overlap, catchupSeconds: catchup.map { $0 == "0" ? 0 : ScheduleCommand.seconds($0) ?? 0 }, paused: paused ? true : nil)
                return ScheduleCommand.show(created, output: output, console: console)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a workflow's schedules with their next fire time.", aliases: ["ls"])
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let schedules = try await client.listSchedules(workflowID: workflowID)
                if output.printStructured(.object(JSONObject([("schedules", .array(schedules.map(\.json)))])), console: console) { return ExitStatus.success }
                if schedules.isEmpty {
                    console.printError("No schedules of \(workflowID). Create one with: sluice schedule create \(workflowID) --cron '0 9 * * *'")
                    return ExitStatus.success
                }
                console.print(Formatting.table(["SCHEDULE", "WHEN", "OVERLAP", "NEXT FIRE TIME", "LAST ERROR"], schedules.map { s in
                    [s.id, s.cron.map { "\($0) (\(s.timeZone))" } ?? "every \(s.intervalSeconds ?? 0)s", s.overlap,
                     s.paused ? console.paint("paused", .yellow) : s.nextFireTimes.first.map(Formatting.timestamp) ?? "none", s.lastError ?? ""]
                }))
                return ExitStatus.success
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a schedule with its next fire times.")
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @Argument(help: "The schedule's id (sch-…).")
        var scheduleID: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                ScheduleCommand.show(try await client.schedule(workflowID: workflowID, scheduleID: scheduleID), output: output, console: console)
            }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a schedule: no fire time starts anything until it is resumed.")
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @Argument(help: "The schedule's id (sch-…).")
        var scheduleID: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await ScheduleCommand.setPaused(true, workflowID: workflowID, scheduleID: scheduleID, server: server, output: output)
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused schedule; the fire times of the pause are not caught up.")
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @Argument(help: "The schedule's id (sch-…).")
        var scheduleID: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await ScheduleCommand.setPaused(false, workflowID: workflowID, scheduleID: scheduleID, server: server, output: output)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a schedule and its fire history (the executions it started stay).")
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @Argument(help: "The schedule's id (sch-…).")
        var scheduleID: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            try await server.run { client, console in
                try await client.deleteSchedule(workflowID: workflowID, scheduleID: scheduleID)
                console.printError("Deleted schedule \(scheduleID).")
                return ExitStatus.success
            }
        }
    }

    struct Fires: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What a schedule's fire times did, the newest first.")
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @Argument(help: "The schedule's id (sch-…).")
        var scheduleID: String
        @OptionGroup var page: PageOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let result = try await client.listScheduleFires(workflowID: workflowID, scheduleID: scheduleID, limit: page.limit, cursor: page.cursor)
                if output.printStructured(result.json, console: console) { return ExitStatus.success }
                if result.items.isEmpty {
                    console.printError("No fire time of \(scheduleID) has come yet.")
                    return ExitStatus.success
                }
                console.print(Formatting.table(["FIRE TIME", "OUTCOME", "EXECUTION", "REASON"], result.items.map { f in
                    let style: Console.Style = f.outcome == "fired" ? .green : f.outcome == "failed" ? .red : .yellow
                    return [Formatting.timestamp(f.fireTime), console.paint(f.outcome, style), f.executionID ?? "", f.reason ?? ""]
                }))
                page.printMore(result.nextCursor, console: console)
                return ExitStatus.success
            }
        }
    }
}
