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
        if let response = codec.pageResponder?.response(to: request) {
            answerPlainRequest(response, target: request.target, client: client)
            return
        }
        if let rejection = request.rejection(under: codec.strictWebSocket ? .rfc6455 : .workerman) {
            rejectHandshake(rejection, client: client)
            return
        }
        // ON_WEBSOCKET_CONNECT goes to the worker before the 101 (spec §4.2); with no worker the
        // application closes the client and no 101 is written.
        application.webSocketHandshakeAccepted(head, from: client, on: self)
        guard lifecycle(of: client)?.isOpen == true else { return }
        let subprotocol = request.selectSubprotocol(from: configuration.webSocket.subprotocols)
        let response = WebSocketHandshake.switchingProtocolsResponse(
            accept: WebSocketHandshake.acceptValue(forKey: request.key ?? ""),
            flavour: configuration.webSocket.workermanVersion,
            subprotocol: subprotocol, extraHeaders: [])
        connections[slot].decoder = .webSocket(WebSocketDecoder())
        guard let chunk = chunks.tryAllocate(capacity: response.count) else {
            outOfMemory(client)
            return
        }
        chunks.write(response.span, to: chunk, at: 0)
        sendQueues.prepend(chunk, range: 0..<response.count, to: &connections[slot].queue)
        connections[slot].holdsOutput = false
        flush(client.slot)
    }

    /// Answers a plain HTTP request on a listener that serves a page, then closes after it is flushed
    /// (the response says `Connection: close`; the FIN follows the last byte).
    private func answerPlainRequest(_ response: HTTPPageResponse, target: String, client: ClientID) {
        switch response.status {
        case .ok: counters.httpPagesServed += 1
        case .notFound: counters.httpNotFound += 1
        case .methodNotAllowed: counters.httpMethodNotAllowed += 1
        }
        logger.debug(
            "plain HTTP request answered",
            metadata: [
                "peer": "\(peerDescription(client.slot))", "status": "\(response.status)",
                "target": "\(target.prefix(200))",
            ])
        sendRaw(response.bytes.span, to: client, bypassHold: true)
        close(client, reason: .httpAnswered, graceful: true)
    }

    /// Answers a refused upgrade (400, or 426 for a wrong version) and closes after it is flushed.
    private func rejectHandshake(_ rejection: WebSocketHandshakeRejection, client: ClientID) {
        let flavour = listeners[Int(connections[Int(client.slot)].listener)].configuration.webSocket.workermanVersion
        let error = rejection.protocolError
        counters.countBadInput(error.kind)
        notices.notice("closing client: \(error.reason)", peer: peerDescription(client.slot), now: ShardLoop.now())
        sendRaw(WebSocketHandshake.response(for: rejection, flavour: flavour).span, to: client, bypassHold: true)
        close(client, reason: .protocolError, graceful: true)
    }
}
