import RingGateCodecs
import Testing

/// The request head, its parsing and validation, and the handshake responses (RFC 6455 §4, §8.3).
@Suite struct WebSocketHandshakeTests {
    /// The request of spec §10.2 (lab capture), followed by nothing.
    static let labRequest =
        "GET /chat?token=abc&x[]=1&x[]=2 HTTP/1.1\r\nHost: 127.0.0.1:8282\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: R+NprMkZ59pF3VhR3uRmlQ==\r\nSec-WebSocket-Version: 13\r\n"
        + "Cookie: sid=xyz; lang=zh%20CN\r\nX-Forwarded-For: 10.1.2.3\r\n\r\n"

    /// RFC 6455 §1.3 / §4.2.2 example.
    @Test func rfcAcceptValue() {
        #expect(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        // Workerman hashes whatever key it gets, even an empty one.
        #expect(WebSocketHandshake.acceptValue(forKey: "") == "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=")
    }

    func request(_ text: String) throws -> WebSocketUpgradeRequest {
        try WebSocketUpgradeRequest.parse(head: Array(text.utf8).span)
    }

    @Test func parsesTheLabRequest() throws {
        let request = try request(Self.labRequest)
        #expect(request.method == "GET")
        #expect(request.target == "/chat?token=abc&x[]=1&x[]=2")
        #expect(request.httpVersion == "HTTP/1.1")
        #expect(
            request.headers.map(\.name) == [
                "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Cookie",
                "X-Forwarded-For",
            ])
        #expect(
            request.headers.map(\.value) == [
                "127.0.0.1:8282", "websocket", "Upgrade", "R+NprMkZ59pF3VhR3uRmlQ==", "13", "sid=xyz; lang=zh%20CN",
                "10.1.2.3",
            ])
        #expect(request.key == "R+NprMkZ59pF3VhR3uRmlQ==")
        #expect(request.value(forHeader: "cookie") == "sid=xyz; lang=zh%20CN")
        #expect(request.value(forHeader: "X-FORWARDED-FOR") == "10.1.2.3")
        #expect(request.value(forHeader: "Origin") == nil)
        #expect(request.isWebSocketUpgrade && request.hasConnectionUpgrade)
        #expect(request.requestedSubprotocols.isEmpty)
        for validation in [WebSocketUpgradeRequest.Validation.rfc6455, .workerman, .workerman5] {
            #expect(request.rejection(under: validation) == nil)
        }
    }

    @Test func headerValuesAreTrimmedAndNamesKeepTheirCase() throws {
        let request = try request("GET / HTTP/1.1\r\nsec-websocket-KEY:  \t abc  \r\nX-Empty:\r\n\r\n")
        #expect(request.headers.map(\.name) == ["sec-websocket-KEY", "X-Empty"])
        #expect(request.key == "abc")
        #expect(request.value(forHeader: "x-empty") == "")
    }

    @Test func tokensAndSubprotocols() throws {
        let request = try request(
            "GET / HTTP/1.1\r\nUpgrade: h2c, WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                + "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"
        )
        #expect(request.isWebSocketUpgrade && request.hasConnectionUpgrade)
        #expect(request.requestedSubprotocols == ["chat", "superchat", "mqtt"])
        #expect(request.selectSubprotocol(from: ["mqtt", "superchat"]) == "superchat")
        #expect(request.selectSubprotocol(from: ["Chat"]) == nil)
        let noUpgrade = try self.request("GET / HTTP/1.1\r\nUpgrade: websocketx\r\nConnection: upgraded\r\n\r\n")
        #expect(!noUpgrade.isWebSocketUpgrade && !noUpgrade.hasConnectionUpgrade)
    }

    /// The token scan works on bytes, without building the list: elements split on commas, trimmed
    /// of spaces and tabs, compared without regard to ASCII case, empty ones never match.
    @Test(arguments: [
        ("websocket", true), ("WebSocket", true), (" \twebsocket\t ", true), (",,websocket,", true),
        ("h2c,websocket", true), ("h2c , WEBSOCKET , x", true), ("websocketx", false), ("web socket", false),
        ("", false), (",", false), ("websocke", false), ("xwebsocket", false), ("websocket;q=1", false),
    ])
    func upgradeTokenScan(value: String, isUpgrade: Bool) throws {
        let request = try request("GET / HTTP/1.1\r\nUpgrade: \(value)\r\n\r\n")
        #expect(request.isWebSocketUpgrade == isUpgrade)
    }

    /// Bytes that are not UTF-8 are repaired (U+FFFD) in the request line and in header fields alike.
    @Test func invalidUTF8IsRepaired() throws {
        var bytes = Array("GET /a".utf8) + [0xFF] + Array(" HTTP/1.1\r\nX-Name: v".utf8) + [0xC3]
        bytes += Array("\r\n\r\n".utf8)
        let request = try WebSocketUpgradeRequest.parse(head: bytes.span)
        #expect(request.target == "/a\u{FFFD}" && request.httpVersion == "HTTP/1.1")
        #expect(request.value(forHeader: "x-name") == "v\u{FFFD}")
    }

    @Test func unterminatedHeadIsRefused() {
        #expect(throws: ProtocolError.self) { try request("GET / HTTP/1.1\r\nHost: x\r\n") }
        #expect(throws: ProtocolError.self) { try request("") }
    }

    /// RFC 6455 §4.2.1: each requirement removed or broken in turn.
    @Test(arguments: [
        ("POST / HTTP/1.1\r\n", WebSocketHandshakeRejection.methodNotGet),
        ("GET / HTTP/1.0\r\n", .unsupportedHTTPVersion),
        ("GET / HTTP/1\r\n", .unsupportedHTTPVersion),
        ("GET / FTP/1.1\r\n", .unsupportedHTTPVersion),
        ("GET /\r\n", .malformedRequest),
        ("GET  / HTTP/1.1\r\n", .malformedRequest),
        ("GET / HTTP/1.1\r\nBroken line\r\n", .malformedRequest),
        ("GET / HTTP/1.1\r\n folded: x\r\n", .malformedRequest),
        ("GET / HTTP/1.1\r\nBad Name: x\r\n", .malformedRequest),
    ])
    func rfcRequestLineRejections(prefix: String, rejection: WebSocketHandshakeRejection) throws {
        let rest = Self.labRequest.split(separator: "\r\n", maxSplits: 1)[1]
        let request = try request(prefix + rest)
        #expect(request.rejection(under: .rfc6455) == rejection)
        #expect(request.rejection(under: .workerman) == (prefix.hasPrefix("GET") ? nil : .methodNotGet))
    }

    @Test(arguments: [
        ("Host: 127.0.0.1:8282\r\n", "", WebSocketHandshakeRejection.missingHost),
        ("Upgrade: websocket\r\n", "", .notWebSocketUpgrade),
        ("Upgrade: websocket\r\n", "Upgrade: h2c\r\n", .notWebSocketUpgrade),
        ("Connection: Upgrade\r\n", "", .missingConnectionUpgrade),
        ("Connection: Upgrade\r\n", "Connection: keep-alive\r\n", .missingConnectionUpgrade),
        ("Sec-WebSocket-Version: 13\r\n", "", .missingVersion),
        ("Sec-WebSocket-Version: 13\r\n", "Sec-WebSocket-Version: 8\r\n", .unsupportedVersion),
        ("Sec-WebSocket-Key: R+NprMkZ59pF3VhR3uRmlQ==\r\n", "", .missingKey),
        ("R+NprMkZ59pF3VhR3uRmlQ==", "R+NprMkZ59pF3VhR3uRmlQ", .invalidKey),
        ("R+NprMkZ59pF3VhR3uRmlQ==", "R+NprMkZ59pF3VhR3uRmlQQ=", .invalidKey),
        ("R+NprMkZ59pF3VhR3uRmlQ==", "R+NprMkZ59pF3VhR3uRml*==", .invalidKey),
        ("R+NprMkZ59pF3VhR3uRmlQ==", "", .invalidKey),
    ])
    func rfcHeaderRejections(original: String, replacement: String, rejection: WebSocketHandshakeRejection) throws {
        let text = Self.labRequest.replacing(original, with: replacement)
        #expect(text != Self.labRequest)
        let request = try request(text)
        #expect(request.rejection(under: .rfc6455) == rejection)
        #expect(request.rejection(under: .workerman) == (rejection == .missingKey ? .missingKey : nil))
    }

    /// Spec §8.3: workerman 4 needs only `GET` and a key; workerman 5 also version 13, checked first.
    @Test func workermanValidation() throws {
        let minimal = try request("GET\r\nSec-WebSocket-Key: x\r\n\r\n")
        #expect(minimal.rejection(under: .workerman) == nil)
        #expect(minimal.rejection(under: .workerman5) == .missingVersion)
        #expect(minimal.rejection(under: .rfc6455) == .malformedRequest)
        let noKey = try request("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(noKey.rejection(under: .workerman) == .missingKey)
        #expect(noKey.rejection(under: .workerman5) == .missingVersion)
        let badVersion = try request("GET / HTTP/1.1\r\nSec-WebSocket-Version: 8\r\n\r\n")
        #expect(badVersion.rejection(under: .workerman5) == .unsupportedVersion)
        let noKey5 = try request("GET / HTTP/1.1\r\nSec-WebSocket-Version: 13\r\n\r\n")
        #expect(noKey5.rejection(under: .workerman5) == .missingKey)
        let emptyKey = try request("GET / HTTP/1.1\r\nSec-WebSocket-Key:\r\n\r\n")
        #expect(emptyKey.rejection(under: .workerman) == nil)
        #expect(emptyKey.key == "")
        let http2 = try request(
            "GET / HTTP/2.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        #expect(http2.rejection(under: .rfc6455) == nil)
    }
}

/// Response bytes, exactly as workerman sends them (spec §8.3).
@Suite struct WebSocketHandshakeResponseTests {
    let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    @Test func switchingProtocolsWorkerman4() {
        let response = WebSocketHandshake.switchingProtocolsResponse(accept: accept, flavour: .workerman4)
        let expected =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            + "Server: workerman/4.2.1\r\n\r\n"
        #expect(response == Array(expected.utf8))
    }

    @Test func switchingProtocolsWorkerman5() {
        let response = WebSocketHandshake.switchingProtocolsResponse(accept: accept, flavour: .workerman5)
        let expected =
            "HTTP/1.1 101 Switching Protocol\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        #expect(response == Array(expected.utf8))
    }

    @Test func subprotocolAndExtraHeaders() {
        let response = WebSocketHandshake.switchingProtocolsResponse(
            accept: accept,
            flavour: .workerman4,
            subprotocol: "chat",
            extraHeaders: [("X-Node", "a"), ("Bad", "x\r\nInjected: 1"), ("server", "ringgate")]
        )
        let expected =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            + "Sec-WebSocket-Protocol: chat\r\nX-Node: a\r\nserver: ringgate\r\n\r\n"
        #expect(response == Array(expected.utf8))
    }

    @Test func rejectionResponses() {
        let body = "<div style=\"text-align:center\"><h1>400 Bad Request</h1><hr>workerman</div>"
        let bad4 = Array(("HTTP/1.0 400 Bad Request\r\nServer: workerman\r\n\r\n" + body).utf8)
        let bad5 = Array(("HTTP/1.1 400 Bad Request\r\n\r\n" + body).utf8)
        let missingKey4 = Array(
            ("HTTP/1.0 400 Bad Request\r\nServer: workerman\r\n\r\n"
                + "<div style=\"text-align:center\"><h1>WebSocket</h1><hr>workerman</div>").utf8
        )
        let missingVersion = Array("HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8)
        let upgradeRequired = Array(
            ("HTTP/1.1 426 Upgrade Required\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").utf8
        )
        #expect(WebSocketHandshake.badRequestResponse(flavour: .workerman4) == bad4)
        #expect(WebSocketHandshake.badRequestResponse(flavour: .workerman5) == bad5)
        #expect(WebSocketHandshake.missingKeyResponse(flavour: .workerman4) == missingKey4)
        #expect(WebSocketHandshake.missingKeyResponse(flavour: .workerman5) == bad5)
        #expect(WebSocketHandshake.missingVersionResponse == missingVersion)
        #expect(WebSocketHandshake.upgradeRequiredResponse == upgradeRequired)

        for rejection in WebSocketHandshakeRejection.allCases {
            let expected4: [UInt8]
            let expected5: [UInt8]
            switch rejection {
            case .missingKey: (expected4, expected5) = (missingKey4, bad5)
            case .missingVersion: (expected4, expected5) = (missingVersion, missingVersion)
            case .unsupportedVersion: (expected4, expected5) = (upgradeRequired, upgradeRequired)
            default: (expected4, expected5) = (bad4, bad5)
            }
            #expect(WebSocketHandshake.response(for: rejection, flavour: .workerman4) == expected4, "\(rejection)")
            #expect(WebSocketHandshake.response(for: rejection, flavour: .workerman5) == expected5, "\(rejection)")
            #expect(rejection.protocolError.kind == .badHandshake)
        }
    }
}
