import Foundation
import SluiceClient
import SluiceCore

/// How an execution reads for people: the summary line, the details view, the task table.
public enum ExecutionReport {
    /// `ex-… COMPLETED in 1.25s (3/3 tasks)`; `… in 0ms, 13ms after it was queued` when it
    /// waited before it started; `FAILED in 2.10s (1 of 4 tasks completed, 1 failed, 2 skipped)`
    /// for a failure, which step failed and why.
    public static func summaryLine(_ e: Execution, now: Date = Date(), console: Console) -> String {
        var line = "\(e.id) \(console.paint(e.status.rawValue, Formatting.style(forStatus: e.status.rawValue)))"
        let started = e.startedAt ?? e.createdAt
        line += (e.status.isTerminal ? " in " : " for ") + Formatting.duration((e.completedAt ?? now).timeIntervalSince(started))
        let queued = started.timeIntervalSince(e.createdAt)
        if e.startedAt != nil, queued >= 0.001 { line += ", \(Formatting.duration(queued)) after it was queued" }
        line += " (\(taskCounts(e)))"
        if let error = e.error {
            let step = error.stepID.flatMap { id in e.task(id) }.map { " at \($0.stepID) (\($0.type))" } ?? ""
            line += step + ": " + error.message
        }
        return line
    }

    /// `3/3 tasks` when every task completed or the execution is still under way; otherwise how
    /// many tasks ended which way: `1 of 4 tasks completed, 1 failed, 2 skipped`.
    static func taskCounts(_ e: Execution) -> String {
        let completed = e.tasks.filter { $0.status == .completed }.count
        guard e.status.isTerminal, completed < e.tasks.count else { return "\(e.completedTasks)/\(e.totalTasks) tasks" }
        var parts = ["\(completed) of \(e.tasks.count) tasks completed"]
        for status in [ExecutionTask.Status.failed, .cancelled, .skipped] {
            let n = e.tasks.filter { $0.status == status }.count
            if n > 0 { parts.append("\(n) \(status.rawValue.lowercased())") }
        }
        return parts.joined(separator: ", ")
    }

    /// What `--wait` prints: the summary line, then the output (completed) as JSON.
    public static func printResult(_ e: Execution, console: Console) {
        console.print(summaryLine(e, console: console))
        if e.status == .completed, let output = e.output {
            console.print(Formatting.prettyJSON(output))
        }
    }

    /// The details of `execution get`.
    public static func printDetails(_ e: Execution, now: Date = Date(), console: Console) {
        var fields: [(String, String)] = [
            ("Execution", e.id),
            ("Workflow", "\(e.workflowID) (version \(e.workflowVersion))"),
            ("Status", console.paint(e.status.rawValue, Formatting.style(forStatus: e.status.rawValue)) + "  \(taskCounts(e))"),
            ("Created", Formatting.timestamp(e.createdAt) + " (\(Formatting.age(e.createdAt, now: now)) ago)"),
        ]
        if let started = e.startedAt { fields.append(("Duration", Formatting.elapsed(from: started, to: e.completedAt, now: now) + (e.status.isTerminal ? "" : " so far"))) }
        fields.append(("Input", Formatting.compact(e.input)))
        if let output = e.output { fields.append(("Output", Formatting.compact(output))) }
        if let error = e.error { fields.append(("Error", error.message + (error.stepID.map { " (step \($0))" } ?? ""))) }
        printFields(fields, console: console)
        console.print()
        console.print(taskTable(e, now: now, console: console))
    }

    /// One row per task: step, type, status, attempt, duration, note (error, skip reason, retry time).
    public static func taskTable(_ e: Execution, now: Date = Date(), console: Console) -> String {
        Formatting.table(["TASK", "TYPE", "STATUS", "ATTEMPTS", "DURATION", "NOTE"], e.tasks.map { t in
            [t.stepID, t.type, console.paint(t.status.rawValue, Formatting.style(forStatus: t.status.rawValue)),
             t.attempt == 0 ? "" : String(t.attempt), Formatting.elapsed(from: t.startedAt, to: t.completedAt, now: now), note(t, now: now)]
        })
    }

    /// Why a task is where it is: its error, when it retries, when a Delay wakes.
    static func note(_ t: ExecutionTask, now: Date) -> String {
        if t.status == .retrying, let next = t.nextAttemptAt {
            let last = t.attempts.last.map { ": \($0.error.message)" } ?? ""
            return "next attempt in \(Formatting.duration(next.timeIntervalSince(now)))\(last)"
        }
        if t.status == .running, let wakes = t.wakesAt { return "waits \(Formatting.duration(wakes.timeIntervalSince(now))) more" }
        if let error = t.error { return Formatting.truncate(error.message, to: 100) }
        if t.status == .skipped { return "skipped" }
        return ""
    }
}
