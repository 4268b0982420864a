import Glibc
import RingGateCodecs
import RingGateRuntime

/// The new process's side of a live takeover, on one shard's thread: the shard starts without accepting
/// (`ShardTakeoverState.Role.awaitingAdoption`), then rebuilds the old shard's clients from its snapshot
/// in the same table slots, with the same generations and connection ids, places their sockets in its file
/// table at those slots, and serves them — receives re-armed, queued output sent, deadlines restarted.
extension ClientShard {
    /// Places a batch of the old shard's client sockets in this shard's file table at their slots (the
    /// caller closes its descriptors right after: the ring holds its own references). Batches arrive as
    /// the old process sends them, so this process never holds more ordinary descriptors than one batch.
    public func placeAdoptedSockets(_ placements: [(slot: UInt32, descriptor: Int32)]) -> Result<Int, TakeoverError> {
        guard takeover.role == .awaitingAdoption else {
            return .failure(TakeoverError("shard \(index) is not waiting for a takeover"))
        }
        for placement in placements {
            guard placement.slot < io.ring.fileTableSize else {
                return .failure(
                    TakeoverError(
                        "shard \(index): slot \(placement.slot) beyond the file table (\(io.ring.fileTableSize)); "
                            + "give the new process the same connection limits"))
            }
            guard !takeover.placedSlots.contains(placement.slot) else {
                return .failure(TakeoverError("shard \(index): slot \(placement.slot) sent twice"))
            }
        }
        do { try io.ring.registerFiles(placements) } catch {
            return .failure(TakeoverError("shard \(index): \(error)"))
        }
        for placement in placements { takeover.placedSlots.insert(placement.slot) }
        return .success(placements.count)
    }

    /// Adopts the old shard's clients, whose sockets `placeAdoptedSockets` put in place. On failure nothing
    /// was adopted and the shard still waits.
    public func adopt(_ snapshot: TakeoverSnapshot) -> Result<Int, TakeoverError> {
        guard takeover.role == .awaitingAdoption else {
            return .failure(TakeoverError("shard \(index) is not waiting for a takeover"))
        }
        if let problem = adoptionProblem(snapshot) {
            return .failure(TakeoverError("shard \(index): \(problem)"))
        }
        var restored: [UInt32] = []
        for client in snapshot.clients {
            guard restoreClient(client) else {
                for slot in restored { forgetRestored(slot) }
                return .failure(TakeoverError("shard \(index): out of memory restoring client state"))
            }
            restored.append(client.slot)
        }
        upstream?.adopt(snapshot, on: self)
        counters.liveConnections += restored.count
        counters.takeoverAdopted &+= UInt64(restored.count)
        takeover = ShardTakeoverState()
        for client in snapshot.clients { resumeAdopted(client) }
        start()
        logger.info("adopted", metadata: ["clients": "\(restored.count)"])
        return .success(restored.count)
    }

    /// No state is coming for this shard (the old process is gone): serve it empty.
    public func startWithoutAdoption() {
        guard takeover.role == .awaitingAdoption else { return }
        takeover = ShardTakeoverState()
        start()
    }

    /// Why the snapshot cannot be adopted here, if it cannot (checked before anything changes).
    private func adoptionProblem(_ snapshot: TakeoverSnapshot) -> String? {
        guard snapshot.shardIndex == UInt32(index) else { return "snapshot of shard \(snapshot.shardIndex)" }
        guard takeover.placedSlots.count == snapshot.clients.count else {
            return "\(takeover.placedSlots.count) sockets for \(snapshot.clients.count) clients"
        }
        for client in snapshot.clients {
            guard takeover.placedSlots.contains(client.slot) else { return "no socket for slot \(client.slot)" }
            guard Int(client.slot) >= connections.count || connections[Int(client.slot)].lifecycle == nil else {
                return "slot \(client.slot) already in use"
            }
            guard Int(client.listener) < listeners.count else { return "listener \(client.listener) unknown" }
            let listener = listeners[Int(client.listener)]
            guard listener.tls == nil else { return "a client of TLS listener \(client.listener)" }
            guard Self.decoder(client.decoder, fits: listener.codec) else {
                return "slot \(client.slot): decoder does not match listener \(client.listener)'s framing"
            }
            if (client.gateway == nil) != (upstream == nil) { return "gateway state does not match this shard's role" }
        }
        return nil
    }

