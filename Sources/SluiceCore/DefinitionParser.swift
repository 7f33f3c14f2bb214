/// Reads a workflow definition from the JSON a user sent and reports every structural problem.
public enum DefinitionParser {
    static let topLevelFields = ["name", "description", "namespace", "steps", "tasks", "input_schema", "timeout_seconds", "origin", "retention"]
    static let stepFields = ["type", "input", "id", "retry", "timeout_seconds", "when", "input_from", "map", "render_input"]
    static let taskFields = ["id", "type", "input", "depends_on", "retry", "timeout_seconds", "when", "input_from", "map", "render_input", "trigger"]
    static let mapFields = ["over", "concurrency", "then"]
    static let mapStepFields = ["type", "input"]
    /// The longest timeout a task or an execution may have: 30 days.
    static let maxTimeoutSeconds = Double(Limits.maxTimeoutSeconds)
    /// Ids are what `depends_on` refers to: letters, digits, `_`, `-` and `.`, at most 64 long.
    static let maxIDLength = Limits.taskIDCharacters
    /// The most steps a chain, or tasks a DAG, may have.
    public static let maxTasks = Limits.maxTasks

    /// Parses `body`; returns the definition or the problems found (never both).
    public static func parse(_ body: JSONValue, maxTasks: Int = maxTasks) -> Result<WorkflowDefinition, ValidationFailure> {
        let (definition, issues) = parseLeniently(body, maxTasks: maxTasks)
        if let definition, issues.isEmpty { return .success(definition) }
        return .failure(.init(title: "Invalid workflow definition", issues: issues))
    }

    /// Parses as much of `body` as it can: the problems found, and the definition made of the
    /// parts that could be read (`nil` only if the body is not an object), so that the type
    /// checker can report its own problems in the same response. `maxTasks`: the most steps or
    /// tasks (`Limits.maxTranslatedTasks` for a definition the server wrote itself).
    public static func parseLeniently(_ body: JSONValue, maxTasks: Int = maxTasks) -> (WorkflowDefinition?, [ValidationIssue]) {
        var issues: [ValidationIssue] = []
        guard case .object(let object) = body else {
            return (nil, [
                .init(path: "", code: "invalid_body", message: "expected a JSON object with \"name\" and \"steps\" or \"tasks\", found \(body.kindName)"),
            ])
        }
        rejectUnknown(object, allowed: topLevelFields, path: "", issues: &issues)

        var name = ""
        switch object["name"] {
        case nil: issues.append(.init(path: "name", code: "required", message: "required field is missing; expected a non-empty string"))
        case .string(let s) where s.trimmingSpaces.isEmpty: issues.append(.init(path: "name", code: "invalid_value", message: "expected a non-empty string, found an empty one"))
        case .string(let s) where s.unicodeScalars.count > Limits.workflowNameCharacters: issues.append(.init(path: "name", code: "too_long", message: "expected at most \(Limits.workflowNameCharacters) characters, found \(s.unicodeScalars.count)"))
        case .string(let s): name = s
        case .some(let v): issues.append(.init(path: "name", code: "type_mismatch", message: "expected a string, found \(v.kindName)"))
        }

        var description: String?
        switch object["description"] {
        case nil, .null?: break
        case .string(let s): description = s
        case .some(let v): issues.append(.init(path: "description", code: "type_mismatch", message: "expected a string, found \(v.kindName)"))
        }

        // `origin`: what the definition was made from (an Argo Workflow, say), kept with it and
        // never interpreted by the engine.
        switch object["origin"] {
        case nil, .null?, .object?: break
        case .some(let v): issues.append(.init(path: "origin", code: "type_mismatch", message: "expected an object (kept with the definition, not interpreted), found \(v.kindName)"))
        }

        var namespace: String?
        switch object["namespace"] {
        case nil, .null?: break
        case .string(let s):
            if let problem = Namespace.problem(s) { issues.append(.init(path: "namespace", code: "invalid_value", message: problem)) } else { namespace = s }
        case .some(let v): issues.append(.init(path: "namespace", code: "type_mismatch", message: "expected a namespace name (string) such as \"team-a\", found \(v.kindName)"))
        }

        var inputSchema: Schema?
        if let raw = object["input_schema"], raw != .null {
            let (schema, schemaIssues) = Schema.parse(raw, path: "input_schema")
            issues += schemaIssues
            if let schema, let type = schema.type, type != .object {
                issues.append(.init(path: "input_schema.type", code: "invalid_schema", message: "an execution's input is an object; expected \"object\", found \"\(type.rawValue)\""))
            }
            inputSchema = schema
        }

        var form = WorkflowDefinition.Form.steps
        var tasks: [WorkflowDefinition.Task] = []
        switch (object["steps"], object["tasks"]) {
        case (nil, nil):
            issues.append(.init(path: "steps", code: "required", message: "required field is missing; give either \"steps\" (a chain) or \"tasks\" (a DAG)"))
        case (.some, .some):
            issues.append(.init(path: "tasks", code: "conflicting_fields", message: "give either \"steps\" (a chain) or \"tasks\" (a DAG), not both"))
        case (.some(let steps), nil):
            tasks = parseSteps(steps, maxTasks: maxTasks, issues: &issues)
        case (nil, .some(let dag)):
            form = .tasks
            tasks = parseTasks(dag, maxTasks: maxTasks, issues: &issues)
        }

        let timeout = parseTimeout(object["timeout_seconds"], path: "timeout_seconds", issues: &issues)
        var definition = WorkflowDefinition(name: name, description: description, form: form, tasks: tasks, inputSchema: inputSchema, timeoutSeconds: timeout)
        definition.namespace = namespace
        if let raw = object["retention"], raw != .null {
            let (policy, retentionIssues) = RetentionPolicy.parse(raw, path: "retention")
            issues += retentionIssues
            definition.retention = policy
        }
        return (definition, issues)
    }

