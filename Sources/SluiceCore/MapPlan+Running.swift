extension MapPlan {
    /// The items of a mapped task's input (`{"list": [...]}`), or a failure saying what was found.
    public func items(of input: JSONValue) throws(StepFailure) -> [JSONValue] {
        guard case .array(let items)? = input["list"] else {
            throw StepFailure("map.over (\(over)) must be a list, found \(input["list"]?.preview ?? "nothing")")
        }
        return items
    }

    /// The value the first step receives for `item`.
    public func wrap(_ item: JSONValue) -> JSONValue { [itemType.field: item] }

    /// What step `k` receives when the value so far is `value` (a typed step sees only its member).
    public func input(forStep k: Int, _ value: JSONValue) -> JSONValue {
        if case .value(let t) = steps[k].step.input { return [t.field: value[t.field] ?? .null] }
        return value
    }

    /// The result of one item: the result type's member of the last step's output.
    public func result(_ value: JSONValue) -> JSONValue { value[resultType.field] ?? .null }

    /// The parameters step `k` runs with for `item`: the plan's, or for the task's own step
    /// (`k == 0`) with a rendered input, `itemParameters` rendered for the item.
    public func parameters(forStep k: Int, item: JSONValue, _ itemParameters: ItemParameters?) -> JSONValue? {
        if k == 0, let itemParameters { return itemParameters.render(item: item) }
        return steps[k].parameters
    }

    /// Runs a map whose steps are all pure, inline: `{"list": [results in item order]}`. The first
    /// failing item fails the task (`item 3: …`).
    public func runPure(_ input: JSONValue, itemParameters: ItemParameters? = nil) throws(StepFailure) -> JSONValue {
        let items = try items(of: input)
        var results: [JSONValue] = []
        results.reserveCapacity(items.count)
        for (n, item) in items.enumerated() {
            var value = wrap(item)
            for k in steps.indices {
                guard case .pure(let function) = steps[k].step.implementation else {
                    throw StepFailure("\(steps[k].step.name) is not pure and cannot run inline")
                }
                do throws(StepFailure) {
                    value = try function(self.input(forStep: k, value), parameters(forStep: k, item: item, itemParameters))
                } catch {
                    throw StepFailure("item \(n): \(steps[k].step.name) failed: \(error.message)", retryable: error.retryable)
                }
            }
            results.append(result(value))
        }
        return ["list": .array(results)]
    }
}

extension MapPlan {
    /// A mapped task's rendered input (`render_input` with `map`): its template, and the values
    /// its other placeholders had when the attempt started; `{{item}}` (`item.name`, `item[0]`)
    /// is filled in per item, as text when it is text and as compact JSON otherwise.
    public struct ItemParameters: Sendable {
        public var template: ParameterTemplate
        public var bindings: [Reference: JSONValue]

        public init(template: ParameterTemplate, bindings: [Reference: JSONValue]) {
            self.template = template
            self.bindings = bindings
        }

        public func render(item: JSONValue) -> JSONValue {
            template.render { r in r.root == .item ? r.resolve(in: item) : bindings[r] }
        }
    }
}
