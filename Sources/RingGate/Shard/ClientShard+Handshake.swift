import RingGateCodecs
import RingGateRuntime

extension ClientShard {
    /// A complete HTTP request head arrived on a WebSocket listener: answer the upgrade, switch the
    /// connection to frames, and release the output queued meanwhile right after the 101.
    func upgradeRequestReceived(_ head: Span<UInt8>, client: ClientID, codec: ListenerCodec) {
        let slot = Int(client.slot)
        let configuration = listeners[Int(connections[slot].listener)].configuration
        let request: WebSocketUpgradeRequest
        do {
            request = try WebSocketUpgradeRequest.parse(head: head)
        } catch {
            protocolError(error, client: client)
            return
        }
        if let rejection = request.rejection(under: codec.strictWebSocket ? .rfc6455 : .workerman) {
            rejectHandshake(rejection, client: client)
            return
        }
        let subprotocol = request.selectSubprotocol(from: configuration.webSocket.subprotocols)
        let response = WebSocketHandshake.switchingProtocolsResponse(
            accept: WebSocketHandshake.acceptValue(forKey: request.key ?? ""), flavour: .workerman4,
            subprotocol: subprotocol, extraHeaders: [])
        connections[slot].decoder = .webSocket(WebSocketDecoder())
        let chunk = io.chunks.allocate(capacity: response.count)
        io.chunks.write(response.span, to: chunk, at: 0)
        sendQueues.prepend(chunk, range: 0..<response.count, to: &connections[slot].queue)
        connections[slot].holdsOutput = false
        flush(client.slot)
    }

    /// Answers a refused upgrade (400, or 426 for a wrong version) and closes after it is flushed.
    private func rejectHandshake(_ rejection: WebSocketHandshakeRejection, client: ClientID) {
        let error = rejection.protocolError
        counters.countBadInput(error.kind)
        logger.notice("closing client: \(error.reason)", metadata: ["peer": "\(peerDescription(client.slot))"])
        sendRaw(WebSocketHandshake.response(for: rejection, flavour: .workerman4).span, to: client, bypassHold: true)
        close(client, reason: .protocolError, graceful: true)
    }
}
