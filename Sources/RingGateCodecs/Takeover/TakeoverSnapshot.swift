// The live-takeover state format: one shard's tables, written by the old ringgate process and read by
// the new one (docs/design.md, "Live takeover state format"). It is a contract between two binaries
// built at different times, so it is described here byte by byte and pinned by a literal vector in
// TakeoverSnapshotTests.
//
// Integers are little-endian. `bytes` is `u32 length ‖ length bytes`. `key` (a uid or group, as the
// gateway stores it: normalised, never falsy) is `u8 0 ‖ i64` for an integer or `u8 1 ‖ bytes` for a
// string. `[x]` is present only when the flag that names it is set.
//
//   offset  size
//   0       4    magic "RGTS"
//   4       2    schema version (u16); read first, refused unless oldestReadableSchema...schemaVersion
//   6       4    shardIndex
//   10      4    connectionIDCounter
//   14      4    client count, then each client in the gateway table's connect order:
//                  4  slot                      4  generation
//                  1  listener                  1  flags: bit 0 holdsOutput, 1 announced, 2 assembly,
//                                                  3 controlAssembly, 4 handshake deadline, 5 gateway,
//                                                  6 gateway uid, 7 gateway groups (6–7 only with 5)
//                  4  peerIPv4                  2  peerPort
//                  8  bytesIn                   8  bytesOut
//                  4  openedSecond              1  lastOpcode (0, 1 or 2)
//                  1  decoder kind: 0 HTTP head, 1 WebSocket, 2 Text, 3 length field, 4 raw
//                  n  the decoder's own snapshot (10, 20, 8, 10 or 0 bytes; see `<Decoder>+Snapshot.swift`)
//                  [bytes assembly]  [bytes controlAssembly]  bytes queuedOutput  [8 handshake deadline ns]
//                  [gateway: 4 connectionID, 4 heartbeatCount (i32), bytes session, [key uid],
//                            [4 group count, keys in join order]]
//   …       4    uid index count, then each: key, 4 member count, 4 × members (connection ids, bind order)
//   …       4    group index count, then each: key, 4 member count, 4 × members (creation / join order)
//   …       4    buffered event count, then each: bytes (an encoded worker packet)
//   end          nothing may follow
//
// A new field or meaning is a new schema version. A binary reads every schema from
// `oldestReadableSchema` to `schemaVersion`; to drop an old one, raise `oldestReadableSchema`, and a
// new binary that cannot read the running one's schema refuses in the hello, before anything moves.

/// One shard's state as handed over in a live takeover: its client connections with their decoders,
/// buffers and gateway records, the gateway's uid and group indexes, and the client events waiting for
/// a worker.
public struct TakeoverSnapshot: Equatable, Sendable {
    /// The schema this build writes.
    public static let schemaVersion: UInt16 = 1
    /// Oldest schema this build can still read (== schemaVersion for now; the mechanism is what matters).
    public static let oldestReadableSchema: UInt16 = 1
    /// The first four bytes of every snapshot.
    public static let magic: [UInt8] = Array("RGTS".utf8)

    /// Which shard this is (its inner port is startPort + shardIndex).
    public var shardIndex: UInt32
    /// The gateway table's connection-id counter (next id = counter + 1 …), 0 without a gateway.
    public var connectionIDCounter: UInt32
    /// In the gateway table's connect order.
    public var clients: [TakeoverClient]
    /// uid → connection ids in bind order.
    public var uidIndex: [TakeoverKeyMembers]
    /// Groups in creation order, members in join order.
    public var groupIndex: [TakeoverKeyMembers]
    /// Encoded worker packets (client events) waiting for a worker, oldest first.
    public var bufferedEvents: [[UInt8]]

    /// A snapshot of the given tables.
    public init(
        shardIndex: UInt32,
        connectionIDCounter: UInt32,
        clients: [TakeoverClient],
        uidIndex: [TakeoverKeyMembers],
        groupIndex: [TakeoverKeyMembers],
        bufferedEvents: [[UInt8]]
    ) {
        self.shardIndex = shardIndex
        self.connectionIDCounter = connectionIDCounter
        self.clients = clients
        self.uidIndex = uidIndex
        self.groupIndex = groupIndex
        self.bufferedEvents = bufferedEvents
    }

    /// The snapshot in the current schema.
    ///
    /// Writes what it is given; a snapshot that breaks the rules `init(decoding:)` checks (duplicate
    /// slots, indexes that disagree with the clients) is written, and refused by the reader.
    public func encoded() -> [UInt8] {
        var writer = TakeoverWriter()
        writer.raw(Self.magic)
        writer.u16(Self.schemaVersion)
        writer.u32(shardIndex)
        writer.u32(connectionIDCounter)
        writer.count(clients.count)
        for client in clients { Self.write(client, to: &writer) }
        for index in [uidIndex, groupIndex] {
            writer.count(index.count)
            for entry in index {
                writer.key(entry.key)
                writer.count(entry.members.count)
                for member in entry.members { writer.u32(member) }
            }
        }
        writer.count(bufferedEvents.count)
        for event in bufferedEvents { writer.bytes(event) }
        return writer.bytes
    }

    /// Bits of a client's flags byte.
    enum ClientFlags {
        static let holdsOutput: UInt8 = 1 << 0
        static let announced: UInt8 = 1 << 1
        static let assembly: UInt8 = 1 << 2
        static let controlAssembly: UInt8 = 1 << 3
        static let handshakeDeadline: UInt8 = 1 << 4
        static let gateway: UInt8 = 1 << 5
        static let uid: UInt8 = 1 << 6
        static let groups: UInt8 = 1 << 7
    }

    private static func write(_ client: TakeoverClient, to writer: inout TakeoverWriter) {
        var flags: UInt8 = 0
        if client.holdsOutput { flags |= ClientFlags.holdsOutput }
        if client.announced { flags |= ClientFlags.announced }
        if client.assembly != nil { flags |= ClientFlags.assembly }
        if client.controlAssembly != nil { flags |= ClientFlags.controlAssembly }
        if client.handshakeDeadlineNanoseconds != nil { flags |= ClientFlags.handshakeDeadline }
        if let gateway = client.gateway {
            flags |= ClientFlags.gateway
            if gateway.uid != nil { flags |= ClientFlags.uid }
            if gateway.groups != nil { flags |= ClientFlags.groups }
        }
        writer.u32(client.slot)
        writer.u32(client.generation)
        writer.u8(client.listener)
        writer.u8(flags)
        writer.u32(client.peerIPv4)
        writer.u16(client.peerPort)
        writer.u64(client.bytesIn)
        writer.u64(client.bytesOut)
        writer.u32(client.openedSecond)
        writer.u8(client.lastOpcode)
        writer.u8(client.decoder.kind)
        writer.raw(client.decoder.snapshotBytes)
        if let assembly = client.assembly { writer.bytes(assembly) }
        if let controlAssembly = client.controlAssembly { writer.bytes(controlAssembly) }
        writer.bytes(client.queuedOutput)
        if let deadline = client.handshakeDeadlineNanoseconds { writer.u64(deadline) }
        guard let gateway = client.gateway else { return }
        writer.u32(gateway.connectionID)
        writer.u32(UInt32(bitPattern: gateway.heartbeatCount))
        writer.bytes(gateway.session)
        if let uid = gateway.uid { writer.key(uid) }
        if let groups = gateway.groups {
            writer.count(groups.count)
            for group in groups { writer.key(group) }
        }
    }
}
