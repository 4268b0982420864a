import Glibc
import RingGateCodecs
import RingGateRuntime

/// The inner connections' I/O: accept, peer address, receive, batched sends, close.
extension ShardGateway {
    /// With the SO_PEERNAME uring command (Linux 6.7) one multishot accept serves every link and each
    /// link's peer is looked up after it; without it, single-shot accepts that report the address (the
    /// worker key `peerIP:name` needs the peer: two hosts' workers of one name must not collide).
    func armInnerAccept() {
        acceptArmed = true
        if peerFromAccept {
            io.acceptReportingAddress(
                listenerDescriptor: innerListenerDescriptor, tag: CompletionTag(kind: .innerAccept))
        } else {
            io.ring.acceptMultishotDirect(
                listenerDescriptor: innerListenerDescriptor, tag: CompletionTag(kind: .innerAccept))
        }
    }

    func innerAcceptCompleted(_ completion: Completion) {
        // Read before re-arming: the next accept reuses the address storage.
        let acceptedPeer = peerFromAccept ? io.acceptedAddress(completing: completion) : nil
        if !completion.hasMore {
            acceptArmed = false
            if staysInCluster && completion.result != -ECANCELED { armInnerAccept() }
        }
        guard completion.result >= 0 else {
            if completion.result != -ECANCELED {
                counters.innerAcceptFailures += 1
                notices.notice(
                    "inner accept failed", peer: "\(innerAddress)", level: .warning,
                    metadata: ["errno": "\(-completion.result)"], now: ShardLoop.now())
            }
            return
        }
        let slot = UInt32(completion.result)
        while inner.count <= Int(slot) {
            inner.append(InnerConnection(maxPackageLength: 0))
        }
        if inner[Int(slot)].lifecycle != nil {
            // The kernel reused a file index whose close completion is still in this batch: the old
            // connection is gone, so it is settled here and its late completions are ignored.
            counters.innerSlotMismatches += 1
            settleClosed(slot)
        }
        let generation = inner[Int(slot)].generation
        admitInner(slot, authorised: configuration.secretKey.isEmpty)
        counters.innerAccepted += 1
        if stopping {
            inner[Int(slot)].lifecycle = ClientLifecycle(resolvingPeer: false)
            closeInner(slot, graceful: false)
            return
        }
        if let acceptedPeer { inner[Int(slot)].peer = acceptedPeer }
        let tag = CompletionTag(kind: .innerPeerName, generation: generation, slot: slot)
        let lookingUp =
            !peerFromAccept && io.requestPeerName(fileIndex: slot, family: innerAddress.family, tag: tag)
        inner[Int(slot)].lifecycle = ClientLifecycle(resolvingPeer: lookingUp)
        if !lookingUp { performInner(.armReceive, slot: slot) }
        pendingLinks.append(inner[Int(slot)].id(slot: slot))
        if counters.innerOpen >= configuration.innerConnectionLimit { evictOldestPending(sparing: slot) }
    }

    /// A fresh record in `slot` (its generation kept), counted open: unauthorised links get the small
    /// packet limit until their secret is checked.
    func admitInner(_ slot: UInt32, authorised: Bool) {
        let generation = inner[Int(slot)].generation
        inner[Int(slot)] = InnerConnection(
            maxPackageLength: authorised
                ? configuration.maxPackageLength
                : min(configuration.unauthenticatedPacketLimit, configuration.maxPackageLength))
        inner[Int(slot)].generation = generation
        inner[Int(slot)].authorised = authorised
        inner[Int(slot)].acceptedAt = ShardLoop.now()
        counters.innerOpen += 1
    }

    /// Whether `id` is still a link that never authenticated or completed a packet and is not closing.
    private func isPending(_ id: InnerID) -> Bool {
        let slot = Int(id.slot)
        guard slot < inner.count, inner[slot].generation == id.generation, !inner[slot].established,
            let lifecycle = inner[slot].lifecycle
        else { return false }
        return lifecycle.isOpen || lifecycle.phase == .resolvingPeer
    }

