import Glibc
import RingGateCodecs
import RingGateRuntime

extension ClientShard {
    func receiveCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard var lifecycle = connections[Int(slot)].lifecycle,
            connections[Int(slot)].generation & 0xFF_FFFF == completion.tag.generation,
            lifecycle.phase != .resolvingPeer && lifecycle.phase != .closed && lifecycle.phase != .paused
        else {
            io.discardReceivedBuffer(completion)
            return unexpectedCompletion(completion, "receive completion for a free, reused or unarmed slot")
        }
        let action = lifecycle.receiveCompleted(
            result: completion.result, hasMore: completion.hasMore, noBuffers: completion.result == -ENOBUFS)
        connections[Int(slot)].lifecycle = lifecycle
        let client = ClientID(slot: slot, generation: connections[Int(slot)].generation)
        switch action {
        case .deliver(let rearm):
            counters.bytesIn &+= UInt64(completion.result)
            connections[Int(slot)].countReceived(completion.result)
            if connections[Int(slot)].usesTLS {
                io.withReceivedBytes(completion) { bytes in receiveTLS(bytes.span, for: client) }
            } else {
                io.withReceivedBytes(completion) { bytes in decode(&bytes, for: client) }
            }
            if rearm && self.lifecycle(of: client)?.isOpen == true { perform(.armReceive, slot: slot) }
        case .discard(let then):
            io.discardReceivedBuffer(completion)
            perform(then, slot: slot)
        case .rearmWhenBuffersReturn:
            counters.receiveBufferExhaustions += 1
            receivesToRearm.append(client)
        case .peerGone:
            io.discardReceivedBuffer(completion)
            if connections[Int(slot)].usesTLS && !connections[Int(slot)].tlsEstablished {
                countTLSFailure(.peerClosed)
            }
            close(client, reason: completion.result == 0 ? .peerClosed : .socketError, graceful: false)
        }
    }

    /// Runs the connection's decoder over one received buffer, delivering complete messages in place and
    /// assembling the ones that continue in a later buffer.
    func decode(_ bytes: inout MutableSpan<UInt8>, for client: ClientID) {
        let slot = Int(client.slot)
        let codec = listeners[Int(connections[slot].listener)].codec
        var offset = 0
        while lifecycle(of: client)?.deliversInput == true {
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
        guard let chunk = assemble(piece, onto: assembly, client: client) else { return }
        connections[slot].assembly = chunk
        guard isMessageEnd else { return }
        connections[slot].assembly = nil
        chunks.withBytes(chunk) { message in completeMessage(message, client: client, codec: codec) }
        chunks.release(chunk)
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
        guard let chunk = assemble(piece, onto: controlAssemblies[client.slot], client: client) else { return }
        controlAssemblies[client.slot] = chunk
        guard isFrameEnd else { return }
        controlAssemblies[client.slot] = nil
        chunks.withBytes(chunk) { payload in controlFrame(payload, opcode: opcode, client: client, codec: codec) }
        chunks.release(chunk)
    }

    /// Appends a piece of a message that spans receive buffers to its assembly (a new one when nil).
    /// Growth stops at the listener's maximum message length and at what the shard's memory budget has
    /// left: a message that would cross the budget closes its connection (WebSocket: 1009). When the
    /// heap refuses, the connection is closed too (WebSocket: 1013, try again later). Counted, never a
    /// trap; nil then, and the close releases the assembly.
    private func assemble(_ piece: Span<UInt8>, onto assembly: Chunk?, client: ClientID) -> Chunk? {
        let slot = Int(client.slot)
        // The decoder already bounds a message by max_package_size; the margin covers a frame header
        // or delimiter kept with it.
        var capacityLimit = listeners[Int(connections[slot].listener)].configuration.maxPackageLength &+ 64
        let held = assembly.map { chunks.capacity(of: $0) } ?? 0
        let needed = (assembly.map { chunks.length(of: $0) } ?? 0) + piece.count
        if memoryBudget > 0 {
            capacityLimit = min(capacityLimit, max(0, memoryBudget - heldBytes + held))
            if needed > capacityLimit {
                overMemoryBudget(client, needed: needed)
                return nil
            }
        }
        let target = assembly ?? chunks.tryAllocate(capacity: min(max(piece.count, 256), capacityLimit))
        if let target, let grown = chunks.tryAppend(piece, to: target, capacityLimit: capacityLimit) {
            return grown
        }
        // A fresh chunk that could not take the piece is ours to give back; an assembly goes with the close.
        if assembly == nil, let target { chunks.release(target) }
        outOfMemory(client)
        return nil
    }

    /// The message being assembled would take the shard past its memory budget: the connection goes.
    private func overMemoryBudget(_ client: ClientID, needed: Int) {
        counters.memoryBudgetCloses &+= 1
        notices.notice(
            "closing client: its message would cross the memory budget", peer: peerDescription(client.slot),
            level: .warning, metadata: ["needed": "\(needed)", "held": "\(heldBytes)", "budget": "\(memoryBudget)"],
            now: ShardLoop.now())
        if case .webSocket = connections[Int(client.slot)].decoder {
            sendRaw(WebSocketClose.frame(code: 1009).span, to: client)
        }
        close(client, reason: .memoryBudget, graceful: false)
    }

    /// A peer's bytes could not be held: the connection goes, with a throttled line and a counter.
    func outOfMemory(_ client: ClientID) {
        counters.memoryRefusals &+= 1
        notices.notice(
            "closing client: out of memory assembling its message", peer: peerDescription(client.slot),
            level: .warning, now: ShardLoop.now())
        if case .webSocket = connections[Int(client.slot)].decoder {
            sendRaw(WebSocketClose.frame(code: 1013).span, to: client)
        }
        close(client, reason: .outOfMemory, graceful: false)
    }

    /// Ping → pong with the same payload; pong ignored; close → close reply, then a graceful close.
    /// Control frames are not messages: they reach neither the application nor the heartbeat.
    private func controlFrame(_ payload: Span<UInt8>, opcode: WebSocketOpcode, client: ClientID, codec: ListenerCodec) {
        switch opcode {
        case .ping:
            sendFrame(opcode: .pong, payload: payload, to: client)
        case .close:
            // A close frame RFC 6455 forbids is bad input like any other bad frame: logged, counted, 1002/1007.
            if codec.strictWebSocket, let problem = WebSocketClose.problem(inClosePayload: payload) {
                protocolError(problem, client: client)
                return
            }
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
        notices.notice(
            "closing client: \(error.reason)", peer: peerDescription(client.slot),
            metadata: ["kind": "\(error.kind.rawValue)"], now: ShardLoop.now())
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
