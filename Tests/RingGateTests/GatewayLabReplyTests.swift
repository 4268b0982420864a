import RingGateCodecs
import Testing

@testable import RingGate

/// Spec §10.2 "Query replies from the PHP Gateway", row by row, byte for byte (length prefix included).
struct GatewayLabReplyTests {
    typealias F = GatewayFixtures

    @Test func isOnline() {
        var table = F.labTable()
        #expect(
            F.framedReply(F.packet("0000001c0b0000000000000000000000000000000101000000000000"), on: &table)
                == F.framed("00000004", "i:1;"))
        #expect(F.framedReply(F.request(.isOnline, connectionID: 999), on: &table) == F.framed("00000004", "i:0;"))
    }

    @Test func allClientSessions() {
        var table = F.labTable()
        #expect(
            F.framedReply(F.packet("0000001c0a0000000000000000000000000000000001000000000000"), on: &table)
                == F.framed("0000003d", #"a:1:{i:1;s:43:"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}";}"#))
    }

    @Test func clientSessionsByUnknownGroup() {
        var table = F.labTable()
        #expect(
            F.framedReply(F.request(.getClientSessionsByGroup, ext: "nosuch"), on: &table)
                == F.framed("00000006", "a:0:{}"))
    }

    @Test func clientCountByGroupEmptyAndRoomA() {
        var table = F.labTable()
        for flags: GatewayFlags in [.bodyIsScalar, []] {
            #expect(
                F.framedReply(F.request(.getClientCountByGroup, ext: "", flags: flags), on: &table)
                    == F.framed("00000004", "i:1;"))
            #expect(
                F.framedReply(F.request(.getClientCountByGroup, ext: "room-a", flags: flags), on: &table)
                    == F.framed("00000004", "i:1;"))
        }
    }

    @Test func clientIDByUID() {
        var table = F.labTable()
        #expect(
            F.framedReply(F.request(.getClientIDByUID, ext: F.uid), on: &table)
                == F.framed("0000000e", "a:1:{i:0;i:1;}"))
        #expect(F.framedReply(F.request(.getClientIDByUID, ext: "1"), on: &table) == F.framed("00000006", "a:0:{}"))
    }

    @Test func batchClientIDByUID() {
        var table = F.labTable()
        #expect(
            F.framedReply(F.request(.batchGetClientIDByUID, ext: #"["39069102337167360","abc",7]"#), on: &table)
                == F.framed("00000042", #"a:3:{i:39069102337167360;a:1:{i:0;i:1;}s:3:"abc";a:0:{}i:7;a:0:{}}"#))
    }

    @Test func batchClientCountByGroup() {
        var table = F.labTable()
        let request = F.request(.batchGetClientCountByGroup, ext: #"["54248935702663168","room-a","zzz"]"#)
        #expect(
            F.framedReply(request, on: &table)
                == F.framed("0000003d", #"a:3:{i:54248935702663168;i:1;s:6:"room-a";i:1;s:3:"zzz";i:0;}"#))
    }

    @Test func groupIDList() {
        var table = F.labTable()
        #expect(
            F.framedReply(F.request(.getGroupIDList), on: &table)
                == F.framed("0000002f", #"a:2:{i:0;i:54248935702663168;i:1;s:6:"room-a";}"#))
    }

    @Test func selectSeedV20() {
        var table = F.labTable()
        #expect(
            F.framedReply(F.packet(SeedVectors.v20), on: &table)
                == F.framed("00000033", #"a:1:{i:1;a:1:{s:3:"uid";s:17:"39069102337167360";}}"#))
    }

    @Test func selectSessionUIDGroupsWhereEmptyList() {
        var table = F.labTable()
        let request = F.request(.select, ext: #"{"fields":["session","uid","groups"],"where":[]}"#)
        let expected =
            #"a:1:{i:1;a:3:{s:7:"session";s:43:"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}";"#
            + #"s:3:"uid";s:17:"39069102337167360";"#
            + #"s:6:"groups";a:2:{i:54248935702663168;s:17:"54248935702663168";s:6:"room-a";s:6:"room-a";}}}"#
        #expect(F.framedReply(request, on: &table) == F.framed("000000ce", expected))
    }

    @Test func selectInvalidJSON() {
        var table = F.labTable()
        #expect(F.framedReply(F.request(.select, ext: "nope"), on: &table) == F.framed("00000006", "a:0:{}"))
    }

    @Test func sessionByClientID() {
        var table = F.labTable()
        #expect(
            F.framedReply(F.request(.getSessionByClientID, connectionID: 1), on: &table)
                == F.framed("0000002b", F.aliceSession))
        #expect(
            F.framedReply(F.request(.getSessionByClientID, connectionID: 999), on: &table)
                == F.framed("00000002", "N;"))
    }

    @Test func selectAfterUnbind() {
        var table = F.labTable()
        #expect(F.execute(F.request(.unbindUID, connectionID: 1, ext: "ignored"), on: &table) == .done)
        let request = F.request(.select, ext: #"{"fields":["uid","groups","session"],"where":null}"#)
        let payload =
            #"a:1:{i:1;a:3:{s:3:"uid";N;"#
            + #"s:6:"groups";a:2:{i:54248935702663168;s:17:"54248935702663168";s:6:"room-a";s:6:"room-a";}"#
            + #"s:7:"session";s:43:"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}";}}"#
        var expected: [UInt8] = []
        GatewayQueryReply.append(F.bytes(payload), to: &expected)
        #expect(F.framedReply(request, on: &table) == expected)
    }

    @Test func selectGroupsAfterLeaveAndUngroup() {
        var table = F.labTable()
        _ = F.execute(F.request(.leaveGroup, connectionID: 1, ext: "room-a"), on: &table)
        _ = F.execute(F.request(.ungroup, ext: F.numericGroup), on: &table)
        let reply = F.framedReply(F.request(.select, ext: #"{"fields":["groups"]}"#), on: &table)
        var expected: [UInt8] = []
        GatewayQueryReply.append(F.bytes(#"a:1:{i:1;a:1:{s:6:"groups";a:0:{}}}"#), to: &expected)
        #expect(reply == expected)
        #expect(table.groupOrder.isEmpty && table.groupMembers.isEmpty)
    }

    @Test func threePipelinedQueries() throws {
        var table = F.table(clients: 2)
        var assembler = GatewayPacketAssembler()
        assembler.append(
            F.hex("0000001c0b0000000000000000000000000000000101000000000000")  // IS_ONLINE cid 1
                + F.hex("0000001c180000000000000000000000000000000001000000000000")  // COUNT_BY_GROUP ""
                + F.hex("0000001c1a0000000000000000000000000000000001000000000000"))  // GET_GROUP_ID_LIST
        var wire: [UInt8] = []
        while let packet = try assembler.nextPacket() {
            guard case .reply(let payload) = F.execute(packet, on: &table) else { continue }
            GatewayQueryReply.append(payload, to: &wire)
        }
        #expect(wire == F.framed("00000004", "i:1;") + F.framed("00000004", "i:2;") + F.framed("00000006", "a:0:{}"))
    }
}
