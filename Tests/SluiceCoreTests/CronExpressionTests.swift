import Testing
@testable import SluiceCore

/// Milliseconds since the epoch of an RFC 3339 time (with its offset: the tests read as wall time).
func instant(_ text: String) -> Int64 { Timestamp.parse(text)! }

/// The next `count` fire times of `expression` after `start`, as UTC timestamps.
func fires(_ expression: String, in zone: String = "UTC", after start: String, count: Int) throws -> [String] {
    let cron = try CronExpression(parsing: expression)
    let timeZone = try #require(ScheduleTimeZone(identifier: zone))
    var times: [String] = []
    var from = instant(start)
    while times.count < count, let next = cron.next(after: from, in: timeZone) {
        times.append(Timestamp.format(milliseconds: next))
        from = next
    }
    return times
}

/// The same times given with offsets, written as `fires` writes them.
func utc(_ texts: String...) -> [String] { texts.map { Timestamp.format(milliseconds: instant($0)) } }

@Suite struct CronExpressionTests {
    @Test func fiveFieldsHaveSecondZeroAndSixFieldsStartWithSeconds() throws {
        #expect(try fires("0 9 * * *", after: "2026-01-01T00:00:00Z", count: 2) == utc("2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z"))
        #expect(try fires("30 0 9 * * *", after: "2026-01-01T00:00:00Z", count: 1) == utc("2026-01-01T09:00:30Z"))
        #expect(try fires("*/20 * * * * *", after: "2026-01-01T00:00:00Z", count: 3) == utc("2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"))
    }

