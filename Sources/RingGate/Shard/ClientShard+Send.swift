import RingGateCodecs
import RingGateRuntime

extension ClientShard {
    /// Encodes `message` for the client's framing and queues it. Returns false when the client is gone,
    /// its queue is full (the message is dropped and counted, as workerman does), or the framing cannot
    /// carry the message.
    @discardableResult
    public func send(_ message: Span<UInt8>, to client: ClientID, opcode: WebSocketOpcode? = nil) -> Bool {
        guard lifecycle(of: client)?.acceptsOutput == true else { return false }
        let codec = listeners[Int(connections[Int(client.slot)].listener)].codec
        let opcode = opcode ?? (codec.mirrorsOpcode ? mirroredOpcode(of: client.slot) : nil)
        guard let chunk = codec.encode(message, opcode: opcode, chunks: chunks) else { return false }
        defer { chunks.release(chunk) }
        return enqueue(chunk, range: 0..<chunks.length(of: chunk), to: client)
    }

    /// Queues a range of an already encoded chunk (one encode shared by many recipients). The queue takes
    /// its own reference; the caller keeps (and later releases) its own.
    @discardableResult
    public func enqueue(_ chunk: Chunk, range: Range<Int>, to client: ClientID) -> Bool {
        guard lifecycle(of: client)?.acceptsOutput == true else { return false }
        let slot = Int(client.slot)
        // The two settings, not a copy of the whole configuration (its strings would be retained per message).
        let listener = Int(connections[slot].listener)
        // workerman: a message is dropped only when the queue is already at the limit; the first
        // message into an empty queue is always accepted, whatever its size (spec §7.4).
        if !connections[slot].queue.isEmpty
            && Int(connections[slot].queue.byteCount) >= listeners[listener].configuration.sendQueueLimit
        {
            counters.sendQueueDrops &+= 1
            if listeners[listener].configuration.slowClientPolicy == .close {
                close(client, reason: .slowClient, graceful: false)
            }
            return false
        }
        chunks.retain(chunk)
        sendQueues.append(chunk, range: range, to: &connections[slot].queue)
        counters.messagesOut &+= 1
        scheduleFlush(client.slot)
        return true
    }

    /// Sends raw bytes, bypassing the framing (a handshake rejection, or FLAG_NOT_CALL_ENCODE).
    /// `bypassHold`: the answer to a request head that did not become a WebSocket (400, 426, a page);
    /// what workers queued for the client while its handshake was pending is discarded first, as the PHP
    /// Gateway does, so nothing precedes the status line.
    @discardableResult
    func sendRaw(_ bytes: Span<UInt8>, to client: ClientID, bypassHold: Bool = false) -> Bool {
        guard lifecycle(of: client)?.acceptsOutput == true else { return false }
        if bypassHold && connections[Int(client.slot)].holdsOutput {
            counters.heldMessagesDiscarded &+= UInt64(discardQueue(client.slot))
            connections[Int(client.slot)].holdsOutput = false
        }
        guard let chunk = chunks.tryAllocate(capacity: bytes.count) else { return false }
        chunks.write(bytes, to: chunk, at: 0)
        defer { chunks.release(chunk) }
        return enqueue(chunk, range: 0..<bytes.count, to: client)
    }

    /// The opcode of the client's last data message, for `FrameType.mirror` (text before the first).
    func mirroredOpcode(of slot: UInt32) -> WebSocketOpcode {
        if case .webSocket(let decoder) = connections[Int(slot)].decoder, let opcode = decoder.messageOpcode {
            return opcode
        }
        return .text
    }

    /// Which of the encodings `encode(_:raw:listener:opcode:)` can produce a client needs: 0 for the
    /// listener's own frame type, 1 for binary under `FrameType.mirror`.
    func encodingVariant(of client: ClientID) -> Int {
        let codec = listeners[Int(connections[Int(client.slot)].listener)].codec
        return codec.mirrorsOpcode && mirroredOpcode(of: client.slot) == .binary ? 1 : 0
    }

    /// `message` as listener `listener`'s clients receive it (framed, or verbatim when `raw`), in a
    /// chunk the caller releases; nil when the framing cannot carry it. One encode serves every
    /// recipient of a multicast (per variant, see `encodingVariant(of:)`).
    func encode(_ message: Span<UInt8>, raw: Bool, listener: Int, variant: Int = 0) -> Chunk? {
        guard !raw else {
            guard let chunk = chunks.tryAllocate(capacity: message.count) else { return nil }
            chunks.write(message, to: chunk, at: 0)
            return chunk
        }
        return listeners[listener].codec.encode(message, opcode: variant == 1 ? .binary : nil, chunks: chunks)
    }

    /// Queues a WebSocket frame of our own (pong, close) regardless of the listener's outgoing type.
    func sendFrame(opcode: WebSocketOpcode, payload: Span<UInt8>, to client: ClientID) {
        let frame = WebSocketFrameEncoder.frame(opcode: opcode, payload: payload)
        sendRaw(frame.span, to: client)
    }

