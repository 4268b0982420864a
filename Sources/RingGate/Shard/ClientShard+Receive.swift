import Glibc
import RingGateCodecs
import RingGateRuntime

extension ClientShard {
    func receiveCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard var lifecycle = connections[Int(slot)].lifecycle,
            connections[Int(slot)].generation & 0xFF_FFFF == completion.tag.generation
        else { preconditionFailure("receive completion for a free or reused slot \(slot)") }
        let action = lifecycle.receiveCompleted(
            result: completion.result, hasMore: completion.hasMore, noBuffers: completion.result == -ENOBUFS)
        connections[Int(slot)].lifecycle = lifecycle
        let client = ClientID(slot: slot, generation: connections[Int(slot)].generation)
        switch action {
        case .deliver(let rearm):
            counters.bytesIn &+= UInt64(completion.result)
            io.withReceivedBytes(completion) { bytes in decode(&bytes, for: client) }
            if rearm && self.lifecycle(of: client)?.isOpen == true { perform(.armReceive, slot: slot) }
        case .discard(let then):
            io.discardReceivedBuffer(completion)
            perform(then, slot: slot)
        case .rearmWhenBuffersReturn:
            counters.receiveBufferExhaustions += 1
            receivesToRearm.append(client)
        case .peerGone:
            io.discardReceivedBuffer(completion)
            close(client, reason: completion.result == 0 ? .peerClosed : .socketError, graceful: false)
        }
    }

    /// Runs the connection's decoder over one received buffer, delivering complete messages in place and
    /// assembling the ones that continue in a later buffer.
    private func decode(_ bytes: inout MutableSpan<UInt8>, for client: ClientID) {
        let slot = Int(client.slot)
        let codec = listeners[Int(connections[slot].listener)].codec
        var offset = 0
        while lifecycle(of: client)?.isOpen == true {
            var decoder = connections[slot].decoder
            let step: DecodeStep
            do {
                step = try codec.decode(&decoder, &bytes, from: offset)
            } catch {
                connections[slot].decoder = decoder
                protocolError(error, client: client)
                return
            }
            connections[slot].decoder = decoder
            offset = step.nextOffset
            switch step.event {
            case .needMoreInput:
                return
            case .messageBytes(let range, let isMessageEnd):
                messageBytes(bytes.span.extracting(range), isMessageEnd: isMessageEnd, client: client, codec: codec)
            case .controlBytes(let range, let opcode, let isFrameEnd):
                controlBytes(
                    bytes.span.extracting(range), opcode: opcode, isFrameEnd: isFrameEnd, client: client, codec: codec)
            }
        }
    }

    private func messageBytes(_ piece: Span<UInt8>, isMessageEnd: Bool, client: ClientID, codec: ListenerCodec) {
        let slot = Int(client.slot)
        let assembly = connections[slot].assembly
        if isMessageEnd && assembly == nil {
            completeMessage(piece, client: client, codec: codec)
            return
        }
        var chunk = assembly ?? io.chunks.allocate(capacity: max(piece.count, 256))
        chunk = io.chunks.append(piece, to: chunk)
        connections[slot].assembly = chunk
        guard isMessageEnd else { return }
        connections[slot].assembly = nil
        io.chunks.withBytes(chunk) { message in completeMessage(message, client: client, codec: codec) }
        io.chunks.release(chunk)
    }

    private func completeMessage(_ message: Span<UInt8>, client: ClientID, codec: ListenerCodec) {
        let slot = Int(client.slot)
        switch connections[slot].decoder {
        case .httpHead:
            upgradeRequestReceived(message, client: client, codec: codec)
        case .webSocket(let decoder):
            counters.messagesIn &+= 1
            application.messageReceived(message, opcode: decoder.messageOpcode, from: client, on: self)
        default:
            counters.messagesIn &+= 1
            let length = codec.deliveredLength(of: message)
            application.messageReceived(message.extracting(0..<length), opcode: nil, from: client, on: self)
        }
    }

    private func controlBytes(
        _ piece: Span<UInt8>, opcode: WebSocketOpcode, isFrameEnd: Bool, client: ClientID, codec: ListenerCodec
    ) {
        if isFrameEnd && controlAssemblies[client.slot] == nil {
            controlFrame(piece, opcode: opcode, client: client, codec: codec)
            return
        }
        var chunk = controlAssemblies[client.slot] ?? io.chunks.allocate(capacity: 125)
        chunk = io.chunks.append(piece, to: chunk)
        controlAssemblies[client.slot] = chunk
        guard isFrameEnd else { return }
        controlAssemblies[client.slot] = nil
        io.chunks.withBytes(chunk) { payload in controlFrame(payload, opcode: opcode, client: client, codec: codec) }
        io.chunks.release(chunk)
    }

    /// Ping → pong with the same payload; pong ignored; close → close reply, then a graceful close.
    /// Control frames are not messages: they reach neither the application nor the heartbeat.
    private func controlFrame(_ payload: Span<UInt8>, opcode: WebSocketOpcode, client: ClientID, codec: ListenerCodec) {
        switch opcode {
        case .ping:
            sendFrame(opcode: .pong, payload: payload, to: client)
        case .close:
            let reply = WebSocketClose.reply(toClosePayload: payload, strict: codec.strictWebSocket)
            sendRaw(WebSocketClose.frame(code: reply.code).span, to: client)
            close(client, reason: .webSocketClose, graceful: true)
        default:
            break
        }
    }

    /// A bad frame, line or head: one log line with the peer and the reason, a counter, and a close —
    /// with a close frame for WebSocket peers in RFC mode, as workerman does otherwise (no frame).
    func protocolError(_ error: ProtocolError, client: ClientID) {
        counters.countBadInput(error.kind)
        logger.notice(
            "closing client: \(error.reason)",
            metadata: ["peer": "\(peerDescription(client.slot))", "kind": "\(error.kind.rawValue)"])
        let codec = listeners[Int(connections[Int(client.slot)].listener)].codec
        switch connections[Int(client.slot)].decoder {
        case .httpHead:
            let response = WebSocketHandshake.badRequestResponse(
                flavour: listeners[Int(connections[Int(client.slot)].listener)].configuration.webSocket.workermanVersion
            )
            sendRaw(response.span, to: client, bypassHold: true)
        case .webSocket where codec.strictWebSocket:
            sendRaw(WebSocketClose.frame(code: error.closeCode).span, to: client)
        default:
            break
        }
        // workerman destroys a Frame connection whose length is over the limit and closes the others
        // gracefully (spec §7.5).
        var abortive = false
        if case .lengthField = connections[Int(client.slot)].decoder { abortive = error.kind == .messageTooLarge }
        close(client, reason: .protocolError, graceful: !abortive)
    }
}
