import RingGateCodecs
import RingGateRuntime

/// Packets from workers and GatewayClient: authorisation, then every command of spec §4.
extension ShardGateway {
    /// Runs every complete packet buffered for an inner connection, in order.
    ///
    /// The assembler is taken out of the table while its packets run (they may close this or another
    /// inner connection) and put back afterwards, so a packet's bytes are lent in place, never copied.
    func executePackets(of id: InnerID, on shard: ClientShard) {
        let slot = Int(id.slot)
        var assembler = inner[slot].assembler
        inner[slot].assembler = GatewayPacketAssembler(maxPackageLength: 0)
        defer {
            if inner[slot].generation == id.generation && inner[slot].lifecycle != nil {
                inner[slot].assembler = assembler
            }
        }
        while inner[slot].generation == id.generation && inner[slot].lifecycle?.isOpen == true {
            let layout: GatewayPacketLayout
            do {
                guard let next = try assembler.peekPacket() else { return }
                layout = next
            } catch {
                counters.malformedPackets += 1
                notices.notice(
                    "closing inner connection: malformed packet", peer: innerPeer(id.slot),
                    metadata: ["reason": "\(error)"], now: ShardLoop.now())
                closeInner(id.slot, graceful: false)
                return
            }
            assembler.withContents(of: layout) { extData, body in
                execute(layout.header, extData: extData, body: body, from: id, on: shard)
            }
            assembler.consume(layout)
            if inner[slot].generation == id.generation && inner[slot].authorised && !inner[slot].established {
                // Authorised and a packet completed: the handshake deadline and eviction no longer apply,
                // and the packet limit is the full one (it was small while the secret was unchecked).
                inner[slot].established = true
                assembler.maxPackageLength = configuration.maxPackageLength
            }
        }
    }

    private func execute(
        _ header: GatewayHeader, extData: Span<UInt8>, body: Span<UInt8>, from id: InnerID, on shard: ClientShard
    ) {
        let command = header.command
        guard inner[Int(id.slot)].authorised || command == .workerConnect || command == .gatewayClientConnect else {
            counters.unauthorisedRequests += 1
            notices.notice(
                "Unauthorized request; closing inner connection", peer: innerPeer(id.slot),
                metadata: ["cmd": "\(command.rawValue)"], now: ShardLoop.now())
            closeInner(id.slot, graceful: true)
            return
        }
        counters.commandsExecuted &+= 1
        switch command {
        case .sendToOne:
            guard let client = table.clientID(of: header.connectionID) else { return }
            withSendBody(body, flags: header.flags) { message in
                deliver(message, raw: header.flags.contains(.notCallEncode), to: client, on: shard)
            }
        case .sendToAll, .sendToUID, .sendToGroup:
            multicast(command, header: header, extData: extData, body: body, on: shard)
        case .kick:
            kick(header, body: body, on: shard)
        case .destroy:
            guard let client = table.clientID(of: header.connectionID) else { return }
            shard.close(client, reason: .destroyed, graceful: false)
        case .workerConnect, .gatewayClientConnect:
            authenticate(command, header: header, body: body, from: id)
        default:
            let effect = table.execute(
                command, connectionID: header.connectionID, extData: [UInt8](copying: extData),
                replyLimit: configuration.queryReplyLimit)
            switch effect {
            case .reply(let payload):
                appendReply(payload, to: id)
            case .replyTooLarge:
                // Abandoned as soon as it passed the limit; closing tells a GatewayClient it failed
                // (it would otherwise wait for a reply that never comes).
                counters.queryRepliesTooLarge += 1
                notices.notice(
                    "query reply over the reply limit; closing inner connection", peer: innerPeer(id.slot),
                    metadata: ["cmd": "\(command.rawValue)", "limit": "\(configuration.queryReplyLimit)"],
                    now: ShardLoop.now())
                closeInner(id.slot, graceful: false)
            case .sessionFallback(let failure):
                counters.sessionMergeFallbacks += 1
                notices.notice(
                    "session update could not merge; the session was replaced", peer: innerPeer(id.slot),
                    metadata: ["reason": "\(failure)", "connection_id": "\(header.connectionID)"],
                    now: ShardLoop.now())
            case .done, .send:
                break
            case .notTableCommand:
                counters.unknownCommands += 1
                notices.notice(
                    "unknown command from an inner connection; ignored", peer: innerPeer(id.slot),
                    metadata: ["cmd": "\(command.rawValue)"], now: ShardLoop.now())
            }
        }
    }

    // MARK: Authorisation

