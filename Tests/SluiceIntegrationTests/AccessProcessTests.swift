import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Testing
import SluiceTestSupport

/// `sluice serve` as an operator starts it: auth by address, the first admin's token shown once
/// and never logged, HTTPS from a certificate and key.
@Suite(.serialized, .timeLimit(.minutes(2))) struct AccessProcessTests {
    func temporaryDirectory() throws -> URL {
        let dir = Scratch.root.appendingPathComponent("sluice-access-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func get(_ url: String, token: String? = nil, client: HTTPClient = .shared) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test func onANonLoopbackAddressAuthIsOnAndTheFirstAdminsTokenIsShownOnceAndNeverLogged() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await ServerProcess.start(database: "sqlite:\(dir.path)/s.db", logURL: dir.appendingPathComponent("log"), arguments: ["--host", "0.0.0.0"])
        let output = server.startupOutput
        let token = try #require(output.firstMatch(of: /slc_[a-z2-7]{52}/).map { String($0.output) }, "the token is printed: \(output)")
        let base = server.baseURL.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        #expect(try await get(base + "/workflows").0 == 401)
        #expect(try await get(base + "/workflows", token: token).0 == 200)
        #expect(try await get(base + "/healthz").0 == 200)
        _ = await server.stop()
        #expect(!server.log.contains(token), "the log never holds a token")
        #expect(server.log.contains("auth is required"))
        // A second start of the same database creates no second admin and shows no token.
        let again = try await ServerProcess.start(database: "sqlite:\(dir.path)/s.db", logURL: dir.appendingPathComponent("log2"), arguments: ["--host", "0.0.0.0"])
        #expect(again.startupOutput.firstMatch(of: /slc_/) == nil)
        #expect(try await get(again.baseURL.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1") + "/me", token: token).0 == 200)
        _ = await again.stop()
    }

    @Test func authOffOnANonLoopbackAddressNeedsASecondFlag() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = ["serve", "--host", "0.0.0.0", "--port", "0", "--database", "memory:", "--auth", "off"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(message.contains("--allow-unauthenticated-network"), "\(message)")
    }

    @Test func withACertificateAndKeyItServesHTTPS() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", dir.appendingPathComponent("key.pem").path, "-out", dir.appendingPathComponent("cert.pem").path]
        openssl.standardError = Pipe()
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl made no certificate (.ci/run installs openssl)")
        let server = try await ServerProcess.start(database: "memory:", logURL: dir.appendingPathComponent("log"), arguments: [
            "--tls-cert", dir.appendingPathComponent("cert.pem").path, "--tls-key", dir.appendingPathComponent("key.pem").path,
        ])
        #expect(server.baseURL.hasPrefix("https://127.0.0.1:"), "\(server.baseURL)")
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(dir.appendingPathComponent("cert.pem").path))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        let (status, body) = try await get(server.baseURL + "/healthz", client: client)
        #expect(status == 200 && body.contains("ok"))
        try await client.shutdown()
        _ = await server.stop()
    }
}
