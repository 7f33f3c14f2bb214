extension StepRegistry {
    /// `Worker.Task`: work done by a program outside the server. The task waits in `queue` until
    /// a worker claims it (`POST /queues/{queue}/claim`), holds it under a lease it renews with
    /// heartbeats, and completes it with an output of the type `output_type` names (or fails
    /// it). A lease that runs out fails the attempt (retryable, so the task's retry policy
    /// decides whether another worker gets it); `timeout_seconds` and cancel apply as to any step.
    static let workerTask = StepType(
        name: "Worker.Task",
        summary: "Waits in `queue` for a worker outside the server to claim it under a lease and complete it with an output of type `output_type` (default json); the worker gets the task's input.",
        input: .any, output: .named(byParameter: "output_type", default: .json),
        parameters: {
            var lease = Schema(type: .number)
            lease.minimum = WorkerTask.minLeaseSeconds
            lease.maximum = WorkerTask.maxLeaseSeconds
            lease.description = "How long a claim lasts without a heartbeat, in seconds (\(WorkerTask.minLeaseSeconds.formattedSeconds) to \(WorkerTask.maxLeaseSeconds.formattedSeconds)); a lease that runs out fails the attempt, and the retry policy decides whether it runs again."
            lease.defaultValue = .number(WorkerTask.defaultLeaseSeconds)
            var queue = Schema.string(minLength: 1).described("The queue workers claim the task from: \(WorkerTask.queueNameRule).")
            queue.maxLength = WorkerTask.maxQueueNameLength
            return .object([
                ("queue", queue),
                ("output_type", Schema.string().described("The type of the worker's output: \(DataType.validNames)").defaulting(to: "json")),
                ("output_schema", Schema(type: .object).described("A JSON Schema the worker's output must match (Sluice's subset: type, properties, required, items, enum, minimum, maximum, minLength, maxLength, additionalProperties, title, description, default), with output_type json (the default); a completion that does not match is a 400 with the paths of its problems.")),
                ("lease_seconds", lease),
            ], required: ["queue"])
        }(),
        parametersRequired: true,
        parameterCheck: { parameters, path in
            var issues: [ValidationIssue] = []
            if let queue = parameters["queue"]?.stringValue, let problem = WorkerTask.queueNameProblem(queue) {
                issues.append(.init(path: IssuePath.member(path, "queue"), code: "invalid_queue", message: problem))
            }
            if let raw = parameters["output_schema"] {
                issues += Schema.parse(raw, path: IssuePath.member(path, "output_schema")).1
                if let type = parameters["output_type"]?.stringValue, type != DataType.json.name {
                    issues.append(.init(path: IssuePath.member(path, "output_schema"), code: "unused",
                                        message: "output_schema describes a JSON output; expected output_type \"json\" (or left out), found \"\(type)\""))
                }
            }
            return issues
        },
        implementation: .external
    )
}

/// The rules of `Worker.Task` parameters and answers, shared by the type checker, the engine and
/// the API.
public enum WorkerTask {
    public static let minLeaseSeconds = Double(Limits.minLeaseSeconds)
    public static let maxLeaseSeconds = Double(Limits.maxLeaseSeconds)
    public static let defaultLeaseSeconds = 60.0
    public static let maxQueueNameLength = Limits.queueNameBytes
    public static let queueNameRule = "lowercase letters, digits, \"-\", \"_\" and \".\", starting with a letter or digit, at most \(Limits.queueNameBytes) characters"

    /// Why `name` is not a queue name, or `nil` if it is one.
    public static func queueNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        func isStart(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard let first = bytes.first else { return "a queue name cannot be empty; expected \(queueNameRule)" }
        if bytes.count > maxQueueNameLength { return "the queue name is \(bytes.count) characters long; expected \(queueNameRule)" }
        if !isStart(first) || !bytes.allSatisfy({ isStart($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }) {
            return "\(JSONValue.string(name).jsonString) is not a queue name; expected \(queueNameRule)"
        }
        return nil
    }

    /// The queue, lease and output type of a `Worker.Task` with these (checked) parameters.
    public static func settings(_ parameters: JSONValue?) -> (queue: String, leaseMilliseconds: Int64, outputType: DataType) {
        let queue = parameters?["queue"]?.stringValue ?? ""
        let lease = parameters?["lease_seconds"]?.numberValue ?? defaultLeaseSeconds
        let type = parameters?["output_type"]?.stringValue.flatMap(DataType.init(name:)) ?? .json
        return (queue, Int64((lease * 1000).rounded()), type)
    }

    /// A worker's output as the task produces it (`{"text": "…"}` for `text`), or why it does not
    /// have the declared type.
    public static func output(_ value: JSONValue, as type: DataType, schema: JSONValue? = nil) -> Result<JSONValue, ValidationFailure> {
        if let why = type.mismatch(in: value) {
            return .failure(ValidationFailure(title: "The output does not have the task's type", issues: [
                .init(path: "output", code: "type_mismatch", message: "expected \(type.name) (the task's output_type): \(why)"),
            ]))
        }
        if let schema, let parsed = Schema.parse(schema, path: "output_schema").0 {
            let issues = parsed.validate(value, path: "output")
            if !issues.isEmpty { return .failure(ValidationFailure(title: "The output does not match the task's output_schema", issues: issues)) }
        }
        return .success([type.field: value])
    }
}

extension Double {
    /// `1 s`, `0.5 s`, `3600 s`.
    var formattedSeconds: String {
        (self == rounded() ? String(Int64(self)) : String(self)) + " s"
    }
}
