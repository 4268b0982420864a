import Glibc
import RingGate
import RingGateCodecs
import RingGateTLS
import TestSupport
import Testing

/// WebSocket over TLS (`wss://`) and certificate reload, end to end.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct TLSWebSocketTests {
    static let upgradeHead =
        "GET /chat?token=abc&x[]=1&x[]=2 HTTP/1.1\r\nHost: 127.0.0.1:8282\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: R+NprMkZ59pF3VhR3uRmlQ==\r\nSec-WebSocket-Version: 13\r\n"
        + "Cookie: sid=xyz; lang=zh%20CN\r\nX-Forwarded-For: 10.1.2.3\r\n\r\n"

    /// Reads an HTTP head (to the blank line) from a TLS client.
    static func readHead(_ client: TLSTestClient) throws -> String {
        var head: [UInt8] = []
        while !(head.count >= 4 && Array(head.suffix(4)) == [13, 10, 13, 10]) { head += try client.receive(exactly: 1) }
        return String(decoding: head, as: UTF8.self)
    }

    /// workerman sets nothing TLS-specific for `transport = 'ssl'`: its Websocket protocol fills
    /// `$_SERVER` from the request alone (no `HTTPS` key in workerman 3.5, 4.x or 5.x), so the
    /// ON_WEBSOCKET_CONNECT body over wss is byte for byte the one over ws (spec §10.2's capture), and
    /// the header carries the real client address: TLS ends in the gateway, no proxy in between.
    @Test func webSocketConnectDataOverWSSIsWhatWorkermanSends() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        let tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
        try withWorkerGateway(listeners: ["wss://127.0.0.1:0"], shards: 1) { configuration in
            configuration.listeners[0].tls = tls
        } _: { server in
            let worker = try GatewayWorkerTests.worker(server)
            let client = try TLSTestClient(
                port: server.port(), context: try TLSContext(clientTrusting: certificates.caPath))
            let connect = try worker.nextEvent(.onConnect)
            #expect(connect.packet.header.clientIP == 0x7F00_0001)
            #expect(connect.packet.header.clientPort == client.connection.localPort)
            try client.send(Self.upgradeHead)
            let upgrade = try worker.nextEvent(.onWebSocketConnect)
            let expected =
                #"a:3:{s:3:"get";a:2:{s:5:"token";s:3:"abc";s:1:"x";a:2:{i:0;s:1:"1";i:1;s:1:"2";}}s:6:"server";a:13:{s:14:"REQUEST_METHOD";s:3:"GET";s:11:"REQUEST_URI";s:27:"/chat?token=abc&x[]=1&x[]=2";s:15:"SERVER_PROTOCOL";s:8:"HTTP/1.1";s:9:"HTTP_HOST";s:14:"127.0.0.1:8282";s:11:"SERVER_NAME";s:9:"127.0.0.1";s:11:"SERVER_PORT";s:4:"8282";s:12:"HTTP_UPGRADE";s:9:"websocket";s:15:"HTTP_CONNECTION";s:7:"Upgrade";s:22:"HTTP_SEC_WEBSOCKET_KEY";s:24:"R+NprMkZ59pF3VhR3uRmlQ==";s:26:"HTTP_SEC_WEBSOCKET_VERSION";s:2:"13";s:11:"HTTP_COOKIE";s:21:"sid=xyz; lang=zh%20CN";s:20:"HTTP_X_FORWARDED_FOR";s:8:"10.1.2.3";s:12:"QUERY_STRING";s:21:"token=abc&x[]=1&x[]=2";}s:6:"cookie";a:2:{s:3:"sid";s:3:"xyz";s:4:"lang";s:5:"zh CN";}}"#
            #expect(upgrade.packet.body == Array(expected.utf8))
            #expect(try Self.readHead(client).hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
            try client.send(WebSocketTestClient.frame(opcode: 1, payload: Array("hi".utf8)))
            #expect(try worker.nextEvent(.onMessage).packet.body == Array("hi".utf8))
        }
    }

    @Test func webSocketEchoOverTLS() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        let tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
        try withGateway(listeners: ["wss://127.0.0.1:0"], configure: { $0.listeners[0].tls = tls }) { server in
            let client = try TLSTestClient(
                port: server.port(), context: try TLSContext(clientTrusting: certificates.caPath, alpnHTTP11: true))
            #expect(client.session.alpn == "http/1.1")
            try client.send(Self.upgradeHead)
            #expect(try Self.readHead(client).hasPrefix("HTTP/1.1 101"))
            let payload = [UInt8](repeating: 0x61, count: 70_000)
            try client.send(WebSocketTestClient.frame(opcode: 1, payload: payload))
            #expect(try client.receive(exactly: 10) == [0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70])
            #expect(try client.receive(exactly: payload.count) == payload)
            // A close handshake: the close reply comes back, then the connection ends.
            try client.send(WebSocketTestClient.frame(opcode: 8, payload: [0x03, 0xE8]))
            #expect(try client.receive(exactly: 4) == [0x88, 0x02, 0x03, 0xE8])
            #expect(client.waitForClose())
        }
    }

    /// Certificates swapped while 100 clients exchange messages: their sessions continue (messages in
    /// flight at the reload come back), new handshakes get the new certificate, and a bad file is
    /// refused with the previous certificate still served.
    @Test func reloadSwapsCertificatesWhileClientsKeepTalking() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let alpha = try certificates.makeLeaf("alpha", commonName: "alpha.test")
        let beta = try certificates.makeLeaf("beta", commonName: "beta.test")
        let before = TLSConfiguration(certificateChainPath: alpha.chain, privateKeyPath: alpha.key)
        let after = TLSConfiguration(certificateChainPath: beta.chain, privateKeyPath: beta.key)
        var listener = try ListenerConfiguration(url: "text+tls://127.0.0.1:0")
        try withGateway(listeners: ["text+tls://127.0.0.1:0"], configure: { $0.listeners[0].tls = before }) {
            server in
            let anyCertificate = try TLSContext(clientTrusting: nil)
            var clients: [TLSTestClient] = []
            for _ in 0..<100 { clients.append(try TLSTestClient(port: server.port(), context: anyCertificate)) }
            #expect(clients.allSatisfy { $0.session.peerSubject.contains("CN=alpha.test") })
            for round in 0..<6 {
                for (index, client) in clients.enumerated() { try client.send("\(round) \(index)\n") }
                if round == 2 {
                    listener.tls = after
                    try server.reloadTLS([listener])
                    let fresh = try TLSTestClient(port: server.port(), context: anyCertificate)
                    #expect(fresh.session.peerSubject.contains("CN=beta.test"))
                }
                if round == 4 {
                    listener.tls = TLSConfiguration(certificateChainPath: alpha.chain, privateKeyPath: beta.key)
                    #expect(throws: ConfigurationError.self) { try server.reloadTLS([listener]) }
                    let fresh = try TLSTestClient(port: server.port(), context: anyCertificate)
                    #expect(fresh.session.peerSubject.contains("CN=beta.test"))
                }
                for (index, client) in clients.enumerated() {
                    let expected = Array("\(round) \(index)\n".utf8)
                    #expect(try client.receive(exactly: expected.count) == expected)
                }
            }
            #expect(server.waitFor { $0.liveConnections == 100 })
        }
    }
}