    static func parseSteps(_ value: JSONValue, maxTasks: Int = maxTasks, issues: inout [ValidationIssue]) -> [WorkflowDefinition.Task] {
        guard case .array(let items) = value else {
            issues.append(.init(path: "steps", code: "type_mismatch", message: "expected an array of steps, found \(value.kindName)"))
            return []
        }
        if items.isEmpty { issues.append(.init(path: "steps", code: "empty", message: "expected at least one step, found none")) }
        // Counted before any step is read: a chain over the limit is refused for that alone.
        if items.count > maxTasks {
            issues.append(.init(path: "steps", code: "too_many", message: "expected at most \(maxTasks) steps, found \(items.count)"))
            return []
        }
        var tasks: [WorkflowDefinition.Task] = []
        for (i, item) in items.enumerated() {
            let path = IssuePath.index("steps", i)
            guard case .object(let step) = item else {
                issues.append(.init(path: path, code: "type_mismatch", message: "expected a step object such as {\"type\": \"TextOperation.Reverse\"}, found \(item.kindName)"))
                continue
            }
            rejectUnknown(step, allowed: stepFields, path: path, issues: &issues)
            let type = parseType(step, path: path, issues: &issues)
            var id = "step-\(i + 1)"
            if let given = step["id"] { id = parseID(given, path: IssuePath.member(path, "id"), issues: &issues) ?? id }
            let dependsOn = tasks.last.map { [$0.id] } ?? []
            var task = WorkflowDefinition.Task(id: id, type: type, parameters: step["input"], dependsOn: dependsOn, path: path)
            parseControl(step, into: &task, issues: &issues)
            tasks.append(task)
        }
        checkDuplicateIDs(tasks, field: "id", issues: &issues)
        return tasks
    }

