import Testing
import StandardWebhooks

@Suite struct RetryAfterTests {
    static let now: Int64 = 1445412480 - 90 // 90 seconds before Wed, 21 Oct 2015 07:28:00 GMT

    @Test func delaySecondsAreReturnedAsIs() {
        #expect(RetryAfter.seconds("120", now: Self.now) == 120)
        #expect(RetryAfter.seconds("0", now: Self.now) == 0)
        #expect(RetryAfter.seconds(" 5\t", now: Self.now) == 5)
    }

    @Test func delaySecondsTooLargeForInt64SaturateInsteadOfFailing() {
        #expect(RetryAfter.seconds("99999999999999999999999", now: Self.now) == .max)
    }

    @Test func anIMFFixdateGivesTheSecondsUntilIt() {
        #expect(RetryAfter.seconds("Wed, 21 Oct 2015 07:28:00 GMT", now: Self.now) == 90)
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:49:37 GMT", now: 784111777 - 1) == 1)
        #expect(RetryAfter.seconds("Thu, 29 Feb 2024 00:00:00 GMT", now: 1709164800 - 10) == 10)
    }

    @Test func aDateInThePastGivesZero() {
        #expect(RetryAfter.seconds("Wed, 21 Oct 2015 07:28:00 GMT", now: Self.now + 1000) == 0)
    }

    @Test func theObsoleteRFC850AndAsctimeDateFormsAreAccepted() {
        #expect(RetryAfter.seconds("Wednesday, 21-Oct-15 07:28:00 GMT", now: Self.now) == 90)
        #expect(RetryAfter.seconds("Wed Oct 21 07:28:00 2015", now: Self.now) == 90)
        #expect(RetryAfter.seconds("Sun Nov  6 08:49:37 1994", now: 784111777 - 1) == 1)
    }

    @Test func anRFC850YearMoreThan50YearsAheadMeansTheLastCentury() {
        // In 2026, "94" is 1994, not 2094; "70" is 2070.
        let now: Int64 = 1767225600 // 2026-01-01
        #expect(RetryAfter.seconds("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == 0)
        #expect(RetryAfter.seconds("Wednesday, 01-Jan-70 00:00:00 GMT", now: now) == 3155760000 - now)
    }

    @Test func garbageGivesNil() {
        for bad in ["", "   ", "soon", "-5", "1.5", "+5", "5 s",
                    "Wed, 21 Oct 2015 07:28:00 UTC", "wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 oct 2015 07:28:00 GMT",
                    "Wed, 32 Oct 2015 07:28:00 GMT", "Wed, 29 Feb 2015 07:28:00 GMT", "Wed, 21 Oct 2015 24:00:00 GMT",
                    "Wed, 21 Oct 2015 07:60:00 GMT", "Wed, 21 Oct 2015 7:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT junk",
                    "Wednesday, 21-Oct-2015 07:28:00 GMT", "Someday, 21-Oct-15 07:28:00 GMT", "Wed Oct 21 07:28:00 15"] {
            #expect(RetryAfter.seconds(bad, now: Self.now) == nil, "\(bad)")
        }
    }
}
