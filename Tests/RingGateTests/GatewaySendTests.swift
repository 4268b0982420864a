import RingGateCodecs
import Testing

@testable import RingGate

/// Recipient lists of sends (spec §4.4) and the conversion of serialized send bodies.
struct GatewaySendTests {
    typealias F = GatewayFixtures

    /// Clients 1…4; 1 and 2 in g1 (that order), 2 and 3 in g2; 1 and 3 bound to uid u.
    static func table() -> GatewayClientTable {
        var table = F.table(clients: 4)
        table.join(group: F.bytes("g1"), connectionID: 1)
        table.join(group: F.bytes("g1"), connectionID: 2)
        table.join(group: F.bytes("g2"), connectionID: 3)
        table.join(group: F.bytes("g2"), connectionID: 2)
        table.bindUID(F.bytes("u"), to: 3)
        table.bindUID(F.bytes("u"), to: 1)
        return table
    }

    @Test func sendToGroupDuplicatesAcrossGroupsAndExcludesByKey() {
        let table = Self.table()
        #expect(
            table.sendToGroupTargets(F.bytes(#"{"group":["g1","g2"],"exclude":null}"#)).connectionIDs == [1, 2, 3, 2])
        #expect(
            table.sendToGroupTargets(F.bytes(#"{"exclude":{"2":2},"group":["g1","g2","none"]}"#)).connectionIDs == [
                1, 3,
            ])
        // A group listed twice is delivered to once (deviation from PHP, counted).
        let repeated = table.sendToGroupTargets(F.bytes(#"{"group":["g2","g2"]}"#))
        #expect(repeated == SendTargets(connectionIDs: [3, 2], repeatsCollapsed: true))
        #expect(table.sendToGroupTargets(F.bytes(#"{"group":["g1"],"exclude":{"1":"x"}}"#)).connectionIDs == [2])
        #expect(table.sendToGroupTargets(F.bytes("nope")).connectionIDs == [])
        #expect(table.sendToGroupTargets(F.bytes(#"{"group":"g1"}"#)).connectionIDs == [])
    }

    @Test func phpSendToGroupPacketExcludingTheSender() {
        var table = F.table(clients: 5)
        table.join(group: F.bytes("g1"), connectionID: 5)
        table.join(group: F.bytes("g1"), connectionID: 2)
        let packet = F.packet(
            "000000411600000000000000000000000000000000010000000000227b2267726f7570223a5b226731225d2c226578636c756465223a7b2235223a357d7d677270"
        )
        #expect(F.execute(packet, on: &table) == .send(SendTargets(connectionIDs: [2])))
        #expect(packet.body == F.bytes("grp"))
    }

    @Test func excludeListIsReadByValueAndFlagged() {
        let table = Self.table()
        let targets = table.sendToGroupTargets(F.bytes(#"{"group":["g1"],"exclude":[1]}"#))
        #expect(targets == SendTargets(connectionIDs: [2], excludeListDeviation: true))
        let all = table.sendToAllTargets(F.bytes(#"{"exclude":[2,3]}"#))
        #expect(all == SendTargets(connectionIDs: [1, 4], excludeListDeviation: true))
        #expect(!table.sendToAllTargets(F.bytes(#"{"exclude":[]}"#)).excludeListDeviation)
    }

    @Test func sendToUIDInListOrderWithDuplicates() {
        let table = Self.table()
        // A uid listed twice is delivered to once (deviation from PHP, counted).
        #expect(
            table.sendToUIDTargets(F.bytes(#"["u","nobody","u"]"#))
                == SendTargets(connectionIDs: [3, 1], repeatsCollapsed: true))
        #expect(!table.sendToUIDTargets(F.bytes(#"["u","nobody"]"#)).repeatsCollapsed)
        #expect(table.sendToUIDTargets(F.bytes("u")).connectionIDs == [])
        var numeric = F.table(clients: 2)
        numeric.bindUID(F.bytes("42"), to: 2)
        let packet = F.packet("000000280e00000000000000000000000000000000010000000000095b34322c227532225d756964")
        #expect(F.execute(packet, on: &numeric) == .send(SendTargets(connectionIDs: [2])))  // [42,"u2"]
    }

    @Test func sendToAllConnectionsAndExclude() {
        var table = Self.table()
        table.remove(3)
        #expect(table.sendToAllTargets([]).connectionIDs == [1, 2, 4])
        #expect(table.sendToAllTargets(F.bytes("{bad")).connectionIDs == [1, 2, 4])
        #expect(table.sendToAllTargets(F.bytes(#"{"other":1}"#)).connectionIDs == [1, 2, 4])
        #expect(table.sendToAllTargets(F.bytes(#"{"connections":null}"#)).connectionIDs == [1, 2, 4])
        #expect(table.sendToAllTargets(F.bytes(#"{"connections":{"4":4,"3":3,"9":1}}"#)).connectionIDs == [4, 1])
        #expect(table.sendToAllTargets(F.bytes(#"{"connections":["2",4,0]}"#)).connectionIDs == [2, 4])
        #expect(
            table.sendToAllTargets(F.bytes(#"{"connections":[4,"4",2,4]}"#))
                == SendTargets(connectionIDs: [4, 2], repeatsCollapsed: true))
        #expect(table.sendToAllTargets(F.bytes(#"{"connections":{}}"#)).connectionIDs == [])
        #expect(table.sendToAllTargets(F.bytes(#"{"exclude":{"5":5,"2":2}}"#)).connectionIDs == [1, 4])
        // The PHP packets of §10.2 (sendToAll excluding cid 5, sendToAll to cid 5 only).
        var php = F.table(clients: 6)
        let exclude = F.packet(
            "000000320600000000000000000000000000000000010000000000137b226578636c756465223a7b2235223a357d7d616c6c")
        #expect(F.execute(exclude, on: &php) == .send(SendTargets(connectionIDs: [1, 2, 3, 4, 6])))
        let some = F.packet(
            "000000370600000000000000000000000000000000010000000000177b22636f6e6e656374696f6e73223a7b2235223a357d7d736f6d65"
        )
        #expect(F.execute(some, on: &php) == .send(SendTargets(connectionIDs: [5])))
        #expect(F.execute(F.request(.sendToOne, connectionID: 9), on: &php) == .send(SendTargets(connectionIDs: [])))
        #expect(F.execute(F.request(.kick, connectionID: 1), on: &php) == .notTableCommand)
    }

    @Test func bodyWithScalarFlagIsVerbatim() {
        let body = F.bytes("N;")
        #expect(SendBody.decode(body.span, flags: [.bodyIsScalar, .notCallEncode]) == .verbatim)
    }

    @Test func serializedScalarsBecomeText() {
        func decode(_ text: String) -> SendBody { SendBody.decode(F.bytes(text).span, flags: []) }
        #expect(decode(#"s:5:"hello";"#) == .converted(F.bytes("hello")))
        #expect(decode("i:-12;") == .converted(F.bytes("-12")))
        #expect(decode("d:0.1;") == .converted(F.bytes("0.1")))
        #expect(decode("d:1.0E+25;") == .converted(F.bytes("1.0E+25")))
        #expect(decode("b:1;") == .converted(F.bytes("1")))
        #expect(decode("b:0;") == .converted([]))
        #expect(decode("N;") == .nothing)
        #expect(decode("") == .dropped(.invalidSerialization))
        #expect(decode("garbage") == .dropped(.invalidSerialization))
        #expect(decode(#"O:8:"stdClass":0:{}"#) == .dropped(.unsupportedValue))
    }

    @Test func serializedArraysBecomeWorkerman5JSON() {
        func decode(_ text: String) -> SendBody { SendBody.decode(F.bytes(text).span, flags: []) }
        #expect(decode(#"a:2:{i:0;s:3:"a/b";i:1;i:2;}"#) == .converted(F.bytes(#"["a\/b",2]"#)))
        #expect(decode("a:0:{}") == .converted(F.bytes("[]")))
        let mixed = #"a:4:{s:1:"k";s:5:"héé";i:5;N;s:1:"f";d:1.0E+25;s:1:"l";a:2:{i:0;b:1;i:1;d:0.5;}}"#
        #expect(decode(mixed) == .converted(F.bytes(#"{"k":"héé","5":null,"f":1.0e+25,"l":[true,0.5]}"#)))
        #expect(decode(#"a:1:{i:1;s:1:"x";}"#) == .converted(F.bytes(#"{"1":"x"}"#)))
        #expect(decode(#"a:1:{i:0;s:4:"\#u{2028}\#n";}"#) == .converted(F.bytes(#"["\u2028\n"]"#)))
        let invalidUTF8 = F.bytes("a:1:{i:0;s:1:\"") + [0xFF] + F.bytes("\";}")
        #expect(SendBody.decode(invalidUTF8.span, flags: []) == .dropped(.unencodableArray))
        #expect(decode("a:1:{i:0;d:INF;}") == .dropped(.unencodableArray))
        #expect(decode(#"a:1:{i:0;O:8:"stdClass":0:{}}"#) == .dropped(.unencodableArray))
        let deep = String(repeating: "a:1:{i:0;", count: 513) + "N;" + String(repeating: "}", count: 513)
        #expect(decode(deep) == .dropped(.unencodableArray))
        let deepest = String(repeating: "a:1:{i:0;", count: 512) + "N;" + String(repeating: "}", count: 512)
        #expect(
            decode(deepest)
                == .converted(F.bytes(String(repeating: "[", count: 512) + "null" + String(repeating: "]", count: 512)))
        )
    }
}
