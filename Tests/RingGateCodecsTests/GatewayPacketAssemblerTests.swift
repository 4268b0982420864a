import RingGateCodecs
import Testing

@Suite struct GatewayPacketAssemblerTests {
    static let stream: [UInt8] = GatewaySeedVectors.all.flatMap(\.wire)
    static let expected: [SeedVector] = GatewaySeedVectors.all

    func drain(_ assembler: inout GatewayPacketAssembler) throws -> [GatewayPacket] {
        var packets: [GatewayPacket] = []
        while let packet = try assembler.nextPacket() { packets.append(packet) }
        return packets
    }

    func check(_ packets: [GatewayPacket], _ comment: Comment? = nil) {
        #expect(packets.map(\.header.connectionID) == Self.expected.map(\.connectionID), comment)
        #expect(packets.map(\.extData) == Self.expected.map(\.extData), comment)
        #expect(packets.map(\.body) == Self.expected.map(\.body), comment)
    }

    @Test func reassemblesAllSeedPacketsInOneAppend() throws {
        var assembler = GatewayPacketAssembler()
        assembler.append(Self.stream)
        check(try drain(&assembler))
        #expect(assembler.bufferedByteCount == 0)
    }

    @Test func reassemblesOneByteAtATime() throws {
        var assembler = GatewayPacketAssembler()
        var packets: [GatewayPacket] = []
        for byte in Self.stream {
            assembler.append([byte])
            packets += try drain(&assembler)
        }
        check(packets)
    }

    @Test func reassemblesAcrossEverySplit() throws {
        let wire = hex(GatewayLabVectors.onMessageWithSession) + hex(GatewayLabVectors.onMessageHello)
        for cut in 1..<wire.count {
            var assembler = GatewayPacketAssembler()
            var bodies: [[UInt8]] = []
            for part in [Array(wire[..<cut]), Array(wire[cut...])] {
                assembler.append(part)
                bodies += try drain(&assembler).map(\.body)
            }
            #expect(bodies == [utf8("second"), utf8("hello")], "split at \(cut)")
        }
    }

    @Test(arguments: [2, 3, 7, 28, 29, 100, 1000])
    func reassemblesInFixedChunks(chunkSize: Int) throws {
        var assembler = GatewayPacketAssembler()
        var packets: [GatewayPacket] = []
        for start in stride(from: 0, to: Self.stream.count, by: chunkSize) {
            assembler.append(Array(Self.stream[start..<min(start + chunkSize, Self.stream.count)]))
            packets += try drain(&assembler)
        }
        check(packets, "chunk \(chunkSize)")
    }

    @Test func thousandPacketsInOneAppend() throws {
        var wire: [UInt8] = []
        for id in 1...1000 {
            try GatewayPacket(command: .sendToOne, connectionID: UInt32(id), flags: .bodyIsScalar, body: utf8("m\(id)"))
                .encode(into: &wire)
        }
        var assembler = GatewayPacketAssembler()
        assembler.append(wire)
        let packets = try drain(&assembler)
        #expect(packets.map(\.header.connectionID) == (1...1000).map(UInt32.init))
        #expect(packets.map(\.body) == (1...1000).map { utf8("m\($0)") })
    }

    @Test func lendsContentsInPlaceAndConsumes() throws {
        var assembler = GatewayPacketAssembler()
        assembler.append(hex(GatewayLabVectors.onMessageWithSession))
        let layout = try #require(try assembler.peekPacket())
        #expect(layout.byteCount == 0x4D && layout.extRange == 28..<71 && layout.bodyRange == 71..<77)
        let (extData, body) = assembler.withContents(of: layout) { ext, body in
            (ext.count, body[0])
        }
        #expect(extData == 43 && body == UInt8(ascii: "s"))
        #expect(try assembler.peekPacket() == layout, "peek does not consume")
        assembler.consume(layout)
        #expect(try assembler.peekPacket() == nil)
        #expect(assembler.bufferedByteCount == 0)
    }

    func header(packLength: UInt32, extLength: UInt32 = 0) -> [UInt8] {
        GatewayHeader(packLength: packLength, command: .sendToAll, flags: .bodyIsScalar, extLength: extLength).encoded
    }

