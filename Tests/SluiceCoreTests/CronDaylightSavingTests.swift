import Testing
@testable import SluiceCore

/// The daylight-saving rules of `CronExpression.next(after:in:)`: a named wall time in a
/// spring-forward gap fires once at the end of the gap, one that occurs twice fires at its first
/// occurrence, and an expression whose hour field starts with `*` follows real time.
/// 2026: Europe/Berlin springs forward on March 29 (02:00 → 03:00) and falls back on October 25
/// (03:00 → 02:00); America/New_York on March 8 (02:00 → 03:00) and November 1 (02:00 → 01:00);
/// Australia/Lord_Howe moves half an hour: back on April 5 (02:00 → 01:30), forward on
/// October 4 (02:00 → 02:30).
@Suite struct CronDaylightSavingTests {
    // MARK: Europe/Berlin

    @Test func berlinAWallTimeInTheSpringGapFiresOnceWhenTheGapEnds() throws {
        #expect(try fires("30 2 * * *", in: "Europe/Berlin", after: "2026-03-28T12:00:00+01:00", count: 3)
            == utc("2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"))
    }

    @Test func berlinSeveralWallTimesInTheSpringGapFireOnceTogether() throws {
        #expect(try fires("*/20 2 * * *", in: "Europe/Berlin", after: "2026-03-29T01:59:00+01:00", count: 2)
            == utc("2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"))
    }

    @Test func berlinTheGapFireIsFoundFromTheLastSecondBeforeTheGap() throws {
        // From 01:59:59 CET the next second is the first of the new offset (03:00 CEST).
        #expect(try fires("30 2 * * *", in: "Europe/Berlin", after: "2026-03-29T01:59:59+01:00", count: 1) == utc("2026-03-29T03:00:00+02:00"))
        // And not again once it is past.
        #expect(try fires("30 2 * * *", in: "Europe/Berlin", after: "2026-03-29T03:00:00+02:00", count: 1) == utc("2026-03-30T02:30:00+02:00"))
    }

    @Test func berlinARepeatedWallTimeFiresOnlyAtItsFirstOccurrence() throws {
        #expect(try fires("30 2 * * *", in: "Europe/Berlin", after: "2026-10-24T12:00:00+02:00", count: 2)
            == utc("2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"))
        // Looking from between the two occurrences finds the next day, not the second one.
        #expect(try fires("30 2 * * *", in: "Europe/Berlin", after: "2026-10-25T02:45:00+02:00", count: 1) == utc("2026-10-26T02:30:00+01:00"))
        #expect(try fires("30 2 * * *", in: "Europe/Berlin", after: "2026-10-25T02:10:00+01:00", count: 1) == utc("2026-10-26T02:30:00+01:00"))
    }

    @Test func berlinHourlyFiresEveryRealHourThroughBothChanges() throws {
        #expect(try fires("0 * * * *", in: "Europe/Berlin", after: "2026-03-29T00:30:00+01:00", count: 3)
            == utc("2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"))
        #expect(try fires("30 * * * *", in: "Europe/Berlin", after: "2026-10-25T01:00:00+02:00", count: 4)
            == utc("2026-10-25T01:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "2026-10-25T03:30:00+01:00"))
    }

    // MARK: America/New_York

    @Test func newYorkSpringGapAndFallBackRepeat() throws {
        #expect(try fires("30 2 * * *", in: "America/New_York", after: "2026-03-07T12:00:00-05:00", count: 2)
            == utc("2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"))
        #expect(try fires("30 1 * * *", in: "America/New_York", after: "2026-10-31T12:00:00-04:00", count: 2)
            == utc("2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"))
    }

    @Test func newYorkEveryHalfHourFiresInBothRepeatedHours() throws {
        #expect(try fires("*/30 * * * *", in: "America/New_York", after: "2026-11-01T00:15:00-04:00", count: 6)
            == utc("2026-11-01T00:30:00-04:00", "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00",
                   "2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00"))
    }

    @Test func newYorkEveryMinuteSkipsTheMissingHour() throws {
        #expect(try fires("* * * * *", in: "America/New_York", after: "2026-03-08T01:58:30-05:00", count: 3)
            == utc("2026-03-08T01:59:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:01:00-04:00"))
    }

    // MARK: Australia/Lord_Howe (a 30-minute change)

    @Test func lordHoweAWallTimeInTheHalfHourGapFiresAtItsEnd() throws {
        #expect(try fires("0 2 * * *", in: "Australia/Lord_Howe", after: "2026-10-03T12:00:00+10:30", count: 2)
            == utc("2026-10-04T02:30:00+11:00", "2026-10-05T02:00:00+11:00"))
    }

    @Test func lordHoweARepeatedHalfHourFiresOnceForNamedTimes() throws {
        #expect(try fires("45 1 * * *", in: "Australia/Lord_Howe", after: "2026-04-04T12:00:00+11:00", count: 2)
            == utc("2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"))
    }

    @Test func lordHoweEveryQuarterHourFollowsRealTime() throws {
        #expect(try fires("*/15 * * * *", in: "Australia/Lord_Howe", after: "2026-04-05T01:20:00+11:00", count: 6)
            == utc("2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30",
                   "2026-04-05T01:45:00+10:30", "2026-04-05T02:00:00+10:30", "2026-04-05T02:15:00+10:30"))
    }

    // MARK: UTC

    @Test func utcHasNoGapAndNoRepeat() throws {
        #expect(try fires("30 2 * * *", after: "2026-03-29T00:00:00Z", count: 1) == utc("2026-03-29T02:30:00Z"))
        #expect(try fires("0 * * * *", after: "2026-10-25T00:30:00Z", count: 3) == utc("2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"))
    }

    @Test func theSameExpressionFiresAtTheWallTimeOfItsZone() throws {
        #expect(try fires("0 9 * * *", in: "America/New_York", after: "2026-07-01T00:00:00Z", count: 1) == utc("2026-07-01T09:00:00-04:00"))
        #expect(try fires("0 9 * * *", in: "Australia/Lord_Howe", after: "2026-06-30T12:00:00Z", count: 1) == utc("2026-07-01T09:00:00+10:30"))
    }

    @Test func aZoneIsKnownByItsIANANameOnly() {
        #expect(ScheduleTimeZone(identifier: "Europe/Berlin") != nil)
        #expect(ScheduleTimeZone(identifier: "Mars/Olympus_Mons") == nil)
        #expect(ScheduleTimeZone(identifier: "") == nil)
        #expect(ScheduleTimeZone(identifier: "Europe/Berlin\n") == nil)
    }
}
