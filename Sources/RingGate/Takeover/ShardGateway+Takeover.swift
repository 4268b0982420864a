import RingGateCodecs
import RingGateRuntime

extension OperationKind {
    /// The SHUT_WR that tells a worker to reconnect during a takeover (upstream ring).
    static let innerHalfClose = OperationKind(rawValue: OperationKind.firstUserKind + 28)
}

/// Client events held while no worker can take them during a live takeover, bounded.
struct BufferedEvents {
    /// At most this many bytes or events per shard; beyond, events are dropped and counted.
    static let byteLimit = 64 << 20
    static let eventLimit = 262_144

    private(set) var packets: [[UInt8]] = []
    private(set) var byteCount = 0
    var isEmpty: Bool { packets.isEmpty }

    mutating func append(_ packet: [UInt8]) -> Bool {
        guard packets.count < Self.eventLimit, byteCount + packet.count <= Self.byteLimit else { return false }
        packets.append(packet)
        byteCount += packet.count
        return true
    }

    mutating func removeFirst(_ count: Int) {
        for packet in packets.prefix(count) { byteCount -= packet.count }
        packets.removeFirst(count)
    }

    mutating func removeAll() {
        packets = []
        byteCount = 0
    }
}

/// The gateway's part of a live takeover: worker links closed so the workers reconnect to the new
/// process, client events buffered meanwhile and carried over, the client table exported and rebuilt.
extension ShardGateway {
    /// How long a new process buffers events with no worker before it treats a missing worker as the
    /// PHP Gateway does (closing the client): workers reconnect within about a second.
    static let workerReturnGrace: UInt64 = 10_000_000_000
    /// How long a worker link may take to read its last output and close after our FIN.
    static let handoverLinkDeadline: UInt64 = 3_000_000_000
    /// How long a link that is not a worker's gets to send what it was sending when our FIN went out.
    static let handoverQueryLinkGrace: UInt64 = 250_000_000

    var buffersEvents: Bool { handingOver || (bufferEventsUntil != 0 && ShardLoop.now() < bufferEventsUntil) }

    func bufferEvent(
        _ command: GatewayCommand, flags: GatewayFlags, body: Span<UInt8>, connectionID: UInt32, client: ClientID,
        on shard: ClientShard
    ) {
        let packet = table.withSession(of: connectionID) { session -> [UInt8]? in
            guard
                let header = eventHeader(
                    command, flags: flags, connectionID: connectionID, sessionCount: session.count,
                    bodyCount: body.count, client: client, on: shard)
            else { return nil }
            var bytes = header.withEncodedBytes { Array(copying: $0) }
            bytes.append(contentsOf: Array(copying: session))
            bytes.append(contentsOf: Array(copying: body))
            return bytes
        }
        guard let packet = packet ?? nil, bufferedEvents.append(packet) else {
            counters.takeoverEventsDropped += 1
            notices.notice(
                "takeover event buffer full; client event dropped", peer: shard.peerDescription(client.slot),
                metadata: ["cmd": "\(command.rawValue)"], now: ShardLoop.now())
            return
        }
        counters.takeoverEventsBuffered += 1
    }

    /// How long buffered events wait after the first worker returned: a worker reconnects to every gateway
    /// address at once, and an event it handles before its links to the other shards are up would send
    /// its answers (a group message) only to the shards it already reached.
    static let workerSettleTime: UInt64 = 200_000_000

    func deliverBufferedEventsWhenWorkersSettled() {
        guard workers.liveCount > 0 else {
            workersReturnedAt = 0
            return
        }
        let now = ShardLoop.now()
        if workersReturnedAt == 0 { workersReturnedAt = now }
        guard now &- workersReturnedAt >= Self.workerSettleTime || handingOver else { return }
        deliverBufferedEvents()
        if bufferedEvents.isEmpty { workersReturnedAt = 0 }
    }

    /// Sends buffered events to workers now that one is connected, oldest first; what a full worker queue
    /// refuses waits for the next turn.
    func deliverBufferedEvents() {
        var delivered = 0
        for packet in bufferedEvents.packets {
            let connectionID = GatewayHeader(decoding: packet.span)?.connectionID ?? 0
            guard let worker = route(connectionID, bound: table[connectionID]?.worker),
                appendRawPacket(packet.span, to: worker)
            else { break }
            delivered += 1
            counters.eventsForwarded &+= 1
        }
        bufferedEvents.removeFirst(delivered)
    }

    // MARK: Old side

