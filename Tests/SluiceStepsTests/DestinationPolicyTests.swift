import SluiceSteps
import Testing

@Suite struct DestinationPolicyTests {
    let policy = DestinationPolicy(allowPrivate: false)

    func refusal(_ url: String, sourceLocation: SourceLocation = #_sourceLocation) async -> DestinationError? {
        do {
            let d = try await policy.check(url: url)
            Issue.record("expected \(url) to be refused, it passed with \(d.addresses)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("http://10.0.0.1/", "10.0.0.1", IPAddress.Scope.private),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", .linkLocal),
        ("http://[::1]:8080/", "::1", .loopback),
        ("http://192.168.1.1/", "192.168.1.1", .private),
        ("http://172.16.5.4/", "172.16.5.4", .private),
        ("http://127.0.0.1/", "127.0.0.1", .loopback),
        ("http://2130706433/", "127.0.0.1", .loopback),
        ("http://0x7f000001/", "127.0.0.1", .loopback),
        ("http://0177.0.0.1/", "127.0.0.1", .loopback),
        ("http://127.1/", "127.0.0.1", .loopback),
        ("http://0.0.0.0/", "0.0.0.0", .unspecified),
        ("http://[::]/", "::", .unspecified),
        ("http://[fd00::1]/", "fd00::1", .uniqueLocal),
        ("http://[fe80::1]/", "fe80::1", .linkLocal),
        ("http://[ff02::1]/", "ff02::1", .multicast),
        ("http://224.0.0.1/", "224.0.0.1", .multicast),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1", .private),
        ("http://100.64.0.1/", "100.64.0.1", .private),
        ("https://255.255.255.255/", "255.255.255.255", .reserved),
    ])
    func insideLiteralsAreRefused(url: String, address: String, scope: IPAddress.Scope) async throws {
        let e = try #require(await refusal(url))
        #expect(e.reason == .refused(IPAddress(address)!, scope))
        #expect(e.message.contains("refusing to connect to \(address) (\(scope.description))"))
        #expect(e.message.contains("--allow-private-networks"))
        #expect(e.retryable == false)
    }

    @Test func namesAreCheckedByWhatTheyResolveTo() async throws {
        let e = try #require(await refusal("http://localhost:9/"))
        #expect(e.message.contains("which localhost resolves to"))
        #expect(e.message.contains("--allow-private-networks"))
    }

    @Test func allowingPrivateNetworksLetsThemThrough() async throws {
        let open = DestinationPolicy(allowPrivate: true)
        let d = try await open.check(url: "http://[::1]:8080/x")
        #expect(d.addresses == [IPAddress("::1")!])
        #expect(d.hostHeader == "[::1]:8080")
        let meta = try await open.check(url: "http://169.254.169.254/")
        #expect(meta.port == 80)
    }

    @Test func publicLiteralsPass() async throws {
        let d = try await policy.check(url: "https://93.184.215.14/path")
        #expect(d.addresses == [IPAddress(v4: 93, 184, 215, 14)])
        #expect(d.port == 443)
        #expect(try await policy.check(url: "http://[2606:4700::1111]/").addresses.first?.scope == .public)
    }

    @Test(arguments: [
        ("ftp://example.com/", "the scheme \"ftp\" is not supported"),
        ("example.com/path", "expected an absolute http or https URL"),
        ("http:///path", "the URL has no host"),
        ("http://user:pw@example.com/", "without user:password@"),
        ("http://example.com:99999/", "the port must be from 1 to 65535"),
    ])
    func malformedURLsAreRejected(url: String, says: String) async throws {
        let e = try #require(await refusal(url))
        #expect(e.reason == .invalidURL)
        #expect(e.message.contains(says))
    }

    @Test func checkingWithoutResolvingCatchesLiteralsOnly() throws {
        #expect(throws: DestinationError.self) { try policy.checkWithoutResolving(url: "http://10.1.2.3/") }
        #expect(throws: DestinationError.self) { try policy.checkWithoutResolving(url: "http://127.0.0.1.:9/") }
        #expect(throws: DestinationError.self) { try policy.checkWithoutResolving(url: "http://[fe80::1%25eth0]/") }
        try policy.checkWithoutResolving(url: "http://localhost/")  // names are checked when the request goes out
    }

    @Test func checkingWithoutDNSAlsoCatchesLocalhostNames() async throws {
        for url in ["http://localhost/", "http://localhost.:9/", "http://LOCALHOST/", "http://a.b.localhost./", "http://%6cocalhost/"] {
            #expect(throws: DestinationError.self, "\(url)") { try policy.checkWithoutDNS(url: url) }
            let e = try #require(await refusal(url))
            #expect(e.message.contains("127.0.0.1 (loopback address)"), "a request refuses it for the same reason: \(e.message)")
        }
        try policy.checkWithoutDNS(url: "http://localhost.example.com/")
        try policy.checkWithoutDNS(url: "http://example.com/")
    }

    @Test func addressesAHostNamesWithoutDNS() {
        #expect(DestinationPolicy.addresses(named: "127.0.0.1.") == [IPAddress("127.0.0.1")!])
        #expect(DestinationPolicy.addresses(named: "0x7f.1") == [IPAddress("127.0.0.1")!])
        #expect(DestinationPolicy.addresses(named: "[fe80::1%eth0]") == [IPAddress("fe80::1")!])
        #expect(DestinationPolicy.addresses(named: "fe80::1%eth0") == [IPAddress("fe80::1")!])
        #expect(DestinationPolicy.addresses(named: "LocalHost.") == [IPAddress("127.0.0.1")!, IPAddress("::1")!])
        #expect(DestinationPolicy.addresses(named: "x.localhost") == [IPAddress("127.0.0.1")!, IPAddress("::1")!])
        #expect(DestinationPolicy.addresses(named: "localhost..") == nil)
        #expect(DestinationPolicy.addresses(named: "127.0.0.1..") == nil)
        #expect(DestinationPolicy.addresses(named: "notlocalhost") == nil)
        #expect(DestinationPolicy.addresses(named: "example.com") == nil)
    }

    @Test func addressTextForms() {
        #expect(IPAddress("2130706433")?.description == "127.0.0.1")
        #expect(IPAddress("[::1]")?.description == "::1")
        #expect(IPAddress("example.com") == nil)
        #expect(IPAddress("1.2.3.256") == nil)
        #expect(IPAddress("::1")?.urlHost == "[::1]")
        #expect(IPAddress("2002:0a00:0001::")?.scope == .private)  // 6to4 around 10.0.0.1
    }
}
