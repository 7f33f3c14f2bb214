import SluiceCore

/// Argo's `fields` query parameter: which parts of an answer to send. A comma-separated list of
/// dotted paths from the answer's root (`items.metadata.name,items.status.phase,metadata`)
/// keeps only those parts; the same list starting with `-` (`-items.status.nodes`) drops them
/// and keeps the rest. An array is passed through: a path applies to each of its elements.
/// Argo's CLI and UI ask for this to keep the answers of large workflows small.
public struct ArgoFields: Sendable, Equatable {
    public var paths: [[String]]
    /// `true` for a list starting with `-`.
    public var excluding: Bool

    /// `nil` for an absent or empty parameter (the whole answer).
    public init?(_ raw: String?) {
        guard var text = raw.map({ Self.trimmed(Substring($0)) }), !text.isEmpty else { return nil }
        excluding = text.hasPrefix("-")
        if excluding { text.removeFirst() }
        paths = text.split(separator: ",").compactMap { part in
            var p = Self.trimmed(part)
            if p.hasPrefix("-") { p.removeFirst() }
            let segments = p.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
            return segments.isEmpty ? nil : segments
        }
        if paths.isEmpty { return nil }
    }

    static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }

    /// `value` with only (or without) the parts the paths name.
    public func apply(to value: JSONValue) -> JSONValue {
        let suffixes = paths.map { $0[...] }
        return excluding ? Self.exclude(value, suffixes) ?? .null : Self.include(value, suffixes) ?? .null
    }

    /// The parts of `value` under `paths`; `nil` when none of it is kept.
    static func include(_ value: JSONValue, _ paths: [ArraySlice<String>]) -> JSONValue? {
        if paths.contains(where: \.isEmpty) { return value }
        switch value {
        case .object(let object):
            var kept = JSONObject()
            for member in object {
                let (key, child) = (member.key, member.value)
                let below = paths.compactMap { $0.first == key ? $0.dropFirst() : nil }
                if below.isEmpty { continue }
                if let part = include(child, below) { kept.append(key, part) }
            }
            return .object(kept)
        case .array(let items):
            return .array(items.map { include($0, paths) ?? .null })
        default:
            return nil
        }
    }

    /// `value` without the parts under `paths`; `nil` when all of it goes.
    static func exclude(_ value: JSONValue, _ paths: [ArraySlice<String>]) -> JSONValue? {
        if paths.contains(where: \.isEmpty) { return nil }
        switch value {
        case .object(let object):
            var kept = JSONObject()
            for member in object {
                let (key, child) = (member.key, member.value)
                let below = paths.compactMap { $0.first == key ? $0.dropFirst() : nil }
                if below.isEmpty {
                    kept.append(key, child)
                } else if let part = exclude(child, below) {
                    kept.append(key, part)
                }
            }
            return .object(kept)
        case .array(let items):
            return .array(items.compactMap { exclude($0, paths) })
        default:
            return value
        }
    }
}
