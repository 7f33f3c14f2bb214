import Testing
@testable import SluiceCore

/// `"trigger": "all_finished"` with `status.<id>` in `when`, and `render_input`: what the Argo
/// front door's `depends` and `{{tasks.X.outputs.result}}` are built on, usable natively.
@Suite struct TriggerAndRenderTests {
    func plan(_ json: String) throws -> WorkflowPlan {
        try TypeChecker().check(json: try JSONParser.parse(json)).get()
    }

    /// Runs every dispatch to the end; the final status and each task's status by id.
    func runAll(_ p: WorkflowPlan) -> (ExecutionStatus, [String: TaskStatus], [String: JSONValue?]) {
        var m = ExecutionStateMachine(plan: p, executionID: "ex-1", input: [:])
        var statuses: [String: TaskStatus] = [:]
        var parameters: [String: JSONValue?] = [:]
        var queue: [ExecutionStateMachine.Dispatch] = []
        func take(_ o: ExecutionStateMachine.Outcome?) {
            for t in o?.transition?.tasks ?? [] { statuses[p.nodes[t.index].id] = t.status }
            queue += o?.dispatch ?? []
        }
        take(m.start(now: 1))
        while !queue.isEmpty {
            let d = queue.removeFirst()
            let node = p.nodes[d.index]
            parameters[node.id] = d.parameters
            guard case .pure(let f) = node.step.implementation else { continue }
            do throws(StepFailure) {
                take(m.taskSucceeded(d.index, attempt: d.attempt, input: d.input, output: try f(d.input, d.parameters ?? node.parameters), startedAt: 2, completedAt: 3))
            } catch {
                take(m.taskFailed(d.index, attempt: d.attempt, input: d.input, message: error.message, startedAt: 2, completedAt: 3))
            }
        }
        return (m.status, statuses, parameters)
    }

