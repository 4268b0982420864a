import RingGateCodecs
import Testing

@testable import RingGate

/// Session storage and UPDATE merging (spec §4.6, §9.4) and SELECT's corner cases (§4.9).
struct GatewaySessionAndSelectTests {
    typealias F = GatewayFixtures

    @Test func updateMergesLikeArrayReplaceRecursive() {
        var table = F.table(clients: 1)
        table.setSession(F.bytes(#"a:1:{s:1:"a";a:2:{s:1:"x";i:1;s:1:"y";a:1:{i:0;i:1;}}}"#), for: 1)
        let outcome = table.updateSession(
            with: F.bytes(#"a:3:{s:1:"a";a:2:{s:1:"y";i:9;s:1:"z";i:2;}s:1:"5";s:3:"int";s:1:"b";b:1;}"#), for: 1)
        #expect(outcome == .merged)
        #expect(
            table[1]?.session
                == F.bytes(#"a:3:{s:1:"a";a:3:{s:1:"x";i:1;s:1:"y";i:9;s:1:"z";i:2;}i:5;s:3:"int";s:1:"b";b:1;}"#))
        let lists = table.updateSession(with: F.bytes(#"a:1:{s:1:"a";a:1:{s:1:"x";a:1:{i:0;i:7;}}}"#), for: 1)
        #expect(lists == .merged)
        #expect(
            table[1]?.session
                == F.bytes(
                    #"a:3:{s:1:"a";a:3:{s:1:"x";a:1:{i:0;i:7;}s:1:"y";i:9;s:1:"z";i:2;}i:5;s:3:"int";s:1:"b";b:1;}"#))
    }

    @Test func updateOfFalsySessionReplacesVerbatim() {
        var table = F.table(clients: 1)
        let first = table.updateSession(with: F.bytes("not serialized"), for: 1)
        #expect(first == .replaced && table[1]?.session == F.bytes("not serialized"))
        table.setSession(F.bytes("0"), for: 1)
        let second = table.updateSession(with: F.bytes(#"a:1:{s:1:"x";i:1;}"#), for: 1)
        #expect(second == .replaced && table.sessionReply(for: 1) == F.bytes(#"a:1:{s:1:"x";i:1;}"#))
        table.setSession(F.bytes("0"), for: 1)
        #expect(table.sessionReply(for: 1) == F.bytes("a:0:{}"))
        let unknown = table.updateSession(with: [], for: 7)
        #expect(unknown == .unknownClient)
    }

    @Test func updateFallsBackOnNonArraysAndReferences() {
        var table = F.table(clients: 1)
        table.setSession(F.bytes(#"a:1:{s:1:"x";i:1;}"#), for: 1)
        let scalar = table.updateSession(with: F.bytes("i:5;"), for: 1)
        #expect(scalar == .fallback(.updateNotArray) && table[1]?.session == F.bytes("i:5;"))
        table.setSession(F.bytes(#"a:2:{i:0;a:0:{}i:1;R:2;}"#), for: 1)
        let referenced = table.updateSession(with: F.bytes(#"a:1:{i:0;i:1;}"#), for: 1)
        #expect(referenced == .fallback(.containsReferences) && table[1]?.session == F.bytes(#"a:1:{i:0;i:1;}"#))
        var effectTable = F.table(clients: 1)
        effectTable.setSession(F.bytes("38936001950781440"), for: 1)
        let effect = F.execute(
            F.request(.updateSession, connectionID: 1, ext: #"a:1:{s:1:"x";i:1;}"#), on: &effectTable)
        #expect(effect == .sessionFallback(.sessionNotArray))
    }

    @Test func allSessionsListsEmptySessionsAsEmptyStrings() {
        var table = F.table(clients: 2)
        table.setSession(F.bytes("x"), for: 2)
        #expect(table.allClientSessionsReply() == F.bytes(#"a:2:{i:1;s:0:"";i:2;s:1:"x";}"#))
        table.join(group: F.bytes("g"), connectionID: 2)
        table.join(group: F.bytes("g"), connectionID: 1)
        #expect(table.clientSessionsByGroupReply(F.bytes("g")) == F.bytes(#"a:2:{i:2;s:1:"x";i:1;s:0:"";}"#))
    }

    /// Clients 1…4: 4 and 2 in g (that order), 3 and 1 bound to u.
    static func selectTable() -> GatewayClientTable {
        var table = F.table(clients: 4)
        table.join(group: F.bytes("g"), connectionID: 4)
        table.join(group: F.bytes("g"), connectionID: 2)
        table.bindUID(F.bytes("u"), to: 3)
        table.bindUID(F.bytes("u"), to: 1)
        return table
    }

    @Test func selectWhereIsAUnionInJSONKeyOrder() {
        let table = Self.selectTable()
        let uidFirst = table.selectReply(
            F.bytes(#"{"fields":[],"where":{"uid":["u"],"groups":["g"],"connection_id":[2,"1",9]}}"#))
        #expect(uidFirst == F.bytes("a:4:{i:3;a:0:{}i:1;a:0:{}i:4;a:0:{}i:2;a:0:{}}"))
        let groupsFirst = table.selectReply(
            F.bytes(#"{"where":{"groups":["g","g"],"uid":["u"],"other":[1]},"fields":["uid"]}"#))
        #expect(
            groupsFirst
                == F.bytes(
                    #"a:4:{i:4;a:1:{s:3:"uid";N;}i:2;a:1:{s:3:"uid";N;}i:3;a:1:{s:3:"uid";s:1:"u";}i:1;a:1:{s:3:"uid";s:1:"u";}}"#
                ))
        let byID = table.selectReply(F.bytes(#"{"fields":["session"],"where":{"connection_id":{"a":3,"b":1}}}"#))
        #expect(byID == F.bytes(#"a:2:{i:3;a:1:{s:7:"session";s:0:"";}i:1;a:1:{s:7:"session";s:0:"";}}"#))
    }

    @Test func selectFalsyWhereMeansEveryoneButOnlyWithFields() {
        let table = Self.selectTable()
        for condition in ["null", "[]", "{}", "0", "\"0\"", "false"] {
            let reply = table.selectReply(F.bytes(#"{"fields":["uid"],"where":"# + condition + "}"))
            #expect(
                reply?.starts(with: F.bytes(#"a:4:{i:1;a:1:{s:3:"uid";s:1:"u";}i:2;"#)) == true, "where \(condition)")
        }
        #expect(table.selectReply(F.bytes(#"{"fields":[]}"#)) == F.bytes("a:0:{}"))
        #expect(table.selectReply(F.bytes(#"{"where":{"uid":["u"]}}"#)) == F.bytes("a:2:{i:3;a:0:{}i:1;a:0:{}}"))
        #expect(table.selectReply(F.bytes(#"{"fields":["uid"],"where":[["u"]]}"#)) == F.bytes("a:0:{}"))
        for falsy in ["", "0", "null", "[]", "{}", "[1"] {
            #expect(table.selectReply(F.bytes(falsy)) == F.bytes("a:0:{}"), "ext \(falsy)")
        }
    }

    @Test func selectUnknownAndNumericFieldsAreNullAndDeduplicated() {
        var table = F.table(clients: 1)
        table.join(group: F.bytes("5"), connectionID: 1)
        let reply = table.selectReply(F.bytes(#"{"fields":["id","uid","7",7,"uid","groups",["x"]],"where":null}"#))
        #expect(reply == F.bytes(#"a:1:{i:1;a:4:{s:2:"id";N;s:3:"uid";N;i:7;N;s:6:"groups";a:1:{i:5;s:1:"5";}}}"#))
    }
}
