/// The life of one execution as a value: it is told what happened to its tasks and answers with
/// the transition to commit and the tasks to run next. It performs no I/O; the engine commits each
/// transition before it acts on the answer.
public struct ExecutionStateMachine: Sendable {
    /// A task the engine should run now, with its input.
    public struct Dispatch: Sendable, Hashable {
        public var executionID: String
        public var index: Int
        public var input: JSONValue
    }

    /// What the engine must do after an event: commit `transition` (if any), and once committed,
    /// run `dispatch`. `finished` says the transition ends the execution.
    public struct Outcome: Sendable {
        public var transition: ExecutionTransition?
        public var dispatch: [Dispatch]
        public var finished: Bool
    }

    enum Phase: Sendable, Hashable {
        case waiting
        case running
        case completed
        case failed
        case skipped
    }

    public let plan: WorkflowPlan
    public let executionID: String
    public let input: JSONValue
    public private(set) var status: ExecutionStatus
    var phases: [Phase]
    var outputs: [JSONValue?]
    var remainingDependencies: [Int]
    var firstFailure: (index: Int, message: String)?

    /// A new execution: every task waiting.
    public init(plan: WorkflowPlan, executionID: String, input: JSONValue) {
        self.plan = plan
        self.executionID = executionID
        self.input = input
        self.status = .pending
        self.phases = Array(repeating: .waiting, count: plan.nodes.count)
        self.outputs = Array(repeating: nil, count: plan.nodes.count)
        self.remainingDependencies = plan.nodes.map(\.dependencies.count)
    }

    /// An execution rebuilt from what the store holds. A task found `RUNNING` was interrupted and
    /// runs again (at least once).
    public init(plan: WorkflowPlan, executionID: String, input: JSONValue, status: ExecutionStatus, tasks: [(status: TaskStatus, output: JSONValue?, error: String?)]) {
        self.init(plan: plan, executionID: executionID, input: input)
        self.status = status
        for (i, t) in tasks.enumerated() where i < phases.count {
            switch t.status {
            case .pending, .running: phases[i] = .waiting
            case .completed: phases[i] = .completed; outputs[i] = t.output
            case .failed:
                phases[i] = .failed
                if firstFailure == nil { firstFailure = (i, t.error ?? "failed") }
            case .skipped: phases[i] = .skipped
            }
        }
        for node in plan.nodes {
            remainingDependencies[node.index] = node.dependencies.filter { phases[$0] != .completed }.count
        }
    }

    /// Starts (or resumes) the execution: the tasks ready to run, or the final transition if
    /// nothing is left to run.
    public mutating func start(now: Int64) -> Outcome {
        var dispatch: [Dispatch] = []
        for node in plan.nodes where phases[node.index] == .waiting && remainingDependencies[node.index] == 0 {
            phases[node.index] = .running
            dispatch.append(Dispatch(executionID: executionID, index: node.index, input: input(for: node.index)))
        }
        if dispatch.isEmpty && !phases.contains(.running) && !status.isTerminal {
            var transition = ExecutionTransition(executionID: executionID, tasks: [])
            transition.execution = finish(now: now, startedAt: now)
            return Outcome(transition: transition, dispatch: [], finished: true)
        }
        return Outcome(transition: nil, dispatch: dispatch, finished: false)
    }

    /// Task `index` produced `output`.
    public mutating func taskSucceeded(_ index: Int, input: JSONValue, output: JSONValue, startedAt: Int64, completedAt: Int64) -> Outcome {
        precondition(phases[index] == .running, "task \(index) completed while not running")
        phases[index] = .completed
        outputs[index] = output
        var transition = ExecutionTransition(executionID: executionID, tasks: [
            TaskChange(index: index, expected: [.pending, .running], status: .completed, input: input, output: output, startedAt: startedAt, completedAt: completedAt),
        ])
        var dispatch: [Dispatch] = []
        for d in plan.nodes[index].dependents {
            remainingDependencies[d] -= 1
            if remainingDependencies[d] == 0 && phases[d] == .waiting {
                phases[d] = .running
                dispatch.append(Dispatch(executionID: executionID, index: d, input: self.input(for: d)))
            }
        }
        let finished = advance(&transition, startedAt: startedAt, now: completedAt)
        return Outcome(transition: transition, dispatch: dispatch, finished: finished)
    }

