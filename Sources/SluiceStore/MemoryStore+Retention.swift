/// Retention's purge (as `Store.purgeFinished` says).
extension MemoryStore {
    public func purgeFinished(workflowID: String, completedBefore: Int64?, keepLast: Int?, after: Int64, window: Int, limit: Int) async throws -> PurgeResult {
        state.withLock { state in
            let all = state.executions.values.filter { $0.execution.workflowID == workflowID }.sorted { $0.execution.seq < $1.execution.seq }
            var keepBoundary: Int64 = 0
            if let keepLast {
                let finished = all.filter { $0.execution.status.isTerminal }
                if finished.count >= keepLast { keepBoundary = finished[finished.count - keepLast].execution.seq }
            }
            let examined = Array(all.filter { $0.execution.seq > after }.prefix(window))
            var doomed: [String] = []
            for detail in examined where doomed.count < limit {
                let e = detail.execution
                guard e.status.isTerminal else { continue }
                let expired = (completedBefore.map { (e.completedAt ?? .max) < $0 } ?? false) || e.seq < keepBoundary
                guard expired else { continue }
                let lastEvent = state.eventsByExecution[e.id]?.last.map { state.events[$0].seq } ?? 0
                guard lastEvent <= state.fanOutCursor, !state.deliveries.contains(where: { $0.executionID == e.id && $0.status == .pending }) else { continue }
                doomed.append(e.id)
            }
            let gone = Set(doomed)
            for id in doomed {
                state.executions[id] = nil
                state.logs[id] = nil
                // Events stay as tombstones: their seq is their index, and later seqs must not move.
                for i in state.eventsByExecution.removeValue(forKey: id) ?? [] {
                    state.events[i] = EventRecord(seq: state.events[i].seq, executionID: "", workflowID: "", type: "", at: 0, data: "")
                }
            }
            if !gone.isEmpty {
                state.dropQueued { gone.contains($0.executionID) }
                state.idempotency = state.idempotency.filter { !gone.contains($0.value) }
                state.deliveries.removeAll { gone.contains($0.executionID) }
                for key in state.scheduleFires.keys {
                    state.scheduleFires[key]?.removeAll { $0.executionID.map(gone.contains) == true }
                }
            }
            return PurgeResult(deletedIDs: doomed, lastExamined: examined.last?.execution.seq, windowFull: examined.count == window)
        }
    }
}
