import SluiceStore

/// The last executions that finished here, as committed: a read of a just-finished execution
/// (the `?wait` that follows an execute, above all) is answered from memory instead of the
/// store. Bounded: the oldest entry leaves when a new one comes past `capacity`. An entry is
/// removed before anything changes its execution again (a retry, a workflow's deletion, a change
/// announced by another node).
struct FinishedExecutions {
    let capacity: Int
    var details: [String: ExecutionDetail] = [:]
    var order: [String] = []
    var head = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func insert(_ detail: ExecutionDetail) {
        let id = detail.execution.id
        guard capacity > 0, details.updateValue(detail, forKey: id) == nil else { return }
        if order.count < capacity {
            order.append(id)
        } else {
            details[order[head]] = nil
            order[head] = id
            head = (head + 1) % capacity
        }
    }

    func detail(_ id: String) -> ExecutionDetail? { details[id] }

    /// Forgets an execution (its slot in `order` is reused when its turn comes).
    mutating func remove(_ id: String) { details[id] = nil }

    /// Forgets every execution of a workflow.
    mutating func remove(workflowID: String) {
        for (id, d) in details where d.execution.workflowID == workflowID { details[id] = nil }
    }
}