    static func workflow(trigger: String?) -> String {
        let t = trigger.map { #""trigger": "\#($0)", "# } ?? ""
        return """
        {"name": "w", "tasks": [
          {"id": "src", "type": "StaticTextInput", "input": "x"},
          {"id": "boom", "type": "Fail", "depends_on": ["src"], "input": {"message": "no"}},
          {"id": "handler", "type": "TextOperation.Uppercase", "depends_on": ["boom"], \(t)"when": "status.boom == 'FAILED'", "input_from": {"text": "tasks.src.text"}},
          {"id": "after", "type": "Echo", "depends_on": ["handler"]}
        ]}
        """
    }

    @Test func allFinishedRunsAfterAFailureAndTheHandledFailureDoesNotFailTheExecution() throws {
        let (status, tasks, _) = runAll(try plan(Self.workflow(trigger: "all_finished")))
        #expect(tasks["boom"] == .failed)
        #expect(tasks["handler"] == .completed)
        #expect(tasks["after"] == .completed)
        #expect(status == .completed)
    }

    @Test func withoutTheTriggerAFailureSkipsWhatFollowsAndFailsTheExecution() throws {
        let (status, tasks, _) = runAll(try plan(Self.workflow(trigger: nil)))
        #expect(tasks["handler"] == .skipped)
        #expect(tasks["after"] == .skipped)
        #expect(status == .failed)
    }

    @Test func finallyRunsAfterAFailureWithoutHandlingIt() throws {
        let json = Self.workflow(trigger: "finally").replacingFirst("status.boom == 'FAILED'", with: "true")
        let (status, tasks, _) = runAll(try plan(json))
        #expect(tasks["handler"] == .completed)
        #expect(status == .failed)
    }

    @Test func aFalseConditionAfterAFailureLeavesTheFailureUnhandled() throws {
        let json = Self.workflow(trigger: "all_finished").replacingFirst("'FAILED'", with: "'COMPLETED'")
        let (status, tasks, _) = runAll(try plan(json))
        #expect(tasks["handler"] == .skipped)
        #expect(status == .failed)
    }

    @Test func statusReferencesMustNameATaskUpstreamAndTriggerMustBeKnown() throws {
        let bad = try TypeChecker().check(json: try JSONParser.parse(#"{"name": "w", "tasks": [{"id": "a", "type": "StaticTextInput", "input": "x"}, {"id": "b", "type": "Echo", "trigger": "sometimes", "when": "status.c == 'FAILED'"}]}"#))
        guard case .failure(let failure) = bad else { Issue.record("accepted"); return }
        #expect(failure.issues.contains { $0.path == "tasks[1].trigger" })
    }

    @Test func renderInputFillsPlaceholdersFromUpstreamOutputsWhenTheAttemptStarts() throws {
        let p = try plan(#"{"name": "w", "tasks": [{"id": "a", "type": "StaticTextInput", "input": "hi"}, {"id": "b", "type": "TextOperation.Replace", "depends_on": ["a"], "render_input": true, "input": {"find": "h", "replace": "<{{tasks.a.text}}>"}}]}"#)
        let (status, _, parameters) = runAll(p)
        #expect(status == .completed)
        #expect(parameters["b"] == .some(["find": "h", "replace": "<hi>"]))
        let notUpstream = try TypeChecker().check(json: try JSONParser.parse(#"{"name": "w", "tasks": [{"id": "a", "type": "StaticTextInput", "input": "hi"}, {"id": "b", "type": "StaticTextInput", "render_input": true, "input": "{{tasks.a.text}}"}]}"#))
        guard case .failure(let failure) = notUpstream else { Issue.record("accepted"); return }
        #expect(failure.issues.first?.path == "tasks[1].input")
        #expect(failure.issues.first?.message.contains("is not upstream") == true)
    }

    /// `execution.failed` and `execution.failures`: what an exit handler (`"trigger": "finally"`)
    /// reads of the execution so far, in its rendered input and its condition (Argo's
    /// `{{workflow.status}}` and `{{workflow.failures}}` are built on them).
    @Test func aFinallyTaskReadsWhetherTheExecutionFailedAndWhichTasksFailed() throws {
        func exits(failing: Bool) -> String {
            """
            {"name": "w", "tasks": [
              {"id": "src", "type": "StaticTextInput", "input": "x"},
              {"id": "work", "type": "\(failing ? "Fail" : "Echo")", "depends_on": ["src"]\(failing ? #", "input": {"message": "no luck"}"# : "")},
              {"id": "report", "type": "TextOperation.Template", "depends_on": ["work"], "trigger": "finally", "render_input": true,
               "input": {"template": "failed={{execution.failed}} {{execution.failures}}"}},
              {"id": "onFailure", "type": "TextOperation.Template", "depends_on": ["work"], "trigger": "finally", "when": "execution.failed", "input": {"template": "f"}},
              {"id": "onSuccess", "type": "TextOperation.Template", "depends_on": ["work"], "trigger": "finally", "when": "!execution.failed", "input": {"template": "s"}}
            ]}
            """
        }
        let (failedStatus, failedTasks, failedParameters) = runAll(try plan(exits(failing: true)))
        #expect(failedStatus == .failed)
        #expect(failedParameters["report"] == .some(["template": .string(#"failed=true [{"task":"work","message":"no luck"}]"#)]))
        #expect(failedTasks["onFailure"] == .completed)
        #expect(failedTasks["onSuccess"] == .skipped)
        let (okStatus, okTasks, okParameters) = runAll(try plan(exits(failing: false)))
        #expect(okStatus == .completed)
        #expect(okParameters["report"] == .some(["template": "failed=false []"]))
        #expect(okTasks["onFailure"] == .skipped)
        #expect(okTasks["onSuccess"] == .completed)
        // A member `execution` does not have is refused where it is written.
        if case .failure(let f) = TypeChecker().check(json: try JSONParser.parse(#"{"name": "w", "tasks": [{"id": "a", "type": "StaticTextInput", "input": "x", "when": "execution.status == 'x'"}]}"#)) {
            #expect(f.issues.first?.path == "tasks[0].when", "\(f.issues)")
            #expect(f.issues.first?.message.contains("it has no member \"status\"") == true, "\(f.issues)")
        } else {
            Issue.record("execution.status was accepted")
        }
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = firstRange(of: target) else { return self }
        return String(self[..<r.lowerBound]) + replacement + String(self[r.upperBound...])
    }

}
