import Testing

@testable import SluiceSteps

/// `ProcessSlots` (`--max-processes`): at most `limit` programs run at once, the others wait in
/// arrival order, and a waiter that is cancelled leaves without taking a slot.
@Suite struct ProcessSlotsTests {
    /// Yields until `condition` holds (the waiters are other tasks; no sleeping).
    func until(_ condition: () -> Bool) async {
        for _ in 0..<100_000 where !condition() { await Task.yield() }
    }

    @Test func atMostTheLimitRunAndTheOthersWaitTheirTurnInArrivalOrder() async throws {
        let slots = ProcessSlots(limit: 2)
        #expect(try await slots.acquire() == false)
        #expect(try await slots.acquire() == false)
        #expect(slots.counts == (running: 2, waiting: 0))
        let first = Task { try await slots.acquire() }
        await until { slots.counts.waiting == 1 }
        let second = Task { try await slots.acquire() }
        await until { slots.counts.waiting == 2 }
        #expect(slots.counts == (running: 2, waiting: 2))
        // A slot given back goes to the first waiter, and the count of running stays.
        slots.release()
        #expect(try await first.value == true)
        #expect(slots.counts == (running: 2, waiting: 1))
        slots.release()
        #expect(try await second.value == true)
        #expect(slots.counts == (running: 2, waiting: 0))
        slots.release()
        slots.release()
        #expect(slots.counts == (running: 0, waiting: 0))
        // Free slots are taken at once again.
        #expect(try await slots.acquire() == false)
    }

    @Test func aWaiterCancelledLeavesTheQueueWithoutTakingASlot() async throws {
        let slots = ProcessSlots(limit: 1)
        #expect(try await slots.acquire() == false)
        let cancelled = Task { try await slots.acquire() }
        await until { slots.counts.waiting == 1 }
        let next = Task { try await slots.acquire() }
        await until { slots.counts.waiting == 2 }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(slots.counts == (running: 1, waiting: 1))
        // The slot skips the cancelled waiter and goes to the next one.
        slots.release()
        #expect(try await next.value == true)
        slots.release()
        #expect(slots.counts == (running: 0, waiting: 0))
        // A task already cancelled when it asks is refused even with slots free.
        let late = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await slots.acquire()
        }
        await #expect(throws: CancellationError.self) { try await late.value }
        #expect(slots.counts == (running: 0, waiting: 0))
    }

    @Test func manyWaitersAreServedOnceEachWithTheLimitNeverExceeded() async throws {
        let slots = ProcessSlots(limit: 3)
        let peak = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<500 {
                group.addTask {
                    _ = try? await slots.acquire()
                    let running = slots.counts.running
                    await Task.yield()
                    slots.release()
                    return running
                }
            }
            var peak = 0
            for await r in group { peak = max(peak, r) }
            return peak
        }
        #expect(peak <= 3)
        #expect(slots.counts == (running: 0, waiting: 0))
    }
}
