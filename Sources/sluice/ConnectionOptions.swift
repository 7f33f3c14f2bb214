import ArgumentParser
import SluiceCore
import SluiceServer

/// `sluice serve` options that bound what clients hold open: idle connections, event streams
/// and long-polled claims. Past a limit in all the answer is `503` with `Retry-After`; past a
/// client's share, `429` with `Retry-After` (a client is its account, or its address without
/// auth).
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Seconds a connection may stay idle (between requests, or a request's head or body not advancing) before it is closed.")
    var idleTimeout: Int = Limits.defaultIdleTimeoutSeconds

    @Option(help: "The most event streams (Accept: text/event-stream) open at once.")
    var maxStreams: Int = Limits.defaultMaxStreams

    @Option(help: "The most event streams one client holds open.")
    var maxStreamsPerClient: Int = Limits.defaultMaxStreamsPerClient

    @Option(help: "The most claims of workers' tasks (long polls) under way at once.")
    var maxLongPolls: Int = Limits.defaultMaxLongPolls

    @Option(help: "The most claims one client has under way.")
    var maxLongPollsPerClient: Int = Limits.defaultMaxLongPollsPerClient

    func validate() throws {
        if idleTimeout < 1 { throw ValidationError("--idle-timeout must be at least 1 second, found \(idleTimeout)") }
        for (flag, value) in [("--max-streams", maxStreams), ("--max-streams-per-client", maxStreamsPerClient), ("--max-long-polls", maxLongPolls), ("--max-long-polls-per-client", maxLongPollsPerClient)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1, found \(value)")
        }
    }

    func apply(to configuration: inout ServerConfiguration) {
        configuration.idleTimeout = .seconds(idleTimeout)
        configuration.maxStreams = maxStreams
        configuration.maxStreamsPerClient = maxStreamsPerClient
        configuration.maxLongPolls = maxLongPolls
        configuration.maxLongPollsPerClient = maxLongPollsPerClient
    }
}
