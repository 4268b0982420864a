import RingGateCodecs

/// The worker command layer without sockets, for the FuzzGatewayCommands target: one inner
/// connection's bytes go through the packet assembler, the secret check, and every command of spec §4
/// against a client table of a few hundred clients with sessions, uids and groups, and a worker table.
///
/// It mirrors `ShardGateway.execute` step for step but stops where ShardGateway hands bytes to the
/// client shard (sends, closes), so it needs no ring. The table, worker table, select, send-body and
/// reply code it runs is the production code.
package struct CommandLayerFuzzHarness {
    package static let secretKey = "fuzz-secret"
    package static let maxPackageLength = GatewayPacketAssembler.defaultMaxPackageLength

    /// The populated table every input starts from (copy-on-write: each run copies what it mutates).
    private let pristine: GatewayClientTable
    private var table: GatewayClientTable
    private var workers = WorkerTable()
    /// What a run produced, so the optimiser keeps the work and a test can look at it.
    package private(set) var replyBytes = 0
    package private(set) var deliveries = 0
    package private(set) var commandsExecuted = 0
    package private(set) var closedByPeerError = false

    /// `clientCount` clients (connection ids 1...clientCount); every third is bound to a uid, every
    /// client is in one or two of eight groups and has a small session.
    package init(clientCount: Int = 300) {
        var table = GatewayClientTable()
        for id in 1...UInt32(clientCount) {
            _ = table.connect(connectionID: id, clientID: ClientID(slot: id, generation: 1))
            if id % 3 == 0 { _ = table.execute(.bindUID, connectionID: id, extData: Array("u\(id % 50)".utf8)) }
            _ = table.execute(.joinGroup, connectionID: id, extData: Array("g\(id % 8)".utf8))
            if id % 5 == 0 { _ = table.execute(.joinGroup, connectionID: id, extData: Array("room".utf8)) }
            let session = "a:2:{s:4:\"name\";s:\(String(id).utf8.count):\"\(id)\";s:3:\"age\";i:\(id % 90);}"
            _ = table.execute(.setSession, connectionID: id, extData: Array(session.utf8))
        }
        pristine = table
        self.table = table
    }

    /// Runs one inner connection's stream, cut into receives of `chunkSize` bytes (0: one receive).
    /// `authorised`: the connection starts authorised (no secret check needed, as after a connect).
    package mutating func run(_ stream: [UInt8], chunkSize: Int, authorised startsAuthorised: Bool) {
        table = pristine
        workers = WorkerTable()
        replyBytes = 0
        deliveries = 0
        commandsExecuted = 0
        closedByPeerError = false
        var assembler = GatewayPacketAssembler(maxPackageLength: Self.maxPackageLength)
        var authorised = startsAuthorised
        var open = true
        let step = chunkSize > 0 ? chunkSize : max(stream.count, 1)
        var offset = 0
        while open && offset < stream.count {
            let end = min(offset + step, stream.count)
            assembler.append(Array(stream[offset..<end]))
            offset = end
            while open {
                let layout: GatewayPacketLayout
                do {
                    guard let next = try assembler.peekPacket() else { break }
                    layout = next
                } catch {
                    closedByPeerError = true
                    open = false
                    break
                }
                assembler.withContents(of: layout) { extData, body in
                    open = execute(layout.header, extData: extData, body: body, authorised: &authorised)
                }
                assembler.consume(layout)
            }
        }
        precondition(table.count <= pristine.count, "commands never add clients")
    }

    /// One packet, as `ShardGateway.execute` runs it. False: the connection would be closed.
    private mutating func execute(
        _ header: GatewayHeader, extData: Span<UInt8>, body: Span<UInt8>, authorised: inout Bool
    ) -> Bool {
        let command = header.command
        guard authorised || command == .workerConnect || command == .gatewayClientConnect else { return false }
        commandsExecuted += 1
        switch command {
        case .sendToOne:
            guard table.contains(header.connectionID) else { return true }
            deliver(body, flags: header.flags, count: 1)
        case .sendToAll, .sendToUID, .sendToGroup:
            guard
                case .send(let targets) = table.execute(
                    command, connectionID: header.connectionID, extData: [UInt8](copying: extData))
            else { preconditionFailure("a multicast command always yields targets") }
            for id in targets.connectionIDs { precondition(table.contains(id), "targets are clients") }
            if !targets.connectionIDs.isEmpty { deliver(body, flags: header.flags, count: targets.connectionIDs.count) }
        case .kick:
            guard table.contains(header.connectionID) else { return true }
            deliver(body, flags: header.flags, count: 1)
            table.remove(header.connectionID)
        case .destroy:
            table.remove(header.connectionID)
        case .workerConnect, .gatewayClientConnect:
            guard let json = Self.decodeJSONBody(body, flags: header.flags),
                let secret = json["secret_key"]?.stringValue,
                SecretKeyComparison.matches(secret, secret: Self.secretKey)
            else { return false }
            authorised = true
            if command == .workerConnect {
                let name = json["worker_key"]?.stringValue ?? ""
                _ = workers.register(key: "127.0.0.1:\(name)", connection: InnerID(slot: 0, generation: 0))
            }
        default:
            let effect = table.execute(command, connectionID: header.connectionID, extData: [UInt8](copying: extData))
            if case .reply(let payload) = effect {
                var framed: [UInt8] = []
                GatewayQueryReply.append(payload, to: &framed)
                precondition(framed.count == payload.count + GatewayReply.prefixByteCount, "reply framing")
                replyBytes += framed.count
            }
        }
        return true
    }

    private mutating func deliver(_ body: Span<UInt8>, flags: GatewayFlags, count: Int) {
        switch SendBody.decode(body, flags: flags) {
        case .verbatim, .converted: deliveries += count
        case .nothing, .dropped: break
        }
    }

    /// The auth body as ShardGateway reads it: flag-decoded, then JSON-decoded.
    private static func decodeJSONBody(_ body: Span<UInt8>, flags: GatewayFlags) -> JSONValue? {
        if flags.contains(.bodyIsScalar) { return JSONParser.parse(body) }
        guard case .string(let bytes)? = PHPUnserializer.unserialize(body) else { return nil }
        return JSONParser.parse(bytes.span)
    }
}
