import Glibc
import RingGateCodecs
import RingGateRuntime

/// The inner connections' I/O: accept, peer address, receive, batched sends, close.
extension ShardGateway {
    func armInnerAccept() {
        acceptArmed = true
        io.ring.acceptMultishotDirect(
            listenerDescriptor: innerListenerDescriptor, tag: CompletionTag(kind: .innerAccept))
    }

    func innerAcceptCompleted(_ completion: Completion) {
        if !completion.hasMore {
            acceptArmed = false
            if staysInCluster && completion.result != -ECANCELED { armInnerAccept() }
        }
        guard completion.result >= 0 else {
            if completion.result != -ECANCELED {
                logger.warning(
                    "inner accept failed", metadata: ["address": "\(innerAddress)", "errno": "\(-completion.result)"])
            }
            return
        }
        let slot = UInt32(completion.result)
        while inner.count <= Int(slot) {
            inner.append(InnerConnection(maxPackageLength: configuration.maxPackageLength))
        }
        precondition(inner[Int(slot)].lifecycle == nil, "upstream file index \(slot) still in use")
        let generation = inner[Int(slot)].generation
        inner[Int(slot)] = InnerConnection(maxPackageLength: configuration.maxPackageLength)
        inner[Int(slot)].generation = generation
        inner[Int(slot)].authorised = configuration.secretKey.isEmpty
        counters.innerAccepted += 1
        counters.innerOpen += 1
        if stopping {
            inner[Int(slot)].lifecycle = ClientLifecycle(resolvingPeer: false)
            closeInner(slot, graceful: false)
            return
        }
        let tag = CompletionTag(kind: .innerPeerName, generation: generation, slot: slot)
        let lookingUp = io.requestPeerName(fileIndex: slot, family: innerAddress.family, tag: tag)
        inner[Int(slot)].lifecycle = ClientLifecycle(resolvingPeer: lookingUp)
        if !lookingUp { performInner(.armReceive, slot: slot) }
    }