    /// Starts sending the head of the queue if nothing is in flight and output is not held.
    func flush(_ slot: UInt32) {
        if connections[Int(slot)].usesTLS { return flushTLS(slot) }
        let connection = connections[Int(slot)]
        guard !connection.holdsOutput, var lifecycle = connection.lifecycle, !lifecycle.sendInFlight,
            lifecycle.sends, !connection.queue.isEmpty
        else { return }
        coalesceQueuedMessages(slot)
        guard let node = sendQueues.head(of: connections[Int(slot)].queue) else { return }
        lifecycle.sendSubmitted()
        connections[Int(slot)].lifecycle = lifecycle
        io.send(
            node.chunk, range: Int(node.start)..<Int(node.end), fileIndex: slot,
            tag: CompletionTag(kind: .send, generation: connection.generation, slot: slot))
    }

    /// Output queued during a turn is sent when the turn ends (`flushScheduled`): the kernel would not see a
    /// send prepared earlier before the loop's next `io_uring_enter` anyway, and by then every message of the
    /// turn for this client is queued, so a worker's burst leaves in one send.
    func scheduleFlush(_ slot: UInt32) {
        guard !connections[Int(slot)].flushScheduled else { return }
        connections[Int(slot)].flushScheduled = true
        slotsToFlush.append(slot)
    }

    /// Flushes every slot whose output was queued this turn (from `turnFinished`).
    func flushQueuedOutput() {
        guard !slotsToFlush.isEmpty else { return }
        for slot in slotsToFlush {
            connections[Int(slot)].flushScheduled = false
            flush(slot)
        }
        // Keep a small list's storage; a broadcast's (every client at once) goes back.
        if slotsToFlush.capacity > 1_024 { releasedHeapBytes += slotsToFlush.capacity * 4 }
        slotsToFlush.removeAll(keepingCapacity: slotsToFlush.capacity <= 1_024)
    }

    /// Messages that queued up behind a send in flight leave together: the leading run (at most 64 KiB) is
    /// copied into one chunk that takes its place at the head of the queue, so a client whose worker answers
    /// in bursts costs one send per burst, not one per message. The copy is small next to the kernel's cost
    /// of a loopback send (most of a gateway's CPU). When the heap refuses, they go one by one as before.
    private func coalesceQueuedMessages(_ slot: UInt32) {
        let run = sendQueues.leadingRun(of: connections[Int(slot)].queue, limit: Self.coalescedSendLimit)
        guard run.nodes > 0, let merged = chunks.tryAllocate(capacity: run.bytes) else { return }
        var offset = 0
        for _ in 0..<run.nodes {
            guard let node = sendQueues.head(of: connections[Int(slot)].queue) else { break }
            chunks.withBytes(node.chunk) { bytes in
                chunks.write(bytes.extracting(Int(node.start)..<Int(node.end)), to: merged, at: offset)
            }
            offset += Int(node.end - node.start)
            chunks.release(sendQueues.popHead(&connections[Int(slot)].queue))
        }
        sendQueues.prepend(merged, range: 0..<offset, to: &connections[Int(slot)].queue)
        counters.coalescedMessages &+= UInt64(run.nodes)
    }

    /// The most bytes one coalesced send carries.
    static let coalescedSendLimit = 65_536

    func sendCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard var lifecycle = connections[Int(slot)].lifecycle, lifecycle.sendInFlight, lifecycle.phase != .closed
        else { return unexpectedCompletion(completion, "send completion for a slot with no send in flight") }
        let action = lifecycle.sendCompleted(result: completion.result)
        connections[Int(slot)].lifecycle = lifecycle
        let client = ClientID(slot: slot, generation: connections[Int(slot)].generation)
        switch action {
        case .advance:
            // A send cancelled by a takeover pause reports -ECANCELED: nothing was sent.
            guard completion.result > 0 else { return }
            counters.bytesOut &+= UInt64(completion.result)
            connections[Int(slot)].countSent(completion.result)
            if connections[Int(slot)].usesTLS {
                tlsSendAdvanced(slot, byteCount: Int(completion.result))
                if connections[Int(slot)].queue.isEmpty && !tlsOutputPending(slot) {
                    if lifecycle.phase == .draining && !queueCloseNotify(slot) { finishClosing(client) }
                } else {
                    flushTLS(slot)
                }
                return
            }
            if let done = sendQueues.consume(Int(completion.result), from: &connections[Int(slot)].queue) {
                chunks.release(done)
            }
            if connections[Int(slot)].queue.isEmpty {
                // A graceful close whose output is out: tell the application and close.
                if lifecycle.phase == .draining { finishClosing(client) }
            } else {
                flush(slot)
            }
        case .failed:
            close(client, reason: .sendFailed, graceful: false)
        case .settled(let then):
            // Closing: the chunk the kernel held is the queue's head; release it with the rest.
            discardQueue(slot)
            perform(then, slot: slot)
        }
    }

    /// Releases every queued chunk the kernel does not hold; returns how many queued messages went.
    @discardableResult
    func discardQueue(_ slot: UInt32) -> Int {
        let inFlight = connections[Int(slot)].lifecycle?.sendInFlight ?? false
        var ends = connections[Int(slot)].queue
        var keep = SendQueuePool.Ends.empty
        if inFlight, let head = sendQueues.head(of: ends) {
            // Keep the node the kernel is sending from; it is released when its completion arrives.
            let chunk = sendQueues.popHead(&ends)
            sendQueues.append(chunk, range: Int(head.start)..<Int(head.end), to: &keep)
        }
        var discarded = 0
        while !ends.isEmpty {
            chunks.release(sendQueues.popHead(&ends))
            discarded += 1
        }
        connections[Int(slot)].queue = keep
        return discarded
    }
}
