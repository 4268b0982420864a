import RingGateCodecs

@testable import RingGate

/// Packets of the seed capture (spec §10.1), hex exactly as listed there.
enum SeedVectors {
    static let v01 = "0000002d0c00000000000000000000000000000001010000000000113339303639313032333337313637333630"
    static let v02 = "0000002d0c00000000000000000000000000000002010000000000113339303639313032333337313637333630"
    static let v05 = "0000002d1400000000000000000000000000000001010000000000113534323438393335373032363633313638"
    static let v06 = "0000002d1400000000000000000000000000000002010000000000113338393336303031393530373831343430"
    static let v09 = "0000002d0f00000000000000000000000000000000010000000000113339303639313032333337313637333630"
    static let v10 = "0000001c1a0000000000000000000000000000000001000000000000"
    static let v11 = "0000002d1800000000000000000000000000000000000000000000113338393336303031393530373831343430"
    static let v13 = "0000002dcc00000000000000000000000000000001010000000000113338393336303031393530373831343430"
    static let v14 = "0000001ccc0000000000000000000000000000000101000000000000"
    static let v17 = "0000001c0b0000000000000000000000000000000101000000000000"
    static let v20 =
        "000000731900000000000000000000000000000000010000000000577b226669656c6473223a5b22756964225d2c227768657265223a7b22756964223a5b5d2c22636f6e6e656374696f6e5f6964223a7b7d2c2267726f757073223a5b223534323438393335373032363633313638225d7d7d"
    static let v21 =
        "000000501900000000000000000000000000000000010000000000347b226669656c6473223a5b22756964225d2c227768657265223a7b22636f6e6e656374696f6e5f6964223a7b2234223a347d7d7d"
    static let v22 = "0000002d0c00000000000000000000000000000001010000000000113632323035353535343535383233383732"
    static let v23 = "0000002d0c00000000000000000000000000000100010000000000113632323035353535343535383233383732"
    static let v26 =
        "000000a8cc000000000000000000000000000001000100000000008c613a343a7b733a323a226f73223b733a333a22696f73223b733a373a2276657273696f6e223b733a353a22312e322e30223b733a31323a226275696c645f6e756d626572223b733a323a223537223b733a393a226465766963655f6964223b733a33363a2246324533374144362d383038362d344531392d414534422d334635353343453041364135223b7d"
    static let v32 =
        "000000451000000000000000000000000000000000010000000000295b223632323035353535343535383233383732222c223632323035353535343535383233383733225d"
    static let v39 =
        "000000a809000000000000000000000000000001000100000000008c613a343a7b733a323a226f73223b733a333a22696f73223b733a373a2276657273696f6e223b733a353a22312e322e30223b733a31323a226275696c645f6e756d626572223b733a323a223536223b733a393a226465766963655f6964223b733a33363a2246324533374144362d383038362d344531392d414534422d334635353343453041364135223b7d"
    static let v41 = "0000002d0d00000000000000000000000000000001010000000000113632323035353535343535383233383732"
    static let v15 = "0000002d1500000000000000000000000000000002010000000000113338393336303031393530373831343430"
    static let v16 = "0000002d1500000000000000000000000000000001010000000000113534323438393335373032363633313638"
}

/// Builders shared by the gateway table tests.
enum GatewayFixtures {
    static let uid = "39069102337167360"
    static let numericGroup = "54248935702663168"
    static let aliceSession = #"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}"#

    /// Bytes of a hex string (whitespace ignored).
    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8.filter { $0 != UInt8(ascii: " ") })
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
        }
    }

    /// UTF-8 bytes of text.
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A client id for connection `n` (the table does not interpret it).
    static func clientID(_ n: UInt32) -> ClientID { ClientID(slot: n, generation: 1) }

    /// The one packet encoded by `hexText`.
    static func packet(_ hexText: String) -> GatewayPacket {
        var assembler = GatewayPacketAssembler()
        assembler.append(hex(hexText))
        return try! assembler.nextPacket()!
    }

    /// A request packet built from fields, as PHP's GatewayClient would write it.
    static func request(
        _ command: GatewayCommand, connectionID: UInt32 = 0, ext: String = "", flags: GatewayFlags = .bodyIsScalar
    ) -> GatewayPacket {
        GatewayPacket(command: command, connectionID: connectionID, flags: flags, extData: bytes(ext))
    }

    /// Runs one request packet against `table`.
    static func execute(_ packet: GatewayPacket, on table: inout GatewayClientTable) -> GatewayTableEffect {
        table.execute(packet.header.command, connectionID: packet.header.connectionID, extData: packet.extData)
    }

    /// The framed reply (`u32 length ‖ payload`) a query packet gets; empty when it is not a query.
    static func framedReply(_ packet: GatewayPacket, on table: inout GatewayClientTable) -> [UInt8] {
        guard case .reply(let payload) = execute(packet, on: &table) else { return [] }
        var buffer: [UInt8] = []
        GatewayQueryReply.append(payload, to: &buffer)
        return buffer
    }

    /// `u32 length ‖ text` as the spec's tables show replies.
    static func framed(_ lengthHex: String, _ text: String) -> [UInt8] { hex(lengthHex) + bytes(text) }

    /// A table with clients 1…n connected through the allocator.
    static func table(clients n: UInt32) -> GatewayClientTable {
        var table = GatewayClientTable()
        for id in 1...n { _ = table.connect(clientID: clientID(id)) }
        return table
    }

    /// The §10.2 lab state: cid 1 bound to uid 39069102337167360, in groups 54248935702663168 then
    /// room-a, with session `a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}`.
    static func labTable() -> GatewayClientTable {
        var table = table(clients: 1)
        _ = execute(packet(SeedVectors.v01), on: &table)  // bind cid 1 (V01)
        _ = execute(packet(SeedVectors.v05), on: &table)  // join 54248935702663168 (V05)
        _ = execute(request(.joinGroup, connectionID: 1, ext: "room-a"), on: &table)
        _ = execute(request(.setSession, connectionID: 1, ext: aliceSession), on: &table)
        return table
    }
}
