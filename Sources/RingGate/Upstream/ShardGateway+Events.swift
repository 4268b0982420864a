import RingGateCodecs
import RingGateRuntime

/// Client events become packets to workers (spec §4.2, §5.3, §5.4, §7.2).
extension ShardGateway {
    func clientConnected(_ client: ClientID, on shard: ClientShard) {
        guard let connectionID = table.connect(clientID: client) else {
            notices.notice(
                "every connection id is in use; closing client", peer: shard.peerDescription(client.slot),
                level: .error, metadata: ["shard": "\(index)"], now: ShardLoop.now())
            shard.close(client, reason: .connectionIDsExhausted, graceful: false)
            return
        }
        let slot = Int(client.slot)
        if connectionIDs.count <= slot {
            connectionIDs.append(contentsOf: repeatElement(0, count: slot + 1 - connectionIDs.count))
        }
        connectionIDs[slot] = connectionID
        forward(.onConnect, flags: .bodyIsScalar, body: [UInt8]().span, client: client, on: shard)
    }

    func messageReceived(
        _ message: Span<UInt8>, opcode: WebSocketOpcode?, from client: ClientID, on shard: ClientShard
    ) {
        // Only complete decoded messages reset the heartbeat (spec §7.3).
        forward(.onMessage, flags: .bodyIsScalar, body: message, client: client, on: shard, resetsHeartbeat: true)
    }

    func webSocketHandshakeAccepted(_ head: Span<UInt8>, from client: ClientID, on shard: ClientShard) {
        let body = webSocketConnectBody(head: head, client: client, on: shard)
        forward(.onWebSocketConnect, flags: [], body: body.span, client: client, on: shard)
    }

    func clientClosed(_ client: ClientID, on shard: ClientShard) {
        let connectionID = connectionIDs[Int(client.slot)]
        // ON_CLOSE carries the session at close time and goes out before the client leaves the uid and
        // group tables (spec §4.2); with no worker it is simply dropped.
        forward(.onClose, flags: .bodyIsScalar, body: [UInt8]().span, client: client, on: shard, closing: true)
        if let record = table.remove(connectionID), let worker = record.worker {
            workers.clientClosed(boundTo: worker)
        }
    }

    /// Writes one event for `client` to the worker its events are bound to. No worker registered:
    /// the client is destroyed (spec §5.4); the worker's queue over its limit: the event is dropped
    /// and the client stays.
    private func forward(
        _ command: GatewayCommand, flags: GatewayFlags, body: Span<UInt8>, client: ClientID, on shard: ClientShard,
        closing: Bool = false, resetsHeartbeat: Bool = false
    ) {
        let connectionID = connectionIDs[Int(client.slot)]
        // One lookup for the heartbeat reset and the binding, without copying the record out.
        guard
            let bound = table.update(
                connectionID,
                { record -> WorkerSlot? in
                    if resetsHeartbeat { record.heartbeatCount = -1 }
                    return record.worker
                })
        else { return }
        // Events wait behind those buffered during a takeover, so each client's events keep their order.
        if !bufferedEvents.isEmpty {
            bufferEvent(command, flags: flags, body: body, connectionID: connectionID, client: client, on: shard)
            return
        }
        guard let worker = route(connectionID, bound: bound) else {
            if buffersEvents {
                bufferEvent(command, flags: flags, body: body, connectionID: connectionID, client: client, on: shard)
                return
            }
            counters.eventsWithoutWorker += 1
            guard !closing else { return }
            if pastStartup {
                notices.notice(
                    "no worker registered; closing client", peer: shard.peerDescription(client.slot),
                    metadata: ["cmd": "\(command.rawValue)"], now: ShardLoop.now())
            }
            shard.close(client, reason: .noWorker, graceful: false)
            return
        }
        let outcome = table.withSession(of: connectionID) { session -> EventOutcome in
            guard
                let header = eventHeader(
                    command, flags: flags, connectionID: connectionID, sessionCount: session.count,
                    bodyCount: body.count, client: client, on: shard)
            else { return .tooLarge }
            return appendPacket(header, extData: session, body: body, to: worker) ? .written : .workerBusy
        }
        switch outcome {
        case .written:
            counters.eventsForwarded &+= 1
        case .workerBusy:
            counters.eventsDroppedWorkerBusy += 1
            notices.notice(
                "worker send queue full; client event dropped", peer: shard.peerDescription(client.slot),
                metadata: ["cmd": "\(command.rawValue)"], now: ShardLoop.now())
        case .tooLarge:
            // Session + message beyond the GatewayProtocol packet limit (10 MiB): no worker would accept it.
            counters.eventsTooLarge += 1
            notices.notice(
                "client event larger than the worker packet limit; dropped", peer: shard.peerDescription(client.slot),
                metadata: ["cmd": "\(command.rawValue)", "bytes": "\(body.count)"], now: ShardLoop.now())
        case nil:
            break
        }
    }

    /// The header of a client event (spec §2.2): this gateway's address, the client's, its connection id;
    /// nil when session and body exceed the packet limit.
    func eventHeader(
        _ command: GatewayCommand, flags: GatewayFlags, connectionID: UInt32, sessionCount: Int, bodyCount: Int,
        client: ClientID, on shard: ClientShard
    ) -> GatewayHeader? {
        let connection = shard.connections[Int(client.slot)]
        return try? GatewayHeader(
            command: command, localIP: configuration.lanIPv4, localPort: innerPort,
            clientIP: connection.peerIPv4, clientPort: connection.peerPort, connectionID: connectionID,
            flags: flags, gatewayPort: shard.listenerPort(Int(connection.listener)),
            extByteCount: sessionCount, bodyByteCount: bodyCount, maxPackageLength: configuration.maxPackageLength)
    }

    private enum EventOutcome {
        case written
        case workerBusy
        case tooLarge
    }

    /// The worker connection for a client's event: its sticky binding while that key is live, else a
    /// new choice by the router, remembered (spec §5.3). nil when no worker is registered.
    func route(_ connectionID: UInt32, bound: WorkerSlot?) -> InnerID? {
        if let bound, let connection = workers.connection(of: bound) { return connection }
        guard let chosen = workers.choose(configuration.router, using: &random) else { return nil }
        if let bound {
            counters.rebinds += 1
            workers.release(bound)  // the dead key is forgotten once no client is bound to it
        }
        table.setWorker(chosen, for: connectionID)
        return workers.connection(of: chosen)
    }

    /// CMD_PING to every registered worker (spec §5.5; only when lanIp is not 127.0.0.1).
    func pingWorkers() {
        let header = GatewayHeader(
            packLength: UInt32(GatewayHeader.byteCount), command: .ping, flags: .bodyIsScalar)
        let empty: [UInt8] = []
        for connection in workers.liveConnections {
            appendPacket(header, extData: empty.span, body: empty.span, to: connection)
        }
    }
}
