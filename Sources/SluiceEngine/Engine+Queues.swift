import Synchronization
import SluiceCore
import SluiceStore

/// `Worker.Task`: tasks that programs outside the server claim from a queue under a lease and
/// answer through the API.
///
/// The engine runs each queued attempt as a step that waits: it stores the attempt in its queue
/// (`Store.enqueue`), then waits until a worker's answer is stored (`Store.answerQueued`) and
/// produces it, or until the lease of the worker holding it runs out, which it records as the
/// attempt's failure (retryable: the task's retry policy decides whether it is queued again).
/// So timeouts, cancel, retries and restarts apply as to any step: a restarted server queues
/// its running attempts again and finds their claims and answers in the store.
extension Engine {
    /// The step function of a `Worker.Task` or `Human.Task` attempt. `queued`: its row, when the
    /// commit that started the attempt stored it already (with its log line).
    /// `mayPark`: the wait for an answer may be parked (`Engine.park`): the step's task ends and
    /// runs this again with the row when the answer (or a claim) is announced. `resumed`: this
    /// run is such a return (the row is not announced to the queue again).
    func runExternal(_ context: StepContext, index: Int, workflowID: String, namespace: String, human: Bool = false, queued: QueuedTaskRecord? = nil, mayPark: Bool = false, resumed: Bool = false, handed: QueuedTaskRecord? = nil) async throws(StepFailure) -> JSONValue {
        let wait: QueueWait
        if let queued {
            wait = try await queueOrPark(queued, context, log: nil, stored: true, mayPark: mayPark, announce: !resumed, known: handed)
        } else {
            let (fresh, log) = Self.queuedTask(stepID: context.stepID, executionID: context.executionID, attempt: context.attempt, input: context.input, parameters: context.parameters,
                                               index: index, workflowID: workflowID, namespace: namespace, human: human, now: clock.now())
            wait = try await queueOrPark(fresh, context, log: log, mayPark: mayPark)
        }
        let answered: QueuedTaskRecord
        switch wait {
        case .answered(let task): answered = task
        case .parked(let ticket, let row):
            throw park(context, index: index, ticket: ticket) { context, handed throws(StepFailure) in
                try await self.runExternal(context, index: index, workflowID: workflowID, namespace: namespace, human: human, queued: row, mayPark: true, resumed: true, handed: handed)
            }
        }
        guard case .output(let value)? = answered.result else { throw StepFailure("the queued task \(answered.id) has no output") }
        return value
    }

    /// The queue row of an attempt of a `Worker.Task` (or, `human`, a `Human.Task`), new, and the
    /// line its task's log gets when it is stored.
    static func queuedTask(stepID: String, executionID: String, attempt: Int, input: JSONValue, parameters: JSONValue?, index: Int, workflowID: String, namespace: String, human: Bool, now: Int64) -> (record: QueuedTaskRecord, log: String) {
        let fresh: QueuedTaskRecord
        if human {
            // A person's task: in the inboxes, held until answered; due when its parameters say.
            let spec = HumanTask.Spec(parameters: parameters)
            fresh = QueuedTaskRecord(
                id: Identifier.make("ht"), executionID: executionID, workflowID: workflowID, namespace: namespace, index: index,
                stepID: stepID, attempt: attempt, queue: HumanTask.queue, input: input,
                outputType: DataType.json.name, leaseMilliseconds: 0, createdAt: now,
                human: spec, dueAt: spec.dueSeconds.map { now + Int64(($0 * 1000).rounded()) }
            )
        } else {
            let settings = WorkerTask.settings(parameters)
            fresh = QueuedTaskRecord(
                id: Identifier.make("qt"), executionID: executionID, workflowID: workflowID, namespace: namespace, index: index,
                stepID: stepID, attempt: attempt, queue: settings.queue, input: input,
                outputType: settings.outputType.name, leaseMilliseconds: settings.leaseMilliseconds, createdAt: now
            )
        }
        let log: String
        if human {
            let who = fresh.human?.assignees.isEmpty == false ? fresh.human!.assignees.joined(separator: ", ") : "anyone who may work in namespace \(namespace)"
            log = "in the inbox of \(who) as \(fresh.id)" + (fresh.dueAt.map { ", due \(Timestamp.format(milliseconds: $0))" } ?? "") + "; waiting for an answer"
        } else {
            log = "queued in \(fresh.queue) as \(fresh.id); waiting for a worker"
        }
        return (fresh, log)
    }

