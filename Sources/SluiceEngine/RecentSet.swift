/// The last `capacity` distinct strings added, for membership tests.
struct RecentSet {
    let capacity: Int
    var members: Set<String> = []
    var order: [String] = []
    var head = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func insert(_ s: String) {
        guard members.insert(s).inserted else { return }
        if order.count < capacity {
            order.append(s)
        } else {
            members.remove(order[head])
            order[head] = s
            head = (head + 1) % capacity
        }
    }

    func contains(_ s: String) -> Bool { members.contains(s) }
}
