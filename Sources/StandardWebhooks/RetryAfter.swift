/// Parsing of the HTTP `Retry-After` response header (RFC 9110, section 10.2.3), which a
/// webhook receiver may send with a 429 or 503 to say when to try again.
public enum RetryAfter {
    /// The delay a `Retry-After` value asks for, in seconds from `now`.
    ///
    /// Accepts delay-seconds (a non-negative decimal integer; one too large for `Int64` gives
    /// `Int64.max`) and an HTTP-date: the IMF-fixdate form `Wed, 21 Oct 2015 07:28:00 GMT`
    /// and the two obsolete forms RFC 9110 still asks recipients to accept, RFC 850
    /// (`Wednesday, 21-Oct-15 07:28:00 GMT`) and asctime (`Wed Oct 21 07:28:00 2015`). A date
    /// in the past gives 0. Surrounding spaces and tabs are ignored; the date forms are
    /// case-sensitive, as the RFC defines them.
    ///
    /// - Parameters:
    ///   - value: the header value.
    ///   - now: the current Unix time in seconds.
    /// - Returns: the delay in seconds, at least 0, or nil if the value is neither form.
    public static func seconds(_ value: String, now: Int64) -> Int64? {
        var bytes = Array(value.utf8)[...]
        while let first = bytes.first, first == .space || first == .tab { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == .space || last == .tab { bytes = bytes.dropLast() }
        guard !bytes.isEmpty else { return nil }
        if bytes.allSatisfy(isDigit) { return number(bytes) ?? .max }
        guard let date = unixTime(ofHTTPDate: Array(bytes), now: now) else { return nil }
        let (delay, overflow) = date.subtractingReportingOverflow(now)
        if overflow { return now < 0 ? .max : 0 }
        return max(0, delay)
    }

    // MARK: - HTTP-date

    static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map { Array($0.utf8) }
    static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"].map { Array($0.utf8) }
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map { Array($0.utf8) }

    /// The Unix time of an HTTP-date in any of its three forms, or nil.
    static func unixTime(ofHTTPDate b: [UInt8], now: Int64) -> Int64? {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        if b.count == 29, shortDays.contains(Array(b[0..<3])), b[3] == .comma, b[4] == .space,
           let day = number(b[5..<7]), b[7] == .space, let month = month(b[8..<11]), b[11] == .space,
           let year = number(b[12..<16]), b[16] == .space, let time = timeOfDay(b[17..<25]),
           b[25] == .space, Array(b[26..<29]) == Array("GMT".utf8) {
            return unixTime(year: year, month: month, day: day, time: time)
        }
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        if let comma = b.firstIndex(of: .comma), longDays.contains(Array(b[..<comma])) {
            let r = Array(b[(comma + 1)...])
            guard r.count == 23, r[0] == .space, let day = number(r[1..<3]), r[3] == .dash,
                  let month = month(r[4..<7]), r[7] == .dash, let twoDigitYear = number(r[8..<10]),
                  r[10] == .space, let time = timeOfDay(r[11..<19]), r[19] == .space,
                  Array(r[20..<23]) == Array("GMT".utf8)
            else { return nil }
            // RFC 9110: a two-digit year more than 50 years ahead is the most recent past one.
            let thisYear = year(ofUnixTime: now)
            var year = thisYear - thisYear % 100 + twoDigitYear
            if year > thisYear + 50 { year -= 100 }
            return unixTime(year: year, month: month, day: day, time: time)
        }
        // asctime: "Sun Nov  6 08:49:37 1994"
        if b.count == 24, shortDays.contains(Array(b[0..<3])), b[3] == .space,
           let month = month(b[4..<7]), b[7] == .space,
           let day = b[8] == .space ? number(b[9..<10]) : number(b[8..<10]), b[10] == .space,
           let time = timeOfDay(b[11..<19]), b[19] == .space, let year = number(b[20..<24]) {
            return unixTime(year: year, month: month, day: day, time: time)
        }
        return nil
    }

    /// "HH:MM:SS" as seconds into the day; a leap second (60) is allowed, as in RFC 9110.
    static func timeOfDay(_ b: ArraySlice<UInt8>) -> Int64? {
        let b = Array(b)
        guard b.count == 8, b[2] == .colon, b[5] == .colon,
              let hour = number(b[0..<2]), let minute = number(b[3..<5]), let second = number(b[6..<8]),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    static func unixTime(year: Int64, month: Int64, day: Int64, time: Int64) -> Int64? {
        guard day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86400 + time
    }

    static func month(_ b: ArraySlice<UInt8>) -> Int64? {
        months.firstIndex(of: Array(b)).map { Int64($0) + 1 }
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    /// The Gregorian year of a Unix time (the inverse of ``daysFromCivil(year:month:day:)``).
    static func year(ofUnixTime seconds: Int64) -> Int64 {
        let days = seconds >= 0 ? seconds / 86400 : (seconds + 1) / 86400 - 1
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        return yearOfEra + era * 400 + (shiftedMonth >= 10 ? 1 : 0)
    }

    /// The value of ASCII decimal digits, or nil if there are none, another byte, or overflow.
    static func number(_ b: some Collection<UInt8>) -> Int64? {
        guard !b.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in b {
            guard isDigit(byte) else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}

private extension UInt8 {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let comma = UInt8(ascii: ",")
    static let dash = UInt8(ascii: "-")
    static let colon = UInt8(ascii: ":")
}
