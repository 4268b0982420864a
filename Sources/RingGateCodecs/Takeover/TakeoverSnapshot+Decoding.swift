/// Reading a snapshot (layout in TakeoverSnapshot.swift): total and bounded, every length checked
/// against the bytes left before anything is allocated for it.
extension TakeoverSnapshot {
    /// Fewest bytes a client takes: the fixed fields, a raw decoder and an empty queuedOutput length.
    static let minimumClientSize = 42
    /// Fewest bytes a key takes (kind and an empty string's length).
    static let minimumKeySize = 5

    /// The snapshot in `bytes`.
    ///
    /// - Throws: `.badMagic` unless the bytes start with "RGTS"; `.unsupportedSchema(v)` for a schema
    ///   outside `oldestReadableSchema...schemaVersion`, checked right after the magic; `.truncated` when
    ///   the bytes end early or a count or length exceeds the bytes left; `.invalid` for a state no shard
    ///   can be in (unknown flags or kinds, a decoder state its decoder refuses, duplicate slots or
    ///   connection ids, uid or group indexes that disagree with the clients' own) and trailing bytes.
    public init(decoding bytes: Span<UInt8>) throws(TakeoverSnapshotError) {
        for index in 0..<min(bytes.count, Self.magic.count) where bytes[index] != Self.magic[index] {
            throw .badMagic
        }
        var reader = TakeoverReader(count: bytes.count)
        _ = try reader.take(Self.magic.count)
        let schema = try reader.u16(bytes)
        guard (Self.oldestReadableSchema...Self.schemaVersion).contains(schema) else {
            throw .unsupportedSchema(schema)
        }
        let shardIndex = try reader.u32(bytes)
        let counter = try reader.u32(bytes)
        let clientCount = try reader.count(bytes, minimumSize: Self.minimumClientSize)
        var clients: [TakeoverClient] = []
        clients.reserveCapacity(clientCount)
        for _ in 0..<clientCount { clients.append(try Self.readClient(bytes, &reader)) }
        let uidIndex = try Self.readIndex(bytes, &reader)
        let groupIndex = try Self.readIndex(bytes, &reader)
        let eventCount = try reader.count(bytes, minimumSize: 4)
        var events: [[UInt8]] = []
        events.reserveCapacity(eventCount)
        for _ in 0..<eventCount { events.append(try reader.bytes(bytes)) }
        try reader.expectEnd()
        self.init(
            shardIndex: shardIndex, connectionIDCounter: counter, clients: clients, uidIndex: uidIndex,
            groupIndex: groupIndex, bufferedEvents: events)
        try validate()
    }

    private static func readClient(
        _ bytes: borrowing Span<UInt8>, _ reader: inout TakeoverReader
    ) throws(TakeoverSnapshotError) -> TakeoverClient {
        let slot = try reader.u32(bytes)
        let generation = try reader.u32(bytes)
        let listener = try reader.u8(bytes)
        let flags = try reader.u8(bytes)
        if flags & ClientFlags.gateway == 0 && flags & (ClientFlags.uid | ClientFlags.groups) != 0 {
            throw .invalid("slot \(slot): uid or groups without a gateway record")
        }
        let peerIPv4 = try reader.u32(bytes)
        let peerPort = try reader.u16(bytes)
        let bytesIn = try reader.u64(bytes)
        let bytesOut = try reader.u64(bytes)
        let openedSecond = try reader.u32(bytes)
        let lastOpcode = try reader.u8(bytes)
        let kind = try reader.u8(bytes)
        guard let size = TakeoverDecoder.snapshotByteCount(kind: kind) else {
            throw .invalid("slot \(slot): decoder kind \(kind)")
        }
        guard let decoder = TakeoverDecoder(kind: kind, snapshotBytes: bytes.extracting(try reader.take(size))) else {
            throw .invalid("slot \(slot): decoder state refused")
        }
        var client = TakeoverClient(
            slot: slot, generation: generation, listener: listener, holdsOutput: flags & ClientFlags.holdsOutput != 0,
            announced: flags & ClientFlags.announced != 0, peerIPv4: peerIPv4, peerPort: peerPort, bytesIn: bytesIn,
            bytesOut: bytesOut, openedSecond: openedSecond, decoder: decoder, lastOpcode: lastOpcode)
        if flags & ClientFlags.assembly != 0 { client.assembly = try reader.bytes(bytes) }
        if flags & ClientFlags.controlAssembly != 0 { client.controlAssembly = try reader.bytes(bytes) }
        client.queuedOutput = try reader.bytes(bytes)
        if flags & ClientFlags.handshakeDeadline != 0 { client.handshakeDeadlineNanoseconds = try reader.u64(bytes) }
        guard flags & ClientFlags.gateway != 0 else { return client }
        var gateway = TakeoverGatewayClient(
            connectionID: try reader.u32(bytes),
            heartbeatCount: Int32(bitPattern: try reader.u32(bytes)),
            session: try reader.bytes(bytes))
        if flags & ClientFlags.uid != 0 { gateway.uid = try reader.key(bytes) }
        if flags & ClientFlags.groups != 0 {
            let count = try reader.count(bytes, minimumSize: minimumKeySize)
            var groups: [PHPKey] = []
            groups.reserveCapacity(count)
            for _ in 0..<count { groups.append(try reader.key(bytes)) }
            gateway.groups = groups
        }
        client.gateway = gateway
        return client
    }

    private static func readIndex(
        _ bytes: borrowing Span<UInt8>, _ reader: inout TakeoverReader
    ) throws(TakeoverSnapshotError) -> [TakeoverKeyMembers] {
        let count = try reader.count(bytes, minimumSize: minimumKeySize + 4)
        var index: [TakeoverKeyMembers] = []
        index.reserveCapacity(count)
        for _ in 0..<count {
            let key = try reader.key(bytes)
            let memberCount = try reader.count(bytes, minimumSize: 4)
            var members: [UInt32] = []
            members.reserveCapacity(memberCount)
            for _ in 0..<memberCount { members.append(try reader.u32(bytes)) }
            index.append(TakeoverKeyMembers(key: key, members: members))
        }
        return index
    }
}