    static func parseTasks(_ value: JSONValue, maxTasks: Int = maxTasks, issues: inout [ValidationIssue]) -> [WorkflowDefinition.Task] {
        guard case .array(let items) = value else {
            issues.append(.init(path: "tasks", code: "type_mismatch", message: "expected an array of tasks, found \(value.kindName)"))
            return []
        }
        if items.isEmpty { issues.append(.init(path: "tasks", code: "empty", message: "expected at least one task, found none")) }
        if items.count > maxTasks {
            issues.append(.init(path: "tasks", code: "too_many", message: "expected at most \(maxTasks) tasks, found \(items.count)"))
            return []
        }
        var tasks: [WorkflowDefinition.Task] = []
        for (i, item) in items.enumerated() {
            let path = IssuePath.index("tasks", i)
            guard case .object(let task) = item else {
                issues.append(.init(path: path, code: "type_mismatch", message: "expected a task object such as {\"id\": \"a\", \"type\": \"Echo\"}, found \(item.kindName)"))
                continue
            }
            rejectUnknown(task, allowed: taskFields, path: path, issues: &issues)
            let type = parseType(task, path: path, issues: &issues)
            var id = ""
            if let given = task["id"] {
                id = parseID(given, path: IssuePath.member(path, "id"), issues: &issues) ?? ""
            } else {
                issues.append(.init(path: IssuePath.member(path, "id"), code: "required", message: "required field is missing; expected a task id that depends_on can refer to"))
            }
            var dependsOn: [String] = []
            var positions: [Int] = []
            switch task["depends_on"] {
            case nil, .null?: break
            case .array(let deps):
                var listed = Set<String>()
                let listPath = IssuePath.member(path, "depends_on")
                for (j, dep) in deps.enumerated() {
                    if let s = dep.stringValue {
                        if !listed.insert(s).inserted {
                            issues.append(.init(path: IssuePath.index(listPath, j), code: "duplicate_dependency", message: "\"\(s)\" is listed twice"))
                        } else {
                            dependsOn.append(s)
                            positions.append(j)
                        }
                    } else {
                        issues.append(.init(path: IssuePath.index(listPath, j), code: "type_mismatch", message: "expected a task id (string), found \(dep.kindName)"))
                    }
                }
            case .some(let v):
                issues.append(.init(path: IssuePath.member(path, "depends_on"), code: "type_mismatch", message: "expected an array of task ids, found \(v.kindName)"))
            }
            var parsed = WorkflowDefinition.Task(id: id, type: type, parameters: task["input"], dependsOn: dependsOn, path: path)
            if positions.last.map({ $0 != positions.count - 1 }) == true { parsed.dependsOnPositions = positions }
            parseControl(task, into: &parsed, issues: &issues)
            tasks.append(parsed)
        }
        checkDuplicateIDs(tasks.filter { !$0.id.isEmpty }, field: "id", issues: &issues)
        return tasks
    }

