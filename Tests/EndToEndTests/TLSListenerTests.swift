import Glibc
import RingGate
import RingGateTLS
import TestSupport
import Testing

/// TLS listeners end to end: real handshakes from OpenSSL clients over loopback against certificates
/// made for the test, echo through the text framing, and every way a handshake can fail closed with
/// its counter.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct TLSListenerTests {
    /// A text echo gateway whose listener 0 serves TLS with `tls`.
    func withTLSGateway<R>(
        _ tls: TLSConfiguration, listener: String = "text://127.0.0.1:0", shards: Int = 2,
        _ body: (GatewayServer) throws -> R
    ) throws -> R {
        try withGateway(listeners: [listener], shards: shards, configure: { $0.listeners[0].tls = tls }, body)
    }

    /// A TLS gateway serving one certificate signed by a test CA, and a client context trusting that CA.
    func withLeafCertificateGateway(_ body: (GatewayServer, TLSContext) throws -> Void) throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        try withTLSGateway(TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)) { server in
            try body(server, try TLSContext(clientTrusting: certificates.caPath))
        }
    }

    func failures(_ server: GatewayServer, _ reason: TLSHandshakeFailure) -> UInt64 {
        server.totalCounters().tlsHandshakeFailures[reason] ?? 0
    }

    @Test(arguments: [TLSConfiguration.Version.tls12, .tls13])
    func handshakeAndEchoAtEachVersion(version: TLSConfiguration.Version) throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        try withTLSGateway(TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)) { server in
            let context = try TLSContext(
                clientTrusting: certificates.caPath, minimumVersion: version, maximumVersion: version)
            let client = try TLSTestClient(port: server.port(), context: context)
            #expect(client.session.version == (version == .tls12 ? "TLSv1.2" : "TLSv1.3"))
            try client.send("hello over tls\n")
            #expect(try client.receive(exactly: 15) == Array("hello over tls\n".utf8))
            // A message larger than one TLS record, both ways.
            let big = [UInt8](repeating: UInt8(ascii: "x"), count: 100_000) + [10]
            try client.send(big)
            #expect(try client.receive(exactly: big.count) == big)
            #expect(server.waitFor { $0.tlsHandshakesCompleted == 1 })
        }
    }

    @Test func aGracefulCloseEndsWithCloseNotify() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        var configuration = try testConfiguration(listeners: ["text://127.0.0.1:0"], shards: 1)
        configuration.listeners[0].tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
        let server = try GatewayServer(
            configuration: configuration, logger: testLogger, makeApplication: { _ in EchoApplication() })
        let client = try TLSTestClient(
            port: server.port(), context: try TLSContext(clientTrusting: certificates.caPath))
        try client.send("last words\n")
        #expect(try client.receive(exactly: 11) == Array("last words\n".utf8))
        // A graceful shutdown flushes, then says close_notify before the FIN: the client can tell it from a cut.
        server.drainAndStop(drainSeconds: 5)
        #expect(client.waitForClose())
        #expect(client.closedByPeer)
    }

    @Test func sniSelectsTheCertificateNamingTheHost() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let first = try certificates.makeLeaf("first", commonName: "localhost")
        let second = try certificates.makeLeaf("second", commonName: "chat.example.test")
        var tls = TLSConfiguration(certificates: [
            .init(chainPath: first.chain, privateKeyPath: first.key),
            .init(chainPath: second.chain, privateKeyPath: second.key),
        ])
        tls.minimumVersion = .tls12
        try withTLSGateway(tls) { server in
            let context = try TLSContext(clientTrusting: certificates.caPath)
            let chat = try TLSTestClient(port: server.port(), context: context, serverName: "chat.example.test")
            #expect(chat.session.peerSubject.contains("CN=chat.example.test"))
            let local = try TLSTestClient(port: server.port(), context: context, serverName: "localhost")
            #expect(local.session.peerSubject.contains("CN=localhost"))
            // An unknown name gets the first (default) certificate; this client does not verify it.
            let unverified = try TLSContext(clientTrusting: nil)
            let other = try TLSTestClient(port: server.port(), context: unverified, serverName: "nobody.test")
            #expect(other.session.peerSubject.contains("CN=localhost"))
            try chat.send("ok\n")
            #expect(try chat.receive(exactly: 3) == Array("ok\n".utf8))
        }
    }

    @Test func expiredCertificateIsRefusedByTheClientAndCounted() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let expired = try certificates.makeLeaf("expired", days: -1)
        try withTLSGateway(TLSConfiguration(certificateChainPath: expired.chain, privateKeyPath: expired.key)) {
            server in
            let context = try TLSContext(clientTrusting: certificates.caPath)
            #expect(throws: TLSTestClient.Failure.self) { try TLSTestClient(port: server.port(), context: context) }
            #expect(server.waitFor { $0.tlsHandshakeFailures[.certificate] == 1 })
            #expect(server.waitFor { $0.liveConnections == 0 })
        }
    }

    @Test func certificateFromAnotherCAIsRefusedAndCounted() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        try withTLSGateway(TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)) { server in
            let context = try TLSContext(clientTrusting: certificates.otherCAPath)
            #expect(throws: TLSTestClient.Failure.self) { try TLSTestClient(port: server.port(), context: context) }
            #expect(server.waitFor { $0.tlsHandshakeFailures[.certificate] == 1 })
        }
    }

    @Test func versionBelowTheMinimumIsClosedAndCounted() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        var tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
        tls.minimumVersion = .tls13
        try withTLSGateway(tls) { server in
            let context = try TLSContext(clientTrusting: certificates.caPath, maximumVersion: .tls12)
            #expect(throws: TLSTestClient.Failure.self) { try TLSTestClient(port: server.port(), context: context) }
            #expect(server.waitFor { $0.tlsHandshakeFailures[.unsupportedVersion] == 1 })
        }
    }

    @Test func noCipherInCommonIsClosedAndCounted() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        var tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
        tls.cipherList = "ECDHE-ECDSA-AES256-GCM-SHA384"
        try withTLSGateway(tls) { server in
            let context = try TLSContext(
                clientTrusting: certificates.caPath, maximumVersion: .tls12, cipherList: "ECDHE-ECDSA-AES128-GCM-SHA256"
            )
            #expect(throws: TLSTestClient.Failure.self) { try TLSTestClient(port: server.port(), context: context) }
            #expect(server.waitFor { $0.tlsHandshakeFailures[.noSharedCipher] == 1 })
        }
    }

    @Test(arguments: [
        Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
        [UInt8](repeating: 0xFF, count: 300),
        // A record header claiming a handshake far beyond the largest record.
        [0x16, 0x03, 0x01, 0xFF, 0xFF] + [UInt8](repeating: 1, count: 64),
    ])
    func garbageBeforeTheClientHelloIsClosedAndCounted(garbage: [UInt8]) throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        try withTLSGateway(TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)) { server in
            let client = try TestClient(port: server.port())
            try client.send(garbage)
            #expect(client.waitForClose())
            #expect(server.waitFor { $0.tlsHandshakeFailures[.notTLS] == 1 })
            // The gateway still serves a real client.
            let context = try TLSContext(clientTrusting: certificates.caPath)
            let good = try TLSTestClient(port: server.port(), context: context)
            try good.send("fine\n")
            #expect(try good.receive(exactly: 5) == Array("fine\n".utf8))
        }
    }

    @Test func clientHelloInOneByteWrites() throws {
        try withLeafCertificateGateway { server, context in
            let client = try TLSTestClient(port: server.port(), context: context, handshake: false)
            let hello = try client.clientHello()
            #expect(hello.count > 100)
            try client.connection.sendSlowly(hello, pieceSize: 1, pauseMicroseconds: 100)
            try client.finishHandshake()
            try client.send("after\n")
            #expect(try client.receive(exactly: 6) == Array("after\n".utf8))
        }
    }

    @Test func garbageAfterTheHandshakeClosesTheConnection() throws {
        try withLeafCertificateGateway { server, context in
            let client = try TLSTestClient(port: server.port(), context: context)
            try client.send("one\n")
            #expect(try client.receive(exactly: 4) == Array("one\n".utf8))
            try client.sendRaw([0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0xAB, count: 32))
            #expect(client.waitForClose())
            #expect(server.waitFor { $0.tlsRecordFailures == 1 && $0.liveConnections == 0 })
        }
    }

    @Test func silentClientIsClosedAtTheHandshakeDeadline() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        let tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
        try withGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1,
            configure: {
                $0.listeners[0].tls = tls
                $0.listeners[0].handshakeTimeoutNanoseconds = 300_000_000
            }
        ) { server in
            let client = try TestClient(port: server.port())
            try client.send([0x16, 0x03, 0x01])
            #expect(client.waitForClose())
            #expect(server.waitFor { $0.tlsHandshakeFailures[.timeout] == 1 })
        }
    }

    /// Raises the soft descriptor limit towards `wanted` (1,000 clients here, their 1,000 server sides
    /// in the same process); false when the hard limit is below it.
    static func raiseDescriptorLimit(to wanted: rlim_t) -> Bool {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur >= wanted { return true }
        guard limit.rlim_max >= wanted else { return false }
        limit.rlim_cur = wanted
        return setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0
    }

    @Test func aThousandParallelHandshakes() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        try #require(Self.raiseDescriptorLimit(to: 4_096), "needs RLIMIT_NOFILE of at least 4096 (ulimit -Hn)")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        try withTLSGateway(TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)) { server in
            let context = try TLSContext(clientTrusting: certificates.caPath)
            // Every ClientHello is out before any handshake is finished: the gateway holds 1,000
            // handshakes in progress at once.
            var clients: [TLSTestClient] = []
            for _ in 0..<1_000 {
                let client = try TLSTestClient(port: server.port(), context: context, handshake: false)
                try client.connection.send(try client.clientHello())
                clients.append(client)
            }
            for client in clients { try client.finishHandshake() }
            for (index, client) in clients.enumerated() { try client.send("\(index)\n") }
            for (index, client) in clients.enumerated() {
                let expected = Array("\(index)\n".utf8)
                #expect(try client.receive(exactly: expected.count) == expected)
            }
            #expect(server.waitFor { $0.tlsHandshakesCompleted == 1_000 })
        }
    }

    /// OpenSSL sessions count against the memory budget: with room for about 100 sessions, a flood of
    /// handshakes is refused at accept past 7/8 of it instead of growing the heap without bound.
    @Test func tlsSessionsCountAgainstTheMemoryBudget() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        let tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
        try withGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1,
            configure: {
                $0.listeners[0].tls = tls
                $0.memoryBudgetBytes = 100 * (16 << 10)
            }
        ) { server in
            var clients: [TestClient] = []
            for _ in 0..<120 {
                let client = try TestClient(port: server.port())
                try client.send([0x16, 0x03, 0x01])  // a handshake begun and left waiting
                clients.append(client)
            }
            func refused() -> UInt64 { server.reports().reduce(0) { $0 + $1.counters.memoryRefusedAccepts } }
            #expect(server.waitFor { $0.accepted + refused() == 120 })
            let counters = server.totalCounters()
            #expect(counters.liveConnections <= 88, "\(counters.liveConnections) sessions held")
            #expect(refused() >= 32, "\(refused()) refused")
        }
    }

    @Test func clientCertificatesAreRequiredWhenVerifyPeerIsOn() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        let user = try certificates.makeLeaf("user", commonName: "alice")
        var tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
        tls.clientCAPath = certificates.caPath
        tls.verifyPeer = true
        try withTLSGateway(tls) { server in
            let anonymous = try TLSContext(clientTrusting: certificates.caPath)
            // TLS 1.3: the client finishes first and learns of the refusal on its next read.
            let refused = try? TLSTestClient(port: server.port(), context: anonymous)
            if let refused {
                try? refused.send("x\n")
                #expect(refused.waitForClose())
            }
            #expect(server.waitFor { $0.tlsHandshakeFailures[.certificate] == 1 })
            let identified = try TLSContext(
                clientTrusting: certificates.caPath, certificateChainPath: user.chain, privateKeyPath: user.key)
            let client = try TLSTestClient(port: server.port(), context: identified)
            try client.send("me\n")
            #expect(try client.receive(exactly: 3) == Array("me\n".utf8))
        }
    }

    @Test func badFilesAreRefusedWithAClearError() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        let other = try certificates.makeLeaf("other")
        #expect(throws: TLSError.self) {
            try TLSContext(server: TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: other.key))
        }
        do {
            _ = try TLSContext(server: TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: other.key))
        } catch {
            #expect(error.message.contains("does not match"))
        }
        #expect(throws: ConfigurationError.self) {
            var listener = try ListenerConfiguration(url: "wss://127.0.0.1:0")
            listener.tls = nil
            _ = try GatewayServer.loadTLS([listener])
        }
    }
}
