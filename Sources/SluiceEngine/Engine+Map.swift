import SluiceCore

extension Engine {
    /// Runs a map with steps that take time: each item goes through the steps in turn, at most
    /// `concurrency` items at a time; results keep the items' order. The first failing item
    /// cancels the others and fails the task (`item 3: …`). Items log with an `[item N]` prefix.
    static func runMap(_ map: MapPlan, _ context: StepContext, itemParameters: MapPlan.ItemParameters? = nil) async throws(StepFailure) -> JSONValue {
        let items = try map.items(of: context.input)
        if items.isEmpty { return ["list": .array([])] }
        let outcome: Result<[JSONValue], StepFailure> = await withTaskGroup(of: (Int, Result<JSONValue, StepFailure>).self) { group in
            var results = [JSONValue](repeating: .null, count: items.count)
            var next = 0
            func start(_ n: Int) {
                group.addTask { (n, await runItem(map, item: items[n], number: n, context, itemParameters: itemParameters)) }
            }
            while next < min(map.concurrency, items.count) { start(next); next += 1 }
            while let (n, result) = await group.next() {
                switch result {
                case .success(let value): results[n] = value
                case .failure(let failure):
                    group.cancelAll()
                    return .failure(failure)
                }
                if next < items.count, !Task.isCancelled { start(next); next += 1 }
            }
            if Task.isCancelled { return .failure(StepFailure("cancelled")) }
            return .success(results)
        }
        switch outcome {
        case .success(let results): return ["list": .array(results)]
        case .failure(let failure): throw failure
        }
    }

    static func runItem(_ map: MapPlan, item: JSONValue, number n: Int, _ context: StepContext, itemParameters: MapPlan.ItemParameters? = nil) async -> Result<JSONValue, StepFailure> {
        var value = map.wrap(item)
        for k in map.steps.indices {
            let step = map.steps[k].step
            let parameters = map.parameters(forStep: k, item: item, itemParameters)
            let input = map.input(forStep: k, value)
            do throws(StepFailure) {
                switch step.implementation {
                case .pure(let function):
                    value = try function(input, parameters)
                case .run(let function):
                    let log = context.log
                    var itemContext = context
                    itemContext.input = input
                    itemContext.parameters = parameters
                    itemContext.stepID = "\(context.stepID)[\(n)]"
                    itemContext.log = StepLog { line in log("[item \(n)] \(line)") }
                    value = try await function(itemContext)
                case .timer, .subworkflow, .external:
                    throw StepFailure("\(step.name) cannot run per item")
                }
            } catch {
                return .failure(StepFailure("item \(n): \(step.name) failed: \(error.message)", retryable: error.retryable))
            }
        }
        return .success(map.result(value))
    }
}
