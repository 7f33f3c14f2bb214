extension StepRegistry {
    /// `Human.Task`: work done by a person. The task waits in the inboxes of the accounts it is
    /// assigned to (or of everyone who may work in its namespace) until one claims it and
    /// submits an answer, which is checked against `form` (a JSON Schema) and becomes the task's
    /// output. An editor may reassign it; `due_seconds` bounds how long it may wait, and `on_due`
    /// says what happens then.
    static let humanTask = StepType(
        name: "Human.Task",
        summary: "Waits for a person to claim it from their inbox and submit an answer matching `form` (a JSON Schema; default: any object); the answer is the task's output. The person sees `title`, `instructions` and the task's input.",
        input: .any, output: .value(.json),
        parameters: {
            var title = Schema.string(minLength: 1).described("What the person is asked to do, as the inbox lists it.")
            title.maxLength = HumanTask.maxTitleLength
            var instructions = Schema(type: .string).described("How to do it, shown above the form.")
            instructions.maxLength = HumanTask.maxInstructionsLength
            var due = Schema(type: .number).described("How long the task may wait for an answer, in seconds from when it is queued (\(HumanTask.minDueSeconds.formattedSeconds) to \(HumanTask.maxDueSeconds.formattedSeconds)); `on_due` says what happens then.")
            due.minimum = HumanTask.minDueSeconds
            due.maximum = HumanTask.maxDueSeconds
            var assignees = Schema(type: .array).described("The accounts that may claim it, and groups of accounts as \"group:NAME\" (at most \(HumanTask.maxAssignees) entries); empty or left out: anyone who may work in the workflow's namespace. A group's members are read when a person lists their inbox or claims the task.")
            assignees.items = .init(Schema(type: .string))
            return .object([
                ("title", title),
                ("instructions", instructions),
                ("form", Schema(type: .object).described("The JSON Schema of the answer (Sluice's subset: type, properties, required, items, enum, minimum, maximum, minLength, maxLength, additionalProperties, title, description, default); default {\"type\": \"object\"}.")),
                ("assignees", assignees),
                ("due_seconds", due),
                ("on_due", Schema.string().described("When `due_seconds` pass without an answer: \"fail\" fails the task (not retried), \"answer\" completes it with `default_answer`.").oneOf(["fail", "answer"]).defaulting(to: "fail")),
                ("default_answer", Schema().described("The answer `on_due: \"answer\"` completes the task with; it must match `form`.")),
            ], required: ["title"])
        }(),
        parametersRequired: true,
        parameterCheck: { parameters, path in HumanTask.problems(parameters, path: path) },
        implementation: .external
    )
}

/// The rules of `Human.Task` parameters and answers, shared by the type checker, the engine and
/// the API.
public enum HumanTask {
    public static let stepType = "Human.Task"
    /// The queue every human task waits in: not a valid `Worker.Task` queue name, so no worker
    /// can claim one.
    public static let queue = "@human"
    public static let maxTitleLength = Limits.humanTitleCharacters
    public static let maxInstructionsLength = Limits.humanInstructionsCharacters
    public static let maxAssignees = Limits.humanAssignees
    public static let minDueSeconds = 1.0
    public static let maxDueSeconds = Double(Limits.humanDueSeconds)

    /// What happens when a task's due time passes without an answer.
    public enum OnDue: Sendable, Hashable {
        case fail
        case answer(JSONValue)
    }

    /// A human task as its parameters describe it (checked at creation).
    public struct Spec: Sendable, Hashable {
        public var title: String
        public var instructions: String
        /// The answer's schema as written (`{"type": "object"}` when none is given).
        public var form: JSONValue
        public var assignees: [String]
        public var dueSeconds: Double?
        public var onDue: OnDue

        public init(title: String, instructions: String = "", form: JSONValue = ["type": "object"], assignees: [String] = [], dueSeconds: Double? = nil, onDue: OnDue = .fail) {
            self.title = title
            self.instructions = instructions
            self.form = form
            self.assignees = assignees
            self.dueSeconds = dueSeconds
            self.onDue = onDue
        }

