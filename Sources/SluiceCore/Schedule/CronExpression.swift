/// A cron expression: when a schedule fires, as wall-clock fields.
///
/// Five fields (`minute hour day-of-month month day-of-week`, seconds are 0) or six (a
/// `second` field first). Each field is `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or
/// `a/n` (from `a` to the field's end), or a comma-separated list of these. Months may be named
/// `JAN`–`DEC` and days `SUN`–`SAT`, in any case; day-of-week 0 and 7 are both Sunday. The
/// macros `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly`
/// stand for `0 0 1 1 *`, `0 0 1 * *`, `0 0 * * 0`, `0 0 * * *` and `0 * * * *`.
///
/// Days follow Vixie cron: when both day-of-month and day-of-week are restricted (neither field
/// starts with `*`), a day matches if EITHER does (`0 0 1 * MON` is the 1st and every Monday);
/// otherwise both must (`*/2` counts as unrestricted here, as in Vixie cron).
///
/// Parsing is linear in the text, which is at most `maxLength` characters; problems are
/// `ParseError` values that name the field (`field 2 (hour): 24 is out of range 0–23`).
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The longest expression accepted, in characters.
    public static let maxLength = Limits.cronExpressionCharacters

    /// The fields, in the order of a six-field expression.
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case second, minute, hour
        case dayOfMonth = "day of month"
        case month
        case dayOfWeek = "day of week"

        /// The values it takes (day of week: 0–7, 7 being Sunday again).
        var range: ClosedRange<Int> {
            switch self {
            case .second, .minute: return 0...59
            case .hour: return 0...23
            case .dayOfMonth: return 1...31
            case .month: return 1...12
            case .dayOfWeek: return 0...7
            }
        }

        var names: [String] {
            switch self {
            case .month: return ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
            case .dayOfWeek: return ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
            default: return []
            }
        }

        /// The value of `names[0]`.
        var firstNamedValue: Int { self == .month ? 1 : 0 }
    }

    /// Why a text is not a cron expression. `field` and `position` (1-based, as written: in a
    /// five-field expression the hour is field 2) are `nil` for a problem with the whole text.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var field: Field?
        public var position: Int?
        public var message: String

        public var description: String {
            guard let field, let position else { return message }
            return "field \(position) (\(field.rawValue)): \(message)"
        }
    }

    /// The text as given (trimmed).
    public let source: String
    // One bit per value: seconds and minutes 0–59, hours 0–23, days of month 1–31, months
    // 1–12, days of week 0–6 (Sunday 0).
    let seconds: UInt64
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    /// Whether a field starts with `*` (Vixie cron's "star" flags).
    let dayOfMonthStar: Bool
    let dayOfWeekStar: Bool
    let hourStar: Bool
    /// Whether some month has a matching day: `0 0 31 2 *` has none.
    let satisfiable: Bool

    public var description: String { source }

    /// Whether the expression follows real time across daylight-saving changes (its hour field
    /// starts with `*`: `0 * * * *`, `*/15 * * * *`) rather than naming wall-clock times. See
    /// `next(after:in:)`.
    public var followsRealTime: Bool { hourStar }

    public init(parsing text: String) throws(ParseError) {
        guard text.unicodeScalars.count <= Self.maxLength else {
            throw ParseError(message: "a cron expression has at most \(Self.maxLength) characters; this one has \(text.unicodeScalars.count)")
        }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
        source = words.joined(separator: " ")
        var fields = words
        if words.count == 1, let macro = words.first, macro.hasPrefix("@") {
            switch macro.lowercased() {
            case "@yearly", "@annually": fields = ["0", "0", "1", "1", "*"]
            case "@monthly": fields = ["0", "0", "1", "*", "*"]
            case "@weekly": fields = ["0", "0", "*", "*", "0"]
            case "@daily", "@midnight": fields = ["0", "0", "*", "*", "*"]
            case "@hourly": fields = ["0", "*", "*", "*", "*"]
            default:
                throw ParseError(message: "unknown macro \(macro); expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly")
            }
        }
        guard fields.count == 5 || fields.count == 6 else {
            let found = fields.isEmpty ? "an empty expression" : "\(fields.count) field\(fields.count == 1 ? "" : "s")"
            throw ParseError(message: "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found \(found)")
        }
        if fields.count == 5 { fields.insert("0", at: 0) }
        let offset = words.count == 6 ? 0 : 1  // position = index + 1 - offset
        var masks: [UInt64] = []
        for (index, field) in Field.allCases.enumerated() {
            masks.append(try Self.parseField(fields[index], field, position: index + 1 - offset))
        }
        seconds = masks[0]
        minutes = masks[1]
        hours = masks[2]
        daysOfMonth = masks[3]
        months = masks[4]
        // Sunday as 7 is Sunday as 0.
        daysOfWeek = (masks[5] & 0x7F) | (masks[5] >> 7 & 1)
        hourStar = fields[2].hasPrefix("*")
        dayOfMonthStar = fields[3].hasPrefix("*")
        dayOfWeekStar = fields[5].hasPrefix("*")
        // With the OR rule every week has a matching day; otherwise some month must have one
        // of the days of month (the day of week comes round in every month over the years).
        let longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let monthMask = masks[4], dayMask = masks[3]
        satisfiable = (!dayOfMonthStar && !dayOfWeekStar) || (1...12).contains { m in
            monthMask >> m & 1 == 1 && dayMask & (UInt64(1) << (longest[m] + 1) - 2) != 0
        }
    }

    /// One field's values as bits. Linear in `text`.
    static func parseField(_ text: String, _ field: Field, position: Int) throws(ParseError) -> UInt64 {
        func fail(_ message: String) -> ParseError { ParseError(field: field, position: position, message: message) }
        let range = field.range
        let expected = "\(range.lowerBound)–\(range.upperBound)"
        func value(_ token: Substring) throws(ParseError) -> Int {
            if token.isEmpty { throw fail("a value is missing in \"\(text)\"; expected a number \(expected)") }
            if token.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                guard token.utf8.count <= 4, let n = Int(token), range.contains(n) else {
                    throw fail("\(token) is out of range \(expected)")
                }
                return n
            }
            if let i = field.names.firstIndex(of: token.uppercased()) { return i + field.firstNamedValue }
            let names = field.names.isEmpty ? "" : " or a name \(field.names.first!)–\(field.names.last!)"
            throw fail("\"\(token)\" is not a value; expected a number \(expected)\(names)")
        }
        var mask: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            if item.isEmpty { throw fail("an empty item in the list \"\(text)\"; expected values between the commas") }
            let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let base = parts[0]
            var step = 1
            if parts.count == 2 {
                let s = parts[1]
                guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), s.utf8.count <= 4, let n = Int(s) else {
                    throw fail("step \"\(s)\" in \"\(item)\" is not a number; expected a step 1–\(range.count)")
                }
                guard n >= 1 else { throw fail("a step of 0 in \"\(item)\" never advances; expected a step 1–\(range.count)") }
                guard n <= range.count else { throw fail("step \(n) in \"\(item)\" is larger than the field's \(range.count) values; expected a step 1–\(range.count)") }
                step = n
            }
            let low: Int, high: Int
            if base == "*" {
                low = range.lowerBound
                high = field == .dayOfWeek ? 6 : range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash])
                high = try value(base[base.index(after: dash)...])
                guard low <= high else { throw fail("range \(base) goes backwards; expected the lower value first") }
            } else {
                low = try value(base)
                // `a/n` runs from a to the field's end.
                high = parts.count == 2 ? (field == .dayOfWeek ? 6 : range.upperBound) : low
            }
            for v in stride(from: low, through: high, by: step) { mask |= UInt64(1) << v }
        }
        return mask
    }
}

