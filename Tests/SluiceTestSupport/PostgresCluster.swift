import Foundation

/// A PostgreSQL cluster of a test's own, through `.ci/postgres` (start, pause, resume, stop):
/// for tests that take the server away (an outage) and must not disturb the shared one.
public struct PostgresCluster: Sendable {
    public static let initdb = (ProcessInfo.processInfo.environment["POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin") + "/initdb"
    /// Whether PostgreSQL's binaries are here (`.ci/run` installs them).
    public static let available = FileManager.default.isExecutableFile(atPath: initdb)
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `postgres://…` of the cluster's server.
    public let url: String
    /// The cluster's directory (data, port, log).
    public let directory: String

    /// Creates and starts a cluster (a few seconds: initdb).
    public static func start() async throws -> PostgresCluster {
        let exports = try await offPool { try run(["start"]) }
        func exported(_ name: String) -> String? {
            exports.split(separator: "\n").first { $0.hasPrefix("export \(name)=") }.map { String($0.dropFirst("export \(name)=".count)) }
        }
        guard let url = exported("SLUICE_TEST_POSTGRES_URL"), let directory = exported("SLUICE_TEST_POSTGRES_DIR") else {
            throw ClusterError(message: ".ci/postgres start printed no URL and directory: \(exports)")
        }
        return PostgresCluster(url: url, directory: directory)
    }

    /// Stops the server (a fast shutdown: sessions are ended), keeping its data.
    public func pause() async throws { try await Self.offPool { _ = try Self.run(["pause", directory]) } }
    /// Starts the server again on the same port.
    public func resume() async throws { try await Self.offPool { _ = try Self.run(["resume", directory]) } }
    /// Stops the server and removes the cluster.
    public func stop() async throws { try await Self.offPool { _ = try Self.run(["stop", directory]) } }
    /// `stop()` for a `defer`: waits on a thread of its own.
    public func stopNow() { _ = try? Self.run(["stop", directory]) }

    struct ClusterError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Runs `.ci/postgres ARGS` and returns what it printed. With `system`, not `Process`: the
    /// script starts a server that outlives it, and Foundation's `Process` then never saw the
    /// script end (a zombie, `waitUntilExit` waiting forever).
    static func run(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-pg-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let script = repository.appendingPathComponent(".ci/postgres").path
        let command = (["bash", script] + arguments).map { "'\($0)'" }.joined(separator: " ") + " > '\(output.path)' < /dev/null"
        let status = system(command)
        guard status == 0 else { throw ClusterError(message: ".ci/postgres \(arguments.joined(separator: " ")) exited with status \(status)") }
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }

    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
