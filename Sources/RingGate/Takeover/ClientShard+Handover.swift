import Glibc
import RingGateCodecs
import RingGateRuntime

/// The old process's side of a live takeover, on one shard's thread: stop accepting, close the worker
/// links so the workers reconnect to the new process, pause every client (cancel its receive and send,
/// deliver what was already read, keep its queued output), export the state, make the client sockets
/// ordinary descriptors for the transfer, and finally let go of the clients — or, when the new process
/// failed, serve them again as if nothing happened.
extension ClientShard {
    /// Begins handing this shard over; `quiesced` runs on the shard's thread once every client is paused
    /// and every worker link closed (or with an error: the shard is then serving again).
    public func beginHandover(
        deadlineNanoseconds: UInt64, quiesced: @escaping @Sendable (Result<ShardExport, TakeoverError>) -> Void
    ) {
        guard takeover.role == .none, !stopping, !draining else {
            quiesced(.failure(TakeoverError("shard \(index) is \(stopping || draining ? "stopping" : "busy")")))
            return
        }
        let now = ShardLoop.now()
        takeover.role = .handingOver
        takeover.startedAt = now
        takeover.deadline = now &+ deadlineNanoseconds
        takeover.quiesced = quiesced
        counters.takeoversStarted &+= 1
        cancelAccepts()
        upstream?.beginHandover(on: self)
        for slot in connections.indices { prepareForHandover(UInt32(slot)) }
        logger.info("handing over", metadata: ["clients": "\(counters.liveConnections)"])
        checkHandoverProgress()
    }

    /// Pauses one open client; an open TLS client is told to go instead (WebSocket 1012, service restart:
    /// its session cannot move). No-op in other phases: paused, closing, or still resolving its peer.
    private func prepareForHandover(_ slot: UInt32) {
        guard var lifecycle = connections[Int(slot)].lifecycle, lifecycle.isOpen else { return }
        if connections[Int(slot)].usesTLS {
            let client = ClientID(slot: slot, generation: connections[Int(slot)].generation)
            if connections[Int(slot)].tlsEstablished, case .webSocket = connections[Int(slot)].decoder {
                sendRaw(WebSocketClose.frame(code: 1012).span, to: client)
            }
            close(client, reason: .takeover, graceful: true)
            return
        }
        let action = lifecycle.pause()
        connections[Int(slot)].lifecycle = lifecycle
        perform(action, slot: slot)
    }

    /// After each turn while handing over: pause clients that became open since (a peer name resolved,
    /// an accept that raced the cancel), and once nothing is in flight, export.
    func checkHandoverProgress() {
        guard takeover.role == .handingOver else { return }
        var settled = upstream?.handoverQuiesced ?? true
        let overdue = ShardLoop.now() >= takeover.deadline
        for slot in connections.indices {
            guard let lifecycle = connections[slot].lifecycle, !lifecycle.isPaused else { continue }
            settled = false
            prepareForHandover(UInt32(slot))
            if overdue && lifecycle.phase == .draining {
                // A closing client (a TLS one told to go, a kick) that does not take its output: cut it.
                finishClosing(ClientID(slot: UInt32(slot), generation: connections[slot].generation))
            }
        }
        guard settled else {
            if overdue && ShardLoop.now() >= takeover.deadline &+ 5_000_000_000 {
                failHandover("clients or worker links did not settle within the deadline")
            }
            return
        }
        let export = exportState()
        takeover.role = .exported
        let reply = takeover.quiesced
        takeover.quiesced = nil
        reply?(.success(export))
    }

