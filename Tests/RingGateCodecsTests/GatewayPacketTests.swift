import RingGateCodecs
import Testing

@Suite struct GatewayPacketTests {
    @Test(arguments: GatewaySeedVectors.all)
    func seedVectorDecodesAndReencodes(_ vector: SeedVector) throws {
        let wire = vector.wire
        #expect(wire.count == Int(vector.packLength))
        var assembler = GatewayPacketAssembler()
        assembler.append(wire)
        let packet = try #require(try assembler.nextPacket())
        #expect(packet.header.packLength == vector.packLength)
        #expect(packet.header.command == GatewayCommand(rawValue: vector.command))
        #expect(packet.header.command.isKnown)
        #expect(packet.header.connectionID == vector.connectionID)
        #expect(packet.header.flags == GatewayFlags(rawValue: vector.flags))
        #expect(packet.header.extLength == vector.extLength)
        // §10.1: PHP producers leave every address field 0.
        #expect(packet.header.localIP == 0 && packet.header.localPort == 0 && packet.header.gatewayPort == 0)
        #expect(packet.header.clientIP == 0 && packet.header.clientPort == 0)
        #expect(packet.extData == vector.extData)
        #expect(packet.body == vector.body)
        #expect(try assembler.nextPacket() == nil)
        #expect(assembler.bufferedByteCount == 0)
        #expect(try packet.encoded() == wire)
        #expect(GatewayHeader(decoding: wire)?.encoded == Array(wire[..<28]))
        let lent = GatewayHeader(decoding: wire)?.withEncodedBytes { span in (0..<span.count).map { span[$0] } }
        #expect(lent == Array(wire[..<28]))
    }

    @Test func seedVectorsAreAllPresent() {
        #expect(GatewaySeedVectors.all.map(\.name) == (1...42).map { $0 < 10 ? "V0\($0)" : "V\($0)" })
    }

    /// §10.1 V11: flag 0 with an empty body is legal; V42: `N;` kick body with flag 0.
    @Test func seedAnomaliesKeepTheirFlags() throws {
        let v11 = GatewaySeedVectors.all[10]
        let v42 = GatewaySeedVectors.all[41]
        var assembler = GatewayPacketAssembler()
        assembler.append(v11.wire + v42.wire)
        let first = try #require(try assembler.nextPacket())
        #expect(!first.header.flags.contains(.bodyIsScalar) && first.body.isEmpty)
        #expect(PHPUnserializer.unserialize(first.body) == nil)
        let second = try #require(try assembler.nextPacket())
        #expect(second.header.command == .kick)
        #expect(PHPUnserializer.unserialize(second.body) == PHPValue.null)
    }

    /// §10.2 events the gateway produces: client 127.0.0.1:44900, cid 1, gateway 127.0.0.1:2900, public 8282.
    func event(_ command: GatewayCommand, ext: [UInt8] = [], body: [UInt8] = [], flags: GatewayFlags = .bodyIsScalar)
        -> GatewayPacket
    {
        GatewayPacket(
            command: command, localIP: GatewayLabVectors.localIP, localPort: 2900, clientIP: GatewayLabVectors.clientIP,
            clientPort: 44900, connectionID: 1, flags: flags, gatewayPort: 8282, extData: ext, body: body)
    }