    private static func decoder(_ decoder: TakeoverDecoder, fits codec: ListenerCodec) -> Bool {
        switch (decoder, codec.framing) {
        case (.httpHead, .webSocket), (.webSocket, .webSocket), (.text, .text), (.raw, .tcp): return true
        case (.lengthField(let state), .frame), (.lengthField(let state), .lengthField):
            return state.isConsistent(with: codec.lengthField)
        default: return false
        }
    }

    /// Rebuilds one client's record, assemblies and queue (no I/O yet). False when the heap refused.
    private func restoreClient(_ client: TakeoverClient) -> Bool {
        let slot = Int(client.slot)
        while connections.count <= slot { connections.append(ClientConnection()) }
        var connection = ClientConnection()
        connection.generation = client.generation & 0xFF_FFFF
        connection.listener = client.listener
        connection.peerIPv4 = client.peerIPv4
        connection.peerPort = client.peerPort
        connection.restoreTraffic(bytesIn: client.bytesIn, bytesOut: client.bytesOut, openedSecond: client.openedSecond)
        connection.decoder = ClientDecoderState(client.decoder)
        connection.holdsOutput = client.holdsOutput
        connection.announced = client.announced
        connection.lifecycle = .adopted
        connections[slot] = connection
        if let bytes = client.assembly {
            guard let chunk = chunk(holding: bytes) else { return false }
            connections[slot].assembly = chunk
        }
        if let bytes = client.controlAssembly {
            guard let chunk = chunk(holding: bytes) else { return false }
            controlAssemblies[client.slot] = chunk
        }
        if !client.queuedOutput.isEmpty {
            guard let chunk = chunk(holding: client.queuedOutput) else { return false }
            sendQueues.append(chunk, range: 0..<client.queuedOutput.count, to: &connections[slot].queue)
        }
        return true
    }

    private func chunk(holding bytes: [UInt8]) -> Chunk? {
        guard let chunk = chunks.tryAllocate(capacity: max(bytes.count, 1)) else { return nil }
        chunks.write(bytes.span, to: chunk, at: 0)
        return chunk
    }

    /// Undoes `restoreClient` (a later client could not be restored, or the kernel refused the sockets).
    private func forgetRestored(_ slot: UInt32) {
        if let assembly = connections[Int(slot)].assembly { chunks.release(assembly) }
        if let control = controlAssemblies.removeValue(forKey: slot) { chunks.release(control) }
        discardQueue(slot)
        connections[Int(slot)] = ClientConnection()
    }

    /// Starts serving an adopted client: its receive, its queued output, its handshake deadline.
    private func resumeAdopted(_ client: TakeoverClient) {
        let id = ClientID(slot: client.slot, generation: connections[Int(client.slot)].generation)
        // All at once, unlike a connect burst's first receives (`armFirstReceive`): most adopted clients are
        // idle and take no buffer; the few with bytes waiting that find the ring dry are re-armed in order as
        // buffers return. Metering them per turn kept 16k idle clients of a shard deaf for ~0.6 s.
        perform(.armReceive, slot: id.slot)
        if !connections[Int(client.slot)].queue.isEmpty { scheduleFlush(client.slot) }
        if let remaining = client.handshakeDeadlineNanoseconds {
            wheel.schedule(
                CompletionTag(kind: .handshakeTimeout, generation: id.generation, slot: client.slot).rawValue,
                afterNanoseconds: max(remaining, 1))
        }
    }
}