    /// Reads a task's `retry` and `timeout_seconds`.
    static func parseControl(_ object: JSONObject, into task: inout WorkflowDefinition.Task, issues: inout [ValidationIssue]) {
        if let raw = object["retry"], raw != .null {
            task.retry = RetryPolicy.parse(raw, path: IssuePath.member(task.path, "retry"), issues: &issues) ?? .none
        }
        task.timeoutSeconds = parseTimeout(object["timeout_seconds"], path: IssuePath.member(task.path, "timeout_seconds"), issues: &issues)
        switch object["when"] {
        case nil, .null?: break
        case .string(let source)?:
            switch Condition.parse(source) {
            case .success(let condition): task.condition = condition
            case .failure(let error):
                issues.append(.init(path: IssuePath.member(task.path, "when"), code: "invalid_expression", message: error.message))
            }
        case .some(let v):
            issues.append(.init(path: IssuePath.member(task.path, "when"), code: "type_mismatch", message: "expected a condition such as \"tasks.check.number > 3 and input.mode == 'fast'\", found \(v.kindName)"))
        }
        task.map = parseMap(object["map"], task: task, issues: &issues)
        switch object["trigger"] {
        case nil, .null?, .string("all_completed")?: break
        case .string("all_finished")?: task.runsAfterFailure = true
        case .string("finally")?: task.runsAfterFailure = true; task.handlesFailures = false
        case .some(let v):
            issues.append(.init(path: IssuePath.member(task.path, "trigger"), code: "invalid_value", message: "expected \"all_completed\" (the default: a failure upstream skips the task) \"all_finished\" (the task is considered once its dependencies have finished, however they ended) or \"finally\" (the same, but a failure before it still fails the execution), found \(v.preview)"))
        }
        switch object["render_input"] {
        case nil, .null?, .bool(false)?: break
        case .bool(true)?:
            task.renderInput = true
        case .some(let v):
            issues.append(.init(path: IssuePath.member(task.path, "render_input"), code: "type_mismatch", message: "expected true or false, found \(v.kindName)"))
        }
        if task.map != nil, object["input_from"] != nil {
            issues.append(.init(path: IssuePath.member(task.path, "input_from"), code: "conflicting_fields", message: "a mapped task takes its items from map.over; give either map or input_from, not both"))
        }
        switch object["input_from"] {
        case nil, .null?: break
        case .object(let members)?:
            let p = IssuePath.member(task.path, "input_from")
            if members.isEmpty {
                issues.append(.init(path: p, code: "empty", message: "expected at least one member, such as {\"text\": \"tasks.fetch.json.title\"}"))
            }
            var selections: [InputSelection] = []
            for member in members {
                let (field, value) = (member.key, member.value)
                let mp = IssuePath.member(p, field)
                guard ["text", "number", "boolean", "json", "list"].contains(field) else {
                    issues.append(.init(path: mp, code: "unknown_field", message: "a task's input members are named after their type; expected one of text, number, boolean, json, list"))
                    continue
                }
                guard let source = value.stringValue else {
                    issues.append(.init(path: mp, code: "type_mismatch", message: "expected a reference such as \"tasks.fetch.json.title\" or \"input.name\", found \(value.kindName)"))
                    continue
                }
                do throws(ExpressionError) {
                    selections.append(InputSelection(field: field, reference: try Reference.parse(source)))
                } catch {
                    issues.append(.init(path: mp, code: "invalid_reference", message: error.message))
                }
            }
            task.inputFrom = selections
        case .some(let v):
            issues.append(.init(path: IssuePath.member(task.path, "input_from"), code: "type_mismatch", message: "expected an object mapping input members to references, such as {\"text\": \"tasks.fetch.json.title\"}, found \(v.kindName)"))
        }
    }

    /// Reads a task's `map`: `{"over": reference, "concurrency"?: 1–1000, "then"?: [{"type", "input"?}]}`.
    static func parseMap(_ value: JSONValue?, task: WorkflowDefinition.Task, issues: inout [ValidationIssue]) -> MapSpec? {
        guard let value, value != .null else { return nil }
        let p = IssuePath.member(task.path, "map")
        guard case .object(let o) = value else {
            issues.append(.init(path: p, code: "type_mismatch", message: "expected an object such as {\"over\": \"tasks.split.list\", \"concurrency\": 10}, found \(value.kindName)"))
            return nil
        }
        rejectUnknown(o, allowed: mapFields, path: p, issues: &issues)
        var over: Reference?
        switch o["over"] {
        case nil: issues.append(.init(path: IssuePath.member(p, "over"), code: "required", message: "required field is missing; expected a reference to a list, such as \"tasks.split.list\" or \"input.items\""))
        case .string(let s)?:
            do throws(ExpressionError) { over = try Reference.parse(s) } catch {
                issues.append(.init(path: IssuePath.member(p, "over"), code: "invalid_reference", message: error.message))
            }
        case .some(let v): issues.append(.init(path: IssuePath.member(p, "over"), code: "type_mismatch", message: "expected a reference to a list (a string), found \(v.kindName)"))
        }
        var concurrency = 10
        if let raw = o["concurrency"] {
            if case .number(let n) = raw, n == n.rounded(), (1...Double(Limits.maxMapConcurrency)).contains(n) { concurrency = Int(n) } else {
                issues.append(.init(path: IssuePath.member(p, "concurrency"), code: "invalid_value", message: "expected a whole number from 1 to \(Limits.maxMapConcurrency) (items run at once), found \(raw.preview)"))
            }
        }
        var then: [WorkflowDefinition.Task] = []
        switch o["then"] {
        case nil, .null?: break
        case .array(let items)?:
            for (k, item) in items.enumerated() {
                let sp = IssuePath.index(IssuePath.member(p, "then"), k)
                guard case .object(let step) = item else {
                    issues.append(.init(path: sp, code: "type_mismatch", message: "expected a step object such as {\"type\": \"TextOperation.Uppercase\"}, found \(item.kindName)"))
                    continue
                }
                rejectUnknown(step, allowed: mapStepFields, path: sp, issues: &issues)
                then.append(.init(id: "\(task.id)[then \(k + 1)]", type: parseType(step, path: sp, issues: &issues), parameters: step["input"], path: sp))
            }
        case .some(let v): issues.append(.init(path: IssuePath.member(p, "then"), code: "type_mismatch", message: "expected an array of steps, found \(v.kindName)"))
        }
        guard let over else { return nil }
        return MapSpec(over: over, concurrency: concurrency, then: then)
    }

