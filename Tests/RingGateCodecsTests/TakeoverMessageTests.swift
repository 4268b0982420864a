import RingGateCodecs
import Testing

/// Decodes `bytes` as a control message, returning the error (nil when it decodes).
private func messageError(_ bytes: [UInt8]) -> TakeoverSnapshotError? {
    do {
        _ = try TakeoverMessage(decoding: bytes.span)
        return nil
    } catch {
        return error
    }
}

/// Whether `error` is `.invalid`, whatever its reason text.
private func isInvalid(_ error: TakeoverSnapshotError?) -> Bool {
    if case .invalid = error { true } else { false }
}

private let hello = TakeoverHello(
    pid: 4242, shardCount: 2, listenerFingerprint: hex("de ad be ef"), binaryVersion: "ringgate 1.2 (abc123)")
private let listenerSet = TakeoverListenerSet(
    clientListenersPerShard: 2, shardCount: 2, innerListeners: 2, hasRegister: true, hasAdmin: false)

/// One of each message, with the bytes it is written as (layout in TakeoverMessage.swift).
private let vectors: [(TakeoverMessage, [UInt8])] = [
    (
        .hello(hello),
        hex("01  01 00  01 00  92 10 00 00  02 00 00 00  04 00 00 00 de ad be ef  15 00 00 00")
            + bytes("ringgate 1.2 (abc123)")
    ),
    (.accept, hex("02")),
    (.refuse(reason: "shard count 2 ≠ 4"), hex("03  13 00 00 00") + bytes("shard count 2 ≠ 4")),
    (.listeners(listenerSet), hex("04  02 00 00 00  02 00 00 00  02 00 00 00  01  00")),
    (
        .shardState(index: 1, snapshot: hex("52 47"), descriptorCount: 3),
        hex("05  01 00 00 00  02 00 00 00 52 47  03 00 00 00")
    ),
    (.descriptorBatch(shard: 1, slots: [7, 9]), hex("06  01 00 00 00  02 00 00 00  07 00 00 00  09 00 00 00")),
    (.shardAdopted(index: 1), hex("07  01 00 00 00")),
    (.shardRefused(index: 0, reason: "x"), hex("08  00 00 00 00  01 00 00 00 78")),
    (.finished, hex("09")),
    (.abort(reason: ""), hex("0a  00 00 00 00")),
]

@Suite("Live takeover control messages")
struct TakeoverMessageTests {
    @Test func everyMessageIsByteExactBothWays() throws {
        for (message, wire) in vectors {
            #expect(message.encoded() == wire, "\(message)")
            #expect(try TakeoverMessage(decoding: wire.span) == message)
        }
    }

    @Test func everyProperPrefixIsTruncatedAndTrailingBytesInvalid() {
        for (message, wire) in vectors {
            for length in 0..<wire.count {
                #expect(messageError(Array(wire[..<length])) == .truncated, "\(message) cut at \(length)")
            }
            #expect(isInvalid(messageError(wire + [0])), "\(message) with a trailing byte")
        }
    }

    @Test func bigMessagesRoundTrip() throws {
        let snapshot = [UInt8](repeating: 0xA5, count: 1 << 20)
        let slots = (0..<UInt32(TakeoverMessage.maxDescriptorsPerMessage)).map { $0 * 3 }
        for message: TakeoverMessage in [
            .shardState(index: 7, snapshot: snapshot, descriptorCount: 100_000),
            .descriptorBatch(shard: 3, slots: slots),
            .refuse(reason: String(repeating: "€", count: 21_845)),  // 65 535 bytes
        ] {
            #expect(try TakeoverMessage(decoding: message.encoded().span) == message)
        }
    }