    func beginHandover(on shard: ClientShard) {
        guard !handingOver else { return }
        handingOver = true
        handoverStartedAt = ShardLoop.now()
        cancelInnerAccept()
        for slot in inner.indices where inner[slot].lifecycle != nil {
            inner[slot].takeoverWaitsForPeer = inner[slot].worker != nil
            unregisterWorker(UInt32(slot))
            inner[slot].closesForTakeover = true
        }
        progressHandover()
    }

    /// Each turn while handing over: links whose output is out get their FIN; links past the deadline are
    /// closed.
    func progressHandover() {
        let elapsed = ShardLoop.now() &- handoverStartedAt
        for slot in inner.indices where inner[slot].closesForTakeover {
            guard let lifecycle = inner[slot].lifecycle else {
                inner[slot].closesForTakeover = false
                continue
            }
            let allowed = inner[slot].takeoverWaitsForPeer ? Self.handoverLinkDeadline : Self.handoverQueryLinkGrace
            if elapsed >= allowed {
                closeInner(UInt32(slot), graceful: false)
                continue
            }
            guard !inner[slot].halfClosed, lifecycle.isOpen, !lifecycle.sendInFlight, inner[slot].pending == nil,
                inner[slot].sending == nil
            else { continue }
            inner[slot].halfClosed = true
            io.ring.shutdownWrite(
                fileIndex: UInt32(slot),
                tag: CompletionTag(kind: .innerHalfClose, generation: inner[slot].generation, slot: UInt32(slot)))
        }
    }

    var handoverQuiesced: Bool { handingOver && counters.innerOpen == 0 && !acceptArmed }

    var clientOrder: [UInt32] { table.clients.map(\.clientID.slot) }

    func exportClient(slot: UInt32) -> TakeoverGatewayClient? {
        guard Int(slot) < connectionIDs.count, let record = table[connectionIDs[Int(slot)]] else { return nil }
        return TakeoverGatewayClient(
            connectionID: record.connectionID, heartbeatCount: record.heartbeatCount, session: record.session,
            uid: record.uid, groups: record.groups.map { Array($0) })
    }

    func exportShardState(into snapshot: inout TakeoverSnapshot) {
        snapshot.connectionIDCounter = table.allocator.counter
        snapshot.uidIndex = table.uidMembers.map { TakeoverKeyMembers(key: $0.key, members: Array($0.value)) }
        snapshot.groupIndex = table.groupOrder.map { group in
            TakeoverKeyMembers(key: group, members: Array(table.groupMembers[group] ?? InsertionOrderedSet()))
        }
        snapshot.bufferedEvents = bufferedEvents.packets
    }

    func handoverCommitted(on shard: ClientShard) {
        table = GatewayClientTable(counter: table.allocator.counter)
        connectionIDs = []
        bufferedEvents.removeAll()
    }

    func handoverAborted(on shard: ClientShard) {
        guard handingOver else { return }
        handingOver = false
        for slot in inner.indices { inner[slot].closesForTakeover = false }
        // The workers come back within a second or so; until then their clients' events wait.
        bufferEventsUntil = ShardLoop.now() &+ Self.workerReturnGrace
        if !acceptArmed && staysInCluster { armInnerAccept() }
    }

    func holdEventsWithoutWorkers(forNanoseconds nanoseconds: UInt64) {
        bufferEventsUntil = max(bufferEventsUntil, ShardLoop.now() &+ nanoseconds)
    }

    // MARK: New side

    func adopt(_ snapshot: TakeoverSnapshot, on shard: ClientShard) {
        var records: [GatewayClientRecord] = []
        records.reserveCapacity(snapshot.clients.count)
        for client in snapshot.clients {
            guard let state = client.gateway else { continue }
            var record = GatewayClientRecord(
                connectionID: state.connectionID, clientID: ClientID(slot: client.slot, generation: client.generation))
            record.heartbeatCount = state.heartbeatCount
            record.assignSession(state.session)
            record.assignUID(state.uid)
            record.assignGroups(state.groups.map { InsertionOrderedSet($0) })
            records.append(record)
            let slot = Int(client.slot)
            if connectionIDs.count <= slot {
                connectionIDs.append(contentsOf: repeatElement(0, count: slot + 1 - connectionIDs.count))
            }
            connectionIDs[slot] = state.connectionID
        }
        table = GatewayClientTable(
            restoring: records, uidIndex: snapshot.uidIndex.map { ($0.key, $0.members) },
            groupIndex: snapshot.groupIndex.map { ($0.key, $0.members) }, counter: snapshot.connectionIDCounter)
        bufferedEvents.removeAll()
        for packet in snapshot.bufferedEvents where !bufferedEvents.append(packet) {
            counters.takeoverEventsDropped += 1
        }
        bufferEventsUntil = ShardLoop.now() &+ Self.workerReturnGrace
    }
}
