import RingGateCodecs
import Testing

@testable import RingGate

/// Replies and effects of the seed capture (spec §10.1) whose PHP outcome the spec states.
struct GatewaySeedVectorTests {
    typealias F = GatewayFixtures

    @Test func v09ClientIDsByUIDAfterV01V02() {
        var table = F.table(clients: 2)
        #expect(F.execute(F.packet(SeedVectors.v01), on: &table) == .done)
        #expect(F.execute(F.packet(SeedVectors.v02), on: &table) == .done)
        #expect(F.framedReply(F.packet(SeedVectors.v09), on: &table) == F.framed("00000016", "a:2:{i:0;i:1;i:1;i:2;}"))
    }

    @Test func v10GroupIDListAfterV05V06() {
        var table = F.table(clients: 2)
        _ = F.execute(F.packet(SeedVectors.v05), on: &table)
        _ = F.execute(F.packet(SeedVectors.v06), on: &table)
        #expect(
            F.framedReply(F.packet(SeedVectors.v10), on: &table)
                == F.framed("00000036", "a:2:{i:0;i:54248935702663168;i:1;i:38936001950781440;}"))
    }

    /// State of the seed's select answers: clients 3 and 4 bound to the uid and in the group.
    static func selectTable() -> GatewayClientTable {
        var table = F.table(clients: 4)
        for id: UInt32 in [3, 4] {
            table.bindUID(F.bytes(F.uid), to: id)
            table.join(group: F.bytes(F.numericGroup), connectionID: id)
        }
        return table
    }

    @Test func v20SelectUnionOfWhereKeys() {
        var table = Self.selectTable()
        let expected =
            #"a:2:{i:3;a:1:{s:3:"uid";s:17:"39069102337167360";}i:4;a:1:{s:3:"uid";s:17:"39069102337167360";}}"#
        #expect(F.framedReply(F.packet(SeedVectors.v20), on: &table) == F.framed("00000060", expected))
    }

    @Test func v21SelectByConnectionIDMap() {
        var table = Self.selectTable()
        #expect(
            F.framedReply(F.packet(SeedVectors.v21), on: &table)
                == F.framed("00000033", #"a:1:{i:4;a:1:{s:3:"uid";s:17:"39069102337167360";}}"#))
    }

    @Test func v32BatchClientIDsByUIDAfterV22() {
        var table = F.table(clients: 1)
        _ = F.execute(F.packet(SeedVectors.v22), on: &table)
        #expect(
            F.framedReply(F.packet(SeedVectors.v32), on: &table)
                == F.framed("00000042", "a:2:{i:62205555455823872;a:1:{i:0;i:1;}i:62205555455823873;a:0:{}}"))
    }

    @Test func v11CountWithFlagZeroAndEmptyBody() {
        var table = F.table(clients: 2)
        _ = F.execute(F.packet(SeedVectors.v06), on: &table)
        #expect(F.framedReply(F.packet(SeedVectors.v11), on: &table) == F.framed("00000004", "i:1;"))
    }

    @Test func v13BareNumberSessionThenUpdateFallsBack() {
        var table = F.table(clients: 1)
        #expect(F.execute(F.packet(SeedVectors.v13), on: &table) == .done)
        #expect(table[1]?.session == F.bytes("38936001950781440"))
        #expect(table.sessionReply(for: 1) == F.bytes("38936001950781440"))
        let update = F.bytes(#"a:1:{s:1:"x";i:1;}"#)
        let outcome = table.updateSession(with: update, for: 1)
        #expect(outcome == .fallback(.sessionNotArray))
        #expect(table[1]?.session == update)
        #expect(F.execute(F.packet(SeedVectors.v14), on: &table) == .done)  // V14 clears it
        #expect(table.sessionReply(for: 1) == F.bytes("a:0:{}"))
    }

    @Test func v39UpdateEqualsWholeSession() {
        var table = GatewayClientTable()
        let connected = table.connect(connectionID: 256, clientID: F.clientID(1))
        #expect(connected)
        _ = F.execute(F.packet(SeedVectors.v26), on: &table)
        let update = F.packet(SeedVectors.v39)
        #expect(F.execute(update, on: &table) == .done)
        let outcome = table.updateSession(with: update.extData, for: 256)
        #expect(outcome == .merged)
        #expect(table[256]?.session == update.extData)
    }

    @Test func v41UnbindIgnoresTheNamedUID() {
        var table = F.table(clients: 1)
        table.bindUID(F.bytes("other"), to: 1)
        _ = F.execute(F.packet(SeedVectors.v41), on: &table)
        #expect(table[1]?.uid == nil && table.uidMembers.isEmpty)
    }

    @Test func v15V16LeaveGroups() {
        var table = F.table(clients: 2)
        _ = F.execute(F.packet(SeedVectors.v05), on: &table)
        _ = F.execute(F.packet(SeedVectors.v06), on: &table)
        _ = F.execute(F.packet(SeedVectors.v15), on: &table)
        _ = F.execute(F.packet(SeedVectors.v16), on: &table)
        #expect(table.groupIDListReply() == F.bytes("a:0:{}"))
        #expect(table[1]?.groups == [] && table[2]?.groups == [])
    }
}