    @Test func acceptsExactlyTheMaximumLength() throws {
        let limit = GatewayPacketAssembler.defaultMaxPackageLength
        #expect(limit == 10_485_760)
        var assembler = GatewayPacketAssembler()
        assembler.append(header(packLength: UInt32(limit)))
        assembler.append([UInt8](repeating: 0x61, count: limit - 28 - 1))
        #expect(try assembler.nextPacket() == nil)
        assembler.append([0x62])
        let packet = try #require(try assembler.nextPacket())
        #expect(packet.body.count == limit - 28 && packet.body.last == 0x62)
    }

    @Test func limitsAtBelowAndAbove() throws {
        for (length, accepted) in [(99, true), (100, true), (101, false)] {
            var assembler = GatewayPacketAssembler(maxPackageLength: 100)
            assembler.append(header(packLength: UInt32(length)) + [UInt8](repeating: 0, count: length - 28))
            if accepted {
                #expect(try assembler.nextPacket()?.body.count == length - 28)
            } else {
                #expect(throws: GatewayProtocolError.packageTooLarge(length: length, limit: 100)) {
                    try assembler.nextPacket()
                }
            }
        }
        var assembler = GatewayPacketAssembler()
        assembler.append(header(packLength: 10_485_761))
        #expect(throws: GatewayProtocolError.packageTooLarge(length: 10_485_761, limit: 10_485_760)) {
            try assembler.nextPacket()
        }
    }

    @Test func rejectsMalformedHeadersAsSoonAsTheyArrive() throws {
        for packLength: UInt32 in [0, 1, 27] {
            var assembler = GatewayPacketAssembler()
            assembler.append(header(packLength: packLength))
            #expect(throws: GatewayProtocolError.packageTooShort(packLength: packLength)) { try assembler.nextPacket() }
            #expect(throws: GatewayProtocolError.self) { try assembler.nextPacket() }  // stays failed
        }
        var assembler = GatewayPacketAssembler()
        assembler.append(header(packLength: 40, extLength: 13))
        #expect(throws: GatewayProtocolError.extLengthTooLarge(extLength: 13, packLength: 40)) {
            try assembler.nextPacket()
        }
        var exact = GatewayPacketAssembler()
        exact.append(header(packLength: 40, extLength: 12) + [UInt8](repeating: 0x78, count: 12))
        #expect(try exact.nextPacket()?.extData.count == 12)
        var huge = GatewayPacketAssembler()
        huge.append(header(packLength: 28, extLength: UInt32.max))
        #expect(throws: GatewayProtocolError.extLengthTooLarge(extLength: UInt32.max, packLength: 28)) {
            try huge.nextPacket()
        }
    }

    /// A header claiming a large packet reserves nothing: the buffer holds only what arrived.
    @Test func hugeLengthClaimAllocatesNothing() throws {
        var assembler = GatewayPacketAssembler()
        assembler.append(header(packLength: 10_485_760) + [1, 2, 3, 4, 5])
        #expect(try assembler.nextPacket() == nil)
        #expect(assembler.bufferCapacity < 1024)
        var unlimited = GatewayPacketAssembler(maxPackageLength: Int(UInt32.max))
        unlimited.append(header(packLength: UInt32.max))
        #expect(try unlimited.nextPacket() == nil)
        #expect(unlimited.bufferCapacity < 1024)
    }

    @Test func releasesLargeCapacityOnceDrained() throws {
        var assembler = GatewayPacketAssembler(retainedCapacity: 4096)
        let big = try GatewayPacket(command: .sendToAll, body: [UInt8](repeating: 1, count: 100_000)).encoded()
        assembler.append(big)
        #expect(assembler.bufferCapacity >= 100_028)
        _ = try assembler.nextPacket()
        #expect(assembler.bufferCapacity < 4096)
        let small = try GatewayPacket(command: .sendToAll, body: [1]).encoded()
        assembler.append(small)
        _ = try assembler.nextPacket()
        #expect(assembler.bufferCapacity > 0, "small capacity is kept for the next packet")
    }
}