    /// Adds to each commit of `actions` that starts an attempt of a `Worker.Task` or a
    /// `Human.Task` that attempt's queue row and its log line, so a worker can claim it as soon
    /// as the start is durable, without a write of its own after it (the step finds the row in
    /// its launch).
    func queueWithTheirStart(_ actions: inout EngineStateMachine.Actions, _ core: EngineStateMachine) {
        for c in actions.commits.indices {
            var lines: [TaskLogLine] = []
            for e in actions.commits[c].effects.indices {
                for l in actions.commits[c].effects[e].launch.indices {
                    let launch = actions.commits[c].effects[e].launch[l]
                    let node = launch.node
                    guard node.map == nil, case .external = node.step.implementation, node.step.name != AnnotationItem.stepType,
                          let active = core.active[launch.dispatch.executionID] else { continue }
                    let dispatch = launch.dispatch
                    let (record, log) = Self.queuedTask(
                        stepID: node.id, executionID: dispatch.executionID, attempt: dispatch.attempt, input: dispatch.input, parameters: dispatch.parameters ?? node.parameters,
                        index: dispatch.index, workflowID: active.record.execution.workflowID, namespace: active.machine.plan.definition.effectiveNamespace,
                        human: node.step.name == HumanTask.stepType, now: launch.startedAt)
                    actions.commits[c].effects[e].launch[l].queued = (record, actions.commits[c].mutations.count)
                    actions.commits[c].mutations.append(.enqueue(record))
                    lines.append(TaskLogLine(executionID: dispatch.executionID, index: dispatch.index, at: launch.startedAt, attempt: dispatch.attempt, source: "step", line: log))
                }
            }
            if !lines.isEmpty {
                actions.commits[c].mutations.append(.appendLogs(lines))
                actions.commits[c].logsOf.formUnion(lines.map(\.executionID))
            }
        }
    }

    /// Stores `fresh` in its queue (or finds the row stored for its attempt and phase before: a
    /// restart), then waits until it is answered: answers the task with its output, throws its
    /// failure, and records a worker's lease that ran out or a person's due time as the rules
    /// say. `log` goes to the task's log when the row is new. `stored`: `fresh` is stored already
    /// (by the commit that started the attempt).
    func queueAndWait(_ fresh: QueuedTaskRecord, _ context: StepContext, log: String?, stored: Bool = false) async throws(StepFailure) -> QueuedTaskRecord {
        guard case .answered(let task) = try await queueOrPark(fresh, context, log: log, stored: stored, mayPark: false) else {
            throw StepFailure("the wait for queued task \(fresh.id) was parked unasked")
        }
        return task
    }

    /// How a wait for a queued task's answer ended: answered, or `parked` (no timer to wait for,
    /// and the caller allowed it) with the ticket that is notified at the row's next change.
    enum QueueWait: Sendable {
        case answered(QueuedTaskRecord)
        case parked(Mailbox.Ticket, QueuedTaskRecord)
    }