    /// The shard's state as a snapshot, clients in the gateway table's connect order (slot order
    /// without a gateway).
    private func exportState() -> ShardExport {
        var snapshot = TakeoverSnapshot(
            shardIndex: UInt32(index), connectionIDCounter: 0, clients: [], uidIndex: [], groupIndex: [],
            bufferedEvents: [])
        // Gateway clients in connect order (listings follow it); any other paused client after them.
        let order = (upstream?.clientOrder ?? []) + connections.indices.map { UInt32($0) }
        let now = ShardLoop.now()
        var slots: [UInt32] = []
        var included = Set<UInt32>()
        var unlisted: [ClientID] = []
        slots.reserveCapacity(counters.liveConnections)
        for slot in order where connections[Int(slot)].lifecycle?.isPaused == true && included.insert(slot).inserted {
            var client = snapshotClient(slot, now: now)
            if let upstream {
                // A client the gateway table does not know could not be addressed by workers: it goes.
                guard let state = upstream.exportClient(slot: slot) else {
                    unlisted.append(ClientID(slot: slot, generation: connections[Int(slot)].generation))
                    continue
                }
                client.gateway = state
            }
            snapshot.clients.append(client)
            slots.append(slot)
        }
        upstream?.exportShardState(into: &snapshot)
        for client in unlisted { close(client, reason: .takeover, graceful: false) }
        return ShardExport(snapshot: snapshot.encoded(), slots: slots)
    }

    private func snapshotClient(_ slot: UInt32, now: UInt64) -> TakeoverClient {
        let connection = connections[Int(slot)]
        let configuration = listeners[Int(connection.listener)].configuration
        var deadline: UInt64?
        if case .httpHead = connection.decoder {
            let elapsed = now / 1_000_000_000 &- UInt64(connection.openedSecond)
            let timeout = configuration.handshakeTimeoutNanoseconds
            deadline = timeout &- min(timeout, elapsed &* 1_000_000_000)
        }
        var queued: [UInt8] = []
        queued.reserveCapacity(Int(connection.queue.byteCount))
        sendQueues.forEachNode(of: connection.queue) { node in
            chunks.withBytes(node.chunk) { bytes in
                queued.append(contentsOf: Array(copying: bytes.extracting(Int(node.start)..<Int(node.end))))
            }
        }
        return TakeoverClient(
            slot: slot, generation: connection.generation, listener: connection.listener,
            holdsOutput: connection.holdsOutput, announced: connection.announced, peerIPv4: connection.peerIPv4,
            peerPort: connection.peerPort, bytesIn: connection.bytesIn, bytesOut: connection.bytesOut,
            openedSecond: connection.openedSecond, decoder: TakeoverDecoder(connection.decoder),
            assembly: connection.assembly.map(chunkBytes), controlAssembly: controlAssemblies[slot].map(chunkBytes),
            queuedOutput: queued, handshakeDeadlineNanoseconds: deadline, lastOpcode: 0, gateway: nil)
    }

    private func chunkBytes(_ chunk: Chunk) -> [UInt8] {
        chunks.withBytes(chunk) { bytes in Array(copying: bytes) }
    }

    /// Makes ordinary descriptors of `slots`' direct descriptors (IORING_OP_FIXED_FD_INSTALL) for the
    /// transfer; `reply` gets them in `slots` order, on the shard's thread. The caller sends and closes
    /// them, and asks for the next batch only then, so a batch bounds the descriptors this process holds.
    public func installDescriptors(
        _ slots: [UInt32], reply: @escaping @Sendable (Result<[Int32], TakeoverError>) -> Void
    ) {
        guard takeover.role == .exported, takeover.installsReply == nil else {
            reply(.failure(TakeoverError("shard \(index) is not exported")))
            return
        }
        guard !slots.isEmpty else {
            reply(.success([]))
            return
        }
        takeover.installed = Array(repeating: -1, count: slots.count)
        takeover.installFailure = 0
        takeover.installsReply = reply
        for (position, slot) in slots.enumerated() {
            takeover.pendingInstalls[slot] = position
            io.ring.installFixedFile(
                fileIndex: slot,
                tag: CompletionTag(kind: .descriptorInstall, generation: connections[Int(slot)].generation, slot: slot))
        }
    }