    /// The table is full: closes the oldest link that never authenticated or completed a packet, so
    /// idle or half-open sockets cannot lock workers out. Authenticated links are never evicted. The
    /// oldest is the first still-pending entry of `pendingLinks` (accept order): O(1) amortised.
    private func evictOldestPending(sparing newest: UInt32) {
        var oldest: UInt32?
        while pendingHead < pendingLinks.count {
            let id = pendingLinks[pendingHead]
            guard isPending(id) else {
                pendingHead += 1
                continue
            }
            if id.slot != newest {
                oldest = id.slot
                pendingHead += 1
            }
            break
        }
        guard let oldest else {
            notices.notice(
                "inner connection table full of authenticated links", peer: "\(innerAddress)", level: .warning,
                metadata: ["limit": "\(configuration.innerConnectionLimit)"], now: ShardLoop.now())
            return
        }
        counters.innerEvictions += 1
        notices.notice(
            "inner connection table full; closing the oldest unauthenticated link", peer: innerPeer(oldest),
            now: ShardLoop.now())
        closeInner(oldest, graceful: false)
    }

    /// Drops entries of `pendingLinks` that authenticated, closed or were evicted (maintenance tick), so
    /// the list holds at most the links accepted since the last tick plus the still-pending ones.
    private func trimPendingLinks() {
        let live = pendingLinks[pendingHead...].filter(isPending)
        pendingLinks = Array(live)
        pendingHead = 0
    }

    /// Whether a completion still belongs to the connection in its slot; counts and drops it if not (a
    /// late completion of a closed connection whose slot was settled or reused).
    private func isCurrent(_ tag: CompletionTag) -> Bool {
        let slot = Int(tag.slot)
        guard slot < inner.count, inner[slot].generation == tag.generation, inner[slot].lifecycle != nil else {
            counters.innerSlotMismatches += 1
            return false
        }
        return true
    }

