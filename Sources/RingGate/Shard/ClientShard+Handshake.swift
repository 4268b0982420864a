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
            try request.validate(mode: codec.strictWebSocket ? .rfc6455 : .workerman)
        } catch {
            protocolError(error, client: client)
            return
        }
        let subprotocol = request.subprotocols.first { configuration.webSocket.subprotocols.contains($0) }
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
}
