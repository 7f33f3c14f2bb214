import ArgumentParser
import Foundation
import SluiceClient
import SluiceCore

/// `sluice run WORKFLOW_ID`: start an execution, and with `--wait` or `--watch` follow it to the end.
public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start an execution of a workflow.",
        discussion: """
            The input is checked against the workflow's input schema before anything is queued.
            A --input value is read by the type the schema gives its key: as text for a string,
            as a number, boolean or JSON otherwise; untyped keys take JSON when it parses, else text.

            Without --wait or --watch, prints the execution id and returns at once. With --wait,
            prints a summary line and the output when the execution finishes; with --watch, shows
            the tasks live (on a terminal) until then. Exit code 1 when it failed or was cancelled.

            Examples:
              sluice run wf-abcd1234 --input text=hello --wait
              sluice run wf-abcd1234 --input-file input.yaml --input count=3 --watch
              sluice run wf-abcd1234 --input text=hello --wait -o json | jq .output
            """
    )

    @Argument(help: "The workflow's id (wf-…).")
    var workflowID: String
    @OptionGroup var execution: ExecutionInputOptions
    @OptionGroup var follow: FollowOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    public init() {}

    public func run() async throws {
        let file = try execution.inputFile.map { try readDocument($0).json }
        try await server.run { client, console in
            var schema: JSONValue?
            if !execution.inputs.isEmpty {
                // The schema types the --input values.
                if let version = execution.version {
                    schema = try await client.workflow(workflowID, version: version).inputSchema
                } else {
                    schema = try await client.workflow(workflowID).inputSchema
                }
            }
            let input = try InputArguments.build(file: file, pairs: execution.inputs, schema: schema)
            let started = try await client.execute(workflowID, input: input, webhookURL: execution.webhookURL, version: execution.version, idempotencyKey: execution.idempotencyKey)
            if started.replayed { console.printError(console.paint("The idempotency key was used before: this is that request's execution; nothing new was started.", .dim)) }
            let secret = started.webhookSecret.map { [("webhook_secret", JSONValue.string($0))] } ?? []
            return try await follow.started(started.executionID, workflowID: workflowID, extra: secret, client: client, output: output, console: console)
        }
    }
}

/// What to start an execution with.
struct ExecutionInputOptions: ParsableArguments {
    @Option(name: .customLong("input"), help: ArgumentHelp("An input value, key=value; repeat for more keys.", valueName: "key=value"))
    var inputs: [String] = []
    @Option(help: ArgumentHelp("The input object from a JSON or YAML file (- for standard input); --input values override its keys.", valueName: "FILE"))
    var inputFile: String?
    @Option(help: "Run this workflow version instead of the latest.")
    var version: Int?
    @Option(help: "Start at most one execution for this key: repeating the command returns the first one's id.")
    var idempotencyKey: String?
    @Option(help: ArgumentHelp("Send this execution's events to this URL, signed (Standard Webhooks).", valueName: "URL"))
    var webhookURL: String?

    func validate() throws {
        for pair in inputs {
            do { _ = try InputArguments.split(pair) } catch { throw ValidationError(error.description) }
        }
    }
}

/// `--wait`, `--watch` and `--timeout`.
struct FollowOptions: ParsableArguments {
    @Flag(help: "Wait until the execution finishes, then print a summary line and its output.")
    var wait = false
    @Flag(help: "Show the tasks live until the execution finishes (a summary line when not on a terminal).")
    var watch = false
    @Option(help: ArgumentHelp("With --wait or --watch: give up after this long (e.g. 90s, 5m, 1h); the execution keeps running. [default: no limit]", valueName: "DURATION"))
    var timeout: String?

    func validate() throws {
        if wait && watch { throw ValidationError("--wait and --watch cannot be used together; --watch also waits") }
        if let timeout {
            guard DurationText.parse(timeout) != nil else { throw ValidationError("--timeout expects a duration such as 90s, 5m or 1h, found \"\(timeout)\"") }
            if !wait && !watch { throw ValidationError("--timeout needs --wait or --watch") }
        }
    }

    var limit: Duration { timeout.flatMap(DurationText.parse) ?? .seconds(100 * 365 * 86400) }

    /// After starting (or retrying) an execution: follows it with `--wait`/`--watch`; else prints
    /// its id, or `{"execution_id", "workflow_id", …extra}` with `-o json|yaml`.
    func started(_ executionID: String, workflowID: String, extra: [(String, JSONValue)] = [], client: SluiceClient, output: OutputOptions, console: Console) async throws -> Int32 {
        if wait || watch {
            return try await follow(client: client, workflowID: workflowID, executionID: executionID, output: output, console: console)
        }
        let json = JSONObject([("execution_id", .string(executionID)), ("workflow_id", .string(workflowID))] + extra)
        if !output.printStructured(.object(json), console: console) { console.print(executionID) }
        return ExitStatus.success
    }

    /// Waits (or watches) until the execution finishes, prints the result and returns the exit code.
    func follow(client: SluiceClient, workflowID: String, executionID: String, output: OutputOptions, console: Console) async throws -> Int32 {
        let finished: Execution
        if watch && console.isTerminal && output.format == .table {
            finished = try await WatchView(client: client, console: console).watch(workflowID: workflowID, executionID: executionID, timeout: limit)
        } else {
            finished = try await client.waitForCompletion(workflowID: workflowID, executionID: executionID, timeout: limit)
        }
        if !output.printStructured(finished.json, console: console) {
            ExecutionReport.printResult(finished, console: console)
        }
        return finished.status == .completed ? ExitStatus.success : ExitStatus.executionFailed
    }
}

/// `90s`, `5m`, `1h30m`, `250ms`, or plain seconds.
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        var total: Double = 0
        var number = ""
        var rest = Substring(text)
        var any = false
        while !rest.isEmpty {
            number = String(rest.prefix { $0.isNumber || $0 == "." })
            rest = rest.dropFirst(number.count)
            let unit = String(rest.prefix { $0.isLetter })
            rest = rest.dropFirst(unit.count)
            guard let value = Double(number) else { return nil }
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: return nil
            }
            total += value * scale
            any = true
        }
        return any ? .milliseconds(Int64(total * 1000)) : nil
    }
}