    func innerPeerNameCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        if let address = io.peerName(completing: completion) { inner[Int(slot)].peer = address }
        let action = inner[Int(slot)].lifecycle!.peerResolved()
        performInner(action, slot: slot)
    }

    func innerReceiveCompleted(_ completion: Completion, on shard: ClientShard) {
        let slot = completion.tag.slot
        guard var lifecycle = inner[Int(slot)].lifecycle else { preconditionFailure("inner receive for a free slot") }
        let action = lifecycle.receiveCompleted(
            result: completion.result, hasMore: completion.hasMore, noBuffers: completion.result == -ENOBUFS)
        inner[Int(slot)].lifecycle = lifecycle
        switch action {
        case .deliver(let rearm):
            let id = inner[Int(slot)].id(slot: slot)
            io.withReceivedBytes(completion) { bytes in
                let span = bytes.span
                inner[Int(slot)].assembler.append(span)
            }
            executePackets(of: id, on: shard)
            if rearm && inner[Int(slot)].generation == id.generation && inner[Int(slot)].lifecycle?.isOpen == true {
                performInner(.armReceive, slot: slot)
            }
        case .discard(let then):
            io.discardReceivedBuffer(completion)
            performInner(then, slot: slot)
        case .rearmWhenBuffersReturn:
            // Rare on the upstream ring (few connections, large buffers): re-arm at once; the buffers
            // this turn returns are published before the next submit.
            performInner(.armReceive, slot: slot)
        case .peerGone:
            io.discardReceivedBuffer(completion)
            // Every complete packet before the EOF already ran (GatewayClient writes and closes at
            // once, spec §5.1); replies they produced are flushed before the close.
            closeInner(slot, graceful: completion.result == 0)
        }
    }

    // MARK: Output

    /// Appends one packet to an inner connection's output for this turn. False (nothing written) when
    /// the connection is gone or its queue is over `workerSendQueueLimit`.
    @discardableResult
    func appendPacket(
        _ header: GatewayHeader, extData: Span<UInt8>, body: Span<UInt8>, to id: InnerID
    ) -> Bool {
        let slot = Int(id.slot)
        guard slot < inner.count, inner[slot].generation == id.generation,
            inner[slot].lifecycle?.acceptsOutput == true
        else { return false }
        if inner[slot].queuedBytes >= configuration.workerSendQueueLimit { return false }
        var chunk = inner[slot].pending ?? io.chunks.allocate(capacity: max(16384, Int(header.packLength)))
        chunk = header.withEncodedBytes { io.chunks.append($0, to: chunk) }
        if !extData.isEmpty { chunk = io.chunks.append(extData, to: chunk) }
        if !body.isEmpty { chunk = io.chunks.append(body, to: chunk) }
        inner[slot].pending = chunk
        inner[slot].queuedBytes += Int(header.packLength)
        scheduleFlush(id.slot)
        return true
    }

    /// Appends a query reply (`u32 length ‖ payload`, spec §2.4) to the connection's output.
    func appendReply(_ payload: [UInt8], to id: InnerID) {
        let slot = Int(id.slot)
        guard inner[slot].generation == id.generation, inner[slot].lifecycle?.acceptsOutput == true else { return }
        var framed: [UInt8] = []
        framed.reserveCapacity(payload.count + GatewayReply.prefixByteCount)
        GatewayQueryReply.append(payload, to: &framed)
        var chunk = inner[slot].pending ?? io.chunks.allocate(capacity: max(16384, framed.count))
        chunk = io.chunks.append(framed.span, to: chunk)
        inner[slot].pending = chunk
        inner[slot].queuedBytes += framed.count
        counters.queryReplies += 1
        scheduleFlush(id.slot)
    }

    private func scheduleFlush(_ slot: UInt32) {
        guard !inner[Int(slot)].flushScheduled else { return }
        inner[Int(slot)].flushScheduled = true
        flushList.append(slot)
    }

    /// Starts sending the pending batch if no send is in flight.
    func flushInner(_ slot: UInt32) {
        guard var lifecycle = inner[Int(slot)].lifecycle, !lifecycle.sendInFlight,
            lifecycle.phase != .closing, lifecycle.phase != .closed
        else { return }
        if inner[Int(slot)].sending == nil {
            guard let pending = inner[Int(slot)].pending else { return }
            inner[Int(slot)].sending = pending
            inner[Int(slot)].pending = nil
            inner[Int(slot)].sendOffset = 0
        }
        let chunk = inner[Int(slot)].sending!
        lifecycle.sendSubmitted()
        inner[Int(slot)].lifecycle = lifecycle
        io.send(
            chunk, range: inner[Int(slot)].sendOffset..<io.chunks.length(of: chunk), fileIndex: slot,
            tag: CompletionTag(kind: .innerSend, generation: inner[Int(slot)].generation, slot: slot))
    }

    func innerSendCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard var lifecycle = inner[Int(slot)].lifecycle else { preconditionFailure("inner send for a free slot") }
        let action = lifecycle.sendCompleted(result: completion.result)
        inner[Int(slot)].lifecycle = lifecycle
        switch action {
        case .advance:
            let sent = Int(completion.result)
            inner[Int(slot)].sendOffset += sent
            inner[Int(slot)].queuedBytes -= sent
            if let chunk = inner[Int(slot)].sending, inner[Int(slot)].sendOffset >= io.chunks.length(of: chunk) {
                io.chunks.release(chunk)
                inner[Int(slot)].sending = nil
            }
            if inner[Int(slot)].sending == nil && inner[Int(slot)].pending == nil {
                if lifecycle.phase == .draining {
                    performInner(inner[Int(slot)].lifecycle!.queueDrained(), slot: slot)
                }
            } else {
                flushInner(slot)
            }
        case .failed:
            closeInner(slot, graceful: false)
        case .settled(let then):
            releaseOutput(slot)
            performInner(then, slot: slot)
        }
    }

    private func releaseOutput(_ slot: UInt32) {
        if let chunk = inner[Int(slot)].pending { io.chunks.release(chunk) }
        inner[Int(slot)].pending = nil
        if !(inner[Int(slot)].lifecycle?.sendInFlight ?? false), let chunk = inner[Int(slot)].sending {
            io.chunks.release(chunk)
            inner[Int(slot)].sending = nil
        }
        inner[Int(slot)].queuedBytes = 0
    }

    // MARK: Close

    /// Closes an inner connection. Graceful: flush what is queued first (an unauthorised request, a
    /// replaced worker, the peer's EOF with replies pending). A worker connection leaves the worker
    /// table at once, by identity (spec §5.2).
    func closeInner(_ slot: UInt32, graceful: Bool) {
        guard var lifecycle = inner[Int(slot)].lifecycle, lifecycle.phase != .closing, lifecycle.phase != .closed
        else { return }
        unregisterWorker(slot)
        if graceful {
            lifecycle.drain()
            inner[Int(slot)].lifecycle = lifecycle
            if inner[Int(slot)].pending != nil || inner[Int(slot)].sending != nil {
                flushInner(slot)
                return
            }
        }
        releaseOutput(slot)
        let action = inner[Int(slot)].lifecycle!.abort()
        performInner(action, slot: slot)
    }

    private func unregisterWorker(_ slot: UInt32) {
        guard let worker = inner[Int(slot)].worker else { return }
        inner[Int(slot)].worker = nil
        if workers.remove(worker, connection: inner[Int(slot)].id(slot: slot)) {
            counters.workersRegistered = workers.liveCount
            logger.info("worker disconnected", metadata: ["worker": "\(workers.key(of: worker))"])
        }
    }

    func performInner(_ action: ClientLifecycle.Action, slot: UInt32) {
        let generation = inner[Int(slot)].generation
        switch action {
        case .none:
            break
        case .armReceive:
            inner[Int(slot)].lifecycle!.receiveSubmitted()
            io.ring.receiveMultishot(
                fileIndex: slot, bufferGroup: io.receiveBuffers.groupID,
                tag: CompletionTag(kind: .innerReceive, generation: generation, slot: slot))
        case .submitShutdown:
            io.ring.shutdown(
                fileIndex: slot, tag: CompletionTag(kind: .innerShutdown, generation: generation, slot: slot))
        case .cancelAll:
            io.ring.cancelAll(
                fileIndex: slot, tag: CompletionTag(kind: .innerCancel, generation: generation, slot: slot))
        case .submitClose:
            io.ring.closeDirect(
                fileIndex: slot, tag: CompletionTag(kind: .innerClose, generation: generation, slot: slot))
        }
    }

    func innerShutdownCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        performInner(inner[Int(slot)].lifecycle!.shutdownCompleted(result: completion.result), slot: slot)
    }

    func innerCancelCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        performInner(inner[Int(slot)].lifecycle!.cancelCompleted(), slot: slot)
    }

    func innerCloseCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        inner[Int(slot)].lifecycle = nil
        inner[Int(slot)].generation &+= 1
        inner[Int(slot)].assembler = GatewayPacketAssembler(maxPackageLength: 0)
        counters.innerOpen -= 1
    }

    /// The inner connection's peer as `ip:port`, for log lines.
    func innerPeer(_ slot: UInt32) -> String { inner[Int(slot)].peer.description }
}