    @Test func listsRangesAndStepsExpandAsCronDoes() throws {
        #expect(try fires("0,30 8-10/2 * * *", after: "2026-01-01T00:00:00Z", count: 5)
            == utc("2026-01-01T08:00:00Z", "2026-01-01T08:30:00Z", "2026-01-01T10:00:00Z", "2026-01-01T10:30:00Z", "2026-01-02T08:00:00Z"))
        // `a/n` runs from a to the field's end.
        #expect(try fires("5/20 3 * * *", after: "2026-01-01T00:00:00Z", count: 4)
            == utc("2026-01-01T03:05:00Z", "2026-01-01T03:25:00Z", "2026-01-01T03:45:00Z", "2026-01-02T03:05:00Z"))
    }

    @Test func nextIsStrictlyAfterTheGivenInstant() throws {
        let cron = try CronExpression(parsing: "0 9 * * *")
        #expect(cron.next(after: instant("2026-01-01T09:00:00Z"), in: .utc) == instant("2026-01-02T09:00:00Z"))
        #expect(cron.next(after: instant("2026-01-01T08:59:59.999Z"), in: .utc) == instant("2026-01-01T09:00:00Z"))
    }

    @Test func monthAndDayNamesAreCaseInsensitive() throws {
        let named = try fires("0 0 * jan,Mar mon-FRI", after: "2025-12-31T12:00:00Z", count: 40)
        #expect(named == (try fires("0 0 * 1,3 1-5", after: "2025-12-31T12:00:00Z", count: 40)))
        #expect(named.first == "2026-01-01T00:00:00.000Z", "2026-01-01 is a Thursday")
    }

    @Test func sundayIsBothZeroAndSeven() throws {
        #expect(try fires("0 0 * * 7", after: "2026-01-01T00:00:00Z", count: 2) == utc("2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"))
        #expect(try fires("0 0 * * 0", after: "2026-01-01T00:00:00Z", count: 2) == utc("2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"))
        #expect(try fires("0 0 * * 5-7", after: "2026-01-01T00:00:00Z", count: 3) == utc("2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"))
    }

    @Test(arguments: [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"), ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@hourly", "0 * * * *"), ("@DAILY", "0 0 * * *"),
    ])
    func macrosStandForTheirExpressions(macro: String, expansion: String) throws {
        #expect(try fires(macro, after: "2026-05-17T10:20:00Z", count: 3) == (try fires(expansion, after: "2026-05-17T10:20:00Z", count: 3)))
    }

    @Test func bothDaysRestrictedMatchEitherDay() throws {
        // The 13th, and every Friday (2026-01-02 and 01-09 are Fridays).
        #expect(try fires("0 0 13 * 5", after: "2026-01-01T00:00:00Z", count: 4)
            == utc("2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z"))
    }

    @Test func aStarredDayFieldMakesBothDaysRequired() throws {
        // Vixie cron: `*/2` starts with `*`, so odd days that are also Mondays.
        #expect(try fires("0 0 */2 * 1", after: "2026-01-01T00:00:00Z", count: 3) == utc("2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z", "2026-02-09T00:00:00Z"))
        #expect(try fires("0 0 1 * *", after: "2026-01-01T00:00:00Z", count: 2) == utc("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"))
    }

    @Test func february29IsFoundInLeapYearsAcrossACenturyGap() throws {
        #expect(try fires("0 0 29 2 *", after: "2026-01-01T00:00:00Z", count: 3) == utc("2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"))
        // 2100 is not a leap year: eight years from 2096 to 2104.
        #expect(try fires("0 0 29 2 *", in: "Europe/Berlin", after: "2096-03-01T00:00:00Z", count: 1) == utc("2104-02-29T00:00:00+01:00"))
    }

    @Test(arguments: ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30 2 */2"])
    func anImpossibleExpressionHasNoNextTime(expression: String) throws {
        let cron = try CronExpression(parsing: expression)
        #expect(cron.next(after: instant("2026-01-01T00:00:00Z"), in: .utc) == nil)
        #expect(cron.next(after: instant("2026-01-01T00:00:00Z"), in: ScheduleTimeZone(identifier: "Europe/Berlin")!) == nil)
    }

    @Test func aRareDateIsStillFoundWithTheOrRuleOff() throws {
        // Day 31 in a month that has it, on a Sunday: AND because day-of-week starts with `*`.
        #expect(try fires("0 0 31 * */7", after: "2026-01-01T00:00:00Z", count: 1) == utc("2026-05-31T00:00:00Z"))
    }

    @Test(arguments: [
        ("0 24 * * *", "field 2 (hour): 24 is out of range 0–23"),
        ("60 * * * *", "field 1 (minute): 60 is out of range 0–59"),
        ("0 0 0 * *", "field 3 (day of month): 0 is out of range 1–31"),
        ("0 0 * 13 *", "field 4 (month): 13 is out of range 1–12"),
        ("0 0 * * 8", "field 5 (day of week): 8 is out of range 0–7"),
        ("61 0 0 * * *", "field 1 (second): 61 is out of range 0–59"),
        ("0 61 0 * * *", "field 2 (minute): 61 is out of range 0–59"),
        ("0 0 * FOO *", "field 4 (month): \"FOO\" is not a value; expected a number 1–12 or a name JAN–DEC"),
        ("0 0 * * MONDAY", "field 5 (day of week): \"MONDAY\" is not a value; expected a number 0–7 or a name SUN–SAT"),
        ("*/0 * * * *", "field 1 (minute): a step of 0 in \"*/0\" never advances; expected a step 1–60"),
        ("0 */x * * *", "field 2 (hour): step \"x\" in \"*/x\" is not a number; expected a step 1–24"),
        ("0 */25 * * *", "field 2 (hour): step 25 in \"*/25\" is larger than the field's 24 values; expected a step 1–24"),
        ("10-5 * * * *", "field 1 (minute): range 10-5 goes backwards; expected the lower value first"),
        ("5,,6 * * * *", "field 1 (minute): an empty item in the list \"5,,6\"; expected values between the commas"),
        ("-5 * * * *", "field 1 (minute): a value is missing in \"-5\"; expected a number 0–59"),
        ("99999999999999999999 * * * *", "field 1 (minute): 99999999999999999999 is out of range 0–59"),
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found 4 fields"),
        ("* * * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found 7 fields"),
        ("  ", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found an empty expression"),
        ("@reboot", "unknown macro @reboot; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"),
    ])
    func parseErrorsNameTheFieldWhatWasFoundAndWhatWasExpected(expression: String, message: String) {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression(parsing: expression) }
        do {
            _ = try CronExpression(parsing: expression)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func anOverlongExpressionIsRefusedBeforeItIsRead() {
        let long = "0 0 * * " + Array(repeating: "1", count: 130).joined(separator: ",")
        do {
            _ = try CronExpression(parsing: long)
            Issue.record("expected an error")
        } catch {
            #expect(error.field == nil)
            #expect(error.message == "a cron expression has at most 256 characters; this one has \(long.count)")
        }
        // Just under the limit is fine.
        #expect(throws: Never.self) { try CronExpression(parsing: "0 0 * * " + Array(repeating: "1", count: 100).joined(separator: ",")) }
    }

    @Test func theSourceIsKeptWithItsSpacesNormalized() throws {
        #expect(try CronExpression(parsing: "  0\t9  * * MON ").description == "0 9 * * MON")
    }
}
