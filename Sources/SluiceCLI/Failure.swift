import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import SluiceClient

/// The exit codes of the client commands.
public enum ExitStatus {
    /// It worked (and a waited-for execution completed).
    public static let success: Int32 = 0
    /// The execution failed, was cancelled or is still running after `--timeout`; or the server
    /// failed (5xx) or answered something unreadable.
    public static let executionFailed: Int32 = 1
    /// The command line or the request was wrong: usage, validation (400), not found (404),
    /// conflict (409), precondition (412), too large (413).
    public static let usage: Int32 = 2
    /// The server could not be reached.
    public static let unreachable: Int32 = 3
}

/// Prints what went wrong with a request, in the terms of the command line, and gives the exit
/// code. Validation problems list each issue with its path, and with the file position when the
/// request came from a file (JSON or YAML), in the file's order.
struct FailureReport {
    var server: String
    /// Where each problem's path points in the file sent, when known (`workflow.yaml:12:9`).
    var locate: (([String]) -> [String?])? = nil

    /// Prints the error on standard error and returns the exit code.
    func report(_ error: any Error, console: Console) -> Int32 {
        switch error {
        case let error as SluiceClientError:
            switch error {
            case .problem(let problem):
                printProblem(problem, console: console)
                return problem.status >= 500 ? ExitStatus.executionFailed : ExitStatus.usage
            case .unreachable(let underlying):
                console.printError("\(console.paint("error:", .red)) could not reach the Sluice server at \(server): \(Self.reason(underlying))")
                console.printError("Is it running (sluice serve)? Choose another server with --server URL or SLUICE_SERVER.")
                return ExitStatus.unreachable
            case .invalidResponse(let reason):
                console.printError("\(console.paint("error:", .red)) the server's answer could not be read: \(reason)")
                return ExitStatus.executionFailed
            case .timedOut(let execution):
                console.printError("\(console.paint("error:", .red)) execution \(execution.id) is still \(execution.status) after --timeout; it keeps running on the server")
                return ExitStatus.executionFailed
            }
        case let error as InputError:
            console.printError("\(console.paint("error:", .red)) \(error.description)")
            return ExitStatus.usage
        default:
            console.printError("\(console.paint("error:", .red)) \(error)")
            return ExitStatus.executionFailed
        }
    }

    /// A connection failure in a few words: `connection refused` rather than NIO's full description.
    static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if let connection = error as? NIOConnectionError, let first = connection.connectionErrors.first { return reason(first.error) }
        if let client = error as? HTTPClientError, client == .connectTimeout { return "no connection within 5 s" }
        return "\(error)"
    }

    func printProblem(_ problem: ProblemDetails, console: Console) {
        if problem.errors.isEmpty {
            console.printError("\(console.paint("error:", .red)) \(problem.detail) (\(problem.status) \(problem.title))")
            return
        }
        let count = problem.errors.count
        console.printError("\(console.paint("error:", .red)) \(problem.title): \(count) problem\(count == 1 ? "" : "s")")
        // In file order when the file positions are known (the server lists them by path).
        let positions = locate?(problem.errors.map(\.path)) ?? []
        let located = problem.errors.enumerated().map { (k, issue) in (k, issue, k < positions.count ? positions[k] : nil) }
        let ordered = located.sorted { a, b in
            switch (Self.lineAndColumn(a.2), Self.lineAndColumn(b.2)) {
            case (let x?, let y?): return x == y ? a.0 < b.0 : (x.line, x.column) < (y.line, y.column)
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.0 < b.0
            }
        }
        for (_, issue, position) in ordered {
            var place = issue.path.isEmpty ? "(the whole body)" : issue.path
            if let position { place = "\(position): \(place)" }
            console.printError("  \(console.paint(place, .bold)): \(issue.message) [\(issue.code)]")
        }
    }

    /// `(line, column)` of a position such as `workflow.yaml:12:9`.
    static func lineAndColumn(_ position: String?) -> (line: Int, column: Int)? {
        guard let position else { return nil }
        let parts = position.split(separator: ":")
        guard parts.count >= 2, let line = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]) else { return nil }
        return (line, column)
    }
}

/// A problem with what the command was given (a file, an `--input`), found before any request.
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
