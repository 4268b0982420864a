import RingGateCodecs
import RingGateRuntime
import RingGateTLS

/// A client-facing listener: where it listens, how its clients frame messages, and its limits.
///
/// Written as workerman writes it, `websocket://0.0.0.0:8282`, `text://…`, `frame://…`, `tcp://…`; a
/// custom binary protocol is a `lengthField` framing described by values, not code.
public struct ListenerConfiguration: Sendable {
    public enum Framing: Sendable {
        case webSocket
        case text
        case frame
        case tcp
        case lengthField(LengthFieldFraming)

        var isWebSocket: Bool {
            if case .webSocket = self { return true }
            return false
        }

        /// The URL scheme workerman uses for this framing.
        public var scheme: String {
            switch self {
            case .webSocket: return "websocket"
            case .text: return "text"
            case .frame: return "frame"
            case .tcp: return "tcp"
            case .lengthField: return "lengthfield"
            }
        }
    }

    /// What to do with a client whose send queue is already at `sendQueueLimit`.
    public enum SlowClientPolicy: String, Sendable {
        /// Drop the new message for that client and count it (workerman, spec §7.4).
        case dropMessages = "drop"
        /// Close the client.
        case close
    }

    public var address: SocketAddress
    public var framing: Framing
    /// Largest message accepted from a client (workerman's defaultMaxPackageSize, inclusive).
    public var maxPackageLength: Int = 10_485_760
    /// Bytes queued for a client beyond which new messages are dropped (PHP Gateway: 1,024,000).
    public var sendQueueLimit: Int = 1_024_000
    public var slowClientPolicy: SlowClientPolicy = .dropMessages
    /// A WebSocket client that has not completed its handshake by then is closed.
    public var handshakeTimeoutNanoseconds: UInt64 = 10_000_000_000
    /// A graceful close (kick, close handshake, protocol error) waits at most this long for the peer to
    /// take the queued output, then closes anyway.
    public var drainTimeoutNanoseconds: UInt64 = 10_000_000_000
    public var webSocket = WebSocketListenerOptions()
    /// TLS on this listener (certificates, versions, ciphers); nil: plain.
    public var tls: TLSConfiguration? = nil
    /// Written with a TLS scheme (`wss://`, `ssl://`): starting without `tls` settings is an error.
    public var requiresTLS = false

    public init(address: SocketAddress, framing: Framing) {
        self.address = address
        self.framing = framing
    }

    /// Parses `scheme://host:port`.
    public init(url: String) throws(ConfigurationError) {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ConfigurationError("listener '\(url)' has no scheme: write e.g. websocket://0.0.0.0:8282")
        }
        var scheme = parts[0].lowercased()
        // `text+tls://`, `frame+tls://`, `websocket+tls://`: any framing over TLS.
        let tlsSuffix = scheme.hasSuffix("+tls")
        if tlsSuffix { scheme.removeLast(4) }
        let hostPort = parts[1].split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        guard let address = SocketAddress(hostPort) else {
            throw ConfigurationError("listener '\(url)': '\(hostPort)' is not an IP address and port")
        }
        let framing: Framing
        switch scheme {
        case "websocket", "ws", "wss": framing = .webSocket
        case "text": framing = .text
        case "frame": framing = .frame
        case "tcp", "ssl", "tls": framing = .tcp
        default:
            throw ConfigurationError(
                "listener '\(url)': unknown scheme '\(scheme)' (websocket, wss, text, frame, tcp, ssl, or any of them with +tls; custom length-field "
                    + "framings are set in the configuration file)")
        }
        self.init(address: address, framing: framing)
        requiresTLS = tlsSuffix || scheme == "wss" || scheme == "ssl" || scheme == "tls"
    }

    /// The scheme a client uses to reach this listener (`wss` for WebSocket over TLS).
    public var scheme: String {
        guard tls != nil || requiresTLS else { return framing.scheme }
        if framing.isWebSocket { return "wss" }
        if case .tcp = framing { return "ssl" }
        return framing.scheme + "+tls"
    }
}

/// WebSocket listener options.
public struct WebSocketListenerOptions: Sendable {
    /// How strictly client frames are checked.
    public enum Compliance: String, Sendable {
        /// RFC 6455: UTF-8 validated (1007), reserved bits and opcodes rejected (1002), close frames sent.
        case rfc6455
        /// workerman's leniency: no UTF-8 or sequencing checks, protocol errors close without a frame.
        case workerman
    }

    /// Frame type of messages the gateway sends (workerman default text, 0x81).
    public enum FrameType: String, Sendable {
        case text
        case binary
        /// The type of the last data message the client sent (text before the first): binary clients
        /// get binary frames without the workers knowing. Also what an echo conformance run needs.
        case mirror
    }

    public var compliance: Compliance = .rfc6455
    public var outgoingFrameType: FrameType = .text
    /// Largest HTTP upgrade request head (PHP has no limit; 16 KiB closes abuse early).
    public var maxHeadLength: Int = 16384
    /// Subprotocols the gateway agrees to, in preference order (browsers fail the connection when
    /// they asked for one and none is echoed).
    public var subprotocols: [String] = []
    /// Which workerman's arrays CMD_ON_WEBSOCKET_CONNECT carries (`server` keys, cookie decoding;
    /// spec §4.2). Workers pass them to user code, so match the cluster's workerman (default 4.x).
    public var workermanVersion: WebSocketHandshake.Flavour = .workerman4
    /// A page for plain HTTP requests (a browser opening the listener's address): `GET /` and
    /// `GET /index.html` get it with 200, other paths 404, other methods 405, then the connection
    /// closes. nil (the default): every request that is not a WebSocket upgrade gets 400, as in
    /// workerman.
    public var httpPage: HTTPPage? = nil

    public init() {}
}

/// A configuration value that cannot work, with a message that says how to fix it.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
