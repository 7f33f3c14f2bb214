import Foundation

/// How the webhook sender retries and paces deliveries.
public struct WebhookConfiguration: Sendable {
    /// Waits between attempts: after the first failed attempt the first wait, and so on; when
    /// the list is used up the delivery is FAILED. The default follows the Standard Webhooks
    /// recommendation: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts over about 27 h).
    public var retrySchedule: [Duration]
    /// The longest an attempt may take, connection included.
    public var attemptTimeout: Duration
    /// Retry waits are spread by up to this fraction either way (0.2: ±20 %), so that receivers
    /// coming back are not hit by every delivery at once.
    public var jitter: Double
    /// The longest wait a `Retry-After` answer can ask for.
    public var maxRetryAfter: Duration
    /// Attempts in flight at once, in all.
    public var maxInFlight: Int
    /// Attempts in flight at once to one host: a slow receiver holds at most this many.
    public var maxInFlightPerHost: Int
    /// How long the previous secret keeps signing after a rotation.
    public var rotationGracePeriod: Duration
    /// Whether webhooks may go to loopback, private and link-local addresses.
    public var allowPrivateNetworks: Bool

    public static let defaultSchedule: [Duration] = [.seconds(5), .seconds(300), .seconds(1800), .seconds(7200), .seconds(18000), .seconds(36000), .seconds(36000)]

    public init(
        retrySchedule: [Duration] = WebhookConfiguration.defaultSchedule, attemptTimeout: Duration = .seconds(10), jitter: Double = 0.2,
        maxRetryAfter: Duration = .seconds(86400), maxInFlight: Int = 64, maxInFlightPerHost: Int = 8,
        rotationGracePeriod: Duration = .seconds(86400), allowPrivateNetworks: Bool = false
    ) {
        self.retrySchedule = retrySchedule
        self.attemptTimeout = attemptTimeout
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
        self.maxInFlight = maxInFlight
        self.maxInFlightPerHost = maxInFlightPerHost
        self.rotationGracePeriod = rotationGracePeriod
        self.allowPrivateNetworks = allowPrivateNetworks
    }

    /// The `sluice serve` flag that lets webhooks reach private networks, and its environment twin.
    public static let allowFlag = "--allow-private-webhooks"
    public static let allowEnvironment = "SLUICE_ALLOW_PRIVATE_WEBHOOKS"

    /// Reads a schedule such as `5s,5m,30m,2h` (units ms, s, m, h, d; a bare number is seconds).
    public static func parseSchedule(_ text: String) -> Result<[Duration], ScheduleError> {
        var schedule: [Duration] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard let d = parseDuration(item) else {
                return .failure(ScheduleError(message: "expected waits such as 5s,5m,30m,2h (units ms, s, m, h, d), found \"\(item)\" in \"\(text)\""))
            }
            schedule.append(d)
        }
        return .success(schedule)
    }

    public struct ScheduleError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// `250ms`, `5s`, `5m`, `2h`, `1d` or a bare number of seconds.
    public static func parseDuration(_ item: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, factor) in units where item.hasSuffix(suffix) {
            let number = item.dropLast(suffix.count)
            if suffix == "s" && number.hasSuffix("m") { continue }
            guard let v = Double(number), v >= 0, v.isFinite else { return nil }
            return .milliseconds(Int64((v * factor * 1000).rounded()))
        }
        guard let v = Double(item), v >= 0, v.isFinite else { return nil }
        return .milliseconds(Int64((v * 1000).rounded()))
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
