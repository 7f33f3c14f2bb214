import ArgumentParser
import Foundation
import SluiceServer

/// `--auth` and what goes with it, on `sluice serve`.
struct AuthOptions: ParsableArguments {
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case auto, required, off
    }

    @Option(help: "Whether requests need a token: auto (off on a loopback address, required on any other), required, or off (env SLUICE_AUTH).")
    var auth: Choice?

    @Flag(help: "Allow --auth off on an address other than loopback: anyone who reaches the port can read and run everything.")
    var allowUnauthenticatedNetwork = false

    @Option(help: ArgumentHelp("With auth on and no account yet: the first admin's token is read from this file (else SLUICE_ADMIN_TOKEN, else a new one is printed once).", valueName: "PATH"))
    var adminTokenFile: String?

    @Option(help: "How long a web UI sign-in lasts, in hours.")
    var sessionHours: Double = 12

    /// Whether `host` is a loopback address: only this machine can connect.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
    }

    func configuration(host: String, environment env: [String: String]) throws -> AuthConfiguration {
        let raw = auth?.rawValue ?? env["SLUICE_AUTH"].flatMap { $0.isEmpty ? nil : $0 } ?? "auto"
        guard let choice = Choice(rawValue: raw.lowercased()) else {
            throw ValidationError("SLUICE_AUTH must be auto, required or off, found \"\(raw)\"")
        }
        guard sessionHours > 0, sessionHours <= 24 * 30 else { throw ValidationError("--session-hours must be more than 0 and at most 720, found \(sessionHours)") }
        let mode: AuthConfiguration.Mode
        switch choice {
        case .auto: mode = Self.isLoopback(host) ? .off : .required
        case .required: mode = .required
        case .off:
            if !Self.isLoopback(host) && !allowUnauthenticatedNetwork {
                throw ValidationError("--auth off on \(host), which is not a loopback address, lets anyone who reaches the port read and run everything; add --allow-unauthenticated-network if that is what you want")
            }
            mode = .off
        }
        return AuthConfiguration(mode: mode, sessionSeconds: Int64(sessionHours * 3600))
    }

    /// The first admin's token if the operator chose it: `--admin-token-file`, else `SLUICE_ADMIN_TOKEN`.
    func adminToken(environment env: [String: String]) throws -> String? {
        if let path = adminTokenFile {
            guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw ValidationError("--admin-token-file: cannot read \(path)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return env["SLUICE_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
