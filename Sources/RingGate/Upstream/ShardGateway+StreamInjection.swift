import RingGateCodecs
import RingGateRuntime

/// What one injected inner stream made the gateway do (see `ClientShard.runInjectedInnerStream`).
package struct InjectedStreamOutcome: Sendable, Equatable {
    /// Commands that passed authorisation and ran.
    package var commandsExecuted: UInt64
    /// Query replies queued for the connection.
    package var queryReplies: UInt64
    /// Messages queued to clients.
    package var deliveries: UInt64
    /// The gateway closed the connection while the stream ran (bad secret, malformed packet, a limit).
    package var closedByGateway: Bool

    package init(commandsExecuted: UInt64, queryReplies: UInt64, deliveries: UInt64, closedByGateway: Bool) {
        self.commandsExecuted = commandsExecuted
        self.queryReplies = queryReplies
        self.deliveries = deliveries
        self.closedByGateway = closedByGateway
    }
}

extension ClientShard {
    /// Runs `stream` through this shard's worker command layer — assembler, authorisation and every
    /// command, on the real client table and clients — as if it arrived on a new inner connection in
    /// receives of `receiveSize` bytes (0: one receive) and the peer then closed. For the
    /// FuzzGatewayCommands target and its tests; call it on the shard's thread (`GatewayServer.onShard`).
    ///
    /// The connection has no socket: its slot lies past the upstream ring's file table, so what the
    /// gateway writes to it fails in the kernel with EBADF and takes the ordinary failure and close
    /// paths. nil when the shard is not a GatewayWorker gateway or every injection slot is still closing.
    package func runInjectedInnerStream(_ stream: [UInt8], receiveSize: Int, authorised: Bool)
        -> InjectedStreamOutcome?
    {
        (upstream as? ShardGateway)?.runInjectedStream(
            stream, receiveSize: receiveSize, authorised: authorised, on: self)
    }

    /// Binds every third client to a uid, puts every client in one or two groups and gives it a small
    /// session, through the real table commands (the fuzz target's fixture).
    package func tagClientsForFuzzing() {
        (upstream as? ShardGateway)?.tagClientsForFuzzing()
    }
}

extension ShardGateway {
    /// Slots past the file table that injected connections use in turn (several may still be closing).
    private static let injectionSlotCount: UInt32 = 64

    func runInjectedStream(_ stream: [UInt8], receiveSize: Int, authorised: Bool, on shard: ClientShard)
        -> InjectedStreamOutcome?
    {
        let first = io.ring.fileTableSize
        guard
            let slot = (first..<first + Self.injectionSlotCount).first(where: {
                Int($0) >= inner.count || inner[Int($0)].lifecycle == nil
            })
        else { return nil }
        while inner.count <= Int(slot) { inner.append(InnerConnection(maxPackageLength: 0)) }
        let before = counters
        // As `innerAcceptCompleted` admits a connection, without the peer lookup and the receive.
        admitInner(slot, authorised: authorised || configuration.secretKey.isEmpty)
        inner[Int(slot)].lifecycle = ClientLifecycle(resolvingPeer: false)
        let id = inner[Int(slot)].id(slot: slot)
        func isOpen() -> Bool {
            inner[Int(slot)].generation == id.generation && inner[Int(slot)].lifecycle?.isOpen == true
        }

        let step = receiveSize > 0 ? receiveSize : max(stream.count, 1)
        var offset = 0
        while offset < stream.count && isOpen() {
            let end = min(offset + step, stream.count)
            let piece = Array(stream[offset..<end])
            inner[Int(slot)].assembler.append(piece.span)
            executePackets(of: id, on: shard)
            offset = end
        }
        let closedByGateway = !isOpen()
        // The peer's EOF, as a receive of 0 bytes is handled: queued replies are flushed (and fail), then
        // the connection closes.
        if !closedByGateway { closeInner(slot, graceful: true) }
        return InjectedStreamOutcome(
            commandsExecuted: counters.commandsExecuted &- before.commandsExecuted,
            queryReplies: counters.queryReplies &- before.queryReplies,
            deliveries: counters.deliveries &- before.deliveries, closedByGateway: closedByGateway)
    }

    func tagClientsForFuzzing() {
        for id in table.connectionIDs {
            if id % 3 == 0 { _ = table.execute(.bindUID, connectionID: id, extData: Array("u\(id % 50)".utf8)) }
            _ = table.execute(.joinGroup, connectionID: id, extData: Array("g\(id % 8)".utf8))
            if id % 5 == 0 { _ = table.execute(.joinGroup, connectionID: id, extData: Array("room".utf8)) }
            let name = String(id)
            let session = "a:2:{s:4:\"name\";s:\(name.utf8.count):\"\(name)\";s:3:\"age\";i:\(id % 90);}"
            _ = table.execute(.setSession, connectionID: id, extData: Array(session.utf8))
        }
    }
}