// MARK: Next fire time

extension CronExpression {
    /// How far ahead `next(after:in:)` looks: past 8 years, so that a February 29 at the turn
    /// of a century (2096 to 2104) is still found.
    static let horizonSeconds: Int64 = 8 * 366 * 86_400 + 2 * 86_400

    /// The first fire time strictly after `instant` (milliseconds since the epoch), in whole
    /// seconds, with the fields read as wall-clock time in `timeZone`; `nil` when there is none
    /// within 8 years (`0 0 31 2 *`, or `0 0 30 2 *`).
    ///
    /// Daylight-saving changes, as cron users expect them (Vixie cron's rules, made exact):
    /// - An expression that names wall-clock times (its hour field does not start with `*`:
    ///   `30 2 * * *`, `0 9 * * MON-FRI`):
    ///   - a time in a spring-forward gap (02:30 on the day Europe/Berlin goes from 02:00 to
    ///     03:00) fires once, at the first instant after the gap (03:00 local); several times in
    ///     the gap fire that once;
    ///   - a time that occurs twice on a fall-back day (02:30 when Berlin goes from 03:00 back
    ///     to 02:00) fires once, at its first occurrence.
    /// - An expression that follows real time (its hour field starts with `*`: `0 * * * *`,
    ///   `*/10 * * * *`, `* * * * * *`) fires at each real instant whose wall-clock time
    ///   matches: both occurrences of a repeated hour fire, and wall times in a gap, which no
    ///   instant has, are skipped. `0 * * * *` fires once every real hour through both changes.
    ///
    /// The search advances field by field (month, then day, then hour, minute, second) through
    /// the stretches of constant UTC offset, so it costs microseconds even for `0 0 29 2 *`.
    public func next(after instant: Int64, in timeZone: ScheduleTimeZone) -> Int64? {
        guard satisfiable else { return nil }
        var u = Self.floorDiv(instant, 1000) + 1
        let horizon = u + Self.horizonSeconds
        // The stretch of constant offset that holds u: where it started (a transition within the
        // last two days, if any) and the offset before it.
        var stretchStart: Int64?
        var previousOffset: Int64?
        var probe = u - 2 * 86_400
        while let t = timeZone.transition(after: probe), t <= u {
            stretchStart = t
            probe = t
        }
        if let s = stretchStart { previousOffset = timeZone.offset(at: s - 1) }
        while u < horizon {
            let offset = timeZone.offset(at: u)
            let end = min(timeZone.transition(after: u) ?? horizon, horizon)
            if !followsRealTime, let s = stretchStart, let p = previousOffset {
                // A spring-forward gap just before u: its matching wall times fire at its end.
                if s == u, p < offset, firstMatch(from: s + p, before: s + offset) != nil { return s * 1000 }
            }
            var from = u + offset
            if !followsRealTime, let s = stretchStart, let p = previousOffset, p > offset {
                // After a fall-back the wall times up to s + p come round again: they fired already.
                from = max(from, s + p)
            }
            if let wall = firstMatch(from: from, before: end + offset) { return (wall - offset) * 1000 }
            stretchStart = end
            previousOffset = offset
            u = end
        }
        return nil
    }

