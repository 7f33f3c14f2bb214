import SluiceCore
@testable import SluiceArgo

/// A stand-in `Container.Run` for checking translations with Sluice's own checker and state
/// machine: it "runs" a container by echoing its args (or the script's source), so that a test
/// sees what each task was given, in microseconds.
enum FakeContainer {
    static let stepType = StepType(
        name: "Container.Run", summary: "test double", input: .any, output: .value(.json),
        parameters: Schema(type: .object), parametersRequired: true,
        implementation: .pure { _, parameters throws(StepFailure) in
            let args = parameters?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let text = (parameters?["source"]?.stringValue ?? args.joined(separator: " ")) + inputArtifacts(parameters)
            if text.hasPrefix("fail") { throw StepFailure("container busybox exited with code 3; expected 0 (success_exit_codes)", retryable: true) }
            var output = JSONObject([("stdout", .string(text + "\n")), ("exit_code", 0), ("result", .string(text))])
            // Each output file holds "<its path>: <the args>".
            if case .object(let files)? = parameters?["output_files"] {
                output.append("files", .object(JSONObject(files.map { ($0.key, .string("\($0.value.stringValue ?? ""): \(text)")) })))
            }
            // Each output artifact is "saved" as fake/1/NAME, but for a path with "missing" in it.
            if case .object(let outputs)? = parameters?["output_artifacts"] {
                let saved = outputs.filter { !($0.value["path"]?.stringValue ?? "").contains("missing") }
                output.append("artifacts", .object(JSONObject(saved.map { ($0.key, ["key": .string("fake/1/\($0.key)"), "path": $0.value["path"] ?? ""]) })))
            }
            return ["json": .object(output)]
        }
    )

    /// Each input artifact as " <NAME=FROM>" (its store key, rendered) or " <NAME=raw:TEXT>".
    static func inputArtifacts(_ parameters: JSONValue?) -> String {
        guard case .object(let inputs)? = parameters?["input_artifacts"] else { return "" }
        return inputs.map { m in " <\(m.key)=\(m.value["raw"]?.stringValue.map { "raw:" + $0 } ?? m.value["from"]?.stringValue ?? "")>" }.joined()
    }

    static var checker: TypeChecker {
        var registry = StepRegistry.builtin
        registry.register(stepType)
        return TypeChecker(registry: registry)
    }

    /// Runs `plan` to its end with the fake step: each task's rendered parameters, by task id,
    /// and the final task states.
    static func run(_ plan: WorkflowPlan) -> (args: [String: String], tasks: [String: ArgoExecutionState.Task], status: ExecutionStatus) {
        var machine = ExecutionStateMachine(plan: plan, executionID: "ex-1", input: [:])
        var args: [String: String] = [:]
        var tasks: [String: ArgoExecutionState.Task] = [:]
        var now: Int64 = 1_764_720_000_000
        var queue = apply(machine.start(now: now), &tasks, plan)
        var status = ExecutionStatus.running
        var head = 0
        while head < queue.count {
            // By index: `removeFirst` would move the whole queue for each task of a large fan-out.
            let d = queue[head]
            head += 1
            let node = plan.nodes[d.index]
            let parameters = d.parameters ?? node.parameters
            args[node.id] = (parameters?["args"]?.arrayValue?.compactMap(\.stringValue).joined(separator: " ") ?? parameters?["source"]?.stringValue).map { $0 + inputArtifacts(parameters) }
            now += 1000
            guard case .pure(let f) = node.step.implementation else { continue }
            let outcome: ExecutionStateMachine.Outcome?
            do throws(StepFailure) {
                let output: JSONValue
                if let map = node.map {
                    // A withParam over a run-time result: the container once per item.
                    let perItem = d.bindings.flatMap { b in node.parameterTemplate.map { MapPlan.ItemParameters(template: $0, bindings: b) } }
                    output = try map.runPure(d.input, itemParameters: perItem)
                    if case .array(let items)? = d.input["list"] {
                        args[node.id] = items.map { item in
                            let p = map.parameters(forStep: 0, item: item, perItem)
                            return p?["args"]?.arrayValue?.compactMap(\.stringValue).joined(separator: " ") ?? ""
                        }.joined(separator: " | ")
                    }
                } else {
                    output = try f(d.input, parameters)
                }
                outcome = machine.taskSucceeded(d.index, attempt: d.attempt, input: d.input, output: output, startedAt: now - 500, completedAt: now)
            } catch {
                outcome = machine.taskFailed(d.index, attempt: d.attempt, input: d.input, message: error.message, retryable: error.retryable, startedAt: now - 500, completedAt: now)
                if let outcome, outcome.timers.contains(where: { if case .retry = $0.timer { return true } else { return false } }) {
                    tasks[node.id, default: .init(status: .retrying)].failedAttempts.append(["attempt": .number(Double(d.attempt)), "error": ["message": .string(error.message)]])
                    queue += apply(outcome, &tasks, plan)
                    for t in outcome.timers { if let o = machine.timerFired(t.timer, now: now) { queue += apply(o, &tasks, plan) } }
                    continue
                }
            }
            if let outcome {
                queue += apply(outcome, &tasks, plan)
                if outcome.finished { status = machine.status }
            }
        }
        return (args, tasks, machine.status == .running ? status : machine.status)
    }

    static func apply(_ outcome: ExecutionStateMachine.Outcome, _ tasks: inout [String: ArgoExecutionState.Task], _ plan: WorkflowPlan) -> [ExecutionStateMachine.Dispatch] {
        for change in outcome.transition?.tasks ?? [] {
            let id = plan.nodes[change.index].id
            var t = tasks[id] ?? .init(status: .pending)
            t.status = change.status
            if let o = change.output { t.output = o }
            if let i = change.input { t.input = i }
            if let e = change.error { t.error = e }
            if let s = change.startedAt { t.startedAt = s }
            if let c = change.completedAt { t.completedAt = c }
            tasks[id] = t
        }
        return outcome.dispatch
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
}

/// Parses JSON written in a test.
func json(_ text: String) -> JSONValue { try! JSONParser.parse(text) }

/// Translates `workflow` as `hello` in namespace `argo`, failing the test on problems.
func translate(_ workflow: String, name: String = "hello") throws -> ArgoTranslation {
    switch ArgoTranslator.translate(json(workflow), name: name, namespace: "argo", uid: "uid-1") {
    case .success(let t): return t
    case .failure(let f): throw f
    }
}

/// The problems `workflow` has, as `path: message`.
func problems(_ workflow: String) -> [String] {
    switch ArgoTranslator.translate(json(workflow), name: "hello", namespace: "argo", uid: "uid-1") {
    case .success: return []
    case .failure(let f): return f.issues.map(\.description)
    }
}
