import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
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

    @Option(help: ArgumentHelp("Serve HTTPS with this certificate chain (PEM; with --tls-key).", valueName: "PATH"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The certificate's private key (PEM).", valueName: "PATH"))
    var tlsKey: String?

    /// HTTP/1.1, or HTTPS when a certificate and key are given; a file that cannot be read or
    /// does not hold what it should stops the start with an error naming it.
    /// HTTP/1.1 with `http1`'s limits (the idle timeout, the size of a request's head), in TLS
    /// with `--tls-cert` and `--tls-key`.
    func server(http1: HTTP1Channel.Configuration) throws -> (HTTPServerBuilder, secure: Bool) {
        switch (tlsCert, tlsKey) {
        case (nil, nil): return (.http1(configuration: http1), false)
        case (nil, _?), (_?, nil): throw ValidationError("--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
        case (let cert?, let key?):
            let chain: [NIOSSLCertificate]
            do { chain = try NIOSSLCertificate.fromPEMFile(cert) } catch {
                throw ValidationError("--tls-cert \(cert): not a readable PEM certificate chain (\(error))")
            }
            guard !chain.isEmpty else { throw ValidationError("--tls-cert \(cert): no certificate in the file") }
            let privateKey: NIOSSLPrivateKey
            do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
                throw ValidationError("--tls-key \(key): not a readable PEM private key (\(error))")
            }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            do { _ = try NIOSSLContext(configuration: tls) } catch {
                throw ValidationError("--tls-cert/--tls-key: the key does not go with the certificate, or they cannot be used (\(error))")
            }
            return (try .tls(.http1(configuration: http1), tlsConfiguration: tls), true)
        }
    }

    /// Whether `host` is a loopback address: only this machine can connect.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
    }

    func configuration(host: String, environment env: [String: String], secure: Bool = false) throws -> AuthConfiguration {
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
        return AuthConfiguration(mode: mode, sessionSeconds: Int64(sessionHours * 3600), secureCookies: secure)
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
