/// RFC 3339 timestamps in UTC from milliseconds since the Unix epoch, without Foundation.
public enum Timestamp {
    /// `2024-01-01T00:00:00.123Z`.
    public static func format(milliseconds ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = Int(ms - seconds * 1000)
        var days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secOfDay = Int(seconds - days * 86400)
        // Civil-from-days (Howard Hinnant).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var year = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
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