    /// Task `index` failed with `message`: the tasks downstream of it are skipped; independent
    /// branches go on, and the execution fails once nothing is left running.
    public mutating func taskFailed(_ index: Int, input: JSONValue, message: String, startedAt: Int64, completedAt: Int64) -> Outcome {
        precondition(phases[index] == .running, "task \(index) failed while not running")
        phases[index] = .failed
        if firstFailure == nil { firstFailure = (index, message) }
        var transition = ExecutionTransition(executionID: executionID, tasks: [
            TaskChange(index: index, expected: [.pending, .running], status: .failed, input: input, error: ["message": .string(message)], startedAt: startedAt, completedAt: completedAt),
        ])
        var stack = plan.nodes[index].dependents
        while let d = stack.popLast() {
            guard phases[d] == .waiting else { continue }
            phases[d] = .skipped
            transition.tasks.append(TaskChange(index: d, expected: [.pending], status: .skipped, completedAt: completedAt))
            stack += plan.nodes[d].dependents
        }
        let finished = advance(&transition, startedAt: startedAt, now: completedAt)
        return Outcome(transition: transition, dispatch: [], finished: finished)
    }

    /// Whether every task has finished.
    public var allTasksFinished: Bool { !phases.contains(.waiting) && !phases.contains(.running) }

    /// The execution's output so far: see `WorkflowPlan.outputNodes`.
    public var output: JSONValue? {
        let produced = plan.outputNodes.filter { outputs[$0] != nil }
        if plan.outputNodes.count == 1 { return produced.first.flatMap { outputs[$0] } }
        var o = JSONObject()
        for i in produced { o.append(plan.nodes[i].id, outputs[i]!) }
        return .object(o)
    }

    /// Adds the execution's own change to `transition`: RUNNING on its first task, and the final
    /// status once every task has finished. Returns whether the execution finished.
    mutating func advance(_ transition: inout ExecutionTransition, startedAt: Int64, now: Int64) -> Bool {
        if allTasksFinished {
            transition.execution = finish(now: now, startedAt: status == .pending ? startedAt : nil)
            return true
        }
        if status == .pending {
            status = .running
            transition.execution = ExecutionChange(status: .running, startedAt: startedAt)
        }
        return false
    }

    mutating func finish(now: Int64, startedAt: Int64?) -> ExecutionChange {
        if let failure = firstFailure {
            status = .failed
            let node = plan.nodes[failure.index]
            let error: JSONValue = [
                "message": .string("task \"\(node.id)\" (\(node.step.name)) failed: \(failure.message)"),
                "step_id": .string(node.id),
            ]
            return ExecutionChange(status: .failed, error: error, startedAt: startedAt, completedAt: now)
        }
        status = .completed
        return ExecutionChange(status: .completed, output: output ?? .null, startedAt: startedAt, completedAt: now)
    }

    /// The input of task `index`, assembled from the execution input (entry tasks), its
    /// parameters (sources) or its dependencies' outputs (the first listed wins on a clash).
    public func input(for index: Int) -> JSONValue {
        let node = plan.nodes[index]
        if let source = StepRegistry.sourceValue(for: node.step, parameters: node.parameters) { return source }
        var merged: JSONValue
        if node.dependencies.isEmpty {
            merged = input
        } else {
            var o = JSONObject()
            for d in node.dependencies {
                guard case .object(let produced)? = outputs[d] else { continue }
                for m in produced where o[m.key] == nil { o.append(m.key, m.value) }
            }
            merged = .object(o)
        }
        if case .value(let t) = node.step.input {
            merged = [t.field: merged[t.field] ?? .null]
        }
        return merged
    }
}
