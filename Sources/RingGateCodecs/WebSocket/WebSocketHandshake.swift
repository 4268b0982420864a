/// The server's side of the opening handshake (RFC 6455 §4.2.2): the accept value and the exact
/// responses workerman sends (spec §8.3), so clients and tests see the bytes the PHP gateway sent.
public enum WebSocketHandshake {
    /// Which workerman's response bytes to reproduce; chosen per listener.
    public enum Flavour: Equatable, Sendable {
        /// Workerman 4.2.1 (GatewayWorker's usual base): `Switching Protocols` and a `Server` header.
        case workerman4
        /// Workerman 5.2: status text `Switching Protocol` (sic), no `Server` header.
        case workerman5
    }

    /// The GUID that RFC 6455 §1.3 appends to the key before hashing.
    public static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2 item 5.4).
    /// The key is used exactly as sent, without validation, as workerman does.
    public static func acceptValue(forKey key: String) -> String {
        var input: [UInt8] = []
        input.reserveCapacity(key.utf8.count + acceptGUID.utf8.count)
        input.append(contentsOf: key.utf8)
        input.append(contentsOf: acceptGUID.utf8)
        return Base64.encode(SHA1.digest(input).span)
    }

    /// The 101 response that completes the handshake.
    ///
    /// Workerman 4: `HTTP/1.1 101 Switching Protocols`, `Upgrade`, `Sec-WebSocket-Version`,
    /// `Connection`, `Sec-WebSocket-Accept`, then the extra headers, then `Server: workerman/4.2.1`
    /// unless an extra header already is a `Server` header. Workerman 5: status text
    /// `Switching Protocol` and no `Server` header. `subprotocol` (when the client offered it) is
    /// sent as `Sec-WebSocket-Protocol` before the extra headers. Headers whose name or value holds
    /// CR or LF are skipped (as workerman 5 does), so configuration cannot split the response.
    public static func switchingProtocolsResponse(
        accept: String,
        flavour: Flavour,
        subprotocol: String? = nil,
        extraHeaders: [(name: String, value: String)] = []
    ) -> [UInt8] {
        // Built as bytes in one buffer: this runs for every connection a burst opens.
        var response: [UInt8] = []
        response.reserveCapacity(192)
        response.append(
            contentsOf: flavour == .workerman4
                ? "HTTP/1.1 101 Switching Protocols\r\n".utf8 : "HTTP/1.1 101 Switching Protocol\r\n".utf8)
        response.append(contentsOf: "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n".utf8)
        response.append(contentsOf: "Sec-WebSocket-Accept: ".utf8)
        response.append(contentsOf: accept.utf8)
        response.append(contentsOf: "\r\n".utf8)
        var hasServerHeader = false
        func append(_ name: String, _ value: String) {
            guard !containsLineBreak(name) && !containsLineBreak(value) else { return }
            response.append(contentsOf: name.utf8)
            response.append(contentsOf: ": ".utf8)
            response.append(contentsOf: value.utf8)
            response.append(contentsOf: "\r\n".utf8)
            hasServerHeader = hasServerHeader || WebSocketUpgradeRequest.equalsIgnoringCase(name, "Server")
        }
        if let subprotocol { append("Sec-WebSocket-Protocol", subprotocol) }
        for (name, value) in extraHeaders { append(name, value) }
        if flavour == .workerman4 && !hasServerHeader {
            response.append(contentsOf: "Server: workerman/4.2.1\r\n".utf8)
        }
        response.append(contentsOf: "\r\n".utf8)
        return response
    }

    /// The answer to a request that does not start with `GET` (and RingGate's answer to a head over
    /// the size limit and to requests RFC validation refuses).
    public static func badRequestResponse(flavour: Flavour) -> [UInt8] {
        let status =
            flavour == .workerman4
            ? "HTTP/1.0 400 Bad Request\r\nServer: workerman\r\n\r\n" : "HTTP/1.1 400 Bad Request\r\n\r\n"
        return Array((status + "<div style=\"text-align:center\"><h1>400 Bad Request</h1><hr>workerman</div>").utf8)
    }

    /// The answer to a request without `Sec-WebSocket-Key`. Workerman 4.2.1 titles its page
    /// "WebSocket"; workerman 5.2 sends its plain 400.
    public static func missingKeyResponse(flavour: Flavour) -> [UInt8] {
        switch flavour {
        case .workerman4:
            Array(
                ("HTTP/1.0 400 Bad Request\r\nServer: workerman\r\n\r\n"
                    + "<div style=\"text-align:center\"><h1>WebSocket</h1><hr>workerman</div>").utf8
            )
        case .workerman5:
            badRequestResponse(flavour: .workerman5)
        }
    }

    /// Workerman 5's answer to a request without `Sec-WebSocket-Version`.
    public static let missingVersionResponse: [UInt8] = Array(
        "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8
    )

    /// The answer to an unsupported `Sec-WebSocket-Version` (RFC 6455 §4.4; workerman 5's bytes).
    public static let upgradeRequiredResponse: [UInt8] = Array(
        "HTTP/1.1 426 Upgrade Required\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\nSec-WebSocket-Version: 13\r\n\r\n"
            .utf8
    )

    /// The bytes to send, before closing, for `rejection`.
    public static func response(for rejection: WebSocketHandshakeRejection, flavour: Flavour) -> [UInt8] {
        switch rejection {
        case .missingKey: missingKeyResponse(flavour: flavour)
        case .missingVersion: missingVersionResponse
        case .unsupportedVersion: upgradeRequiredResponse
        case .malformedRequest, .methodNotGet, .unsupportedHTTPVersion, .missingHost, .notWebSocketUpgrade,
            .missingConnectionUpgrade, .invalidKey:
            badRequestResponse(flavour: flavour)
        }
    }

    private static func containsLineBreak(_ text: String) -> Bool {
        text.utf8.contains { $0 == 0x0D || $0 == 0x0A }
    }
}