    /// `queueAndWait`, which may instead (`mayPark`) return `.parked` when the wait has no time
    /// of its own to wake at (no due time, no worker's lease): the row is unanswered and
    /// unclaimed or held by a person. The ticket stays registered: the caller hands it to
    /// `park`. `announce`: whether an unanswered row is announced to its queue's claims.
    /// `known`: the row as a notice handed it over (a parked wait's resume), read instead of the store.
    func queueOrPark(_ fresh: QueuedTaskRecord, _ context: StepContext, log: String?, stored: Bool = false, mayPark: Bool, announce: Bool = true, known: QueuedTaskRecord? = nil) async throws(StepFailure) -> QueueWait {
        let queued: QueuedTaskRecord
        if stored {
            queued = fresh
        } else {
            do {
                // With the other writes of the moment, in the group committer's next batch (one
                // fsync for many); an attempt queued before (a restart) keeps its stored row.
                if try await committer.commit([.enqueue(fresh)])[0] == .applied {
                    queued = fresh
                } else {
                    queued = try await store.enqueue(fresh)
                }
            } catch {
                throw StepFailure("could not queue the task in \(fresh.queue): \(error)", retryable: true)
            }
        }
        if queued.id == fresh.id, let log { context.log(log) }
        if fresh.result == nil, announce { queueSignals.notify(fresh.queue) }
        // Registered before the first read: a claim or an answer stored after it wakes the wait.
        let ticket = taskSignals.register(context.executionID)
        var parked = false
        defer { if !parked { taskSignals.remove(ticket) } }
        // The row as a claim or an answer made here handed it over with its notice: no read.
        var handed: QueuedTaskRecord? = known?.id == fresh.id ? known : nil
        while true {
            let task: QueuedTaskRecord?
            if let known = handed {
                task = known
                handed = nil
            } else {
                do {
                    task = try await store.queuedTask(id: queued.id)
                } catch {
                    if Task.isCancelled { throw StepFailure("cancelled") }
                    throw StepFailure("could not read the queued task \(queued.id): \(error)", retryable: true)
                }
            }
            guard let task else { throw StepFailure("the queued task \(queued.id) is gone (its workflow was deleted?)") }
            switch task.result {
            case .output?: return .answered(task)
            case .failure(let message, let retryable)?: throw StepFailure(message, retryable: retryable)
            case nil: break
            }
            var wakeAt: Int64?
            if let due = task.dueAt {
                if due <= clock.now() {
                    // Ends as on_due says, unless an answer came first.
                    _ = try? await store.updateHumanTask(id: task.id, action: .due, now: clock.now())
                    continue
                }
                wakeAt = due
            }
            if task.human == nil, let claim = task.claim {
                let now = clock.now()
                if claim.leaseUntil <= now {
                    let why = "the lease of worker \(claim.worker) ran out at \(Timestamp.format(milliseconds: claim.leaseUntil)) (no heartbeat for \(Self.seconds(task.leaseMilliseconds)))"
                    // Stored like a worker's answer, and only while the lease is still past: a
                    // heartbeat or an answer that came first wins.
                    _ = try? await committer.commit([.answerQueued(executionID: task.executionID, id: task.id, token: nil, result: .failure(message: why, retryable: true), at: now)])
                    continue
                }
                wakeAt = claim.leaseUntil
            }
            // Another node that stores an answer or a claim announces it (`noticeLoop` wakes
            // this wait), and the announcements missed while the node's listener reconnected
            // wake every wait: no poll. (A poll per waiting step was a read every few seconds
            // per item waiting for a person — 20,000 reads a second with 100,000 waiting.)
            // Nothing to wake at but a notice: the caller may park the wait rather than hold a
            // task (tens of kilobytes of async frames) per item waiting for a person.
            if mayPark, wakeAt == nil {
                parked = true
                return .parked(ticket, task)
            }
            await taskSignals.wait(ticket, until: wakeAt, clock: clock)
            if Task.isCancelled { throw StepFailure("cancelled") }
            // Waits anew from here: what is stored after this wakes the next wait, and what
            // was before is read (or handed over) at the top.
            handed = taskSignals.rearm(ticket, taking: queued.id)
        }
    }

    // MARK: The workers' calls

    /// Claims up to `limit` tasks of `queue` in `namespaces` (all when `nil`) for `worker`,
    /// waiting up to `waitMilliseconds` for one if none is there (a long poll).
    public func claim(queue: String, worker: String, namespaces: Set<String>?, limit: Int, waitMilliseconds: Int64) async throws -> [QueuedTaskRecord] {
        let deadline = clock.now() + max(0, waitMilliseconds)
        while true {
            let ticket = queueSignals.register(queue)
            defer { queueSignals.remove(ticket) }
            let now = clock.now()
            let claimed = try await store.claimQueued(queue: queue, namespaces: namespaces, worker: worker, now: now, tokens: (0..<limit).map { _ in Self.claimToken() })
            // The engine waiting on each now waits for its lease too; their task.claimed events
            // go to the streams.
            for task in claimed {
                taskSignals.notify(task.executionID, handing: task)
                metrics.queueWait(queue: queue, milliseconds: now - task.createdAt)
            }
            if !claimed.isEmpty { committer.committed.notify() }
            if !claimed.isEmpty || now >= deadline || Task.isCancelled || isStopping { return claimed }
            // Tasks queued on another node are announced; on a cluster, look again now and then
            // too, in case an announcement was lost.
            await queueSignals.wait(ticket, until: cluster != nil ? min(deadline, now + Self.clusterQueuePollMilliseconds) : deadline, clock: clock)
        }
    }