    /// CMD_WORKER_CONNECT / CMD_GATEWAY_CLIENT_CONNECT (spec §4.3): the JSON is in the body; its
    /// `secret_key` must equal ours byte for byte (constant time), even when ours is empty. Re-checked
    /// every time.
    private func authenticate(_ command: GatewayCommand, header: GatewayHeader, body: Span<UInt8>, from id: InnerID) {
        let json = Self.decodeJSONBody(body, flags: header.flags)
        // A missing or non-string secret_key never matches (PHP: null !== "").
        guard let json, let offered = json["secret_key"]?.stringValue,
            SecretKeyComparison.matches(offered, secret: configuration.secretKey)
        else {
            counters.authenticationFailures += 1
            notices.notice(
                "closing inner connection: wrong secret_key", peer: innerPeer(id.slot),
                metadata: ["cmd": "\(command.rawValue)"], now: ShardLoop.now())
            closeInner(id.slot, graceful: false)
            return
        }
        inner[Int(id.slot)].authorised = true
        guard command == .workerConnect else { return }
        let name = Self.workerName(json["worker_key"])
        let key = "\(inner[Int(id.slot)].peer.host):\(name)"
        if let previous = inner[Int(id.slot)].worker, workers.key(of: previous) != key {
            workers.remove(previous, connection: id)
        }
        guard let registration = workers.register(key: key, connection: id) else {
            counters.workerKeysRefused += 1
            notices.notice(
                "worker key table full; registration refused and link closed", peer: innerPeer(id.slot),
                level: .warning, metadata: ["limit": "\(workers.capacity)"], now: ShardLoop.now())
            closeInner(id.slot, graceful: false)
            return
        }
        inner[Int(id.slot)].worker = registration.slot
        counters.workerRegistrations += 1
        counters.workersRegistered = workers.liveCount
        counters.workerKeys = workers.keyCount
        if let replaced = registration.replaced {
            // A restarted worker: the new connection replaces the old one (GatewayWorker ≥ 3.1.18).
            counters.workerReplacements += 1
            inner[Int(replaced.slot)].worker = nil
            notices.notice(
                "worker reconnected; closing its previous connection", peer: innerPeer(id.slot), level: .info,
                metadata: ["worker": "\(key)"], now: ShardLoop.now())
            closeInner(replaced.slot, graceful: true)
        } else {
            // Throttled: one link can register thousands of keys in a burst.
            notices.notice(
                "worker connected", peer: innerPeer(id.slot), level: .info, metadata: ["worker": "\(key)"],
                now: ShardLoop.now())
        }
    }

    /// `worker_key` as PHP's string concatenation renders it (BusinessWorker always sends a string).
    private static func workerName(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text): return text
        case .number(let number): return number.text
        case .bool(true): return "1"
        default: return ""
        }
    }

    /// The body as PHP's Gateway reads it for the auth packets: flag-decoded, then JSON-decoded.
    private static func decodeJSONBody(_ body: Span<UInt8>, flags: GatewayFlags) -> JSONValue? {
        if flags.contains(.bodyIsScalar) { return JSONParser.parse(body) }
        guard case .string(let bytes)? = PHPUnserializer.unserialize(body) else { return nil }
        return JSONParser.parse(bytes.span)
    }

    // MARK: Sends

    /// Decodes a send body by flag bit 0 (spec §4.4) and hands the bytes to `deliver`; undeliverable
    /// values are logged and counted.
    private func withSendBody(_ body: Span<UInt8>, flags: GatewayFlags, _ deliver: (Span<UInt8>) -> Void) {
        switch SendBody.decode(body, flags: flags) {
        case .verbatim:
            deliver(body)
        case .converted(let bytes):
            deliver(bytes.span)
        case .nothing:
            break
        case .dropped(let failure):
            counters.sendBodyDrops += 1
            notices.notice(
                "send body dropped", peer: "worker", metadata: ["reason": "\(failure)"], now: ShardLoop.now())
        }
    }

    private func deliver(_ message: Span<UInt8>, raw: Bool, to client: ClientID, on shard: ClientShard) {
        let queued = raw ? shard.sendRaw(message, to: client) : shard.send(message, to: client)
        if queued { counters.deliveries &+= 1 }
    }

    /// CMD_SEND_TO_ALL / _UID / _GROUP: the message is encoded once per listener framing and the same
    /// chunk is queued to every recipient (spec §4.4; a recipient listed twice gets it twice).
    private func multicast(
        _ command: GatewayCommand, header: GatewayHeader, extData: Span<UInt8>, body: Span<UInt8>,
        on shard: ClientShard
    ) {
        guard
            case .send(let targets) = table.execute(
                command, connectionID: header.connectionID, extData: [UInt8](copying: extData))
        else { return }
        if targets.excludeListDeviation { counters.excludeListDeviations += 1 }
        if targets.repeatsCollapsed { counters.multicastRepeatsCollapsed += 1 }
        guard !targets.connectionIDs.isEmpty else { return }
        let raw = header.flags.contains(.notCallEncode)
        withSendBody(body, flags: header.flags) { message in
            fanOut(message, raw: raw, to: targets.connectionIDs, on: shard)
        }
    }

    /// Queues `message` to every client in `connectionIDs`, encoding it at most once per listener.
    func fanOut(_ message: Span<UInt8>, raw: Bool, to connectionIDs: [UInt32], on shard: ClientShard) {
        var encoded = [Chunk?](repeating: nil, count: shard.listeners.count * 2)
        defer { for chunk in encoded { if let chunk { chunks.release(chunk) } } }
        for connectionID in connectionIDs {
            guard let client = table.clientID(of: connectionID) else { continue }
            let listener = Int(shard.connections[Int(client.slot)].listener)
            let variant = raw ? 0 : shard.encodingVariant(of: client)
            let index = listener * 2 + variant
            if encoded[index] == nil {
                encoded[index] = shard.encode(message, raw: raw, listener: listener, variant: variant)
            }
            guard let chunk = encoded[index] else { continue }
            if shard.enqueue(chunk, range: 0..<chunks.length(of: chunk), to: client) { counters.deliveries &+= 1 }
        }
        counters.fanOuts &+= 1
    }

    /// CMD_KICK (spec §4.5): any string body — even empty — is sent through the framing (the raw flag
    /// is ignored), `N;` sends nothing; then a graceful close. ext_data is ignored.
    private func kick(_ header: GatewayHeader, body: Span<UInt8>, on shard: ClientShard) {
        guard let client = table.clientID(of: header.connectionID) else { return }
        withSendBody(body, flags: header.flags) { message in
            deliver(message, raw: false, to: client, on: shard)
        }
        shard.close(client, reason: .kicked, graceful: true)
    }
}