    /// The first matching wall-clock time at or after `from` and before `limit`, both in seconds
    /// of local time counted as if it were UTC.
    func firstMatch(from: Int64, before limit: Int64) -> Int64? {
        var day = Self.floorDiv(from, 86_400)
        var secondOfDay = Int(from - day * 86_400)
        while day * 86_400 < limit {
            let (_, month, dayOfMonth) = Civil.date(days: day)
            if months >> month & 1 == 0 {
                // On to the first of the next month.
                day += Int64(Civil.daysIn(year: Civil.date(days: day).year, month: month) - dayOfMonth + 1)
                secondOfDay = 0
                continue
            }
            if matchesDay(dayOfMonth: dayOfMonth, dayOfWeek: Civil.weekday(days: day)), let s = firstTime(from: secondOfDay) {
                let wall = day * 86_400 + Int64(s)
                return wall < limit ? wall : nil
            }
            day += 1
            secondOfDay = 0
        }
        return nil
    }

    func matchesDay(dayOfMonth: Int, dayOfWeek: Int) -> Bool {
        let dom = daysOfMonth >> dayOfMonth & 1 == 1
        let dow = daysOfWeek >> dayOfWeek & 1 == 1
        return dayOfMonthStar || dayOfWeekStar ? dom && dow : dom || dow
    }

    /// The first matching second of a day at or after `secondOfDay`.
    func firstTime(from secondOfDay: Int) -> Int? {
        var hour = secondOfDay / 3600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        while let h = Self.nextBit(hours, from: hour) {
            if h != hour { minute = 0; second = 0 }
            if let m = Self.nextBit(minutes, from: minute) {
                if m != minute { second = 0 }
                if let s = Self.nextBit(seconds, from: second) { return h * 3600 + m * 60 + s }
                if let m2 = Self.nextBit(minutes, from: m + 1), let s = Self.nextBit(seconds, from: 0) { return h * 3600 + m2 * 60 + s }
            }
            hour = h + 1
            minute = 0
            second = 0
        }
        return nil
    }

    static func nextBit(_ mask: UInt64, from: Int) -> Int? {
        guard from < 64 else { return nil }
        let rest = mask >> from
        return rest == 0 ? nil : from + rest.trailingZeroBitCount
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
}