    /// The `output_schema` of the `Worker.Task` that queued `task`, if it has one: from the plan
    /// of the execution this engine drives (no read), else from its stored version's plan.
    public func outputSchema(of task: QueuedTaskRecord) async throws -> JSONValue? {
        let local = state.withLock { shell -> JSONValue?? in
            guard let active = shell.core.active[task.executionID], task.index < active.machine.plan.nodes.count else { return .none }
            return .some(active.machine.plan.nodes[task.index].parameters?["output_schema"])
        }
        if let local { return local }
        guard let execution = try await store.execution(id: task.executionID)?.execution else { return nil }
        let plan = try await plan(of: execution)
        return task.index < plan.nodes.count ? plan.nodes[task.index].parameters?["output_schema"] : nil
    }

    /// A heartbeat: extends the lease of task `id` and writes `log` lines to the task's log.
    public func heartbeat(taskID id: String, token: String, log: [String]) async throws -> QueueCallOutcome {
        let outcome = try await store.renewClaim(id: id, token: token, now: clock.now())
        if case .applied(let task) = outcome {
            for line in log { appendLog(TaskLogLine(executionID: task.executionID, index: task.index, at: clock.now(), attempt: task.attempt, source: "worker", line: line)) }
        }
        return outcome
    }

    /// What a worker answered: stored (through the group committer, with the other writes of
    /// the moment), then the engine running the task is woken. `task`: the task as the caller
    /// read it, if it did (it is read otherwise).
    public func answer(taskID id: String, token: String, result: QueuedTaskResult, task read: QueuedTaskRecord? = nil) async throws -> QueueCallOutcome {
        let now = clock.now()
        var found = read
        if found == nil { found = try await store.queuedTask(id: id) }
        guard let task = found else { return .notFound }
        if try await committer.commit([.answerQueued(executionID: task.executionID, id: id, token: token, result: result, at: now)])[0] == .applied {
            var answered = task
            answered.result = result
            answered.answeredAt = now
            taskSignals.notify(task.executionID, handing: answered)
            return .applied(answered)
        }
        // Refused: the rule, applied again by the store, says why.
        let outcome = try await store.answerQueued(id: id, token: token, result: result, now: now)
        if case .applied(let task) = outcome { taskSignals.notify(task.executionID, handing: task) }
        return outcome
    }

    // MARK: People's calls

    /// What a person or an editor does to human task `id`; the engine running it is woken when
    /// it is answered.
    public func act(onHumanTask id: String, _ action: HumanTaskAction) async throws -> QueueCallOutcome {
        let outcome = try await store.updateHumanTask(id: id, action: action, now: clock.now())
        if case .applied(let task) = outcome {
            if task.result != nil { taskSignals.notify(task.executionID, handing: task) }
            // A task.claimed or task.released event may have been written: to the streams.
            committer.committed.notify()
        }
        return outcome
    }

    /// How often, on a cluster, a worker's waiting claim looks again without an announcement
    /// (which normally wakes it at once).
    static let clusterQueuePollMilliseconds: Int64 = 5000

    /// The secret a claim's later calls carry: `clm_` and 256 random bits in hex.
    public static func claimToken() -> String {
        var rng = SystemRandomNumberGenerator()
        var text = "clm_"
        for _ in 0..<4 {
            let n = rng.next()
            let hex = String(n, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }
}

/// Wake-ups by key: a waiter registers (getting a ticket), reads what it waits on, then waits
/// until the key is notified after it registered, a time passes, or its task is cancelled.
final class Mailbox: Sendable {
    struct Ticket: Hashable, Sendable {
        var key: String
        var id: Int
    }

    private struct Waiter {
        var notified = false
        var continuation: CheckedContinuation<Void, Never>?
        /// A parked wait (`park`): called once at the next notice, instead of a task waiting,
        /// with the row that notice handed over, if it handed one.
        var onNotice: (@Sendable (QueuedTaskRecord?) -> Void)?
    }

    private struct State {
        var next = 0
        var waiters: [String: [Int: Waiter]] = [:]
        /// Queue rows handed over with a key's notices (a claim, an answer), by row id, kept
        /// while the key has waiters; a notice without a row drops the key's (something else
        /// changed: they must be read).
        var handed: [String: [String: QueuedTaskRecord]] = [:]
    }

    private let state = Mutex(State())

    func register(_ key: String) -> Ticket {
        state.withLock { state in
            state.next += 1
            state.waiters[key, default: [:]][state.next] = Waiter()
            return Ticket(key: key, id: state.next)
        }
    }

    func remove(_ ticket: Ticket) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            let waiter = state.waiters[ticket.key]?.removeValue(forKey: ticket.id)
            if state.waiters[ticket.key]?.isEmpty == true {
                state.waiters[ticket.key] = nil
                state.handed[ticket.key] = nil
            }
            return waiter?.continuation
        }
        continuation?.resume()
    }