    @Test func labEventsEncodeByteExactly() throws {
        let session = GatewayLabVectors.session
        #expect(try event(.onConnect).encoded() == hex(GatewayLabVectors.onConnect))
        #expect(try event(.onMessage, body: utf8("hello")).encoded() == hex(GatewayLabVectors.onMessageHello))
        #expect(
            try event(.onMessage, ext: session, body: utf8("second")).encoded()
                == hex(GatewayLabVectors.onMessageWithSession))
        #expect(try event(.onClose, ext: session).encoded() == hex(GatewayLabVectors.onCloseWithSession))
        let ping = GatewayPacket(command: .ping, flags: .bodyIsScalar)
        #expect(try ping.encoded() == hex(GatewayLabVectors.ping))
    }

    @Test func labWebSocketConnectEventEncodesByteExactly() throws {
        let body = GatewayLabVectors.webSocketConnectBodyV4
        let packet = event(.onWebSocketConnect, body: body, flags: [])
        let wire = try packet.encoded()
        #expect(wire.count == 737)
        #expect(Array(wire[..<28]) == hex(GatewayLabVectors.onWebSocketConnectHeader))
        #expect(Array(wire[28...]) == body)
    }

    /// §10.2 "Packets a real BusinessWorker sends" (secret `sek`, target cid 5).
    @Test(arguments: [
        (
            "00000046c800000000000000000000000000000000010000000000007b22776f726b65725f6b6579223a224d7942573a30222c227365637265745f6b6579223a2273656b227d",
            GatewayPacket(
                command: .workerConnect, flags: .bodyIsScalar,
                body: utf8(#"{"worker_key":"MyBW:0","secret_key":"sek"}"#))
        ),
        (
            "00000030ca00000000000000000000000000000000010000000000007b227365637265745f6b6579223a2273656b227d",
            GatewayPacket(command: .gatewayClientConnect, flags: .bodyIsScalar, body: utf8(#"{"secret_key":"sek"}"#))
        ),
        (
            "0000001f050000000000000000000000000000000503000000000000726177",
            GatewayPacket(
                command: .sendToOne, connectionID: 5, flags: [.bodyIsScalar, .notCallEncode], body: utf8("raw"))
        ),
        (
            "000000411600000000000000000000000000000000010000000000227b2267726f7570223a5b226731225d2c226578636c756465223a7b2235223a357d7d677270",
            GatewayPacket(
                command: .sendToGroup, flags: .bodyIsScalar, extData: utf8(#"{"group":["g1"],"exclude":{"5":5}}"#),
                body: utf8("grp"))
        ),
        (
            "000000320600000000000000000000000000000000010000000000137b226578636c756465223a7b2235223a357d7d616c6c",
            GatewayPacket(
                command: .sendToAll, flags: .bodyIsScalar, extData: utf8(#"{"exclude":{"5":5}}"#), body: utf8("all"))
        ),
        (
            "000000370600000000000000000000000000000000010000000000177b22636f6e6e656374696f6e73223a7b2235223a357d7d736f6d65",
            GatewayPacket(
                command: .sendToAll, flags: .bodyIsScalar, extData: utf8(#"{"connections":{"5":5}}"#),
                body: utf8("some"))
        ),
        (
            "000000280e00000000000000000000000000000000010000000000095b34322c227532225d756964",
            GatewayPacket(command: .sendToUID, flags: .bodyIsScalar, extData: utf8(#"[42,"u2"]"#), body: utf8("uid"))
        ),
        (
            "0000003c090000000000000000000000000000000501000000000020613a313a7b733a313a2278223b613a313a7b733a313a2279223b693a313b7d7d",
            GatewayPacket(
                command: .updateSession, connectionID: 5, flags: .bodyIsScalar,
                extData: utf8(#"a:1:{s:1:"x";a:1:{s:1:"y";i:1;}}"#))
        ),
        (
            "0000001e0700000000000000000000000000000005000000000000004e3b",
            GatewayPacket(command: .kick, connectionID: 5, body: utf8("N;"))
        ),
        (
            "0000001f070000000000000000000000000000000501000000000000627965",
            GatewayPacket(command: .kick, connectionID: 5, flags: .bodyIsScalar, body: utf8("bye"))
        ),
        (
            "0000001c080000000000000000000000000000000501000000000000",
            GatewayPacket(command: .destroy, connectionID: 5, flags: .bodyIsScalar)
        ),
        (
            "00000048cc000000000000000000000000000000050100000000002c613a323a7b733a313a226e223b693a323b733a313a2278223b613a313a7b733a313a2279223b693a313b7d7d",
            GatewayPacket(
                command: .setSession, connectionID: 5, flags: .bodyIsScalar,
                extData: utf8(#"a:2:{s:1:"n";i:2;s:1:"x";a:1:{s:1:"y";i:1;}}"#))
        ),
    ])
    func businessWorkerPacketsEncodeAndDecode(hex: String, packet: GatewayPacket) throws {
        let wire = RingGateCodecsTests.hex(hex)
        #expect(try packet.encoded() == wire)
        var assembler = GatewayPacketAssembler()
        assembler.append(wire)
        #expect(try assembler.nextPacket() == packet)
    }

    @Test func encoderRefusesPacketsAboveTheLimit() throws {
        let packet = GatewayPacket(command: .sendToAll, flags: .bodyIsScalar, body: [UInt8](repeating: 0x61, count: 73))
        #expect(try packet.encoded(maxPackageLength: 101).count == 101)
        #expect(throws: GatewayProtocolError.packageTooLarge(length: 101, limit: 100)) {
            try packet.encoded(maxPackageLength: 100)
        }
        #expect(throws: GatewayProtocolError.packageTooLarge(length: Int.max, limit: Int(UInt32.max))) {
            try GatewayHeader(command: .sendToAll, extByteCount: Int.max, bodyByteCount: 1, maxPackageLength: Int.max)
        }
    }

    @Test func commandsKnowTheirNamesAndReplies() {
        #expect(GatewayCommand.onWebSocketConnect.description == "CMD_ON_WEBSOCKET_CONNECT(205)")
        #expect(GatewayCommand(rawValue: 2).description == "unknown(2)")
        #expect(!GatewayCommand(rawValue: 2).isKnown)
        let replying = (0...255).map { GatewayCommand(rawValue: UInt8($0)) }.filter(\.expectsReply).map(\.rawValue)
        #expect(replying == [10, 11, 15, 16, 23, 24, 25, 26, 28, 203])
        #expect((0...255).filter { GatewayCommand(rawValue: UInt8($0)).isKnown }.count == 30)
    }

    @Test func unknownFlagBitsSurviveARoundTrip() throws {
        let packet = GatewayPacket(command: GatewayCommand(rawValue: 99), flags: GatewayFlags(rawValue: 0xF1))
        var assembler = GatewayPacketAssembler()
        assembler.append(try packet.encoded())
        let decoded = try #require(try assembler.nextPacket())
        #expect(decoded.header.flags.rawValue == 0xF1 && decoded.header.command.rawValue == 99)
    }
}
