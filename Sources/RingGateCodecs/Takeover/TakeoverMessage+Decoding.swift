/// Reading a control message (layout in TakeoverMessage.swift): total and bounded like the snapshot.
extension TakeoverMessage {
    /// The message in `bytes`.
    ///
    /// - Throws: `.truncated` when the bytes end early (or are empty) or a length exceeds the bytes left;
    ///   `.invalid` for an unknown kind, a string that is not UTF-8 or exceeds 64 KiB, a flag other than
    ///   0 or 1, a hello whose schema range is empty or with no shard, a listener set without shards, with
    ///   an inner listener count other than 0 or one per shard, or more descriptors than one message
    ///   carries, a descriptor batch over that limit or naming a slot twice, and trailing bytes.
    public init(decoding bytes: Span<UInt8>) throws(TakeoverSnapshotError) {
        var reader = TakeoverReader(count: bytes.count)
        let kindByte = try reader.u8(bytes)
        guard let kind = Kind(rawValue: kindByte) else { throw .invalid("message kind \(kindByte)") }
        switch kind {
        case .hello: self = .hello(try Self.readHello(bytes, &reader))
        case .accept: self = .accept
        case .refuse: self = .refuse(reason: try reader.string(bytes, "refuse reason"))
        case .listeners: self = .listeners(try Self.readListeners(bytes, &reader))
        case .shardState:
            self = .shardState(
                index: try reader.u32(bytes), snapshot: try reader.bytes(bytes),
                descriptorCount: try reader.u32(bytes))
        case .descriptorBatch:
            let shard = try reader.u32(bytes)
            let count = try reader.count(bytes, minimumSize: 4)
            guard count <= Self.maxDescriptorsPerMessage else {
                throw .invalid("descriptor batch of \(count) exceeds \(Self.maxDescriptorsPerMessage)")
            }
            var slots: [UInt32] = []
            for _ in 0..<count { slots.append(try reader.u32(bytes)) }
            guard Set(slots).count == slots.count else { throw .invalid("descriptor batch names a slot twice") }
            self = .descriptorBatch(shard: shard, slots: slots)
        case .shardAdopted: self = .shardAdopted(index: try reader.u32(bytes))
        case .shardRefused:
            self = .shardRefused(index: try reader.u32(bytes), reason: try reader.string(bytes, "shard refusal reason"))
        case .finished: self = .finished
        case .abort: self = .abort(reason: try reader.string(bytes, "abort reason"))
        }
        try reader.expectEnd()
    }

    private static func readHello(
        _ bytes: borrowing Span<UInt8>, _ reader: inout TakeoverReader
    ) throws(TakeoverSnapshotError) -> TakeoverHello {
        let schema = try reader.u16(bytes)
        let oldest = try reader.u16(bytes)
        guard oldest <= schema else { throw .invalid("hello reads schemas \(oldest)...\(schema)") }
        let pid = Int32(bitPattern: try reader.u32(bytes))
        let shardCount = try reader.u32(bytes)
        guard shardCount > 0 else { throw .invalid("hello with no shard") }
        let fingerprint = try reader.bytes(bytes, limit: TakeoverReader.maxStringLength, "listener fingerprint")
        return TakeoverHello(
            schemaVersion: schema, oldestReadableSchema: oldest, pid: pid, shardCount: shardCount,
            listenerFingerprint: fingerprint, binaryVersion: try reader.string(bytes, "binary version"))
    }

    private static func readListeners(
        _ bytes: borrowing Span<UInt8>, _ reader: inout TakeoverReader
    ) throws(TakeoverSnapshotError) -> TakeoverListenerSet {
        let set = TakeoverListenerSet(
            clientListenersPerShard: try reader.u32(bytes), shardCount: try reader.u32(bytes),
            innerListeners: try reader.u32(bytes), hasRegister: try reader.bool(bytes, "hasRegister"),
            hasAdmin: try reader.bool(bytes, "hasAdmin"))
        guard set.shardCount > 0 else { throw .invalid("listener set with no shard") }
        guard set.innerListeners == 0 || set.innerListeners == set.shardCount else {
            throw .invalid("\(set.innerListeners) inner listeners for \(set.shardCount) shards")
        }
        guard set.exactDescriptorCount <= UInt64(maxDescriptorsPerMessage) else {
            throw .invalid(
                "listener set of \(set.exactDescriptorCount) descriptors exceeds \(maxDescriptorsPerMessage)")
        }
        return set
    }
}