    /// Wakes every waiter, whatever its key.
    func notifyAll() {
        let keys = state.withLock { Array($0.waiters.keys) }
        for key in keys { notify(key) }
    }

    /// Wakes every waiter registered on `key`. `handing`: the row as the change that notifies
    /// left it, for the waiters to take (`rearm`) instead of reading it; a row with an answer
    /// is never replaced by one without (an answer is final, a claim's notice may come late).
    /// A parked waiter's `onNotice` is called (once: the waiter goes).
    func notify(_ key: String, handing record: QueuedTaskRecord? = nil) {
        let (woken, called) = state.withLock { state -> ([CheckedContinuation<Void, Never>], [@Sendable (QueuedTaskRecord?) -> Void]) in
            guard var waiters = state.waiters[key] else { return ([], []) }
            if let record {
                if state.handed[key]?[record.id]?.result == nil || record.result != nil { state.handed[key, default: [:]][record.id] = record }
            } else {
                state.handed[key] = nil
            }
            var woken: [CheckedContinuation<Void, Never>] = []
            var called: [@Sendable (QueuedTaskRecord?) -> Void] = []
            for (id, var waiter) in waiters {
                if let onNotice = waiter.onNotice {
                    called.append(onNotice)
                    waiters[id] = nil
                    continue
                }
                waiter.notified = true
                if let c = waiter.continuation { woken.append(c) }
                waiter.continuation = nil
                waiters[id] = waiter
            }
            if waiters.isEmpty {
                state.waiters[key] = nil
                state.handed[key] = nil
            } else {
                state.waiters[key] = waiters
            }
            return (woken, called)
        }
        for c in woken { c.resume() }
        for f in called { f(record) }
    }

    /// Parks `ticket`'s wait: no task waits; `onNotice` is called once, outside the lock, at the
    /// key's next notice (the ticket is gone then), with the row it handed over, if any. `false` when a notice came since the ticket
    /// registered or was last rearmed: the caller reads again rather than parking.
    func park(_ ticket: Ticket, onNotice: @escaping @Sendable (QueuedTaskRecord?) -> Void) -> Bool {
        state.withLock { state in
            guard var waiter = state.waiters[ticket.key]?[ticket.id], !waiter.notified, waiter.continuation == nil else { return false }
            waiter.onNotice = onNotice
            state.waiters[ticket.key]![ticket.id] = waiter
            return true
        }
    }

    /// How many waits are parked (`park`), for tests and metrics.
    var parkedCount: Int {
        state.withLock { $0.waiters.values.reduce(0) { n, w in n + w.values.filter { $0.onNotice != nil }.count } }
    }

    /// Makes `ticket` wait for the next notice (one since it registered, or since it was last
    /// rearmed, ends its next `wait` at once), and takes the row `id` handed over with the
    /// notices so far, if every one since the last rearm that changed it handed it.
    func rearm(_ ticket: Ticket, taking id: String) -> QueuedTaskRecord? {
        state.withLock { state in
            state.waiters[ticket.key]?[ticket.id]?.notified = false
            return state.handed[ticket.key]?.removeValue(forKey: id)
        }
    }

    /// Returns once `ticket`'s key is notified (at once if it was since it registered), at
    /// `deadline` on `clock` if given, or when the calling task is cancelled.
    func wait(_ ticket: Ticket, until deadline: Int64?, clock: any EngineClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForNotice(ticket) }
            if let deadline {
                group.addTask { try? await clock.sleep(until: deadline) }
            }
            await group.next()
            group.cancelAll()
            // The notice wait ends only by a notice or cancellation: end it.
            self.interrupt(ticket)
        }
    }

    private func waitForNotice(_ ticket: Ticket) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard var waiter = state.waiters[ticket.key]?[ticket.id], !waiter.notified, !Task.isCancelled else { return true }
                    waiter.continuation = continuation
                    state.waiters[ticket.key]![ticket.id] = waiter
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.interrupt(ticket)
        }
    }

    /// Resumes the ticket's wait, if it is waiting (it stays registered).
    private func interrupt(_ ticket: Ticket) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var waiter = state.waiters[ticket.key]?[ticket.id] else { return nil }
            let c = waiter.continuation
            waiter.continuation = nil
            waiter.notified = true
            state.waiters[ticket.key]![ticket.id] = waiter
            return c
        }
        continuation?.resume()
    }
}
