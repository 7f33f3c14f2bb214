/// Schedules: reads (the writes are mutations, in `MemoryStore.apply`).
extension MemoryStore {
    public func schedule(id: String) async throws -> ScheduleRecord? {
        state.withLock { $0.schedules[id] }
    }

    public func schedules(workflowID: String) async throws -> [ScheduleRecord] {
        state.withLock { state in
            state.schedules.values.filter { $0.workflowID == workflowID }.sorted { ($0.schedule.createdAt, $0.id) < ($1.schedule.createdAt, $1.id) }
        }
    }

    public func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord] {
        state.withLock { state in
            let due = state.schedules.values.filter { s in
                !s.schedule.spec.paused && (s.schedule.queuedDue != nil || (s.nextFireAt.map { $0 <= now } ?? false))
            }
            return Array(due.sorted { ($0.nextFireAt ?? .min, $0.id) < ($1.nextFireAt ?? .min, $1.id) }.prefix(limit))
        }
    }

    public func nextScheduleFireAt() async throws -> Int64? {
        state.withLock { state in
            state.schedules.values.filter { !$0.schedule.spec.paused }.compactMap(\.nextFireAt).min()
        }
    }

    public func scheduleFires(scheduleID: String, limit: Int, before: Int64?) async throws -> Page<ScheduleFireRecord> {
        let fires = state.withLock { state in
            (state.scheduleFires[scheduleID] ?? []).filter { before == nil || $0.due < before! }.sorted { $0.due > $1.due }
        }
        return Self.page(fires, limit: limit, seq: \.due)
    }

    public func runningExecutions(scheduleID: String) async throws -> Int {
        state.withLock { state in
            (state.scheduleFires[scheduleID] ?? []).filter { fire in
                guard let id = fire.executionID, let e = state.executions[id] else { return false }
                return !e.execution.status.isTerminal
            }.count
        }
    }
}
