/// The static type of a value that a reference or a condition operand can have, as far as it is
/// known when a workflow is created.
///
/// Types are used only for checking: `unknown` (and unknown parts of a type) always pass, so a
/// type that is not known never rejects a workflow.
public indirect enum ValueType: Sendable, Hashable, CustomStringConvertible {
    /// A JSON string.
    case text
    /// A JSON number.
    case number
    /// `true` or `false`.
    case boolean
    /// The JSON `null`.
    case null
    /// A JSON object. `members` are the members known to exist and their types; when `closed` is
    /// true the object has no other members (reaching for another one is an error), otherwise
    /// other members may exist and have an unknown type.
    case object(members: [String: ValueType], closed: Bool)
    /// A JSON array whose elements have the given type (`unknown` when not known).
    case list(ValueType)
    /// Anything: the type is not known until run time.
    case unknown

    /// An object whose members are not known.
    public static let anyObject = ValueType.object(members: [:], closed: false)

    /// An object with exactly these members, such as a task output `{"number": 3}`.
    public static func closedObject(_ members: [String: ValueType]) -> ValueType {
        .object(members: members, closed: true)
    }

    /// How the type reads in messages: `text`, `number`, `{number}` (exactly these members),
    /// `{mode, user, …}` (at least these), `object`, `list of text`, `list`, `unknown`. An object
    /// with more than 20 members reads `an object with 150 members` (`… or more` when open), so
    /// that a message costs the same however large the input schema.
    public var description: String {
        switch self {
        case .text: return "text"
        case .number: return "number"
        case .boolean: return "boolean"
        case .null: return "null"
        case .object(let members, let closed):
            if members.isEmpty { return closed ? "{}" : "object" }
            if members.count > TypeChecker.maxListed { return "an object with \(members.count) members" + (closed ? "" : " or more") }
            let names = members.keys.sorted().map { name in
                IssuePath.member("", name)
            }
            return "{" + names.joined(separator: ", ") + (closed ? "" : ", …") + "}"
        case .list(let element):
            if case .unknown = element { return "list" }
            return "list of \(element)"
        case .unknown: return "unknown"
        }
    }

    /// Whether the type is fully unknown.
    public var isUnknown: Bool {
        if case .unknown = self { return true }
        return false
    }

    /// The name of the type's kind, without its parts: `text`, `object`, `list`, …
    var kindName: String {
        switch self {
        case .text: return "text"
        case .number: return "number"
        case .boolean: return "boolean"
        case .null: return "null"
        case .object: return "object"
        case .list: return "list"
        case .unknown: return "unknown"
        }
    }

    /// The type of a JSON value (used for literals).
    init(of value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool: self = .boolean
        case .number: self = .number
        case .string: self = .text
        case .array(let items): self = .list(ValueType.common(items.map(ValueType.init(of:))))
        case .object(let object):
            var members: [String: ValueType] = [:]
            for member in object { members[member.key] = ValueType(of: member.value) }
            self = .object(members: members, closed: true)
        }
    }

    /// The one type all of `types` have, or `unknown` when they differ or there are none.
    static func common(_ types: [ValueType]) -> ValueType {
        guard let first = types.first else { return .unknown }
        return types.allSatisfy { $0 == first } ? first : .unknown
    }
}
