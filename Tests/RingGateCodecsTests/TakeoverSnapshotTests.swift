import RingGateCodecs
import Testing

/// Decodes `bytes` as a snapshot, returning the error (nil when it decodes).
private func decodingError(_ bytes: [UInt8]) -> TakeoverSnapshotError? {
    do {
        _ = try TakeoverSnapshot(decoding: bytes.span)
        return nil
    } catch {
        return error
    }
}

/// Whether `error` is `.invalid`, whatever its reason text.
private func isInvalid(_ error: TakeoverSnapshotError?) -> Bool {
    if case .invalid = error { true } else { false }
}

/// The WebSocket decoder after a masked "Hello" frame's header and its first two payload bytes.
private func webSocketMidFrame() throws -> WebSocketDecoder {
    var decoder = WebSocketDecoder()
    var frame = Array(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58")[..<8])
    var span = frame.mutableSpan
    _ = try decoder.decode(&span, from: 0, options: .rfc6455)
    return decoder
}

/// The small snapshot of ``TakeoverSnapshotTests/layoutIsByteExact()``: a WebSocket client mid-frame with
/// a session, a uid, a group and queued output, and a client mid-handshake with a deadline.
private func smallSnapshot() throws -> TakeoverSnapshot {
    let chatting = TakeoverClient(
        slot: 3, generation: 2, listener: 0, announced: true, peerIPv4: 0x7F00_0001, peerPort: 40_000, bytesIn: 10,
        bytesOut: 20, openedSecond: 1000, decoder: .webSocket(try webSocketMidFrame()), assembly: bytes("He"),
        queuedOutput: hex("81 01 78"), lastOpcode: 1,
        gateway: TakeoverGatewayClient(connectionID: 7, session: bytes("s"), uid: "u1", groups: [5]))
    let handshaking = TakeoverClient(
        slot: 4, generation: 1, listener: 1, holdsOutput: true, peerIPv4: 0x0A00_0002, peerPort: 80,
        decoder: .httpHead(HTTPHeadDecoder()), handshakeDeadlineNanoseconds: 5_000_000_000,
        gateway: TakeoverGatewayClient(connectionID: 6))
    return TakeoverSnapshot(
        shardIndex: 1, connectionIDCounter: 7, clients: [chatting, handshaking],
        uidIndex: [TakeoverKeyMembers(key: "u1", members: [7])],
        groupIndex: [TakeoverKeyMembers(key: 5, members: [7])], bufferedEvents: [hex("aa bb")])
}

/// ``smallSnapshot()`` as schema 1 writes it (the layout comment in TakeoverSnapshot.swift, field by field).
private let smallSnapshotBytes = hex(
    """
    52 47 54 53  01 00  01 00 00 00  07 00 00 00  02 00 00 00
    03 00 00 00  02 00 00 00  00  e6  01 00 00 7f  40 9c
    0a 00 00 00 00 00 00 00  14 00 00 00 00 00 00 00  e8 03 00 00  01
    01  03 00 00 00 00 00 00 00 05 00 00 00 fa 37 3d 21 10 91 05 00
    02 00 00 00 48 65  03 00 00 00 81 01 78
    07 00 00 00  ff ff ff ff  01 00 00 00 73  01 02 00 00 00 75 31  01 00 00 00 00 05 00 00 00 00 00 00 00
    04 00 00 00  01 00 00 00  01  31  02 00 00 0a  50 00
    00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  00 00 00 00  00
    00  00 00 00 00 00 00 00 00 00 00
    00 00 00 00  00 f2 05 2a 01 00 00 00
    06 00 00 00  ff ff ff ff  00 00 00 00
    01 00 00 00  01 02 00 00 00 75 31  01 00 00 00  07 00 00 00
    01 00 00 00  00 05 00 00 00 00 00 00 00  01 00 00 00  07 00 00 00
    01 00 00 00  02 00 00 00 aa bb
    """)

/// A shard of `count` clients of every decoder kind, mid-message, with sessions, uids (some shared),
/// groups and queued output; connection ids `1...count`.
private func bigSnapshot(count: Int) throws -> TakeoverSnapshot {
    var text = TextDecoder()
    var line = bytes("partial line")
    var lineSpan = line.mutableSpan
    _ = try text.decode(&lineSpan, from: 0, options: TextFraming())
    var length = LengthFieldDecoder()
    var frame = hex("00 00 01 00 61 62")
    var frameSpan = frame.mutableSpan
    _ = try length.decode(&frameSpan, from: 0, options: .workermanFrame)
    var head = HTTPHeadDecoder()
    _ = try head.decode(bytes("GET /chat HTTP/1.1\r\nHost").span, from: 0, options: HTTPHeadDecoder.Options())
    let decoders: [TakeoverDecoder] = [
        .webSocket(try webSocketMidFrame()), .text(text), .lengthField(length), .httpHead(head), .raw(RawDecoder()),
    ]
    var clients: [TakeoverClient] = []
    var uids: [PHPKey: [UInt32]] = [:]
    var uidOrder: [PHPKey] = []
    var groups: [PHPKey: [UInt32]] = [:]
    var groupOrder: [PHPKey] = []
    for index in 0..<count {
        let id = UInt32(index + 1)
        var gateway = TakeoverGatewayClient(
            connectionID: id, heartbeatCount: Int32(index % 3) - 1,
            session: bytes("a:1:{s:4:\"name\";s:4:\"\(index)\";}"))
        if index % 4 != 0 {
            let uid: PHPKey = index % 2 == 0 ? .int(Int64(index / 2)) : .string(bytes("user-\(index / 3)"))
            gateway.uid = uid
            if uids[uid] == nil { uidOrder.append(uid) }
            uids[uid, default: []].append(id)
        }
        if index % 3 != 0 {
            let joined: [PHPKey] = [.string(bytes("room-\(index % 50)")), .int(Int64(1 + index % 7))]
            gateway.groups = joined
            for group in joined {
                if groups[group] == nil { groupOrder.append(group) }
                groups[group, default: []].append(id)
            }
        } else if index % 6 == 0 {
            gateway.groups = []
        }
        let decoder = decoders[index % decoders.count]
        clients.append(
            TakeoverClient(
                slot: UInt32(index * 2), generation: UInt32(index % 5), listener: UInt8(index % 3),
                holdsOutput: index % 7 == 0, announced: index % 5 != 3, peerIPv4: 0x7F00_0000 | UInt32(index),
                peerPort: UInt16(1024 + index), bytesIn: UInt64(index) << 20, bytesOut: UInt64(index) * 3,
                openedSecond: UInt32(1_700_000_000 + index), decoder: decoder,
                assembly: index % 5 == 4 ? nil : Array(bytes("assembled \(index)")),
                controlAssembly: index % 10 == 0 ? bytes("pi") : nil,
                queuedOutput: index % 2 == 0 ? [0x81, 0x03] + bytes("out") : [],
                handshakeDeadlineNanoseconds: index % 5 == 3 ? UInt64(index) * 1_000_000 : nil,
                lastOpcode: UInt8(index % 3), gateway: gateway))
    }
    return TakeoverSnapshot(
        shardIndex: 3, connectionIDCounter: UInt32(count),
        clients: clients, uidIndex: uidOrder.map { TakeoverKeyMembers(key: $0, members: uids[$0]!) },
        groupIndex: groupOrder.map { TakeoverKeyMembers(key: $0, members: groups[$0]!) },
        bufferedEvents: (0..<100).map { bytes("event \($0)") })
}

@Suite("Live takeover state format")
struct TakeoverSnapshotTests {
    // MARK: The byte layout, a contract between two binaries

    @Test func layoutIsByteExact() throws {
        let snapshot = try smallSnapshot()
        #expect(snapshot.encoded() == smallSnapshotBytes)
        #expect(try TakeoverSnapshot(decoding: smallSnapshotBytes.span) == snapshot)
    }

    @Test func everyProperPrefixIsTruncated() {
        for length in 0..<smallSnapshotBytes.count {
            #expect(decodingError(Array(smallSnapshotBytes[..<length])) == .truncated, "prefix of \(length) bytes")
        }
    }

    @Test func trailingBytesAreInvalid() {
        #expect(isInvalid(decodingError(smallSnapshotBytes + [0])))
    }

    @Test func emptyShardRoundTrips() throws {
        let empty = TakeoverSnapshot(
            shardIndex: 0, connectionIDCounter: 0, clients: [], uidIndex: [], groupIndex: [], bufferedEvents: [])
        #expect(empty.encoded() == hex("52 47 54 53 01 00") + [UInt8](repeating: 0, count: 24))
        #expect(try TakeoverSnapshot(decoding: empty.encoded().span) == empty)
    }

    @Test func tenThousandClientsRoundTrip() throws {
        let snapshot = try bigSnapshot(count: 10_000)
        let encoded = snapshot.encoded()
        let decoded = try TakeoverSnapshot(decoding: encoded.span)
        #expect(decoded == snapshot)
        #expect(decoded.encoded() == encoded)
        #expect(Set(snapshot.clients.map(\.decoder.kindName)).count == 5)
    }

    // MARK: Header

    @Test func magicAndSchemaAreCheckedFirst() {
        #expect(decodingError([]) == .truncated)
        #expect(decodingError(bytes("RG")) == .truncated)
        #expect(decodingError(bytes("RGTS")) == .truncated)
        #expect(decodingError(bytes("RGTS") + [1]) == .truncated)
        #expect(decodingError(bytes("XG")) == .badMagic)
        #expect(decodingError(bytes("RGTX") + Array(smallSnapshotBytes[4...])) == .badMagic)
        // A newer schema is refused before anything else, whatever follows.
        #expect(decodingError(bytes("RGTS") + hex("02 00")) == .unsupportedSchema(2))
        #expect(decodingError(bytes("RGTS") + hex("02 00") + Array(smallSnapshotBytes[6...])) == .unsupportedSchema(2))
        #expect(decodingError(bytes("RGTS") + hex("ff ff ff")) == .unsupportedSchema(0xFFFF))
        #expect(decodingError(bytes("RGTS") + hex("00 00")) == .unsupportedSchema(0))
    }

    @Test func hugeCountsFailFastWithoutAllocating() {
        let header = bytes("RGTS") + hex("01 00  00 00 00 00  00 00 00 00")
        let noClients = hex("00 00 00 00")
        let huge = hex("ff ff ff ff")
        // 4 294 967 295 clients, uid entries, group entries, events.
        #expect(decodingError(header + huge) == .truncated)
        #expect(decodingError(header + noClients + huge) == .truncated)
        #expect(decodingError(header + noClients + noClients + huge) == .truncated)
        #expect(decodingError(header + noClients + noClients + noClients + huge) == .truncated)
        // An event of 4 GiB − 1 bytes; a uid entry of that many members.
        #expect(decodingError(header + noClients + noClients + noClients + hex("01 00 00 00") + huge) == .truncated)
        let uidKey = hex("01 02 00 00 00 75 31")
        #expect(decodingError(header + noClients + hex("01 00 00 00") + uidKey + huge) == .truncated)
    }

    // MARK: Rules

    @Test func duplicateSlotsAreInvalid() throws {
        var snapshot = try smallSnapshot()
        snapshot.clients[1].slot = snapshot.clients[0].slot
        #expect(isInvalid(decodingError(snapshot.encoded())))
    }

    @Test func duplicateOrZeroConnectionIDsAreInvalid() throws {
        var duplicate = try smallSnapshot()
        duplicate.clients[1].gateway?.connectionID = 7
        #expect(isInvalid(decodingError(duplicate.encoded())))
        var zero = try smallSnapshot()
        zero.clients[1].gateway?.connectionID = 0
        #expect(isInvalid(decodingError(zero.encoded())))
        var counter = try smallSnapshot()
        counter.connectionIDCounter = 0
        #expect(isInvalid(decodingError(counter.encoded())))
    }

    @Test func indexMembersMustBeClientsWithThatKey() throws {
        var stranger = try smallSnapshot()
        stranger.uidIndex[0].members = [7, 99]  // 99 is no client
        #expect(isInvalid(decodingError(stranger.encoded())))
        var unbound = try smallSnapshot()
        unbound.uidIndex[0].members = [6]  // client 6 has no uid
        #expect(isInvalid(decodingError(unbound.encoded())))
        var twice = try smallSnapshot()
        twice.groupIndex[0].members = [7, 7]
        #expect(isInvalid(decodingError(twice.encoded())))
        var wrongKey = try smallSnapshot()
        wrongKey.groupIndex[0].key = 6
        #expect(isInvalid(decodingError(wrongKey.encoded())))
    }

    @Test func indexesMustListEveryClientKey() throws {
        var missingUID = try smallSnapshot()
        missingUID.uidIndex = []
        #expect(isInvalid(decodingError(missingUID.encoded())))
        var missingGroup = try smallSnapshot()
        missingGroup.clients[1].gateway?.groups = [5]  // client 6 says it is in group 5, the index does not
        #expect(isInvalid(decodingError(missingGroup.encoded())))
        var emptyEntry = try smallSnapshot()
        emptyEntry.groupIndex.append(TakeoverKeyMembers(key: "lobby", members: []))
        #expect(isInvalid(decodingError(emptyEntry.encoded())))
        var keyTwice = try smallSnapshot()
        keyTwice.clients[1].gateway?.uid = "u1"
        keyTwice.uidIndex.append(TakeoverKeyMembers(key: "u1", members: [6]))
        #expect(isInvalid(decodingError(keyTwice.encoded())))
        var groupTwice = try smallSnapshot()
        groupTwice.clients[0].gateway?.groups = [5, 5]
        groupTwice.groupIndex[0].members = [7, 7]
        #expect(isInvalid(decodingError(groupTwice.encoded())))
        // Left all groups ([]) and never joined (nil) both need no index entry.
        var leftAll = try smallSnapshot()
        leftAll.clients[1].gateway?.groups = []
        #expect(try TakeoverSnapshot(decoding: leftAll.encoded().span) == leftAll)
    }

    @Test func keysMustBeStoredAsTheGatewayStoresThem() throws {
        var unnormalised = try smallSnapshot()
        unnormalised.clients[0].gateway?.uid = .string(bytes("42"))  // the gateway keeps "42" as .int(42)
        unnormalised.uidIndex[0].key = .string(bytes("42"))
        #expect(isInvalid(decodingError(unnormalised.encoded())))
        for falsy: PHPKey in [.int(0), .string([])] {
            var snapshot = try smallSnapshot()
            snapshot.clients[0].gateway?.groups = [falsy]
            snapshot.groupIndex[0].key = falsy
            #expect(isInvalid(decodingError(snapshot.encoded())))
        }
        var unknownKind = smallSnapshotBytes
        let uidKindOffset = unknownKind.count - 10 - 21 - 19 + 4  // events, group index, uid index count
        #expect(unknownKind[uidKindOffset] == 1)
        unknownKind[uidKindOffset] = 2
        #expect(isInvalid(decodingError(unknownKind)))
    }

    @Test func clientFieldsOutsideTheirRangeAreInvalid() throws {
        var opcode = try smallSnapshot()
        opcode.clients[0].lastOpcode = 8
        #expect(isInvalid(decodingError(opcode.encoded())))
        var control = try smallSnapshot()
        control.clients[0].controlAssembly = [UInt8](repeating: 1, count: 126)
        #expect(isInvalid(decodingError(control.encoded())))
        control.clients[0].controlAssembly = [UInt8](repeating: 1, count: 125)
        #expect(try TakeoverSnapshot(decoding: control.encoded().span) == control)
        var controlOnHead = try smallSnapshot()
        controlOnHead.clients[1].controlAssembly = bytes("x")
        #expect(isInvalid(decodingError(controlOnHead.encoded())))
    }

    @Test func flagsAndDecoderBytesAreChecked() {
        let flagsOffset = 18 + 9  // header, then slot, generation and listener of the first client
        let decoderKindOffset = 18 + 37
        #expect(smallSnapshotBytes[flagsOffset] == 0xE6 && smallSnapshotBytes[decoderKindOffset] == 1)
        var uidWithoutGateway = smallSnapshotBytes
        uidWithoutGateway[flagsOffset] = 0x40
        #expect(isInvalid(decodingError(uidWithoutGateway)))
        var unknownDecoder = smallSnapshotBytes
        unknownDecoder[decoderKindOffset] = 5
        #expect(isInvalid(decodingError(unknownDecoder)))
        var refusedState = smallSnapshotBytes
        refusedState[decoderKindOffset + 1 + 16] = 17  // WebSocket stage past payload
        #expect(isInvalid(decodingError(refusedState)))
    }
}

extension TakeoverDecoder {
    /// The case's name, to count kinds in a test.
    fileprivate var kindName: String {
        switch self {
        case .httpHead: "httpHead"
        case .webSocket: "webSocket"
        case .text: "text"
        case .lengthField: "lengthField"
        case .raw: "raw"
        }
    }
}
