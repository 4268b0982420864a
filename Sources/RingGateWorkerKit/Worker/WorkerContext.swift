import RingGateCodecs

/// What a handler knows about the event it handles: PHP's `Context` and `$_SERVER`, the client's
/// `$_SESSION`, and shortcuts that act on the current client (`sendToCurrentClient`, …).
///
/// Valid during the handler call only and only on the loop thread (it is not `Sendable`).
///
/// **Sessions.** `session` is decoded lazily from the bytes the event carried. If the handler changed
/// it (compared by value, like PHP's `$_SESSION !== $old_session`), the worker sends CMD_SET_SESSION
/// with the whole serialized session right after the handler (nil clears it), as BusinessWorker
/// does. Unlike PHP, the worker never blocks on a GET_SESSION query: until the gateway echoes a
/// written session back in an event, later events that still carry an older session (sent before the
/// gateway applied the write) get the written one instead.
public struct WorkerContext {
    /// The client (`GATEWAY_CLIENT_ID`): 20 hex characters via `description`.
    public let clientID: GatewayClientID
    /// The client's IPv4 address as a `UInt32` (0 for non-IPv4 clients).
    public let remoteIPValue: UInt32
    /// `REMOTE_PORT`: the client's TCP source port.
    public let remotePort: UInt16
    /// `GATEWAY_PORT`: the public port the client connected to.
    public let gatewayPort: UInt16
    /// The gateway API, for other clients, groups and queries.
    public let gateway: Gateway

    let link: GatewayLink
    private(set) var sessionState: SessionState

    enum SessionState {
        /// Not looked at yet: the serialized bytes of the event.
        case encoded([UInt8])
        /// Decoded; `original` is what the event carried.
        case decoded(original: PHPArray?, current: PHPArray?)
    }

    init(header: GatewayHeader, session: [UInt8], link: GatewayLink, gateway: Gateway) {
        clientID = GatewayClientID(
            localIP: header.localIP, localPort: header.localPort, connectionID: header.connectionID)
        remoteIPValue = header.clientIP
        remotePort = header.clientPort
        gatewayPort = header.gatewayPort
        self.gateway = gateway
        self.link = link
        sessionState = .encoded(session)
    }

    /// `REMOTE_ADDR`: the client's address, dotted (`0.0.0.0` when not IPv4).
    public var remoteIP: String { GatewayIPv4.dottedQuad(remoteIPValue) }

    /// `GATEWAY_ADDR`: the gateway's lanIp, dotted.
    public var gatewayIP: String { GatewayIPv4.dottedQuad(clientID.localIP) }

    /// The gateway's inner address (`lanIp:lanPort`) this event came from and replies go to.
    public var gatewayAddress: String { clientID.gatewayAddress }

    /// The client's session (`$_SESSION`): nil when none was set (or the stored bytes are not a
    /// serialized array). Changes are written back after the handler.
    public var session: PHPArray? {
        mutating get {
            decodeSession()
            guard case .decoded(_, let current) = sessionState else { return nil }
            return current
        }
        set {
            decodeSession()
            guard case .decoded(let original, _) = sessionState else { return }
            sessionState = .decoded(original: original, current: newValue)
        }
    }

    /// Merges `partial` into `session` like `Gateway::updateSession` does for the current client
    /// (`array_replace_recursive`); written back after the handler.
    public mutating func updateSession(_ partial: PHPArray) {
        session = PHPArrayMerge.replaceRecursive(session ?? PHPArray(), with: partial)
    }

    /// The serialized session to write back, or nil when the handler left it unchanged.
    mutating func changedSession() -> [UInt8]? {
        guard case .decoded(let original, let current) = sessionState, original != current else { return nil }
        return current.map { PHPSerializer.serialize(.array($0)) } ?? []
    }

    private mutating func decodeSession() {
        guard case .encoded(let bytes) = sessionState else { return }
        var decoded: PHPArray? = nil
        if !bytes.isEmpty {
            decoded = PHPUnserializer.unserialize(bytes)?.arrayValue
            if decoded == nil { link.core.statistics.invalidSessions += 1 }
        }
        sessionState = .decoded(original: decoded, current: decoded)
    }

    // MARK: The current client

    /// `sendToCurrentClient`: sends `message` to this client.
    public func send(_ message: some GatewayMessage, raw: Bool = false) {
        let connectionID = clientID.connectionID
        link.sendCommand { buffer throws(GatewayKitError) in
            try GatewayRequest.append(
                .sendToOne, connectionID: connectionID, flags: GatewayRequest.messageFlags(raw: raw), body: message,
                to: &buffer)
        }
    }

    /// `closeCurrentClient`: closes this client gracefully.
    public func close() {
        let connectionID = clientID.connectionID
        link.sendCommand { buffer throws(GatewayKitError) in
            try GatewayRequest.kick(connectionID: connectionID, message: String?.none, to: &buffer)
        }
    }

    /// `closeCurrentClient($message)`: sends `message`, then closes this client gracefully.
    public func close(message: some GatewayMessage) {
        let connectionID = clientID.connectionID
        link.sendCommand { buffer throws(GatewayKitError) in
            try GatewayRequest.kick(connectionID: connectionID, message: message, to: &buffer)
        }
    }

    /// `destoryCurrentClient` (sic): closes this client at once.
    public func destroy() {
        let connectionID = clientID.connectionID
        link.sendCommand { buffer throws(GatewayKitError) in
            try GatewayRequest.append(.destroy, connectionID: connectionID, to: &buffer)
        }
    }

    /// `bindUid` for this client.
    public func bindUid(_ uid: GatewayID) {
        command(.bindUID, ext: uid.description)
    }

    /// `unbindUid` for this client (the gateway ignores `uid`).
    public func unbindUid(_ uid: GatewayID) {
        command(.unbindUID, ext: uid.description)
    }

    /// `joinGroup` for this client.
    public func joinGroup(_ group: GatewayID) {
        command(.joinGroup, ext: group.description)
    }

    /// `leaveGroup` for this client.
    public func leaveGroup(_ group: GatewayID) {
        command(.leaveGroup, ext: group.description)
    }

    private func command(_ command: GatewayCommand, ext: String) {
        let connectionID = clientID.connectionID
        link.sendCommand { buffer throws(GatewayKitError) in
            try GatewayRequest.clientCommand(command, connectionID: connectionID, ext: ext, to: &buffer)
        }
    }
}
