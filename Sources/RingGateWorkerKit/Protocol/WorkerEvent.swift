import RingGateCodecs

/// A packet a gateway sends on a worker connection (spec §4.2), decoded the way BusinessWorker's
/// `onGatewayMessage` reads it.
struct WorkerEvent {
    /// What happened.
    enum Kind: Equatable {
        /// CMD_ON_CONNECT.
        case connect
        /// CMD_ON_MESSAGE with the client's message.
        case message([UInt8])
        /// CMD_ON_CLOSE.
        case close
        /// CMD_ON_WEBSOCKET_CONNECT with the `['get', 'server', 'cookie']` array (PHP `false` when the
        /// body does not unserialize).
        case webSocketConnect(PHPValue)
        /// CMD_PING: ignored, like PHP.
        case ping
        /// A message whose body had flag bit 0 clear and did not unserialize to a string.
        case undecodableMessage
        /// Any other command: logged and counted, the connection stays (PHP keeps it too).
        case unknown(GatewayCommand)
    }

    var kind: Kind
    /// The header as received (client address fields, connection id, ports).
    var header: GatewayHeader
    /// ext_data: the client's session, serialized (empty when none).
    var session: [UInt8]

    /// The client the event is about.
    var clientID: GatewayClientID {
        GatewayClientID(localIP: header.localIP, localPort: header.localPort, connectionID: header.connectionID)
    }

    /// Decodes one packet. The body is read by its flag (§2.3): raw bytes when bit 0 is set, else a PHP
    /// serialization (an ON_MESSAGE serialized string is accepted as its bytes).
    init(header: GatewayHeader, extData: borrowing Span<UInt8>, body: borrowing Span<UInt8>) {
        self.header = header
        let isScalar = header.flags.contains(.bodyIsScalar)
        switch header.command {
        case .onConnect, .onClose, .onMessage, .onWebSocketConnect:
            session = ByteCopy.array(extData)
        default:
            session = []
        }
        switch header.command {
        case .onConnect: kind = .connect
        case .onClose: kind = .close
        case .onMessage:
            if isScalar {
                kind = .message(ByteCopy.array(body))
            } else if case .string(let bytes)? = PHPUnserializer.unserialize(body) {
                kind = .message(bytes)
            } else {
                kind = .undecodableMessage
            }
        case .onWebSocketConnect:
            if isScalar {
                kind = .webSocketConnect(.string(ByteCopy.array(body)))
            } else {
                kind = .webSocketConnect(PHPUnserializer.unserialize(body) ?? .bool(false))
            }
        case .ping: kind = .ping
        default: kind = .unknown(header.command)
        }
    }
}
