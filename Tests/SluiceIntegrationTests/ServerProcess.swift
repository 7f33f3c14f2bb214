import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceCore
import Synchronization
import Testing
import SluiceTestSupport

/// A `sluice serve` child process on a free port (or a `sluice worker`), for tests that need the
/// real binary.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let logURL: URL
    private(set) var baseURL = ""
    /// What it printed on stdout up to the `sluice listening on` line (the first admin's token).
    private(set) var startupOutput = ""

    /// The `sluice` executable built next to the test bundle.
    static var executable: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sluice")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/sluice").standardized
    }

    /// Starts `sluice serve` (or `sluice worker` when `worker`) with `arguments` added, and
    /// returns once it says it is listening (running).
    init(database: String, logURL: URL, worker: Bool = false, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.logURL = logURL
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = Self.executable
        process.arguments = (worker ? ["worker"] : ["serve", "--port", "0"]) + ["--database", database] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var buffer = Data()
        while Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n")
            if let line = lines.first(where: { $0.hasPrefix("sluice listening on ") }) {
                baseURL = String(line.dropFirst("sluice listening on ".count))
                startupOutput = String(decoding: buffer, as: UTF8.self)
                return
            }
            if worker, lines.contains(where: { $0.hasPrefix("sluice worker ") && $0.hasSuffix(" running") }) { return }
        }
        process.terminate()
        throw TestFailure("the server did not start: \(String(decoding: buffer, as: UTF8.self)) \(log)")
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// `init` on a dispatch thread: it blocks on the child's output, which would hold one of
    /// Swift Concurrency's few threads (two here) and stall every other test meanwhile.
    static func start(database: String, logURL: URL, worker: Bool = false, arguments: [String] = [], environment: [String: String] = [:]) async throws -> ServerProcess {
        try await offPool { try ServerProcess(database: database, logURL: logURL, worker: worker, arguments: arguments, environment: environment) }
    }

    /// `terminate(within:)` on a dispatch thread (it polls the child until it exits).
    func stop(within seconds: Double = 15) async -> Int32? {
        (try? await Self.offPool { self.terminate(within: seconds) }) ?? nil
    }

    /// Runs the `sluice` executable with `arguments` to its end: exit code, stdout, stderr.
    static func run(_ arguments: [String]) throws -> (code: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // stderr is read on another thread, so neither pipe can fill up and stall the child.
        let errData = Mutex(Data())
        let errRead = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errData.withLock { $0 = data }
            errRead.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errRead.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.withLock { $0 }, as: UTF8.self))
    }

    /// Runs the `sluice` executable with `arguments` (and `environment` changed: a `nil` value
    /// removes a variable) until it exits, off Swift Concurrency's threads: its exit code and
    /// standard error (standard output is discarded). For commands expected to stop by themselves,
    /// such as a `serve` that refuses to start.
    static func runToExit(_ arguments: [String], environment changes: [String: String?] = [:]) async throws -> (code: Int32, err: String) {
        try await offPool {
            let process = Process()
            process.executableURL = ServerProcess.executable
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            for (name, value) in changes { environment[name] = value }
            process.environment = environment
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let data = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }

    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and returns the exit status, or `nil` if the process did not exit in time.
    func terminate(within seconds: Double = 15) -> Int32? {
        process.terminate()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(); return nil }
        return process.terminationStatus
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Sends one request and parses the JSON answer.
func send(_ client: HTTPClient, _ method: String, _ url: String, body: String? = nil, headers: [(String, String)] = [], timeout: Int64 = 60) async throws -> (Int, JSONValue) {
    var request = HTTPClientRequest(url: url)
    request.method = .RAW(value: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await client.execute(request, timeout: .seconds(timeout))
    let bytes = try await response.body.collect(upTo: 1 << 22)
    return (Int(response.status.code), (try? JSONParser.parse(Array(bytes.readableBytesView))) ?? .null)
}

func temporaryDirectory() throws -> URL {
    let dir = Scratch.root.appendingPathComponent("sluice-it-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}