        /// The spec of a `Human.Task` with these (checked) parameters.
        public init(parameters: JSONValue?) {
            let form = parameters?["form"] ?? ["type": "object"]
            let onDue: OnDue = parameters?["on_due"]?.stringValue == "answer" ? .answer(parameters?["default_answer"] ?? .null) : .fail
            self.init(
                title: parameters?["title"]?.stringValue ?? "",
                instructions: parameters?["instructions"]?.stringValue ?? "",
                form: form,
                assignees: parameters?["assignees"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                dueSeconds: parameters?["due_seconds"]?.numberValue,
                onDue: onDue
            )
        }

        /// Whether `account`, a member of `groups`, may claim it: an assignee, a member of an
        /// assigned group, or anyone when there are none.
        public func mayClaim(_ account: String, groups: Set<String> = []) -> Bool {
            assignees.isEmpty || assignees.contains(account) || groups.contains { assignees.contains(GroupName.assigneePrefix + $0) }
        }

        /// The groups among its assignees (`group:ops` → `ops`), in order.
        public var assignedGroups: [String] {
            assignees.compactMap(GroupName.named(byAssignee:))
        }

        /// As stored with the queued task, and as `init(json:)` reads it back.
        public var json: JSONValue {
            var o = JSONObject()
            o.append("title", .string(title))
            o.append("instructions", .string(instructions))
            o.append("form", form)
            o.append("assignees", .array(assignees.map(JSONValue.string)))
            if let dueSeconds { o.append("due_seconds", .number(dueSeconds)) }
            switch onDue {
            case .fail: o.append("on_due", "fail")
            case .answer(let value):
                o.append("on_due", "answer")
                o.append("default_answer", value)
            }
            return .object(o)
        }

        public init?(json: JSONValue) {
            guard json["title"]?.stringValue != nil else { return nil }
            self.init(parameters: json)
        }
    }

    /// The problems of `Human.Task` parameters that their schema cannot express: the form must
    /// be a schema Sluice understands, assignees valid account names or `group:NAME` without
    /// repeats (neither is looked up: an unknown account or group claims nothing), and a
    /// default answer must be given when `on_due` is "answer", and match the form.
    static func problems(_ parameters: JSONValue, path: String) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        var form: Schema? = Schema(type: .object)
        if let raw = parameters["form"] {
            let (schema, formIssues) = Schema.parse(raw, path: IssuePath.member(path, "form"))
            issues += formIssues
            form = schema
            if let type = schema?.type, type != .object {
                issues.append(.init(path: IssuePath.member(IssuePath.member(path, "form"), "type"), code: "invalid_schema", message: "an answer is an object of fields; expected \"object\", found \"\(type.rawValue)\""))
            }
        }
        if let list = parameters["assignees"]?.arrayValue {
            let at = IssuePath.member(path, "assignees")
            if list.count > maxAssignees {
                issues.append(.init(path: at, code: "too_many", message: "expected at most \(maxAssignees) accounts and groups, found \(list.count)"))
            } else {
                var seen = Set<String>()
                for (i, item) in list.enumerated() {
                    guard let name = item.stringValue else { continue }
                    if let group = GroupName.named(byAssignee: name) {
                        if let problem = GroupName.problem(group) {
                            issues.append(.init(path: "\(at)[\(i)]", code: "invalid_group", message: problem + " (after \"\(GroupName.assigneePrefix)\")"))
                        } else if !seen.insert(name).inserted {
                            issues.append(.init(path: "\(at)[\(i)]", code: "duplicate", message: "group \"\(group)\" is listed twice"))
                        }
                    } else if let problem = AccountName.problem(name) {
                        issues.append(.init(path: "\(at)[\(i)]", code: "invalid_account", message: problem + "; a group is named \"\(GroupName.assigneePrefix)NAME\""))
                    } else if !seen.insert(name).inserted {
                        issues.append(.init(path: "\(at)[\(i)]", code: "duplicate", message: "account \"\(name)\" is listed twice"))
                    }
                }
            }
        }
        let onDue = parameters["on_due"]?.stringValue
        let defaultAnswer = parameters["default_answer"]
        if onDue == "answer" {
            if let defaultAnswer {
                if let form { issues += form.validate(defaultAnswer, path: IssuePath.member(path, "default_answer")) }
            } else {
                issues.append(.init(path: IssuePath.member(path, "default_answer"), code: "required", message: "on_due \"answer\" needs the answer to complete the task with when it is due; expected default_answer"))
            }
        } else if defaultAnswer != nil {
            issues.append(.init(path: IssuePath.member(path, "default_answer"), code: "unused", message: "default_answer is used only with on_due \"answer\"; set on_due to \"answer\" or leave default_answer out"))
        }
        if onDue != nil, parameters["due_seconds"] == nil {
            issues.append(.init(path: IssuePath.member(path, "on_due"), code: "unused", message: "on_due says what happens when the task is due; expected due_seconds too"))
        }
        return issues
    }

    /// A person's answer as the task produces it, or why it does not match `form`.
    public static func output(_ answer: JSONValue, form: JSONValue) -> Result<JSONValue, ValidationFailure> {
        let (schema, _) = Schema.parse(form, path: "form")
        let issues = (schema ?? Schema(type: .object)).validate(answer, path: "answer")
        if !issues.isEmpty {
            return .failure(ValidationFailure(title: "The answer does not match the task's form", issues: issues))
        }
        return .success([DataType.json.field: answer])
    }
}
