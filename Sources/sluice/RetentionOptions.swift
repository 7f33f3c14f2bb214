import ArgumentParser
import Foundation
import SluiceCore

/// `sluice serve|worker` options: how long finished executions are kept when their workflow's
/// definition says nothing (`"retention"`).
struct RetentionOptions: ParsableArguments {
    @Option(help: "Keep finished executions (with their tasks, logs, events, deliveries) this many days, unless their workflow says otherwise (env SLUICE_RETENTION_DAYS). [default: kept]")
    var retentionDays: Double?

    @Option(help: "Keep only the newest this many finished executions of each workflow, unless it says otherwise (env SLUICE_RETENTION_KEEP_LAST). [default: all]")
    var retentionKeepLast: Int?

    @Option(help: "Seconds between the maintenance leader's looks for executions retention lets go.")
    var retentionInterval: Double = 60

    func validate() throws {
        _ = try policy(environment: [:])
        if !(0.1...86_400).contains(retentionInterval) { throw ValidationError("--retention-interval must be from 0.1 to 86400 seconds, found \(retentionInterval)") }
    }

    var interval: Duration { .milliseconds(Int64((retentionInterval * 1000).rounded())) }

    /// The server's policy from the flags, else the environment; `nil` keeps everything.
    func policy(environment env: [String: String]) throws -> RetentionPolicy? {
        var days = retentionDays
        if days == nil, let raw = env["SLUICE_RETENTION_DAYS"] {
            guard let d = Double(raw) else { throw ValidationError("SLUICE_RETENTION_DAYS must be a number of days, found \"\(raw)\"") }
            days = d
        }
        var keep = retentionKeepLast
        if keep == nil, let raw = env["SLUICE_RETENTION_KEEP_LAST"] {
            guard let k = Int(raw) else { throw ValidationError("SLUICE_RETENTION_KEEP_LAST must be a whole number, found \"\(raw)\"") }
            keep = k
        }
        if let days, !(days > 0 && days <= RetentionPolicy.maxDays) {
            throw ValidationError("--retention-days must be greater than 0 and at most \(Int(RetentionPolicy.maxDays)), found \(days)")
        }
        if let keep, !(1...RetentionPolicy.maxKeepLast).contains(keep) {
            throw ValidationError("--retention-keep-last must be from 1 to \(RetentionPolicy.maxKeepLast), found \(keep)")
        }
        guard days != nil || keep != nil else { return nil }
        return RetentionPolicy(days: days, keepLast: keep)
    }
}
