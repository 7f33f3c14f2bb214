import ArgumentParser
import Foundation
import SluiceClient
import SluiceCore

/// `sluice task …`: a person's `Human.Task` work from the terminal: the inbox, claim, release,
/// answer, and an editor's reassignment.
public struct TaskCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Work on human tasks: list your inbox, claim, answer, release, reassign.",
        discussion: """
            A Human.Task step waits for a person. With access checked, you act as the account
            of your token (it needs the worker role in the task's namespace); on a server
            without access checks, --account names who you are (default: anonymous).

            Examples:
              sluice task list
              sluice task show ht-abcd1234
              sluice task claim ht-abcd1234
              sluice task complete ht-abcd1234 --answer approved=true --answer note="looks good"
              sluice task complete ht-abcd1234 --answer-file answer.yaml
              sluice task release ht-abcd1234
              sluice task reassign ht-abcd1234 --to bob
            """,
        subcommands: [List.self, Show.self, Claim.self, Release.self, Complete.self, Reassign.self],
        aliases: ["tasks"]
    )

    public init() {}

    /// Who acts, on a server that does not check access.
    struct PersonOptions: ParsableArguments {
        @Option(help: "Act as this account on a server without access checks (default: anonymous); with access checked, only your own.")
        var account: String?
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Your inbox: the tasks you hold, then those you may claim, the longest waiting first.",
            aliases: ["ls", "inbox"]
        )
        @OptionGroup var person: PersonOptions
        @Option(help: "At most this many of each (1 to 500).")
        var limit: Int?
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let inbox = try await client.inbox(account: person.account, limit: limit)
                if output.printStructured(inbox.json, console: console) { return ExitStatus.success }
                if inbox.held.isEmpty && inbox.claimable.isEmpty {
                    console.printError("Nothing in the inbox of \(inbox.account).")
                    return ExitStatus.success
                }
                let now = Date()
                let rows = inbox.held.map { TaskCommand.row($0, mine: true, now: now, console: console) }
                    + inbox.claimable.map { TaskCommand.row($0, mine: false, now: now, console: console) }
                console.print(Formatting.table(["TASK", "STATE", "TITLE", "WAITING", "DUE", "WORKFLOW"], rows))
                return ExitStatus.success
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a task: its instructions, input and form.", aliases: ["get"])
        @Argument(help: "The task's id (ht-…).")
        var id: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let task = try await client.humanTask(id: id)
                if output.printStructured(task.json, console: console) { return ExitStatus.success }
                TaskCommand.printDetails(task, console: console)
                return ExitStatus.success
            }
        }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Assign a task to yourself.")
        @Argument(help: "The task's id (ht-…).")
        var id: String
        @OptionGroup var person: PersonOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let task = try await client.claimHumanTask(id: id, account: person.account)
                if !output.printStructured(task.json, console: console) {
                    console.print("\(task.id) is yours (\(task.holder ?? "")): \(task.title)")
                    console.printError(console.paint("Answer it with: sluice task complete \(task.id) --answer key=value …", .dim))
                }
                return ExitStatus.success
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a task you hold back to the inbox.")
        @Argument(help: "The task's id (ht-…).")
        var id: String
        @OptionGroup var person: PersonOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let task = try await client.releaseHumanTask(id: id, account: person.account)
                if !output.printStructured(task.json, console: console) { console.print("\(task.id) is back in the inbox.") }
                return ExitStatus.success
            }
        }
    }

    struct Complete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer a task (claiming it first if nobody holds it).",
            discussion: """
                The answer is an object matching the task's form: --answer key=value pairs (typed by
                the form: approved=true is a boolean where the form says boolean), a JSON or YAML
                file, or both (pairs override the file's keys).
                """,
            aliases: ["answer"]
        )
        @Argument(help: "The task's id (ht-…).")
        var id: String
        @Option(name: .customLong("answer"), help: ArgumentHelp("An answer field, key=value; repeat for more.", valueName: "key=value"))
        var pairs: [String] = []
        @Option(help: ArgumentHelp("The answer object from a JSON or YAML file (- for standard input).", valueName: "FILE"))
        var answerFile: String?
        @OptionGroup var person: PersonOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if pairs.isEmpty && answerFile == nil { throw ValidationError("give the answer with --answer key=value or --answer-file FILE") }
        }

        func run() async throws {
            let file = try answerFile.map { try readDocument($0).json }
            try await server.run { client, console in
                // The form types the pairs.
                let form = pairs.isEmpty ? nil : try await client.humanTask(id: id).form
                let answer = try InputArguments.build(file: file, pairs: pairs, schema: form, flag: "--answer", schemaName: "the task's form")
                let task = try await client.completeHumanTask(id: id, answer: answer, account: person.account)
                if !output.printStructured(task.json, console: console) {
                    console.print("\(task.id) \(console.paint(task.status, Formatting.style(forStatus: task.status))); its execution goes on: sluice execution get \(task.executionID)")
                }
                return ExitStatus.success
            }
        }
    }

    struct Reassign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a task to another account, or back to the inbox (an editor's command).")
        @Argument(help: "The task's id (ht-…).")
        var id: String
        @Option(help: "The account to give it to.")
        var to: String?
        @Flag(help: "Nobody: put it back in the inbox.")
        var nobody = false
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if (to == nil) == !nobody { throw ValidationError("give either --to ACCOUNT or --nobody") }
        }

        func run() async throws {
            try await server.run { client, console in
                let task = try await client.reassignHumanTask(id: id, to: to)
                if !output.printStructured(task.json, console: console) {
                    console.print(task.holder.map { "\(task.id) is now held by \($0)." } ?? "\(task.id) is back in the inbox.")
                }
                return ExitStatus.success
            }
        }
    }

    static func row(_ task: HumanTaskInfo, mine: Bool, now: Date, console: Console) -> [String] {
        let state = mine ? console.paint("yours", .bold) : "claimable"
        var due = task.dueAt.map { Formatting.timestamp($0) } ?? ""
        if let at = task.dueAt, at < now { due = console.paint(due + " (overdue)", .red) }
        return [task.id, state, Formatting.truncate(task.title, to: 48), Formatting.age(task.createdAt, now: now), due, task.workflowName ?? task.workflowID]
    }

    static func printDetails(_ task: HumanTaskInfo, console: Console) {
        console.print(console.paint(task.title, .bold) + "  " + console.paint(task.status, Formatting.style(forStatus: task.status)))
        var facts: [[String]] = [["Task", task.id], ["Execution", "\(task.executionID) (workflow \(task.workflowName.map { "\($0), " } ?? "")\(task.workflowID), task \(task.task), attempt \(task.attempt))"]]
        facts.append(["Assignees", task.assignees.isEmpty ? "anyone who may work in \(task.namespace)" : task.assignees.joined(separator: ", ")])
        if let holder = task.holder { facts.append(["Held by", holder + (task.claimedAt.map { " since \(Formatting.timestamp($0))" } ?? "")]) }
        if let answered = task.answeredAt { facts.append(["Answered", Formatting.timestamp(answered)]) }
        if let due = task.dueAt { facts.append(["Due", Formatting.timestamp(due) + (task.onDue == "answer" ? " (then the default answer)" : " (then it fails)")]) }
        for fact in facts { console.print(console.paint(fact[0].padding(toLength: 11, withPad: " ", startingAt: 0), .dim) + fact[1]) }
        if !task.instructions.isEmpty { console.print("\n" + task.instructions) }
        console.print("\n" + console.paint("Input", .bold))
        console.print(Formatting.prettyJSON(task.input))
        let fields = Formatting.schemaSummary(task.form)
        if !fields.isEmpty {
            console.print("\n" + console.paint("Answer form", .bold))
            console.print(Formatting.table(["FIELD", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"], fields))
        }
        if let answer = task.answer { console.print("\n" + console.paint("Answer", .bold) + "\n" + Formatting.prettyJSON(answer)) }
        if let error = task.error { console.print("\n" + console.paint("Error", .bold) + " " + error) }
    }
}
