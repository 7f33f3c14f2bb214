import SluiceCore
import Testing

/// Who may work on which queue (a `worker` grant may name its queues), and who may claim a
/// human task assigned to accounts and `group:NAME`.
@Suite struct WorkGrantTests {
    func grant(_ namespace: String, _ role: Role, queues: [String]? = nil) -> Grant {
        Grant(id: "gr-\(namespace)-\(role)", account: "w", namespace: namespace, role: role, createdAt: 1, queues: queues)
    }

    @Test func aWorkerGrantWithQueuesCoversOnlyThoseQueues() {
        let worker = Principal(accountID: "acct-w", account: "w", grants: [
            grant("media", .worker, queues: ["resize", HumanTask.queue]), grant("docs", .worker), grant("audit", .viewer),
        ], tokenID: "tok")
        #expect(worker.mayWork(onQueue: "resize", in: "media"))
        #expect(!worker.mayWork(onQueue: "ocr", in: "media"))
        #expect(worker.mayWork(onQueue: HumanTask.queue, in: "media"))
        #expect(worker.mayWork(onQueue: "ocr", in: "docs"), "no queues: every queue")
        #expect(worker.decideWork(onQueue: "ocr", in: "media") == .forbidden, "a role there, not this queue")
        #expect(worker.decideWork(onQueue: "ocr", in: "audit") == .forbidden, "a viewer does not work")
        #expect(worker.decideWork(onQueue: "ocr", in: "elsewhere") == .hidden)
        #expect(worker.namespaces(workingOn: "resize") == ["media", "docs"])
        #expect(worker.namespaces(workingOn: "ocr") == ["docs"])
        #expect(worker.may(.work, in: "media"), "the role still works in the namespace")

        let everywhere = Principal(accountID: "acct-a", account: "a", grants: [grant("*", .admin), grant("media", .worker, queues: ["resize"])], tokenID: "tok")
        #expect(everywhere.namespaces(workingOn: "ocr") == nil, "an admin everywhere works on every queue")
        #expect(everywhere.mayWork(onQueue: "ocr", in: "media"))
    }

    @Test func aGrantsQueuesAreCheckedWithTheirPaths() {
        #expect(Grant.queueProblems(["resize", "ocr", HumanTask.queue], role: .worker).isEmpty)
        #expect(Grant.queueProblems(["resize"], role: .editor).map(\.code) == ["invalid_value"])
        #expect(Grant.queueProblems([], role: .worker).map(\.path) == ["queues"])
        #expect(Grant.queueProblems(["ok", "Not OK", "ok"], role: .worker).map { "\($0.path) \($0.code)" } == ["queues[1] invalid_queue", "queues[2] duplicate"])
        #expect(Grant.queueProblems((0...Limits.grantQueues).map { "q\($0)" }, role: .worker).map(\.code) == ["too_many"])
        #expect(Grant.queueProblems((1...Limits.grantQueues).map { "q\($0)" }, role: .worker).isEmpty)
    }

    @Test func aGroupAssigneeLetsItsMembersClaim() {
        let spec = HumanTask.Spec(title: "Check", assignees: ["carol", "group:reviewers"])
        #expect(spec.assignedGroups == ["reviewers"])
        #expect(spec.mayClaim("carol"))
        #expect(!spec.mayClaim("ann"))
        #expect(spec.mayClaim("ann", groups: ["reviewers"]))
        #expect(!spec.mayClaim("ann", groups: ["review"]))
        #expect(HumanTask.Spec(title: "Anyone").mayClaim("ann"))
        #expect(GroupName.named(byAssignee: "group:ops") == "ops")
        #expect(GroupName.named(byAssignee: "ops") == nil)
        #expect(GroupName.problem("ops.team-1") == nil)
        #expect(GroupName.problem("") != nil)
        #expect(GroupName.problem(String(repeating: "g", count: GroupName.maxLength + 1)) != nil)
    }
}
