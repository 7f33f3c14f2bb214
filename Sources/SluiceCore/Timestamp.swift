/// RFC 3339 timestamps in UTC from milliseconds since the Unix epoch, without Foundation.
public enum Timestamp {
    /// `2024-01-01T00:00:00.123Z`.
    public static func format(milliseconds ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = Int(ms - seconds * 1000)
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secOfDay = Int(seconds - days * 86400)
        let (year, month, day) = Civil.date(days: days)
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, at offset: Int, width: Int) {
            var v = value
            for i in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(Int(year), at: 0, width: 4)
        put(Int(month), at: 5, width: 2)
        put(Int(day), at: 8, width: 2)
        put(secOfDay / 3600, at: 11, width: 2)
        put(secOfDay % 3600 / 60, at: 14, width: 2)
        put(secOfDay % 60, at: 17, width: 2)
        put(millis, at: 20, width: 3)
        for (i, c) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")] as [(Int, Unicode.Scalar)] {
            bytes[i] = UInt8(ascii: c)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Milliseconds since the Unix epoch of an RFC 3339 time (`2026-12-01T09:30:00Z`, with
    /// optional fractional seconds and a `Z` or `±hh:mm` offset; `t` and `z` too), or `nil`.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func number(_ from: Int, _ width: Int) -> Int? {
            var v = 0
            for i in from..<(from + width) {
                guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2), b[7] == UInt8(ascii: "-"), let day = number(8, 2),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), let hour = number(11, 2), b[13] == UInt8(ascii: ":"),
              let minute = number(14, 2), b[16] == UInt8(ascii: ":"), let second = number(17, 2) else { return nil }
        guard (1...12).contains(month), day >= 1, hour < 24, minute < 60, second < 61 else { return nil }
        guard day <= Civil.daysIn(year: year, month: month) else { return nil }
        var i = 19
        var millis = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if digits < 3 { millis = millis * 10 + Int(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = number(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = number(i + 4, 2), oh < 24, om < 60 else { return nil }
            offset = (oh * 60 + om) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Civil.days(year: year, month: month, day: day)
        let seconds = days * 86400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset * 60)
        return seconds * 1000 + Int64(millis)
    }
}

extension Optional where Wrapped == Int64 {
    /// A nullable RFC 3339 timestamp.
    public var timestamp: JSONValue {
        switch self {
        case .some(let ms): return .string(Timestamp.format(milliseconds: ms))
        case .none: return .null
        }
    }
}