    static func parseTimeout(_ value: JSONValue?, path: String, issues: inout [ValidationIssue]) -> Double? {
        switch value {
        case nil, .null?: return nil
        case .number(let n)? where n > 0 && n <= maxTimeoutSeconds: return n
        case .some(let v):
            issues.append(.init(path: path, code: "invalid_value", message: "expected a number of seconds greater than 0 and at most \(Int(maxTimeoutSeconds)) (30 days), found \(v.preview)"))
            return nil
        }
    }

    static func parseType(_ object: JSONObject, path: String, issues: inout [ValidationIssue]) -> String {
        let p = IssuePath.member(path, "type")
        switch object["type"] {
        case nil:
            issues.append(.init(path: p, code: "required", message: "required field is missing; expected a step type name such as \"TextOperation.Reverse\" (GET /step-types lists them)"))
        case .string(let s): return s
        case .some(let v):
            issues.append(.init(path: p, code: "type_mismatch", message: "expected a step type name (string), found \(v.kindName)"))
        }
        return ""
    }

    static func parseID(_ value: JSONValue, path: String, issues: inout [ValidationIssue]) -> String? {
        guard let s = value.stringValue else {
            issues.append(.init(path: path, code: "type_mismatch", message: "expected a string id, found \(value.kindName)"))
            return nil
        }
        let valid = !s.isEmpty && s.count <= maxIDLength && s.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || $0 == "_" || $0 == "-" || $0 == "." }
        if !valid {
            issues.append(.init(path: path, code: "invalid_id", message: "expected 1 to \(maxIDLength) ASCII letters, digits, '_', '-' or '.', found \(value.preview)"))
            return nil
        }
        return s
    }

    static func checkDuplicateIDs(_ tasks: [WorkflowDefinition.Task], field: String, issues: inout [ValidationIssue]) {
        var firstPath: [String: String] = [:]
        for task in tasks {
            if let first = firstPath[task.id] {
                issues.append(.init(path: IssuePath.member(task.path, field), code: "duplicate_id", message: "id \"\(task.id)\" is already used by \(first); ids must be unique"))
            } else {
                firstPath[task.id] = task.path
            }
        }
    }

    static func rejectUnknown(_ object: JSONObject, allowed: [String], path: String, issues: inout [ValidationIssue]) {
        var message: String?
        for member in object where !allowed.contains(member.key) {
            if message == nil { message = "unknown field; expected one of \(allowed.joined(separator: ", "))" }
            issues.append(.init(path: IssuePath.member(path, member.key), code: "unknown_field", message: message!))
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
