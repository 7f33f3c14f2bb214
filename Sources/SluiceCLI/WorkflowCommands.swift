import ArgumentParser
import Foundation
import SluiceClient
import SluiceCore

/// `sluice workflow …`: create, list, get, delete and validate workflows.
public struct WorkflowCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Create, list, show, delete and validate workflows.",
        discussion: """
            Examples:
              sluice workflow create -f shout.yaml
              sluice workflow update wf-abcd1234 -f shout.yaml
              sluice workflow list
              sluice workflow get wf-abcd1234 -o yaml
              sluice workflow validate -f shout.yaml
              sluice workflow delete wf-abcd1234
            """,
        subcommands: [Create.self, Update.self, List.self, Get.self, Delete.self, Validate.self],
        aliases: ["workflows", "wf"]
    )

    public init() {}

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a workflow definition from a JSON or YAML file and print its id.",
            discussion: """
                The server checks the definition first (every step type exists, its parameters are
                valid, each step's output fits the next step's input) and stores nothing if any
                check fails; each problem is printed with its path and its line and column in the file.

                Examples:
                  sluice workflow create -f shout.yaml
                  cat shout.json | sluice workflow create -f -
                  ID=$(sluice workflow create -f shout.yaml)
                """
        )
        @Option(name: [.short, .customLong("file")], help: ArgumentHelp("The definition, JSON or YAML; - reads standard input.", valueName: "FILE"))
        var file: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let document = try readDocument(file)
            try await server.run({ client, console in
                let id = try await client.createWorkflow(json: document.body)
                if !output.printStructured(["workflow_id": .string(id)], console: console) { console.print(id) }
                return ExitStatus.success
            }, locate: document.positions(of:))
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a new version of a workflow from a JSON or YAML file and print its number.",
            discussion: """
                The definition is checked as for create. Executions already started keep running
                the version they started with; new ones run the new version. With --if-version,
                the update is refused (exit 2) if someone stored another version since.

                Examples:
                  sluice workflow update wf-abcd1234 -f shout.yaml
                  sluice workflow update wf-abcd1234 -f shout.yaml --if-version 3
                """
        )
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @Option(name: [.short, .customLong("file")], help: ArgumentHelp("The definition, JSON or YAML; - reads standard input.", valueName: "FILE"))
        var file: String
        @Option(help: ArgumentHelp("Store only if this is still the latest version (If-Match).", valueName: "N"))
        var ifVersion: Int?
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let document = try readDocument(file)
            try await server.run({ client, console in
                let version: Int
                do {
                    version = try await client.updateWorkflow(workflowID, json: document.body, ifMatch: ifVersion)
                } catch SluiceClientError.problem(let problem) where problem.status == 412 {
                    // Say it in the command's terms: the flag to use, not the header.
                    let current = problem.detail.firstMatch(of: /is at version (\d+)/).map { String($0.1) } ?? "?"
                    throw InputError("workflow \(workflowID) is at version \(current), not version \(ifVersion ?? 0) as --if-version expected; nothing was stored. See what changed (sluice workflow get \(workflowID) --definition), then update with --if-version \(current)")
                }
                if !output.printStructured(["workflow_id": .string(workflowID), "version": .number(Double(version))], console: console) {
                    console.print(String(version))
                }
                return ExitStatus.success
            }, locate: document.positions(of:))
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a workflow definition without storing it.",
            discussion: """
                The server runs the same checks as for create and reports the same problems; nothing
                is stored. Exits 0 when the definition is valid, 2 when it is not.

                Examples:
                  sluice workflow validate -f shout.yaml
                  sluice workflow validate -f shout.yaml -o json
                """
        )
        @Option(name: [.short, .customLong("file")], help: ArgumentHelp("The definition, JSON or YAML; - reads standard input.", valueName: "FILE"))
        var file: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let document = try readDocument(file)
            try await server.run({ client, console in
                let checked = try await client.validateWorkflow(json: document.body)
                if output.printStructured(checked.json, console: console) { return ExitStatus.success }
                let tasks = checked.graph.tasks.count
                console.print("\(console.paint("✓", .green)) \(document.name) is valid: \"\(checked.name)\", \(tasks) task\(tasks == 1 ? "" : "s")")
                WorkflowCommand.printShape(inputSchema: checked.inputSchema, graph: checked.graph, console: console)
                return ExitStatus.success
            }, locate: document.positions(of:))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List workflows, newest first.",
            discussion: """
                Examples:
                  sluice workflow list
                  sluice workflow list --limit 10 -o json
                """,
            aliases: ["ls"]
        )
        @OptionGroup var page: PageOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let result = try await client.listWorkflows(limit: page.limit, cursor: page.cursor)
                if output.printStructured(result.json, console: console) { return ExitStatus.success }
                if result.items.isEmpty {
                    console.printError("No workflows yet. Create one with: sluice workflow create -f FILE")
                    return ExitStatus.success
                }
                let now = Date()
                console.print(Formatting.table(["WORKFLOW", "NAME", "VERSION", "UPDATED"], result.items.map { w in
                    [w.id, w.name, String(w.version), Formatting.age(w.updatedAt, now: now)]
                }))
                page.printMore(result.nextCursor, console: console)
                return ExitStatus.success
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a workflow: its input, its tasks and the types between them.",
            discussion: """
                Examples:
                  sluice workflow get wf-abcd1234
                  sluice workflow get wf-abcd1234 --version 2 -o yaml
                  sluice workflow get wf-abcd1234 --definition -o yaml > wf.yaml   # edit, then:
                  sluice workflow update wf-abcd1234 -f wf.yaml
                """
        )
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @Option(help: "A stored version instead of the latest.")
        var version: Int?
        @Flag(help: "Print only the definition as it was sent (JSON; YAML with -o yaml), to edit and store again with `workflow update`.")
        var definition = false
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await server.run { client, console in
                let workflow: Workflow
                if let version { workflow = try await client.workflow(workflowID, version: version) } else { workflow = try await client.workflow(workflowID) }
                if definition {
                    if !output.printStructured(workflow.definition, console: console) { console.print(Formatting.prettyJSON(workflow.definition)) }
                    return ExitStatus.success
                }
                if output.printStructured(workflow.json, console: console) { return ExitStatus.success }
                var fields: [(String, String)] = [("Workflow", workflow.id), ("Name", workflow.name)]
                if let description = workflow.description { fields.append(("Description", description)) }
                fields.append(("Version", String(workflow.version)))
                fields.append(("Created", Formatting.timestamp(workflow.createdAt)))
                if let updated = workflow.updatedAt { fields.append(("Updated", Formatting.timestamp(updated))) }
                printFields(fields, console: console)
                WorkflowCommand.printShape(inputSchema: workflow.inputSchema, graph: workflow.graph, console: console)
                return ExitStatus.success
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a workflow with its versions, executions, logs, events and webhooks.",
            discussion: """
                Refused (exit 2, nothing deleted) while the workflow has unfinished executions
                (cancel them first) or another workflow runs it with Workflow.Run.

                Example:
                  sluice workflow delete wf-abcd1234
                """,
            aliases: ["rm"]
        )
        @Argument(help: "The workflow's id (wf-…).")
        var workflowID: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            try await server.run { client, console in
                try await client.deleteWorkflow(workflowID)
                console.print("deleted workflow \(workflowID)")
                return ExitStatus.success
            }
        }
    }

    /// The input a workflow takes and its tasks with their types.
    static func printShape(inputSchema: JSONValue, graph: WorkflowGraph, console: Console) {
        let inputs = Formatting.schemaSummary(inputSchema)
        console.print()
        if inputs.isEmpty {
            console.print("Input: none")
        } else {
            console.print("Input:")
            console.print(indent(Formatting.table(["NAME", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"], inputs)))
        }
        console.print()
        console.print("Tasks:")
        console.print(indent(Formatting.table(["TASK", "TYPE", "TAKES", "GIVES", "DEPENDS ON"], graph.tasks.map { t in
            [t.id, t.type, t.inputType, t.outputType, t.dependsOn.joined(separator: ", ")]
        })))
    }
}

/// `--limit` and `--cursor` of list commands.
struct PageOptions: ParsableArguments {
    @Option(help: "How many to show (1–500). [default: 50]")
    var limit: Int?
    @Option(help: "Continue a list from the cursor a previous page printed.")
    var cursor: String?

    func validate() throws {
        if let limit, !(1...500).contains(limit) { throw ValidationError("--limit must be from 1 to 500, found \(limit)") }
    }

    /// Tells (on standard error, so pipes see only rows) how to read the next page.
    func printMore(_ next: String?, console: Console) {
        guard let next else { return }
        console.printError(console.paint("More: add --cursor \(next)", .dim))
    }
}

/// Reads `-f FILE`, as a usage error when it cannot be read.
func readDocument(_ path: String) throws -> DocumentFile {
    do {
        return try DocumentFile.read(path)
    } catch {
        let console = Console.current
        console.printError("\(console.paint("error:", .red)) \(error.description)")
        throw ExitCode(ExitStatus.usage)
    }
}

/// `Name:  value` lines, aligned.
func printFields(_ fields: [(String, String)], console: Console) {
    let width = (fields.map { $0.0.count }.max() ?? 0) + 2
    for (name, value) in fields {
        console.print((name + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value)
    }
}

func indent(_ text: String, by prefix: String = "  ") -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n")
}