    func innerPeerNameCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard isCurrent(completion.tag) else { return }
        if let address = io.peerName(completing: completion) { inner[Int(slot)].peer = address }
        guard var lifecycle = inner[Int(slot)].lifecycle else { return }
        let action = lifecycle.peerResolved()
        inner[Int(slot)].lifecycle = lifecycle
        performInner(action, slot: slot)
    }

    func innerReceiveCompleted(_ completion: Completion, on shard: ClientShard) {
        let slot = completion.tag.slot
        guard isCurrent(completion.tag), var lifecycle = inner[Int(slot)].lifecycle else {
            io.discardReceivedBuffer(completion)
            return
        }
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
        guard var chunk = inner[slot].pending ?? chunks.tryAllocate(capacity: max(16384, Int(header.packLength)))
        else { return outputRefused(id) }
        var complete = header.withEncodedBytes { grow(&chunk, with: $0) }
        if complete && !extData.isEmpty { complete = grow(&chunk, with: extData) }
        if complete && !body.isEmpty { complete = grow(&chunk, with: body) }
        inner[slot].pending = chunk
        guard complete else { return outputRefused(id) }
        inner[slot].queuedBytes += Int(header.packLength)
        scheduleFlush(id.slot)
        return true
    }

    /// Appends an already encoded packet (a client event buffered during a takeover). False when the
    /// link is gone or its queue is full (the caller keeps the packet for later).
    func appendRawPacket(_ packet: Span<UInt8>, to id: InnerID) -> Bool {
        let slot = Int(id.slot)
        guard slot < inner.count, inner[slot].generation == id.generation,
            inner[slot].lifecycle?.acceptsOutput == true,
            inner[slot].queuedBytes < configuration.workerSendQueueLimit
        else { return false }
        guard var chunk = inner[slot].pending ?? chunks.tryAllocate(capacity: max(16384, packet.count)) else {
            return false
        }
        let complete = grow(&chunk, with: packet)
        inner[slot].pending = chunk
        guard complete else { return outputRefused(id) }
        inner[slot].queuedBytes += packet.count
        scheduleFlush(id.slot)
        return true
    }

    /// Appends a query reply (`u32 length ‖ payload`, spec §2.4) to the connection's output. A reader
    /// whose earlier replies are still unsent past `workerSendQueueLimit` is closed instead: a reply
    /// cannot be dropped without desynchronising the peer, and buffering it would grow without bound.
    func appendReply(_ payload: [UInt8], to id: InnerID) {
        let slot = Int(id.slot)
        guard slot < inner.count, inner[slot].generation == id.generation,
            inner[slot].lifecycle?.acceptsOutput == true
        else { return }
        let framedCount = payload.count + GatewayReply.prefixByteCount
        if inner[slot].queuedBytes > 0 && inner[slot].queuedBytes + framedCount > configuration.workerSendQueueLimit {
            counters.queryReplyBacklogCloses += 1
            notices.notice(
                "closing inner connection: query replies left unread past the send queue limit",
                peer: innerPeer(id.slot), metadata: ["queued": "\(inner[slot].queuedBytes)"], now: ShardLoop.now())
            closeInner(id.slot, graceful: false)
            return
        }
        // `u32 BE length ‖ payload` written straight into the chunk (no framed copy of a large reply).
        let length = UInt32(truncatingIfNeeded: payload.count)
        let prefix = [
            UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF),
        ]
        guard var chunk = inner[slot].pending ?? chunks.tryAllocate(capacity: max(16384, framedCount)) else {
            outputRefused(id)
            return
        }
        let complete = grow(&chunk, with: prefix.span) && grow(&chunk, with: payload.span)
        inner[slot].pending = chunk
        guard complete else {
            outputRefused(id)
            return
        }
        inner[slot].queuedBytes += framedCount
        counters.queryReplies += 1
        scheduleFlush(id.slot)
    }

    /// Appends `bytes` to `chunk`, moving it to a larger block if needed; false (chunk unchanged) when the
    /// heap refuses the memory.
    private func grow(_ chunk: inout Chunk, with bytes: Span<UInt8>) -> Bool {
        guard let grown = chunks.tryAppend(bytes, to: chunk, capacityLimit: .max) else { return false }
        chunk = grown
        return true
    }

    /// The heap refused memory for a link's output: a half-written packet would corrupt its stream, so the
    /// link is closed (a worker reconnects; a GatewayClient sees a failure). Returns false for the caller.
    @discardableResult
    private func outputRefused(_ id: InnerID) -> Bool {
        counters.innerOutputAllocationFailures += 1
        notices.notice(
            "closing inner connection: out of memory for its output", peer: innerPeer(id.slot), level: .error,
            now: ShardLoop.now())
        closeInner(id.slot, graceful: false)
        return false
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
        guard let chunk = inner[Int(slot)].sending else { return }
        lifecycle.sendSubmitted()
        inner[Int(slot)].lifecycle = lifecycle
        io.send(
            chunk, range: inner[Int(slot)].sendOffset..<chunks.length(of: chunk), fileIndex: slot,
            tag: CompletionTag(kind: .innerSend, generation: inner[Int(slot)].generation, slot: slot))
    }

    func innerSendCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard isCurrent(completion.tag), var lifecycle = inner[Int(slot)].lifecycle else { return }
        let action = lifecycle.sendCompleted(result: completion.result)
        inner[Int(slot)].lifecycle = lifecycle
        switch action {
        case .advance:
            let sent = Int(completion.result)
            inner[Int(slot)].sendOffset += sent
            inner[Int(slot)].queuedBytes -= sent
            if let chunk = inner[Int(slot)].sending, inner[Int(slot)].sendOffset >= chunks.length(of: chunk) {
                chunks.release(chunk)
                inner[Int(slot)].sending = nil
            }
            if inner[Int(slot)].sending == nil && inner[Int(slot)].pending == nil {
                if lifecycle.phase == .draining {
                    let action = lifecycle.queueDrained()
                    inner[Int(slot)].lifecycle = lifecycle
                    performInner(action, slot: slot)
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
        if let chunk = inner[Int(slot)].pending { chunks.release(chunk) }
        inner[Int(slot)].pending = nil
        if !(inner[Int(slot)].lifecycle?.sendInFlight ?? false), let chunk = inner[Int(slot)].sending {
            chunks.release(chunk)
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
                // Bounded: a peer that stopped reading is cut after `innerCloseTimeout` (maintenance tick).
                if inner[Int(slot)].closeStartedAt == 0 { inner[Int(slot)].closeStartedAt = ShardLoop.now() }
                flushInner(slot)
                return
            }
        }
        releaseOutput(slot)
        let action = lifecycle.abort()
        inner[Int(slot)].lifecycle = lifecycle
        performInner(action, slot: slot)
    }

    func unregisterWorker(_ slot: UInt32) {
        guard let worker = inner[Int(slot)].worker else { return }
        inner[Int(slot)].worker = nil
        let key = workers.key(of: worker)
        if workers.remove(worker, connection: inner[Int(slot)].id(slot: slot)) {
            counters.workersRegistered = workers.liveCount
            counters.workerKeys = workers.keyCount
            notices.notice(
                "worker disconnected", peer: innerPeer(slot), level: .info, metadata: ["worker": "\(key)"],
                now: ShardLoop.now())
        }
    }

    func performInner(_ action: ClientLifecycle.Action, slot: UInt32) {
        let generation = inner[Int(slot)].generation
        switch action {
        case .none:
            break
        case .armReceive:
            inner[Int(slot)].lifecycle?.receiveSubmitted()
            io.ring.receiveMultishot(
                fileIndex: slot, bufferGroup: io.receiveBuffers.groupID,
                tag: CompletionTag(kind: .innerReceive, generation: generation, slot: slot))
        case .submitShutdown:
            io.ring.shutdown(
                fileIndex: slot, tag: CompletionTag(kind: .innerShutdown, generation: generation, slot: slot))
        case .cancelAll, .cancelReceive:
            // Inner links are never paused; a receive-only cancel would come from there.
            io.ring.cancelAll(
                fileIndex: slot, tag: CompletionTag(kind: .innerCancel, generation: generation, slot: slot))
        case .submitClose:
            io.ring.closeDirect(
                fileIndex: slot, tag: CompletionTag(kind: .innerClose, generation: generation, slot: slot))
        }
    }

    func innerShutdownCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard isCurrent(completion.tag), var lifecycle = inner[Int(slot)].lifecycle else { return }
        let action = lifecycle.shutdownCompleted(result: completion.result)
        inner[Int(slot)].lifecycle = lifecycle
        performInner(action, slot: slot)
    }

    func innerCancelCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard isCurrent(completion.tag), var lifecycle = inner[Int(slot)].lifecycle else { return }
        let action = lifecycle.cancelCompleted()
        inner[Int(slot)].lifecycle = lifecycle
        performInner(action, slot: slot)
    }

    func innerCloseCompleted(_ completion: Completion) {
        guard isCurrent(completion.tag) else { return }
        settleClosed(completion.tag.slot)
    }

    /// The slot's connection is closed in the kernel: free the slot under a new generation.
    private func settleClosed(_ slot: UInt32) {
        unregisterWorker(slot)
        releaseOutput(slot)
        inner[Int(slot)].lifecycle = nil
        // Completion tags carry 24 bits of generation: wrap there, or after 2^24 reuses of a slot every
        // completion would look stale.
        inner[Int(slot)].generation = (inner[Int(slot)].generation &+ 1) & 0xFF_FFFF
        inner[Int(slot)].assembler = GatewayPacketAssembler(maxPackageLength: 0)
        counters.innerOpen -= 1
    }

    // MARK: Deadlines

    /// Once a second: links that did not authenticate / complete a packet in time and graceful closes
    /// whose peer stopped reading are closed; throttled notices are written. O(inner table).
    func innerMaintenance(now: UInt64) {
        for index in inner.indices {
            guard let lifecycle = inner[index].lifecycle else { continue }
            let slot = UInt32(index)
            if lifecycle.phase == .draining, inner[index].closeStartedAt != 0,
                now &- inner[index].closeStartedAt >= configuration.innerCloseTimeoutNanoseconds
            {
                counters.innerCloseTimeouts += 1
                notices.notice(
                    "inner connection did not read its last output in time; closed", peer: innerPeer(slot),
                    metadata: ["queued": "\(inner[index].queuedBytes)"], now: now)
                closeInner(slot, graceful: false)
            } else if !inner[index].established, lifecycle.isOpen || lifecycle.phase == .resolvingPeer,
                now &- inner[index].acceptedAt >= configuration.innerHandshakeTimeoutNanoseconds
            {
                counters.innerHandshakeTimeouts += 1
                notices.notice(
                    "closing inner connection: no authentication or packet in time", peer: innerPeer(slot), now: now)
                closeInner(slot, graceful: false)
            }
        }
        trimPendingLinks()
        counters.workerKeys = workers.keyCount
        notices.flush(now: now)
    }

    /// The inner connection's peer as `ip:port`, for log lines.
    func innerPeer(_ slot: UInt32) -> String { inner[Int(slot)].peer.description }
}
