import Foundation
@testable import SluiceCLI
@testable import SluiceClient
import SluiceCore
import Testing

@Suite struct FormattingTests {
    @Test func tableAlignsColumnsOnTheWidestCellIgnoringColourCodes() {
        let red = "\u{1B}[31mFAILED\u{1B}[0m"
        let text = Formatting.table(["ID", "STATUS", "AGE"], [["ex-1", red, "3s"], ["ex-22222", "COMPLETED", "10m"]])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "ID        STATUS     AGE")
        #expect(lines[1] == "ex-1      \(red)     3s")
        #expect(lines[2] == "ex-22222  COMPLETED  10m")
    }

    @Test func tableDoesNotPadTheLastColumn() {
        #expect(Formatting.table(["A", "B"], [["x", ""]]) == "A  B\nx")
    }

    @Test func durationsReadAsPeopleWriteThem() {
        #expect(Formatting.duration(0.0004) == "0ms")
        #expect(Formatting.duration(0.85) == "850ms")
        #expect(Formatting.duration(1.25) == "1.25s")
        #expect(Formatting.duration(42.9) == "42s")
        #expect(Formatting.duration(185) == "3m05s")
        #expect(Formatting.duration(2 * 3600 + 600) == "2h10m")
        #expect(Formatting.duration(3 * 86400 + 4 * 3600) == "3d4h")
    }

    @Test func agesFollowKubectl() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(Formatting.age(now.addingTimeInterval(-5), now: now) == "5s")
        #expect(Formatting.age(now.addingTimeInterval(-190), now: now) == "3m")
        #expect(Formatting.age(now.addingTimeInterval(-7300), now: now) == "2h")
        #expect(Formatting.age(now.addingTimeInterval(-4 * 86400), now: now) == "4d")
    }

    @Test func prettyJSONIndentsAndKeepsTheServersKeyOrder() {
        let value: JSONValue = ["z": 1, "a": ["x": [1, "two"], "e": [], "o": [:]], "n": nil]
        #expect(Formatting.prettyJSON(value) == """
            {
              "z": 1,
              "a": {
                "x": [
                  1,
                  "two"
                ],
                "e": [],
                "o": {}
              },
              "n": null
            }
            """)
    }

    @Test func schemaSummaryListsEachPropertyWithTypeRequiredDefaultAndDescription() {
        let schema: JSONValue = ["type": "object", "properties": [
            "text": ["type": "string", "description": "what to shout"],
            "mode": ["type": "string", "enum": ["a", "b"], "default": "a"],
        ], "required": ["text"]]
        #expect(Formatting.schemaSummary(schema) == [
            ["text", "string", "yes", "", "what to shout"],
            ["mode", "string (\"a\", \"b\")", "no", "\"a\"", ""],
        ])
    }

    @Test func colourIsOnlyAddedWhenTheConsoleColours() {
        #expect(Console.capturing(color: false).paint("x", .red) == "x")
        #expect(Console.capturing(terminal: true, color: true).paint("x", .red) == "\u{1B}[31mx\u{1B}[0m")
    }

    static let failedExecution: JSONValue = [
        "execution_id": "ex-aaaa1111", "workflow_id": "wf-bbbb2222", "workflow_version": 3, "status": "FAILED",
        "created_at": "2026-11-27T10:00:00.000Z", "started_at": "2026-11-27T10:00:00.000Z", "completed_at": "2026-11-27T10:00:01.500Z",
        "input": ["text": "hi"], "output": nil,
        "error": ["message": "boom", "step_id": "fetch"],
        "progress": ["completed": 2, "total": 3],
        "tasks": [
            ["task_id": "task-1", "step_id": "step-1", "type": "TextOperation.Uppercase", "status": "COMPLETED", "attempt": 1,
             "started_at": "2026-11-27T10:00:00.000Z", "completed_at": "2026-11-27T10:00:00.250Z"],
            ["task_id": "task-2", "step_id": "fetch", "type": "HTTP.Request", "status": "FAILED", "attempt": 2,
             "started_at": "2026-11-27T10:00:00.250Z", "completed_at": "2026-11-27T10:00:01.500Z", "error": ["message": "boom"]],
            ["task_id": "task-3", "step_id": "step-3", "type": "Echo", "status": "CANCELLED", "attempt": 0],
        ],
    ]

    @Test func summaryLineNamesTheStatusDurationProgressAndTheFailingStep() throws {
        let execution = try Execution(json: Self.failedExecution)
        #expect(ExecutionReport.summaryLine(execution, console: .capturing()) == "ex-aaaa1111 FAILED in 1.50s (1 of 3 tasks completed, 1 failed, 1 cancelled) at fetch (HTTP.Request): boom")
    }

    @Test func detailsCountTasksByHowTheyEndedNotAsAllDone() throws {
        // `execution get` counted finished tasks ("FAILED  5/5 tasks" once all had ended), as the
        // summary line did before.
        let console = Console.capturing()
        ExecutionReport.printDetails(try Execution(json: Self.failedExecution), console: console)
        let status = console.captured.out.split(separator: "\n").first { $0.hasPrefix("Status:") }
        #expect(status == "Status:    FAILED  1 of 3 tasks completed, 1 failed, 1 cancelled", "\(console.captured.out)")
    }

    /// `json` with some members replaced (`.null` removes nothing: it sets null).
    static func changing(_ json: JSONValue, _ members: [(String, JSONValue)]) -> JSONValue {
        var o = json.objectValue ?? JSONObject()
        for (k, v) in members { o[k] = v }
        return .object(o)
    }

    @Test func summaryLineSaysHowLongAnExecutionWaitedBeforeItRan() throws {
        let json = Self.changing(Self.failedExecution, [
            ("status", "COMPLETED"), ("error", .null), ("created_at", "2026-11-27T09:59:59.987Z"),
            ("started_at", "2026-11-27T10:00:01.500Z"), ("completed_at", "2026-11-27T10:00:01.500Z"),
            ("tasks", [["task_id": "task-1", "step_id": "step-1", "type": "Echo", "status": "COMPLETED", "attempt": 1]]),
            ("progress", ["completed": 1, "total": 1]),
        ])
        #expect(ExecutionReport.summaryLine(try Execution(json: json), console: .capturing()) == "ex-aaaa1111 COMPLETED in 0ms, 1.51s after it was queued (1/1 tasks)")
    }

    @Test func taskTableShowsEachTaskWithAttemptsDurationAndError() throws {
        let execution = try Execution(json: Self.failedExecution)
        let lines = ExecutionReport.taskTable(execution, console: .capturing()).split(separator: "\n").map(String.init)
        #expect(lines == [
            "TASK    TYPE                     STATUS     ATTEMPTS  DURATION  NOTE",
            "step-1  TextOperation.Uppercase  COMPLETED  1         250ms",
            "fetch   HTTP.Request             FAILED     2         1.25s     boom",
            "step-3  Echo                     CANCELLED",
        ])
        let skipped = Self.changing(Self.failedExecution, [("tasks", [["task_id": "task-3", "step_id": "step-3", "type": "Echo", "status": "SKIPPED", "attempt": 0]])])
        #expect(ExecutionReport.taskTable(try Execution(json: skipped), console: .capturing()).hasSuffix("SKIPPED                      skipped"),
                "a skipped task says so even when the server gave no reason")
    }

    @Test func watchFrameShowsProgressAndEveryTaskWithItsMark() throws {
        let execution = try Execution(json: Self.failedExecution)
        let lines = WatchView.frame(execution, spinner: "⠋", now: Date(), size: (100, 40), console: .capturing())
        #expect(lines[0].hasPrefix("ex-aaaa1111  FAILED  ██████▒▒▒▒▒▒▒▒▒▒▒▒▒▒ 2/3  1.50s"), "only completed tasks fill the bar: a failed one is never full")
        #expect(lines[1] == "  ✓ step-1  TextOperation.Uppercase  COMPLETED  250ms")
        #expect(lines[2] == "  ✗ fetch   HTTP.Request             FAILED     1.25s  boom")
        #expect(lines[3] == "  ⊘ step-3  Echo                     CANCELLED")
    }

    @Test func watchFrameKeepsUnfinishedTasksInViewWhenTheyDoNotAllFit() throws {
        var json = Self.failedExecution
        let done: JSONValue = ["task_id": "t", "step_id": "done", "type": "Echo", "status": "COMPLETED", "attempt": 1]
        let running: JSONValue = ["task_id": "r", "step_id": "busy", "type": "Delay", "status": "RUNNING", "attempt": 1, "started_at": "2026-11-27T10:00:00.000Z"]
        json = ["execution_id": "ex-1", "workflow_id": "wf-1", "workflow_version": 1, "status": "RUNNING", "created_at": "2026-11-27T10:00:00.000Z",
                "progress": ["completed": 10, "total": 11], "tasks": .array(Array(repeating: done, count: 10) + [running])]
        let lines = WatchView.frame(try Execution(json: json), spinner: "⠋", now: Date(), size: (100, 8), console: .capturing())
        #expect(lines.count == 6)  // header, 4 tasks, "… and 7 more"
        #expect(lines[1].contains("⠋ busy"))
        #expect(lines.last == "  … and 7 more")
    }

    @Test func watchLinesAreCutToTheTerminalWidthSoTheRedrawStaysInPlace() {
        let line = "\u{1B}[31m" + String(repeating: "x", count: 50) + "\u{1B}[0m"
        let cut = WatchView.cut(line, to: 20)
        #expect(Formatting.visibleWidth(cut) == 19)
        #expect(cut.hasPrefix("\u{1B}[31m"))
    }
}