    func descriptorInstallCompleted(_ completion: Completion) {
        guard let position = takeover.pendingInstalls.removeValue(forKey: completion.tag.slot) else {
            if completion.result >= 0 { Glibc.close(completion.result) }
            return unexpectedCompletion(completion, "descriptor install for a slot not being handed over")
        }
        if completion.result >= 0 {
            takeover.installed[position] = completion.result
        } else {
            takeover.installFailure = -completion.result
        }
        guard takeover.pendingInstalls.isEmpty, let reply = takeover.installsReply else { return }
        takeover.installsReply = nil
        let installed = takeover.installed
        takeover.installed = []
        if takeover.installFailure != 0 {
            for descriptor in installed where descriptor >= 0 { Glibc.close(descriptor) }
            reply(.failure(TakeoverError("installing client descriptors failed: errno \(takeover.installFailure)")))
        } else {
            reply(.success(installed))
        }
    }

    /// The new process adopted this shard: the clients are its now. Each slot is closed here without a
    /// shutdown (the socket stays open in the new process) and forgotten without an ON_CLOSE.
    public func handoverCommitted() {
        guard takeover.role == .exported else { return }
        takeover.role = .handedOver
        upstream?.handoverCommitted(on: self)
        var handedOver = 0
        for slot in connections.indices {
            guard var lifecycle = connections[slot].lifecycle, lifecycle.isPaused else { continue }
            connections[slot].announced = false
            discardQueue(UInt32(slot))
            let action = lifecycle.handedOver()
            connections[slot].lifecycle = lifecycle
            perform(action, slot: UInt32(slot))
            handedOver += 1
        }
        counters.takeoverHandedOver &+= UInt64(handedOver)
        counters.takeoversCompleted &+= 1
        let pause = (ShardLoop.now() &- takeover.startedAt) / 1_000_000
        logger.info("handed over", metadata: ["clients": "\(handedOver)", "pause_ms": "\(pause)"])
    }

    /// The takeover failed before this shard was adopted: serve every client again (receives re-armed,
    /// queued output sent), accept again, and let the workers reconnect here.
    public func handoverAborted(reason: String) {
        switch takeover.role {
        case .handingOver, .exported:
            failHandover(reason)
        case .handedOver:
            // The clients are gone with the new process; accept again so this shard's port keeps working.
            takeover = ShardTakeoverState()
            upstream?.handoverAborted(on: self)
            armAccepts()
        case .none, .awaitingAdoption:
            break
        }
    }

    private func failHandover(_ reason: String) {
        let reply = takeover.quiesced
        takeover = ShardTakeoverState()
        counters.takeoversFailed &+= 1
        logger.warning("takeover abandoned; serving every client again", metadata: ["reason": "\(reason)"])
        for slot in connections.indices {
            guard var lifecycle = connections[slot].lifecycle else { continue }
            let action = lifecycle.resume()
            connections[slot].lifecycle = lifecycle
            perform(action, slot: UInt32(slot))
            if lifecycle.isOpen { scheduleFlush(UInt32(slot)) }
        }
        upstream?.handoverAborted(on: self)
        armAccepts()
        reply?(.failure(TakeoverError(reason)))
    }
}

extension TakeoverDecoder {
    init(_ state: ClientDecoderState) {
        switch state {
        case .httpHead(let decoder): self = .httpHead(decoder)
        case .webSocket(let decoder): self = .webSocket(decoder)
        case .text(let decoder): self = .text(decoder)
        case .lengthField(let decoder): self = .lengthField(decoder)
        case .raw(let decoder): self = .raw(decoder)
        }
    }
}

extension ClientDecoderState {
    init(_ snapshot: TakeoverDecoder) {
        switch snapshot {
        case .httpHead(let decoder): self = .httpHead(decoder)
        case .webSocket(let decoder): self = .webSocket(decoder)
        case .text(let decoder): self = .text(decoder)
        case .lengthField(let decoder): self = .lengthField(decoder)
        case .raw(let decoder): self = .raw(decoder)
        }
    }
}
