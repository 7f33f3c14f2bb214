internal import Foundation

/// A time zone by its IANA name (`Europe/Berlin`), from the system's tz database through
/// Foundation. The only place the schedule code asks Foundation anything: the UTC offset at an
/// instant and the next change of it. The rest of the calendar arithmetic is Sluice's own, so
/// that the rules of `CronExpression.next(after:in:)` are exact and cheap.
public struct ScheduleTimeZone: Sendable, Hashable, CustomStringConvertible {
    /// The name as given.
    public let identifier: String
    let zone: TimeZone

    /// The longest name accepted.
    public static let maxIdentifierLength = Limits.timeZoneCharacters

    /// `nil` for a name the tz database does not know.
    public init?(identifier: String) {
        guard !identifier.isEmpty, identifier.utf8.count <= Self.maxIdentifierLength,
              identifier.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    public static let utc = ScheduleTimeZone(identifier: "UTC")!

    public var description: String { identifier }

    public static func == (a: Self, b: Self) -> Bool { a.identifier == b.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }

    /// Seconds east of UTC at `seconds` since the epoch.
    func offset(at seconds: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
    }

    /// The first change of offset strictly after `seconds`, in whole seconds since the epoch.
    func transition(after seconds: Int64) -> Int64? {
        guard let date = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: Double(seconds))) else { return nil }
        let t = Int64(date.timeIntervalSince1970.rounded(.up))
        if t > seconds { return t }
        // A transition at exactly `seconds`: ask once more from just after it.
        guard let later = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: Double(seconds + 1))) else { return nil }
        let t2 = Int64(later.timeIntervalSince1970.rounded(.up))
        return t2 > seconds ? t2 : nil
    }
}