    @Test func unknownKindsAreInvalid() {
        #expect(messageError([]) == .truncated)
        for kind: UInt8 in [0, 11, 0xFF] { #expect(isInvalid(messageError([kind]))) }
    }

    @Test func stringsMustBeUTF8AndAtMost64KiB() {
        #expect(isInvalid(messageError(hex("03  02 00 00 00  c3 28"))))
        #expect(isInvalid(messageError(hex("0a  01 00 00 00  ff"))))
        let long = [UInt8](repeating: 0x61, count: 65_537)
        #expect(isInvalid(messageError(hex("03  01 00 01 00") + long)))
        #expect(messageError(hex("03  00 00 01 00") + long.dropLast()) == nil)
        // A length of 4 GiB − 1 fails on the limit, before any allocation.
        #expect(isInvalid(messageError(hex("03  ff ff ff ff"))))
    }

    @Test func longStringsAreCutAtACharacterBoundaryWhenWritten() throws {
        let reason = String(repeating: "a", count: 65_535) + "€€"
        let decoded = try TakeoverMessage(decoding: TakeoverMessage.abort(reason: reason).encoded().span)
        #expect(decoded == .abort(reason: String(repeating: "a", count: 65_535)))
    }

    @Test func helloRules() throws {
        var newer = hello
        newer.schemaVersion = TakeoverSnapshot.schemaVersion + 1
        newer.oldestReadableSchema = TakeoverSnapshot.schemaVersion + 1
        #expect(try TakeoverMessage(decoding: TakeoverMessage.hello(newer).encoded().span) == .hello(newer))
        #expect(!newer.isReadableByThisBuild)
        #expect(hello.isReadableByThisBuild)
        var backwards = hello
        backwards.oldestReadableSchema = 3
        backwards.schemaVersion = 2
        #expect(isInvalid(messageError(TakeoverMessage.hello(backwards).encoded())))
        var noShard = hello
        noShard.shardCount = 0
        #expect(isInvalid(messageError(TakeoverMessage.hello(noShard).encoded())))
        var bigFingerprint = hello
        bigFingerprint.listenerFingerprint = [UInt8](repeating: 1, count: 65_537)
        #expect(isInvalid(messageError(TakeoverMessage.hello(bigFingerprint).encoded())))
    }

    @Test func listenerSetRules() {
        #expect(listenerSet.descriptorCount == 7)
        #expect(listenerSet.clientListenerPosition(shard: 1, listener: 0) == 2)
        #expect(listenerSet.innerListenerPosition(shard: 1) == 5)
        #expect(listenerSet.registerPosition == 6)
        #expect(listenerSet.adminPosition == nil)
        var admin = listenerSet
        admin.hasAdmin = true
        #expect(admin.adminPosition == 7 && admin.descriptorCount == 8)

        var noShard = listenerSet
        noShard.shardCount = 0
        noShard.innerListeners = 0
        #expect(isInvalid(messageError(TakeoverMessage.listeners(noShard).encoded())))
        var innerMismatch = listenerSet
        innerMismatch.innerListeners = 1
        #expect(isInvalid(messageError(TakeoverMessage.listeners(innerMismatch).encoded())))
        var tooMany = listenerSet
        tooMany.clientListenersPerShard = 126  // 252 + 2 inner + register = 255 > 253
        #expect(isInvalid(messageError(TakeoverMessage.listeners(tooMany).encoded())))
        var overflow = listenerSet
        overflow.clientListenersPerShard = .max
        overflow.shardCount = .max
        overflow.innerListeners = .max
        #expect(overflow.descriptorCount == .max)
        #expect(isInvalid(messageError(TakeoverMessage.listeners(overflow).encoded())))
        #expect(isInvalid(messageError(hex("04  01 00 00 00  01 00 00 00  00 00 00 00  02  00"))))  // flag 2
    }

    @Test func descriptorBatchRules() {
        let tooMany = (0..<UInt32(TakeoverMessage.maxDescriptorsPerMessage + 1)).map { $0 }
        #expect(isInvalid(messageError(TakeoverMessage.descriptorBatch(shard: 0, slots: tooMany).encoded())))
        #expect(isInvalid(messageError(TakeoverMessage.descriptorBatch(shard: 0, slots: [4, 5, 4]).encoded())))
        #expect(messageError(hex("06  00 00 00 00  ff ff ff ff")) == .truncated)  // 4 billion slots, no bytes
    }
}
