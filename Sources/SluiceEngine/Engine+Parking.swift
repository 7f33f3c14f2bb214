import SluiceCore
import SluiceStore

/// Parked steps. A step whose only wait is for a notice — a person's or an outside worker's
/// answer, with no due time and no lease to watch — does not hold a task while it waits: its
/// function asks to `park` with a ticket of the task signals and a `resume` function (the step
/// from where it stopped, holding only what it needs: the row it waits on, an item's walk), and
/// ends. The engine keeps the launch and that function (a few hundred bytes, not the tens of
/// kilobytes of a suspended task's async frames) and runs it as the same attempt when the row's
/// next change is announced. Everything else is as for a running step: a cancel, a stop, a
/// drop or a shutdown forgets it (after a restart the step runs again and finds its rows in the
/// store), and the execution is still driven by this engine.
extension Engine {
    typealias StepFunction = @Sendable (StepContext) async throws(StepFailure) -> JSONValue
    /// A parked step's way on: the step from where it stopped, given the row the notice that
    /// resumes it handed over (if it handed one: no read of it then).
    typealias Resume = @Sendable (StepContext, QueuedTaskRecord?) async throws(StepFailure) -> JSONValue

    struct ParkRequest: Sendable {
        var ticket: Mailbox.Ticket
        var resume: Resume
    }

    struct ParkedStep: Sendable {
        var launch: EngineStateMachine.Launch
        var ticket: Mailbox.Ticket
        var resume: Resume
    }

    /// The message of the failure a parking step function ends with; never shown (the engine
    /// takes the request instead of a result).
    static let parkedMessage = "\u{1}parked"

    /// Asks to park the running step `index` of `context`'s execution: returns the failure the
    /// step function throws to end. `resume` runs as the same attempt at the ticket's next notice.
    func park(_ context: StepContext, index: Int, ticket: Mailbox.Ticket, resume: @escaping Resume) -> StepFailure {
        parkRequests.withLock { $0[RunningKey(executionID: context.executionID, index: index)] = ParkRequest(ticket: ticket, resume: resume) }
        return StepFailure(Self.parkedMessage)
    }

    /// The park request of the step `key` whose function ended with `result`, if it asked to park.
    func takeParkRequest(_ key: RunningKey, _ result: Result<JSONValue, StepFailure>) -> ParkRequest? {
        guard case .failure(let failure) = result, failure.message == Self.parkedMessage else { return nil }
        return parkRequests.withLock { $0.removeValue(forKey: key) }
    }

    /// Parks the step `key` of `launch` (its task ends after this), unless it was stopped
    /// meanwhile or the engine is stopping (it runs again after a restart). A notice since the
    /// step's last read resumes it at once.
    func parkStep(_ key: RunningKey, _ launch: EngineStateMachine.Launch, _ request: ParkRequest) {
        let kept = state.withLock { shell -> Bool in
            guard shell.running[key]?.attempt == launch.dispatch.attempt, !shell.core.stopping else { return false }
            shell.running[key] = nil
            shell.parked[key] = ParkedStep(launch: launch, ticket: request.ticket, resume: request.resume)
            return true
        }
        guard kept else {
            taskSignals.remove(request.ticket)
            return
        }
        if !taskSignals.park(request.ticket, onNotice: { [weak self] handed in self?.unpark(key, request.ticket, handed: handed) }) {
            unpark(key, request.ticket, handed: nil)
        }
    }

    /// Runs parked step `key` again (its `resume`), if it is still parked on `ticket` and its
    /// execution's incarnation is the one it was launched for.
    func unpark(_ key: RunningKey, _ ticket: Mailbox.Ticket, handed: QueuedTaskRecord?) {
        taskSignals.remove(ticket)
        state.withLock { shell in
            guard let parked = shell.parked[key], parked.ticket == ticket else { return }
            shell.parked[key] = nil
            guard !shell.core.stopping, shell.core.active[key.executionID]?.incarnation == parked.launch.incarnation else { return }
            let resume = parked.resume
            start(parked.launch, &shell) { context throws(StepFailure) in try await resume(context, handed) }
        }
    }

    /// Forgets the parked steps `keys` (all when `nil`): stopped, dropped, or the engine stopping.
    func forgetParked(_ keys: [RunningKey]?, _ shell: inout Shell) {
        let gone: [ParkedStep]
        if let keys {
            gone = keys.compactMap { shell.parked.removeValue(forKey: $0) }
        } else {
            gone = Array(shell.parked.values)
            shell.parked = [:]
        }
        for parked in gone { taskSignals.remove(parked.ticket) }
    }

    /// How many steps are parked now.
    public var parkedStepCount: Int { state.withLock { $0.parked.count } }
}
